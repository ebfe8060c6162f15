"""The engine's questions for a scope (an org unit at a moment): due items, compliance and its
regroupings, indicators — computed by the store's set-based SQL, returned as typed rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from guanai.core.celltext import rate
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t
from guanai.core.obligations import DUE, MET, MET_LATE, OVERDUE, AsOf, as_of, status, trigger_status
from guanai.core.render import class_order

if TYPE_CHECKING:
    from guanai.core.app import App


@dataclass
class Scope:
    """What a question is about: the schools of an org unit (or all), the programmes in force
    there (segments), the moment asked about and what was known then."""

    app: App
    store: Any
    orgs: dict[str, dict[str, Any]]
    schools: list[str]
    segs: list[Any]
    zone: ZoneInfo
    asof: AsOf
    org: str | None
    missing_plugins: list[tuple[str, str]] = field(default_factory=list)  # (programme, plugin) not installed

    @property
    def registry(self) -> Any:
        return self.app.registry

    def root(self, code: str) -> str:
        """The top of the org tree above `code` (the county)."""
        while self.orgs[code]["parent"]:
            code = self.orgs[code]["parent"]
        return code

    @property
    def code(self) -> str:
        """The org unit asked about, or the county when none was."""
        return self.org or self.root(self.schools[0])

    def before_start(self) -> date | None:
        """The first day a programme is in force at these schools, when as_of falls before it."""
        first = min((seg.start for seg in self.segs), default=None)
        return first if first is not None and self.asof.day < first else None

    def as_of_text(self) -> str:
        return local(self.asof.instant_utc, self.zone).isoformat(timespec="minutes")

    def on(self, day: date) -> Scope:
        """The same scope at the end of `day` (a report of a term gone by counts its indicators on the
        term's last day, not on the day it is printed), with what was known at the same moment."""
        if day >= self.asof.day:
            return self
        from dataclasses import replace

        moved = as_of(day, self.zone)
        return replace(self, asof=AsOf(moved.day, moved.instant_utc, self.asof.known_at_utc))


def scope(app: App, org: str | None, moment: date | datetime | None = None, known: date | datetime | None = None,
          also: tuple[str, ...] = ()) -> Scope:
    """The scope of `org` (and of the schools `also` names: a child's earlier schools) at `moment`
    (now in the programme's time zone when None), with the facts known at `known`."""
    from guanai.core.store.engine import segments
    from guanai.core.store.orgs import all_orgs, schools_in

    store = app.store
    with store.read() as conn:
        orgs = all_orgs(conn)
        schools = schools_in(orgs, org) + [s for s in also if s not in schools_in(orgs, org)]
        if not schools:
            raise Refusal("publish.no_schools")
        segs = segments(conn, schools, orgs)
    if not segs:
        raise Refusal("engine.no_programme", org=orgs[org]["name"] if org else t("due.everywhere"))
    zone = segs[0].zone
    moment = moment or app.now(zone)
    if isinstance(known, date) and not isinstance(known, datetime):
        known = datetime.combine(known + timedelta(days=1), datetime.min.time()) - timedelta(microseconds=1)
    asof = as_of(moment, zone, known)
    if asof.known_at_utc is not None:  # the programmes as published and bound by then
        with store.read() as conn:
            segs = segments(conn, schools, orgs, asof.known_at_utc)
        if not segs:
            raise Refusal("engine.no_programme", org=orgs[org]["name"] if org else t("due.everywhere"))
    return Scope(app, store, orgs, schools, segs, zone, asof, org, _missing_plugins(app, segs))


def _missing_plugins(app: App, segs: list[Any]) -> list[tuple[str, str]]:
    """(programme, plugin) for each plugin a published programme names that is not installed (or
    failed to load): its steps, duties and indicators cannot be counted. Free when every plugin
    named is built in (reads the stored programme, not the plugins)."""
    from guanai.core.builtins import BUILTIN_PLUGINS

    needed = {(p, (seg.data or {}).get("id", "?")) for seg in segs for p in (seg.data or {}).get("plugins", ())
              if p not in BUILTIN_PLUGINS}
    if not needed:
        return []
    loaded = app.registry.plugins
    return [(programme, plugin) for plugin, programme in sorted(needed) if plugin not in loaded]


def local(utc: datetime, zone: ZoneInfo) -> datetime:
    """A stored (naive UTC) time as the naive local time in `zone`."""
    return utc.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


# —— due ——

@dataclass(frozen=True)
class OpenItem:
    """What every open item tells: the duty, its subject, who answers, the window and progress."""

    duty: str
    name: str
    scope: str
    subject: str
    subject_name: str | None
    class_name: str | None
    school: str
    responsible: str | None
    status: str
    required: int
    done: int
    step: str
    match: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class WindowItem(OpenItem):
    """An open window of a duty or task for one subject (SPEC §2): due on its last day."""

    window_start: date
    due: date
    closes_late: bool  # a record made on as_of, after the due date, still closes it (met_late, SPEC §2)
    by: str | None  # the role the duty names (None: the school's own task)
    days_overdue: int

    def as_json(self) -> dict[str, Any]:
        return _public(self, self.window_start.isoformat(), self.due.isoformat())

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The window as moments: its first day's start to its due day's end."""
        return datetime.combine(self.window_start, datetime.min.time()), datetime.combine(self.due, datetime.max.time())

    @property
    def recordable(self) -> bool:
        """Whether a record can still close it: not an overdue window of a recurring duty, whose
        record now counts for the next window (SPEC §2, late, not lost)."""
        return self.status != OVERDUE or self.closes_late

    def record_at(self, now: datetime) -> datetime:
        """When a record made now is dated by default (the `--at` of `due`'s hint, the page's form):
        now, moved into the window — unless a record now closes it late, then now."""
        start, end = self.window
        return now if self.closes_late else min(max(now, start), end)


@dataclass(frozen=True)
class TriggeredItem(OpenItem):
    """A time-limited obligation a record created (a notice within 30 minutes): due at a moment."""

    window_start: datetime
    due: datetime
    minutes_overdue: int  # negative: minutes left
    closes_late: bool = True
    by: str | None = "recorder"

    def as_json(self) -> dict[str, Any]:
        return _public(self, self.window_start.isoformat(timespec="minutes"), self.due.isoformat(timespec="minutes"))

    @property
    def window(self) -> tuple[datetime, datetime]:
        return self.window_start, self.due

    @property
    def recordable(self) -> bool:
        return True  # a time-limited obligation closes late (met_late)

    def record_at(self, now: datetime) -> datetime:
        return now


DueItem = WindowItem | TriggeredItem
DUE_COLUMNS = ("duty", "name", "scope", "subject", "subject_name", "class", "school", "responsible",
               "window_start", "due", "status", "required", "done")


def _public(item: OpenItem, start: str, due: str) -> dict[str, Any]:
    """An item as `due --json` gives it (SPEC §3: names never change)."""
    return {"duty": item.duty, "name": item.name, "scope": item.scope, "subject": item.subject,
            "subject_name": item.subject_name, "class": item.class_name, "school": item.school,
            "responsible": item.responsible, "window_start": start, "due": due, "status": item.status,
            "required": item.required, "done": item.done}


@dataclass
class DueList:
    """The items open at as_of (due and overdue, overdue first), whose list it is, and who answers."""

    scope: Scope
    items: list[DueItem]
    person: Any  # the staff member whose list it is (a row of `staff`), or None
    staff_names: dict[str, str]  # who answers for each item, by 工号

    @property
    def public(self) -> list[dict[str, Any]]:
        return [item.as_json() for item in self.items]


@dataclass(frozen=True)
class Vacation:
    """The scope's day falls in no term of the programmes in force: the term that ended last and
    the next one published (None when none is)."""

    ended: Any
    next: Any


def vacation(s: Scope) -> Vacation | None:
    """None when a term of a programme in force holds the as-of day; else which terms surround it
    (a list that says 没有待办事项 in August should say why)."""
    day = s.asof.day
    terms = [term for seg in s.segs for term in seg.programme.calendar.terms]
    if not terms or any(term.start <= day <= term.end for term in terms):
        return None
    ended = max((term for term in terms if term.end < day), key=lambda term: term.end, default=None)
    coming = min((term for term in terms if term.start > day), key=lambda term: term.start, default=None)
    return Vacation(ended, coming)


def due_items(s: Scope, staff_id: str | None = None, class_name: str | None = None,
              period: tuple[date, date] | None = None, subject: tuple[str, str] | None = None) -> DueList:
    """What is due and overdue at as_of in the scope, for a teacher (`staff_id`), a class or one
    subject (("child", 学籍号): a child's file); `period`: only obligations due in it (a window's
    due date, a deadline's local day)."""
    from guanai.core.store.engine import Question, obligation_rows, triggered
    from guanai.core.store.facts import staff_member, staff_names

    person = None
    items: list[DueItem] = []
    with s.store.read() as conn:
        if staff_id:
            person = staff_member(conn, staff_id)
            if person is None:
                raise Refusal("record.staff_unknown", value=staff_id)
        question = Question(s.schools, s.asof, staff=staff_id, class_name=class_name, period=period, subject=subject)
        for _seg, rule, window, data in obligation_rows(conn, s.segs, question, open_only=True):
            state = status(window, rule.grace_days, rule.times, data["done"], bool(data["excused"]), s.asof.day,
                           data["late"])
            if state in (DUE, OVERDUE):
                items.append(WindowItem(rule.id, rule.name, rule.scope, data["subject"], data["name"],
                                        data["class_name"], data["school"], data["responsible"], state, rule.times,
                                        data["done"], rule.step, tuple(rule.match), window.start, window.end,
                                        s.asof.day < rule.late_until_of(window), rule.by,
                                        (s.asof.day - window.end).days))
        for ob in triggered(conn, s.segs, question):
            state = trigger_status(ob.occurred, ob.deadline, ob.first, s.asof.instant_utc)
            if state in (DUE, OVERDUE):
                items.append(TriggeredItem(ob.rule_id, ob.name, ob.subject_kind, ob.subject, ob.subject_name,
                                           ob.class_name, ob.school, ob.responsible, state, 1, 0, ob.step,
                                           tuple(ob.match), local(ob.occurred, ob.zone), local(ob.deadline, ob.zone),
                                           int((s.asof.instant_utc - ob.deadline).total_seconds() // 60)))
    if class_name:  # a class's list: its children's items, not its head teacher's own (staff) duties
        items = [i for i in items if i.class_name == class_name and i.scope in ("child", "class")]
    names: dict[str, str] = {}
    if person is None and items:  # an org's or a class's list names who answers (a teacher's is theirs)
        with s.store.read() as conn:
            names = staff_names(conn, [i.responsible for i in items])
    # classes in the order schools list them (七 八 九, 七(2)班 before 七(10)班), not by code point
    items.sort(key=lambda i: (i.status != OVERDUE, _due_day(i), isinstance(i, TriggeredItem), i.name,
                              class_order(i.class_name), i.subject))
    return DueList(s, items, person, names)


def _due_day(item: DueItem) -> date:
    return item.due.date() if isinstance(item, TriggeredItem) else item.due


def school_year(day: date) -> tuple[date, date]:
    """The school year holding `day` (1 September – 31 August): what `due` lists by default, so a
    teacher's list never opens with last year's graduates."""
    from guanai.core.obligations import school_year_of

    year = school_year_of(day)
    return date(year, 9, 1), date(year + 1, 8, 31)


def span_text(minutes: int, kind: str) -> str:
    """A time-limited item's lateness or time left (`kind`: overdue | left) as people say it: minutes
    under two hours, hours under two days, else days and hours ("还剩9天", never "还剩14401分钟")."""
    if minutes < 120:
        return t(f"due.{kind}_minutes", n=minutes)
    if minutes < 48 * 60:
        return t(f"due.{kind}_hours", n=minutes // 60)
    days, hours = minutes // 1440, minutes % 1440 // 60
    return t(f"due.{kind}_days_hours", days=days, hours=hours) if hours else t(f"due.{kind}_days", n=days)


def due_label(item: DueItem, today: date) -> tuple[str, str]:
    """How `due` and the teacher's page say when an item is due: (label, tone) — 逾期3天 (red), a
    time-limited item's countdown, 本周 (yellow), 本月, 以后."""
    if isinstance(item, TriggeredItem):
        if item.status == OVERDUE:
            return span_text(item.minutes_overdue, "overdue"), "red"
        return span_text(-item.minutes_overdue, "left"), "yellow"
    if item.status == OVERDUE:
        return t("due.overdue_days", n=item.days_overdue), "red"
    end = _due_day(item)
    if end.isocalendar()[:2] == today.isocalendar()[:2]:
        return t("due.this_week"), "yellow"
    if (end.year, end.month) == (today.year, today.month):
        return t("due.this_month"), ""
    return t("due.later"), ""


def due_summary(items: list[DueItem], today: date) -> str:
    """The line under a due list: 共 12 项：逾期 3 项、本周 4 项、限时 1 项 …"""
    counts: dict[str, int] = {"overdue": 0, t("due.this_week"): 0, t("due.this_month"): 0, t("due.later"): 0}
    for item in items:
        # a time-limited item's label is its own countdown: in the summary they are one bucket
        key = ("overdue" if item.status == OVERDUE else t("due.time_limited") if isinstance(item, TriggeredItem)
               else due_label(item, today)[0])
        counts[key] = counts.get(key, 0) + 1
    counts = {k: n for k, n in counts.items() if n}
    parts = [t("due.sum_overdue", n=counts.pop("overdue"))] if "overdue" in counts else []
    parts += [t("due.sum_other", label=label, n=n) for label, n in counts.items()]
    return t("due.summary", n=len(items), parts=t("list.sep").join(parts))


# —— compliance ——

def compliance(s: Scope, keys: tuple[str, ...], group: str | None = None, duties: set[str] | None = None,
               period: tuple[date, date] | None = None
               ) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """Expected, met and met late up to as_of, summed by `keys` (duty, staff, class, school,
    township, org, month, week), as `compliance --json` rows; and the names of the key values."""
    from guanai.core.store.engine import Question, compliance_rows, iso_week, triggered
    from guanai.core.store.facts import staff_names

    sql_keys = tuple(k for k in ("school", "class", "staff", "duty", "month", "week") if k in keys or
                     (k == "school" and ({"township", "org"} & set(keys))))
    question = Question(s.schools, s.asof, rules=duties, group=group,
                        plugin_groups=plugin_groups(s.registry) if group else {}, period=period)
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    names: dict[str, dict[str, str]] = {"duty": {}, "school": {}, "staff": {}, "township": {}, "org": {}}
    with s.store.read() as conn:
        for row in compliance_rows(conn, s.segs, question, sql_keys):
            names["duty"][row["rule"].id] = row["rule"].name
            acc = sums[_key(s, keys, row)]
            acc[0] += row["expected"] or 0
            acc[1] += row["met"] or 0
            acc[2] += row["met_late"] or 0
        for ob in triggered(conn, s.segs, question):
            if not ob.deadline < s.asof.instant_utc:
                continue
            names["duty"][ob.rule_id] = ob.name
            state = trigger_status(ob.occurred, ob.deadline, ob.first, s.asof.instant_utc)
            due = local(ob.deadline, ob.zone)
            acc = sums[_key(s, keys, {"school": ob.school, "class": ob.class_name, "staff": ob.responsible,
                                      "duty": ob.rule_id, "month": due.strftime("%Y-%m"),
                                      "week": iso_week(due.date())})]
            acc[0] += 1
            acc[1] += state == MET
            acc[2] += state == MET_LATE
        names["staff"] = staff_names(conn, [k[keys.index("staff")] for k in sums]) if "staff" in keys else {}
    names["school"] = names["township"] = names["org"] = {code: o["name"] for code, o in s.orgs.items()}
    return _rows_of(sums, keys, names), names


def _rows_of(sums: dict[tuple[Any, ...], list[int]], keys: tuple[str, ...],
             names: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Summed counts as `compliance --json` rows, in its order: duties as the programme lists them,
    classes as schools list them, the rest by text."""
    order = {rid: i for i, rid in enumerate(names["duty"])}  # duties in programme order

    def sort_key(item: Any) -> tuple[Any, ...]:
        return tuple(order.get(x, 0) if k == "duty" else class_order(x) if k == "class" else str(x or "")
                     for k, x in zip(keys, item[0], strict=True))

    return [{"key": dict(zip(keys, key, strict=True)), "expected": exp, "met": met, "met_late": late,
             "rate": rate(met, exp)} for key, (exp, met, late) in sorted(sums.items(), key=sort_key)]


def regroup(rows: list[dict[str, Any]], keys: tuple[str, ...], names: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Compliance rows grouped by more keys, summed down to `keys` — what `compliance --by KEYS`
    gives, from one pass instead of one per grouping (the reports ask several)."""
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        acc = sums[tuple(r["key"][k] for k in keys)]
        acc[0] += r["expected"]
        acc[1] += r["met"]
        acc[2] += r["met_late"]
    return _rows_of(sums, keys, names)


def total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows summed: expected, met, met late and the rate."""
    exp = sum(r["expected"] for r in rows)
    met = sum(r["met"] for r in rows)
    return {"expected": exp, "met": met, "met_late": sum(r["met_late"] for r in rows),
            "rate": rate(met, exp)}


def plugin_groups(registry: Any) -> dict[str, str | None]:
    """The installed plugins' follow-up rules by id, with their groups (for `--group`)."""
    return {rule: follow.group for rule, (_plugin, follow) in registry.follow_up_rules().items()}


def _key(s: Scope, keys: tuple[str, ...], row: dict[str, Any]) -> tuple[Any, ...]:
    out = []
    for k in keys:
        if k == "township":
            parent = s.orgs[row["school"]]["parent"]
            out.append(parent if parent and s.orgs[parent]["kind"] == "township" else None)
        elif k == "org":
            out.append(s.org or s.root(row["school"]))
        else:
            out.append(row.get(k))
    return tuple(out)


# —— indicators ——

def indicator_rows(s: Scope) -> list[dict[str, Any]]:
    """The indicators of the programmes in force at as_of, as `indicators --json` gives them."""
    from guanai.core.store.indicators import compute

    with s.store.read() as conn:
        found = compute(conn, s.segs, s.asof, lambda g, d, period: compliance(s, (), g, d, period=period)[0],
                        s.registry.indicator_kinds, s.registry)
    return [{"id": r.id, "name": r.name, "org": s.code, "value": r.value, "target": r.target,
             "ok": r.ok, "kind": r.kind, "numerator": r.numerator,
             "denominator": r.denominator, "error": r.error, "unit": r.unit, "shares": _shares(r.shares)}
            for r in found]


def _shares(found: Any) -> dict[str, Any] | None:
    """A ratio's two shares of people, as JSON: 参赛 58/100 and 全校 294/600."""
    if found is None:
        return None

    def share(n: int, d: int) -> Any:
        return rate(n, d)

    return {"among": found.among, "part": found.part, "of": found.of, "share": share(found.part, found.of),
            "base_among": found.base_among, "base_part": found.base_part, "base_of": found.base_of,
            "base_share": share(found.base_part, found.base_of)}
