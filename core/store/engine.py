"""The engine's database side: obligations joined with subjects and records, set-based.

For each programme version in force (a *segment*: a version, the schools it binds and the days it
is in force), every rule's windows go into a temporary table; one SQL statement per rule then
joins them with the subjects (children, classes, staff, schools), counts the satisfying records
with an index-driven correlated subquery, and finds excuses and the responsible staff member.
Compliance aggregates that statement in SQL (GROUP BY); `due` and `explain` read its rows for a
teacher, class or school. Nothing is stored; nothing is computed per child in Python.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from guanai.core.obligations import (
    EXCUSED,
    MET,
    MET_LATE,
    POST,
    AsOf,
    Cond,
    Plan,
    Rule,
    expected,
    local_midnight_utc,
    months_back,
    plan_from_json,
    plan_of,
    plan_to_json,
    settled,
)
from guanai.core.render import name_roles
from guanai.core.store.history import FactsOn, class_when, fact_history, relevant, row_known
from guanai.core.store.match import payload_condition
from guanai.core.store.orgs import all_orgs
from guanai.core.store.presence import (
    enrolled_through,
    in_target,
    pairing_holds,
    staff_active,
    staff_joined,
)
from guanai.core.store.programmes import chain_of, live, model_of, resolve
from guanai.core.store.schema import (
    child,
    child_days,
    follow_up,
    org_unit,
    pairing,
    past_enrolment,
    past_staff,
    programme_binding,
    programme_version,
    record,
    school_class,
    staff,
    staff_days,
)
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

if TYPE_CHECKING:
    from guanai.core.calendar import SchoolCalendar
    from guanai.core.programme import Programme

KID_SPANS = child_days()  # each child once per school span: where a transfer (转学) touched a school
STAFF_SPANS = staff_days()  # each staff member once per school span: where a move (调动) touched a school
EXCUSE_STEP = "excuse"  # SPEC §2: records of kind `excuse` whose from–to covers a window excuse it
CHILD_COLUMNS = {"class": "class_name"}

_tmp = MetaData()
window_table = Table(
    "guanai_window", _tmp,
    Column("wid", Integer, primary_key=True),
    Column("rule", String(200), nullable=False),
    Column("rule_id", String(64), nullable=False),  # the duty's or task's id: a record `--for` it counts only here
    Column("step", String(64), nullable=False),  # the rule's step (rules of one shape share a statement)
    Column("label", String(100), nullable=False),
    Column("start_d", Date, nullable=False),
    Column("due_d", Date, nullable=False),
    Column("start_s", String(10), nullable=False),
    Column("due_s", String(10), nullable=False),
    Column("start_utc", DateTime, nullable=False),
    Column("end_utc", DateTime, nullable=False),
    Column("cutoff", Date, nullable=False),  # parents away since on or before: a left-behind target child
    Column("times", Integer, nullable=False),  # the rule's times (rules of one shape share a statement)
    Column("late_until_utc", DateTime, nullable=False),  # a record from end_utc to here counts late
    Column("expected", Boolean, nullable=False),
    Index("guanai_window_rule", "rule"),
    prefixes=["TEMPORARY"],
)


@dataclass
class Segment:
    """A programme version in force at some schools from `start` to `end` (inclusive).

    The engine reads only `plan` (plain data, cached on disk); `programme` and `cal`, the pydantic
    model and the school calendar, are built on first use (indicators and plugins need them)."""

    version_id: int
    sha: str
    plan: Plan
    zone: ZoneInfo
    schools: list[str]
    start: date
    end: date
    any_excuse: bool = True  # set by load_windows: do these schools have any excuse record?
    kid: Any = child  # set by load_windows: KID_SPANS where a child transferred away from these schools
    staff_src: Any = staff  # set by load_windows: STAFF_SPANS where a staff member moved away from these schools
    child_history: bool = False  # set by load_windows: may a child's fact have read otherwise on a window's days?
    staff_history: bool = False  # set by load_windows: the same for a staff member's
    known_at: datetime | None = None  # set by load_windows: the question's --known-at (UTC)
    data: Any = None  # the version's stored programme data

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.plan.rules

    @property
    def programme(self) -> Programme:
        return model_of(self.sha, self.version_id, self.data)

    @property
    def cal(self) -> SchoolCalendar:
        return _calendar(self.sha, self.version_id, self.data)

    def key(self, rule: Rule) -> str:
        return f"{self.version_id}:{self.start}:{rule.id}"


@dataclass
class Question:
    """What is asked: which schools, at which moment, narrowed to rules or one subject."""

    schools: list[str]
    as_of: AsOf
    rules: set[str] | None = None  # rule ids; None = all
    group: str | None = None
    staff: str | None = None  # responsible staff member (due --staff)
    plugin_groups: dict[str, str | None] = field(default_factory=dict)  # plugins' follow-up rule id -> group
    class_name: str | None = None
    subject: tuple[str, str] | None = None  # (kind, id) for explain
    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    evidence: bool = False  # each row also lists the ids of the records it counted (explain)
    period: tuple[date, date] | None = None  # only obligations due in it (a window's due date, a deadline's day)
    every_window: bool = False  # every window in the period counts as expected, due or not (programme simulate)

    def in_period(self, day: date) -> bool:
        return self.period is None or self.period[0] <= day <= self.period[1]

    def wants(self, rule: Rule) -> bool:
        if self.rules is not None and rule.id not in self.rules:
            return False
        return self.group is None or rule.group == self.group


_plans: dict[tuple[str, int], Plan] = {}  # per process, keyed by (sha256, version id)
_calendars: dict[tuple[str, int], Any] = {}


def segments(conn: Connection, schools: list[str], orgs: dict[str, dict[str, Any]] | None = None,
             known_at: datetime | None = None) -> list[Segment]:
    """The programme versions in force at `schools`, each with the schools and days it covers.

    A binding to a county or township reaches every school under it; on the same day the binding
    nearest the school wins, then the one bound last. A version is in force from its effective
    date until the next version's. Two queries, whatever the number of schools (one when the
    caller has the org units already). `known_at`: the bindings as they stood then (--known-at): made by then, not withdrawn by then.
    """
    orgs = orgs if orgs is not None else all_orgs(conn)
    rows = conn.execute(select(programme_binding.c.org, programme_binding.c.effective_from,
                               programme_binding.c.bound_at, programme_binding.c.id.label("binding"),
                               programme_binding.c.version_id,
                               programme_version.c.timezone, programme_version.c.sha256, programme_version.c.data)
                        .join(programme_version, programme_version.c.id == programme_binding.c.version_id)
                        .where(*live(known_at))).all()
    by_org: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_org[r.org].append(r._mapping)
    timelines: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    stored: dict[int, tuple[str, Any]] = {}
    for school in schools:
        chain = chain_of(orgs, school)
        winners = resolve([r for c in chain for r in by_org.get(c, ())], chain)
        timeline = tuple((r["effective_from"], r["version_id"], r["timezone"]) for r in winners)
        stored.update({r["version_id"]: (r["sha256"], r["data"]) for r in winners})
        if timeline:
            timelines[timeline].append(school)
    out = []
    for _sha, data in stored.values():  # the programmes' own names of their roles, for what is printed
        name_roles(data.get("assignments") if isinstance(data, dict) else None)
    for timeline, members in timelines.items():
        for i, (start, version_id, zone) in enumerate(timeline):
            end = timeline[i + 1][0] - timedelta(days=1) if i + 1 < len(timeline) else date.max
            sha, data = stored[version_id]
            out.append(Segment(version_id, sha, cached_plan(sha, version_id, data), ZoneInfo(zone), sorted(members),
                               start, end, data=data))
    return out


def _calendar(sha: str, version_id: int, data: Any) -> SchoolCalendar:
    from guanai.core.calendar import SchoolCalendar

    key = (sha, version_id)
    if key not in _calendars:
        _calendars[key] = SchoolCalendar(model_of(sha, version_id, data).calendar)
    return _calendars[key]


def cached_plan(sha: str, version_id: int, data: Any) -> Plan:
    """The version's plan, kept in the file cache (core/cache.py) under the programme's sha256 and
    a hash of the code that derives plans: a teacher's `due` then builds neither the pydantic
    models nor the holiday tables (start-up time)."""
    import hashlib
    from pathlib import Path

    from guanai.core.cache import cached_json

    key = (sha, version_id)
    if key not in _plans:
        here = Path(__file__).resolve().parent.parent
        code = hashlib.sha256(b"".join((here / name).read_bytes()
                                       for name in ("calendar.py", "obligations.py", "programme.py")))
        code.update(_installed("holidays", "lunar_python").encode())  # holiday tables change with upgrades
        _plans[key] = cached_json(
            f"plan-{sha[:32]}-{code.hexdigest()[:16]}",
            lambda: plan_to_json(plan_of(model_of(sha, version_id, data), _calendar(sha, version_id, data))),
            plan_from_json, stale=f"plan-{sha[:32]}-*.json")
    return _plans[key]


def _installed(*packages: str) -> str:
    """Where and when each package was installed (an upgrade changes it), without importing it."""
    import importlib.util
    import os

    out = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else ""
        out.append(f"{name}:{origin}:{os.stat(origin).st_mtime_ns if origin else 0}")
    return ";".join(out)


def load_windows(conn: Connection, segs: list[Segment], question: Question, only_expected: bool,
                 started_only: bool = False) -> dict[int, Any]:
    """Fill the temporary window table; returns wid -> (segment, rule, window). `started_only`:
    only windows begun by as_of (what `due` lists: a window to come has no open item yet)."""
    drop_windows(conn)
    window_table.create(conn)
    rows: list[dict[str, Any]] = []
    index: dict[int, Any] = {}
    wid = 0
    # Excuses are rare: first one probe for any at all; a county-wide segment's schools would each
    # be probed (200 schools: ~8 ms of a teacher's `due`, measured at 40,000 children).
    excuses = conn.execute(select(exists().where(record.c.step == EXCUSE_STEP))).scalar()
    for seg in segs:
        # what the segment's schools hold that most do not (one probe for all four): excuses; a
        # child who transferred away (the school counts the child's days there too); class moves;
        # a staff member who moved away
        any_excuse, moved_away, staff_moved = conn.execute(select(
            exists().where(record.c.step == EXCUSE_STEP, record.c.school.in_(seg.schools)) if excuses
            else literal(False),
            exists().where(past_enrolment.c.school.in_(seg.schools)),
            exists().where(past_staff.c.school.in_(seg.schools)))).one()
        seg.any_excuse = bool(any_excuse)
        seg.kid = KID_SPANS if moved_away else child
        seg.staff_src = STAFF_SPANS if staff_moved else staff
        seg.known_at = question.as_of.known_at_utc
        first_row = len(rows)
        for rule in seg.rules:
            if not question.wants(rule) or not rule.windows:
                continue
            for w, late_until in zip(rule.windows, rule.late_until, strict=True):
                if not (seg.start <= w.end <= seg.end) or not question.in_period(w.end):
                    continue
                if started_only and w.start > question.as_of.day:
                    continue
                is_expected = question.every_window or expected(w, rule.grace_days, question.as_of.day)
                if only_expected and not is_expected:
                    continue
                wid += 1
                index[wid] = (seg, rule, w)
                rows.append({
                    "wid": wid, "rule": seg.key(rule), "rule_id": rule.id, "step": rule.step, "label": w.label, "start_d": w.start, "due_d": w.end,
                    "start_s": w.start.isoformat(), "due_s": w.end.isoformat(),
                    "start_utc": local_midnight_utc(w.start, seg.zone),
                    "end_utc": local_midnight_utc(w.end + timedelta(days=1), seg.zone),
                    "cutoff": months_back(w.start, seg.plan.left_behind_min_months), "expected": is_expected,
                    "times": rule.times, "late_until_utc": local_midnight_utc(late_until, seg.zone),
                })
        mine = rows[first_row:]
        if mine:  # facts with a history: looked up only where one may differ on these windows' days
            first, last = min(r["start_d"] for r in mine), max(r["due_d"] for r in mine)
            seg.child_history = relevant(conn, "child", seg.schools, first, last, seg.known_at)
            seg.staff_history = relevant(conn, "staff", seg.schools, first, last, seg.known_at)
    if rows:
        conn.execute(insert(window_table), rows)
    return index


def drop_windows(conn: Connection) -> None:
    conn.exec_driver_sql("DROP TABLE IF EXISTS guanai_window")  # one statement, no catalogue lookup


# —— SQL pieces ——

def condition(column: Any, cond: Cond) -> Any:
    value = cond.value
    op = cond.op
    if op == "empty":
        return or_(column.is_(None), column == "")
    if op == "not_empty":
        return and_(column.is_not(None), column != "")
    if op == "in":
        return column.in_(list(value or ()))
    if op == "not_in":
        return or_(column.is_(None), column.not_in(list(value or ())))
    if op == "ne":
        return or_(column.is_(None), column != value)
    return {"eq": column.__eq__, "lt": column.__lt__, "le": column.__le__, "gt": column.__gt__,
            "ge": column.__ge__}[op](value)


def child_field(name: str, kid: Any = child) -> Any:
    """A child's field as SQL, on `kid`: the child table, KID_SPANS, a FactsOn (the facts of a
    day) or history.table_on's subquery (a roster cell with a history is a column of its own)."""
    if name.startswith("profile."):
        if isinstance(kid, FactsOn):
            return kid.profile(name.removeprefix("profile."))
        if name in kid.c:
            return kid.c[name]
        return kid.c.profile[name.removeprefix("profile.")].as_string()
    if name == "grade":
        return (select(school_class.c.grade).where(school_class.c.school == kid.c.school,
                                                  school_class.c.name == kid.c.class_name)
                .scalar_subquery())
    return kid.c[CHILD_COLUMNS.get(name, name)]


def payload_field(col: Any, cond: Cond) -> Any:
    sample = cond.value[0] if isinstance(cond.value, (list, tuple)) and cond.value else cond.value
    if isinstance(sample, bool):
        return col[cond.field].as_boolean()
    if isinstance(sample, (int, float)):
        return col[cond.field].as_float()
    return col[cond.field].as_string()


def _known(table: Any, asof: AsOf) -> list[Any]:
    conds = [table.c.occurred_at <= asof.instant_utc]
    if asof.known_at_utc is not None:
        conds.append(table.c.recorded_at <= asof.known_at_utc)
    return conds


class id_list(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """The ids a group of rows holds, as text joined by commas (group_concat / string_agg)."""

    type = String()
    name = "id_list"
    inherit_cache = True


@compiles(id_list, "sqlite")
def _id_list_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)})"


@compiles(id_list, "postgresql")
def _id_list_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return f"string_agg(CAST({compiler.process(element.clauses, **kw)} AS TEXT), ',')"


def _done(rule: Rule, asof: AsOf, subject: list[Any], late: bool = False, shared: bool = False,
          ids: bool = False) -> Any:
    """Satisfying records in the window; with `late`, those after its due date and before its
    late_until (SPEC §2, late, not lost: none where the next window touches it). With `shared`
    the statement serves several rules of one shape: the step comes from the window. With `ids`,
    the same records' ids (explain's evidence is what the count counted)."""
    r = record.alias("r")
    w = window_table
    inside = [r.c.occurred_at >= w.c.end_utc, r.c.occurred_at < w.c.late_until_utc] if late else [
        r.c.occurred_at >= w.c.start_utc, r.c.occurred_at < w.c.end_utc]
    step, rule_id = (w.c.step, w.c.rule_id) if shared else (rule.step, rule.id)
    conds = [r.c.step == step, *[c(r) for c in subject], *inside, *_known(r, asof),
             or_(r.c.purpose.is_(None), r.c.purpose == rule_id)]  # a record `--for` a duty counts for it alone
    conds += [payload_condition(r.c.payload, k, v) for k, v in rule.match]
    found = id_list(r.c.id) if ids else func.count()
    counted = select(found).select_from(r).where(*conds).scalar_subquery()
    if not late:
        return counted
    # most windows touch the next one: no late days, and no lookup (SQLite evaluates a CASE lazily)
    return case((w.c.late_until_utc > w.c.end_utc, counted), else_=null() if ids else literal(0))


def _excused(asof: AsOf, subject: list[Any], any_excuse: bool = True) -> Any:
    """Whether an excuse covers the whole window; constant false when the schools have none at all
    (one cheap query per segment saves a lookup per obligation)."""
    if not any_excuse:
        return literal(False)
    e = record.alias("e")
    conds = [e.c.step == EXCUSE_STEP, *[c(e) for c in subject], e.c.payload["from"].as_string() <= window_table.c.start_s,
             e.c.payload["to"].as_string() >= window_table.c.due_s]
    if asof.known_at_utc is not None:
        conds.append(e.c.recorded_at <= asof.known_at_utc)
    return exists().where(*conds)


def _active_staff(s: Any) -> Any:
    return staff_active(s, window_table.c.due_d)


def _joined(s: Any, day: Any) -> Any:
    """The staff member was at this school on `day` (joined_on: the first day after a move)."""
    return staff_joined(s, day)


def staff_on(seg: Segment, s: Any, day: Any) -> Any:
    """A staff table (or alias) as it read on `day`: itself, or a FactsOn where a fact may have
    had another value on the segment's windows' days (a head teacher changed, a post moved)."""
    return FactsOn(s, "staff", day, seg.known_at) if seg.staff_history else s


def kid_on(seg: Segment, day: Any) -> Any:
    """The segment's children as they read on `day`: seg.kid, or a FactsOn over it."""
    return FactsOn(seg.kid, "child", day, seg.known_at) if seg.child_history else seg.kid


def _head_teacher(seg: Segment, school: Any, class_name: Any) -> Any:
    """Who headed the class on the window's due date (the lowest 工号 if several did)."""
    s = seg.staff_src.alias("h")
    then = staff_on(seg, s, window_table.c.due_d)
    conds = [s.c.school == school, then.c.head_of_class == class_name, _active_staff(then),
             _joined(then, window_table.c.due_d), *row_known(s, seg.known_at)]
    if seg.staff_history:  # the ones who head it now or headed it some day: the lookup runs for them only
        fh = fact_history.alias("fhh")
        conds.insert(1, or_(s.c.head_of_class == class_name, s.c.id.in_(select(fh.c.subject).where(
            fh.c.kind == "staff", fh.c.field == "head_of_class", fh.c.school == school,
            fh.c.value == literal("=") + class_name).correlate_except(fh))))
    return select(func.min(s.c.id)).where(*conds).scalar_subquery()


def _holds_post(s: Any, post: str) -> Any:
    """The staff member holds the post (岗位): it is among the roles of the staff file."""
    return cast(s.c.roles, String).like(f'%"{post.removeprefix(POST)}"%')


def _post_holder(seg: Segment, school: Any, post: str) -> Any:
    """Who holds the post at the school on the due date (the lowest 工号 when several do)."""
    s = seg.staff_src.alias("po")
    then = staff_on(seg, s, window_table.c.due_d)
    return (select(func.min(s.c.id)).where(s.c.school == school, _holds_post(then, post), _active_staff(then),
                                           _joined(then, window_table.c.due_d), *row_known(s, seg.known_at))
            .scalar_subquery())


def class_on_due(seg: Segment) -> Any:
    """The child's class on the window's due date (a class change, 转班, is a fact with a
    history): the head teacher and the class of an obligation follow it."""
    return kid_on(seg, window_table.c.due_d).c.class_name


def _paired(seg: Segment, kid: Any, role: str) -> Any:
    p, s = pairing.alias("p"), staff.alias("ps")
    holds = [p.c.child == kid.c.id, p.c.role == role, *pairing_holds(p, window_table.c.due_d, seg.known_at)]
    if role == "buddy":
        return select(func.min(p.c.buddy)).where(*holds).scalar_subquery()
    return (select(func.min(p.c.staff)).select_from(p.join(s, s.c.id == p.c.staff))
            .where(*holds, _active_staff(s)).scalar_subquery())


def _target_children(seg: Segment, rule: Rule) -> list[Any]:
    """The children a child-scope window is about: enrolled from its start to its due day and cared
    for at its start (the window's `cutoff` is months_back(start, left_behind_min_months)), with
    the facts of its first day (SPEC §2: facts have a history)."""
    kid = kid_on(seg, window_table.c.start_d)
    return [seg.kid.c.school.in_(seg.schools), *row_known(seg.kid, seg.known_at),
            *enrolled_through(kid, window_table.c.start_d, window_table.c.due_d),
            *in_target(kid, seg.plan.categories, window_table.c.cutoff),
            *(condition(child_field(c.field, kid), c) for c in rule.where)]


def obligations(seg: Segment, rule: Rule, question: Question, responsible_needed: bool = True,
                also: tuple[Rule, ...] = ()) -> Any:
    """One row per (subject, window) of the rule: school, class, subject, name, wid, responsible,
    done (satisfying records up to as_of), excused. Without `responsible_needed` the responsible
    column is NULL (compliance not grouped by staff skips that per-obligation lookup). `also`:
    rules of the same shape (same_shape) answered by the same statement; the wid tells them apart."""
    w = window_table
    asof = question.as_of
    shared = bool(also)
    on_rule = [w.c.rule.in_([seg.key(r) for r in (rule, *also)])] if shared else [w.c.rule == seg.key(rule)]
    kid, cls = seg.kid, class_on_due(seg)
    responsible: Any

    def done(subject: list[Any], late: bool = False) -> Any:
        """Satisfying records up to as_of; a simulation counts obligations only, looking up none."""
        return literal(0) if question.every_window else _done(rule, asof, subject, late, shared)

    if rule.scope == "child":
        subject = [lambda r: r.c.subject_kind == "child", lambda r: r.c.subject == kid.c.id]
        if not responsible_needed and not question.staff:
            responsible = null()
        elif rule.by == "head_teacher":
            responsible = _head_teacher(seg, kid.c.school, cls)
        elif rule.by and rule.by.startswith(POST):
            responsible = _post_holder(seg, kid.c.school, rule.by)
        elif rule.by:
            responsible = _paired(seg, kid, rule.by)
        else:
            responsible = null()
        query = (select(kid.c.school, cls.label("class_name"), kid.c.id.label("subject"), kid.c.name,
                        w.c.wid, responsible.label("responsible"), done(subject).label("done"),
                        done(subject, True).label("late"),
                        _excused(asof, subject, seg.any_excuse).label("excused"))
                 .select_from(kid).join(w, and_(*on_rule, *_target_children(seg, rule))))
        if question.class_name:
            query = query.where(cls == question.class_name)
        if question.subject:
            query = query.where(literal(question.subject[0]) == "child", kid.c.id == question.subject[1])
        if question.staff:  # narrow to the teacher's children first; `responsible` below stays exact
            query = query.where(_children_of(seg, kid, cls, question.staff, rule.by))
    elif rule.scope == "class":
        k = school_class
        subject = [lambda r: r.c.subject_kind == "class", lambda r: r.c.subject == k.c.name,
                   lambda r: r.c.school == k.c.school]
        responsible = _head_teacher(seg, k.c.school, k.c.name) if rule.by == "head_teacher" else \
            _post_holder(seg, k.c.school, rule.by) if rule.by and rule.by.startswith(POST) else null()
        has_children = exists().where(cls == k.c.name, *_target_children(seg, rule))
        query = (select(k.c.school, k.c.name.label("class_name"), k.c.name.label("subject"), k.c.name, w.c.wid,
                        responsible.label("responsible"), done(subject).label("done"),
                        done(subject, True).label("late"),
                        _excused(asof, subject, seg.any_excuse).label("excused"))
                 .select_from(k).join(w, and_(*on_rule, k.c.school.in_(seg.schools), has_children)))
        if question.class_name:
            query = query.where(k.c.name == question.class_name)
        if question.subject:
            query = query.where(literal(question.subject[0]) == "class", k.c.name == question.subject[1])
    elif rule.scope == "staff":
        s = seg.staff_src
        due, first = staff_on(seg, s, w.c.due_d), staff_on(seg, s, w.c.start_d)
        responsible = s.c.id
        subject = [lambda r: staff_record(r, s.c.id)]
        conds = [s.c.school.in_(seg.schools), *row_known(s, seg.known_at), _active_staff(due), _joined(due, w.c.start_d)]
        if rule.by == "head_teacher":
            conds.append(due.c.head_of_class.is_not(None))
        elif rule.by and rule.by.startswith(POST):  # every holder of the post
            conds.append(_holds_post(due, rule.by))
        elif rule.by:
            p = pairing.alias("sp")
            conds.append(exists().where(p.c.staff == s.c.id, p.c.role == rule.by, *pairing_holds(p, w.c.due_d, seg.known_at)))
        conds += [staff_condition(first, c) for c in rule.where]
        query = (select(s.c.school, due.c.head_of_class.label("class_name"), s.c.id.label("subject"), s.c.name,
                        w.c.wid, s.c.id.label("responsible"), done(subject).label("done"),
                        done(subject, True).label("late"),
                        _excused(asof, [lambda r: r.c.subject_kind == "staff", lambda r: r.c.subject == s.c.id],
                                 seg.any_excuse)
                        .label("excused"))
                 .select_from(s).join(w, and_(*on_rule, *conds)))
        if question.subject:
            query = query.where(literal(question.subject[0]) == "staff", s.c.id == question.subject[1])
    else:
        o = org_unit
        # a school's own obligations: nobody's, unless a post holds them (视频室 → its keeper)
        responsible = _post_holder(seg, o.c.code, rule.by) if rule.by and rule.by.startswith(POST) else None
        subject = [lambda r: r.c.subject_kind == "school", lambda r: r.c.subject == o.c.code]
        query = (select(o.c.code.label("school"), cast(null(), String).label("class_name"), o.c.code.label("subject"),
                        o.c.name, w.c.wid,
                        (responsible if responsible is not None else cast(null(), String)).label("responsible"),
                        done(subject).label("done"),
                        done(subject, True).label("late"),
                        _excused(asof, subject, seg.any_excuse).label("excused"))
                 .select_from(o).join(w, and_(*on_rule, o.c.code.in_(seg.schools))))
        if question.subject:
            query = query.where(literal(question.subject[0]) == "school", o.c.code == question.subject[1])
    if question.staff:
        query = query.where(false() if responsible is None else responsible == question.staff)
    if question.evidence:
        query = query.add_columns(_done(rule, asof, subject, shared=shared, ids=True).label("ids"),
                                  _done(rule, asof, subject, True, shared, ids=True).label("late_ids"))
    return query


def staff_record(r: Any, staff_id: Any) -> Any:
    """A record that counts for a staff member under a staff-scope duty (SPEC §2): one about the
    staff member (a pledge signed, a training attended — whoever entered it), or one they made
    about a child, a class or the school."""
    return or_(and_(r.c.subject_kind == "staff", r.c.subject == staff_id),
               and_(r.c.subject_kind != "staff", r.c.by_staff == staff_id))


def _children_of(seg: Segment, kid: Any, cls: Any, staff_id: str, by: str | None) -> Any:
    """Children a staff member could be responsible for under role `by` (an index-friendly filter)."""
    if by is None:
        return false()
    if by == "head_teacher" and seg.staff_history:  # every class the staff member headed, at each school
        fh = fact_history.alias("fhc")
        h = seg.staff_src.alias("hs")
        return or_(exists().where(h.c.id == staff_id, h.c.school == kid.c.school, h.c.head_of_class == cls),
                   exists().where(fh.c.kind == "staff", fh.c.subject == staff_id, fh.c.field == "head_of_class",
                                  fh.c.school == kid.c.school, fh.c.value == literal("=") + cls).correlate_except(fh))
    if by == "head_teacher" and seg.staff_src is not staff:  # the classes headed at each school, over time
        h = seg.staff_src.alias("hs")
        return exists().where(h.c.id == staff_id, h.c.school == kid.c.school, h.c.head_of_class == cls)
    if by.startswith(POST):  # the school where the staff member holds the post
        s = staff.alias("hs")
        return kid.c.school.in_(select(s.c.school).where(s.c.id == staff_id, _holds_post(s, by)))
    if by == "head_teacher":  # the class the staff member heads: two constants, so the school index is used
        s = staff.alias("hs")
        return and_(kid.c.school == select(s.c.school).where(s.c.id == staff_id).scalar_subquery(),
                    cls == select(s.c.head_of_class).where(s.c.id == staff_id).scalar_subquery())
    p = pairing.alias("sp2")  # paired in any role: the staff index is used; `responsible` is exact
    return kid.c.id.in_(select(p.c.child).where(p.c.staff == staff_id))


def staff_condition(s: Any, cond: Cond) -> Any:
    if cond.field == "roles":  # a post held: `in` any of the listed posts, `not_in` none of them
        values = cond.value if isinstance(cond.value, (list, tuple)) else (cond.value,)
        found = or_(*(cast(s.c.roles, String).like(f'%"{v}"%') for v in values))
        return ~found if cond.op in ("ne", "not_in") else found
    return condition(s.c[cond.field], cond)


def compliance_rows(conn: Connection, segs: list[Segment], question: Question, keys: tuple[str, ...]) -> Iterator[dict]:
    """Expected and met counts grouped by `keys` (a subset of school, class, staff, subject, duty,
    month, week — the month or ISO week of the window's due date), in SQL."""
    index = load_windows(conn, segs, question, only_expected=True)
    try:
        for seg in segs:
            shapes: dict[tuple[Any, ...], list[Rule]] = {}
            for rule in seg.rules:
                if question.wants(rule) and rule.windows:
                    shapes.setdefault(same_shape(rule), []).append(rule)
            counted: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
            for first, *others in shapes.values():  # one statement per shape (start-up time of compliance)
                counted.update(_counts(conn, seg, first, tuple(others), question, keys, index))
            for rule in seg.rules:
                for out in counted.get(seg.key(rule), {}).values():
                    if "duty" in keys:
                        out["duty"] = rule.id
                    out["rule"] = rule
                    yield out
    finally:
        drop_windows(conn)


def _counts(conn: Connection, seg: Segment, rule: Rule, also: tuple[Rule, ...], question: Question,
            keys: tuple[str, ...], index: dict[int, Any]) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """compliance_rows' counts for `rule` and the rules of its shape `also`, by rule key then by key."""
    w = window_table
    sub = (obligations(seg, rule, question, responsible_needed="staff" in keys, also=also)
           .add_columns(w.c.rule.label("rule_key"), w.c.times.label("times")).subquery())
    # One state per obligation, and the count per state: each correlated subquery is referenced
    # once, so SQLite evaluates it once per obligation (a CASE per count would evaluate it three
    # times once the subquery is flattened).
    state = settled_sql(conn, sub.c.excused, sub.c.done, sub.c.late, sub.c.times).label("state")
    inner = select(sub, state).subquery()
    cols = {"school": inner.c.school, "class": inner.c.class_name, "staff": inner.c.responsible,
            "subject": inner.c.subject}
    if "month" in keys or "week" in keys:  # by window; the window's due date is known here
        cols["wid"] = inner.c.wid
    group = [cols[k].label(k) for k in (*keys, "wid") if k in cols] + [inner.c.rule_key]
    query = select(*group, inner.c.state, func.count().label("n")).group_by(*group, inner.c.state)
    found: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    named = [k for k in keys if k in cols or k in ("month", "week")]
    for row in conn.execute(query):
        data = dict(row._mapping)
        if "wid" in data:
            due = index[data.pop("wid")][2].end
            data["month"], data["week"] = due.strftime("%Y-%m"), iso_week(due)
        key = tuple(data[k] for k in named)
        out = found.setdefault(data["rule_key"], {}).setdefault(
            key, {**{k: data[k] for k in named}, "expected": 0, "met": 0, "met_late": 0})
        state_name = STATE_CODES[data["state"]]
        if state_name != EXCUSED:
            out["expected"] += data["n"]
        out["met"] += data["n"] if state_name == MET else 0
        out["met_late"] += data["n"] if state_name == MET_LATE else 0
    return found


# the SQL codes of settled()'s answers ("o": still open)
STATE_CODES = {"x": EXCUSED, "m": MET, "l": MET_LATE, "o": None}


def settled_sql(conn: Connection, excused: Any, done: Any, late: Any, times: Any) -> Any:
    """The SQL form of obligations.settled, one code per obligation (STATE_CODES): the same
    branches in the same order. `times`: the rule's, a number or a column (rules of one shape
    share a statement)."""
    flag = excused if conn.dialect.name == "postgresql" else excused != false()
    return case((flag, "x"), (done >= times, "m"), (done + late >= times, "l"), else_="o")


def iso_week(day: date) -> str:
    """The ISO week of a day as people write it: 2025-W38."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def same_shape(rule: Rule) -> tuple[Any, ...]:
    """Rules that differ only in id, name, step, times and windows can share one statement."""
    return rule.scope, rule.by, rule.match, rule.where


def obligation_rows(conn: Connection, segs: list[Segment], question: Question,
                    open_only: bool) -> Iterator[tuple[Segment, Rule, Any, dict]]:
    """Every obligation row (with its window) for a narrow question: a teacher, class or subject."""
    index = load_windows(conn, segs, question, only_expected=False, started_only=open_only)
    try:
        for seg in segs:
            shapes: dict[tuple[Any, ...], list[Rule]] = {}
            for rule in seg.rules:
                if not question.wants(rule) or not rule.windows:
                    continue
                if question.staff and rule.scope != "staff" and (rule.by is None or rule.scope == "school"
                                                                 and not rule.by.startswith(POST)):
                    continue  # nobody is responsible for it: never on a teacher's list (saves a statement)
                shapes.setdefault(same_shape(rule), []).append(rule)
            for first, *others in shapes.values():  # one statement per shape (start-up time of `due`)
                query = obligations(seg, first, question, also=tuple(others))
                if open_only:
                    query = query.where(window_table.c.start_d <= question.as_of.day)
                for row in conn.execute(query):
                    data = dict(row._mapping)
                    _, rule, window = index[data["wid"]]
                    if open_only and settled(data["done"], data["late"], rule.times, bool(data["excused"])):
                        continue
                    yield seg, rule, window, data
    finally:
        drop_windows(conn)


@dataclass
class Triggered:
    """One obligation created by a record, e.g. 告知委托监护人 within 30 minutes of an incident."""

    trigger_id: str
    rule_id: str
    name: str
    step: str
    school: str
    class_name: str | None
    subject_kind: str
    subject: str
    subject_name: str | None
    responsible: str | None
    occurred: datetime  # naive UTC
    deadline: datetime
    first: datetime | None
    zone: ZoneInfo
    match: tuple[tuple[str, Any], ...] = ()  # the payload fields a closing record must carry


def triggered(conn: Connection, segs: list[Segment], question: Question) -> list[Triggered]:
    """Triggered obligations: one query per follow-up; trigger records are few (incidents)."""
    out: list[Triggered] = []
    asof = question.as_of
    steps = {trig.step for seg in segs for trig in seg.plan.triggers}
    if question.staff and steps and not conn.execute(select(exists().where(
            record.c.by_staff == question.staff, record.c.step.in_(steps)))).scalar():
        return plugin_follow_ups(conn, segs, question)  # the teacher recorded no trigger: one query, not one per follow-up
    for seg in segs:
        first_day = local_midnight_utc(max(seg.start, date(1970, 1, 2)), seg.zone)
        last_day = local_midnight_utc(min(seg.end, date(9998, 12, 30)) + timedelta(days=1), seg.zone)
        for trig in seg.plan.triggers:
            wanted = [follow for follow in trig.then
                      if (question.rules is None or follow.id in question.rules or trig.id in question.rules)
                      and (question.group is None or follow.group == question.group)]
            if not wanted:
                continue
            # one statement per trigger: its records, and for each follow-up the first record closing it
            t = record.alias("t")
            firsts = []
            for n, follow in enumerate(wanted):
                f = record.alias(f"f{n}")
                conds = [f.c.step == follow.step, f.c.subject_kind == t.c.subject_kind, f.c.subject == t.c.subject,
                         f.c.school == t.c.school, f.c.occurred_at >= t.c.occurred_at, *_known(f, asof),
                         or_(f.c.purpose.is_(None), f.c.purpose == follow.id)]
                conds += [payload_condition(f.c.payload, k, v) for k, v in follow.match]
                firsts.append(select(func.min(f.c.occurred_at)).where(*conds).scalar_subquery().label(f"first{n}"))
            cls = class_when(child, t.c.occurred_at, seg.zone, asof.known_at_utc)  # the class on the record's day
            query = (select(t.c.subject_kind, t.c.subject, t.c.school, t.c.by_staff, t.c.occurred_at,
                            cls.label("class_name"), child.c.name, *firsts)
                     .select_from(t.outerjoin(child, and_(t.c.subject_kind == "child", child.c.id == t.c.subject)))
                     .where(t.c.step == trig.step, t.c.school.in_(seg.schools),
                            t.c.occurred_at >= first_day, t.c.occurred_at < last_day, *_known(t, asof),
                            *[condition(payload_field(t.c.payload, c), c) for c in trig.where]))
            if question.staff:
                query = query.where(t.c.by_staff == question.staff)
            if question.class_name:
                query = query.where(cls == question.class_name)
            if question.subject:
                query = query.where(t.c.subject_kind == question.subject[0], t.c.subject == question.subject[1])
            due_from = due_to = None
            if question.period is not None:  # due in the period, like a window: its deadline's local day
                due_from = local_midnight_utc(question.period[0], seg.zone)
                due_to = local_midnight_utc(question.period[1] + timedelta(days=1), seg.zone)
                query = query.where(t.c.occurred_at >= due_from - max(f.within for f in wanted),
                                    t.c.occurred_at < due_to - min(f.within for f in wanted))
            for r in conn.execute(query):
                for n, follow in enumerate(wanted):
                    deadline = r.occurred_at + follow.within
                    if due_from is not None and not (due_from <= deadline < due_to):
                        continue
                    out.append(Triggered(trig.id, follow.id, follow.name, follow.step,
                                         r.school, r.class_name, r.subject_kind, r.subject, r.name, r.by_staff,
                                         r.occurred_at, deadline, r._mapping[f"first{n}"], seg.zone, tuple(follow.match)))
    return out + plugin_follow_ups(conn, segs, question)


def plugin_follow_ups(conn: Connection, segs: list[Segment], question: Question) -> list[Triggered]:
    """Follow-ups that plugins' on_record obliged (e.g. a referral after an abnormal check-up).

    One query for the distinct (step, match) pairs, then one per pair — never one per record.
    """
    zones = {school: seg.zone for seg in segs for school in seg.schools}
    in_group = [rule for rule, group in question.plugin_groups.items() if group == question.group]
    if not zones or (question.group is not None and not in_group):
        return []
    asof = question.as_of
    t = record.alias("t")
    base = [t.c.school.in_(list(zones)), *_known(t, asof)]
    if question.staff:
        base.append(t.c.by_staff == question.staff)
    if question.subject:
        base += [t.c.subject_kind == question.subject[0], t.c.subject == question.subject[1]]
    if question.rules is not None:
        base.append(follow_up.c.rule.in_(list(question.rules)))
    if question.group is not None:
        base.append(follow_up.c.rule.in_(in_group))
    if question.period is not None:  # due in the period: the deadline's local day, zone by zone
        by_zone: dict[Any, list[str]] = defaultdict(list)
        for school, zone in zones.items():
            by_zone[zone].append(school)
        base.append(or_(*[and_(t.c.school.in_(members),
                               follow_up.c.deadline >= local_midnight_utc(question.period[0], zone),
                               follow_up.c.deadline < local_midnight_utc(question.period[1] + timedelta(days=1), zone))
                          for zone, members in by_zone.items()]))
    kinds = conn.execute(select(follow_up.c.step, cast(follow_up.c.match, String).label("m")).distinct()
                         .select_from(follow_up.join(t, t.c.id == follow_up.c.record_id)).where(*base)).all()
    out = []
    for step, match_text in kinds:
        match = json.loads(match_text or "{}")
        f = record.alias("f")
        conds = [f.c.step == step, f.c.subject_kind == t.c.subject_kind, f.c.subject == t.c.subject,
                 f.c.school == t.c.school, f.c.occurred_at >= t.c.occurred_at, *_known(f, asof),
                 or_(f.c.purpose.is_(None), f.c.purpose == follow_up.c.rule)]
        conds += [payload_condition(f.c.payload, k, v) for k, v in sorted(match.items())]
        first = select(func.min(f.c.occurred_at)).where(*conds).scalar_subquery()
        cls = class_when(child, t.c.occurred_at, next(iter(zones.values())), asof.known_at_utc)  # on the record's day
        query = (select(follow_up.c.rule, follow_up.c.name, follow_up.c.deadline, t.c.subject_kind, t.c.subject,
                        t.c.school, t.c.by_staff, t.c.occurred_at, first.label("first"), cls.label("class_name"),
                        child.c.name.label("child_name"))
                 .select_from(follow_up.join(t, t.c.id == follow_up.c.record_id)
                              .outerjoin(child, and_(t.c.subject_kind == "child", child.c.id == t.c.subject)))
                 .where(*base, follow_up.c.step == step, cast(follow_up.c.match, String) == match_text))
        if question.class_name:
            query = query.where(cls == question.class_name)
        for r in conn.execute(query):
            out.append(Triggered(r.rule, r.rule, r.name, step, r.school, r.class_name, r.subject_kind, r.subject,
                                 r.child_name, r.by_staff, r.occurred_at, r.deadline, r.first, zones[r.school],
                                 tuple(sorted(match.items()))))
    return out

