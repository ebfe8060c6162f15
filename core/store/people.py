"""Children (花名册) and staff (教职工) of a school: their import, re-import and leaving."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from guanai.core.diagnostics import InputError, Refusal
from guanai.core.store import contacts, history
from guanai.core.store.db import Store, audit, utcnow
from guanai.core.store.importing import Parsed, duplicates, parse_rows
from guanai.core.store.orgs import require_school
from guanai.core.store.presence import is_cared_for
from guanai.core.store.schema import (
    child,
    pairing,
    past_enrolment,
    past_staff,
    record,
    school_class,
    staff,
)
from guanai.core.store.sync import Changes, apply, diff, fetch_by
from guanai.core.subjects import (
    CATEGORY_SPELLINGS,
    GUARDIAN_SPELLINGS,
    PEOPLE_KINDS,
    months_between,
    people_kind,
)
from guanai.core.tabular import Column, Table, read_table
from sqlalchemy import Connection, exists, func, insert, or_, select, text, update

ROSTER_COLUMNS = (
    Column("id", ("学籍号", "学号", "学生编号", "id"), "id", required=True),
    Column("name", ("姓名", "学生姓名", "name"), "name", required=True),
    Column("gender", ("性别", "gender"), "gender"),
    Column("birth_date", ("出生日期", "出生年月", "生日", "birth_date"), "date"),
    Column("class_name", ("班级", "class"), "name", limit=64),
    Column("category", ("留守类型", "类别", "category"), "choice", choices=CATEGORY_SPELLINGS),
    Column("guardian_type", ("监护类型", "guardian_type"), "choice", choices=GUARDIAN_SPELLINGS),
    Column("guardian_name", ("监护人", "监护人姓名", "委托监护人", "guardian_name"), "name"),
    Column("guardian_relation", ("监护人关系", "与监护人关系", "guardian_relation"), "name", limit=32),
    Column("guardian_phone", ("监护人电话", "监护人联系电话", "guardian_phone"), "phone"),
    Column("father_name", ("父亲", "父亲姓名", "father_name"), "name"),
    Column("father_phone", ("父亲电话", "父亲联系电话", "father_phone"), "phone"),
    Column("father_workplace", ("父亲务工地", "父亲务工地址", "父亲工作单位", "father_workplace"), "text", limit=200),
    Column("mother_name", ("母亲", "母亲姓名", "mother_name"), "name"),
    Column("mother_phone", ("母亲电话", "母亲联系电话", "mother_phone"), "phone"),
    Column("mother_workplace", ("母亲务工地", "母亲务工地址", "母亲工作单位", "mother_workplace"), "text", limit=200),
    Column("away_since", ("外出开始", "外出时间", "away_since"), "month_date"),
    Column("address", ("家庭住址", "住址", "address"), "text"),
    Column("enrolled_on", ("入学", "入学日期", "入学时间", "enrolled_on"), "date"),
    Column("left_on", ("离校", "离校日期", "left_on"), "date"),
    Column("transfer", ("转入", "转学", "transfer"), "bool"),
)
STAFF_COLUMNS = (
    Column("id", ("工号", "教师编号", "id"), "id", required=True),
    Column("name", ("姓名", "教师姓名", "name"), "name", required=True),
    Column("roles", ("职务", "岗位", "role", "roles"), "list"),
    Column("head_of_class", ("班主任班级", "任班主任", "head_of_class"), "name", limit=64),
    Column("party_member", ("党员", "是否党员", "政治面貌", "party_member"), "bool"),
    Column("phone", ("电话", "联系电话", "手机", "phone"), "phone"),
    Column("left_on", ("离职", "离职日期", "left_on"), "date"),
    Column("joined_on", ("入职", "入职日期", "调入日期", "joined_on"), "date"),
    Column("transfer", ("调入", "transfer"), "bool"),
    Column("kind", ("类别", "人员类别", "身份", "kind"), "name", limit=20),
)


MAX_AGE_YEARS = 25  # the oldest a pupil may be on enrolment (birth dates of 1900 are typos)


@dataclass
class PeopleImport:
    """What a roster or staff import did (or, with --dry-run, would do)."""

    changes: Changes
    missing: list[dict[str, Any]] = field(default_factory=list)  # stored, active, not in the file
    marked_left: int = 0
    outside_target: list[tuple[dict[str, Any], str, dict[str, Any]]] = field(default_factory=list)
    facts: dict[str, int] = field(default_factory=dict)  # what the changes change: fact_changes
    near: list[tuple[str, str]] = field(default_factory=list)  # (a header kept as a roster cell, the known header it is close to)
    start: date | None = None  # the first day a change takes effect (the import's day, or an earlier 离校 in the file)


# the facts whose change alters what the engine judges (class, category, leaving, head teacher)
FACT_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "child": {"class": ("class_name",), "category": ("category", "away_since"), "left": ("left_on",)},
    "staff": {"head": ("head_of_class",), "posts": ("roles",), "left": ("left_on",)},
}


def near_headers(extra: list[str], columns: tuple[Column, ...]) -> list[tuple[str, str]]:
    """Headers the import keeps as roster cells (profile) that are one slip from a header it knows
    (班极 for 班级): said, so a typo does not leave every pupil without a class."""
    import difflib

    known = [h for c in columns for h in c.headers if not h.isascii()]
    out = []
    for label in extra:
        close = difflib.get_close_matches(label, known, n=1, cutoff=0.5)
        if close and label not in known:
            out.append((label, close[0]))
    return out


def fact_changes(kind: str, changes: Changes, missing_left: int = 0) -> dict[str, int]:
    """How many rows change each fact the engine judges by (转班, category, 离校/离职, 班主任, 岗位);
    `missing_left`: people the import marks as left for not being in the file."""
    out = {name: sum(any(after.get(f) != before.get(f) for f in fields if f in after)
                     for before, after in changes.changed)
           for name, fields in FACT_FIELDS[kind].items()}
    out["left"] += missing_left
    return {name: n for name, n in out.items() if n}


def grade_of(class_name: str) -> str | None:
    """七(1)班 → 七年级; 三年级2班 → 三年级."""
    m = re.match(r"^(.+?年级)", class_name) or re.match(r"^(.+?)[（(]", class_name)
    if not m:
        return None
    grade = m.group(1)
    return grade if grade.endswith("年级") else f"{grade}年级"


def _ensure_classes(conn: Connection, school: str, names: set[str | None]) -> None:
    names.discard(None)
    if not names:
        return
    have = set(conn.execute(select(school_class.c.name).where(school_class.c.school == school)).scalars())
    rows = [{"school": school, "name": n, "grade": grade_of(n)} for n in sorted(n for n in names - have if n)]
    if rows:
        conn.execute(insert(school_class), rows)


def _people_import(store: Store, path: str, school: str, columns: tuple[Column, ...], table_obj: Any,
                   build: Any, mark_left: bool, dry_run: bool, today: date,
                   extra_checks: Any = None, extra_ok: bool = True, after: Any = None,
                   moves: list[tuple[dict[str, Any], date]] | None = None,
                   asked_on: date | None = None, table: Table | None = None) -> PeopleImport:
    table = table if table is not None else read_table(path, columns)
    parsed = parse_rows(table, columns)
    duplicates(parsed, "id")
    if not extra_ok:
        known = "、".join(c.headers[0] for c in columns)
        for label in table.extra:
            parsed.problem(table.header_row, label, "import.unknown_column", known=known)
    kind = table_obj.name
    ids = [r.values["id"] for r in parsed.rows if "id" in r.values]
    unseen = _elsewhere(store, table_obj, ids, path)
    with store.write() as conn:
        require_school(conn, school)
        existing = fetch_by(conn, table_obj, "id", ids)
        by_id = {e["id"]: e for e in existing}
        by_id.update({key: {"id": key, "elsewhere": status} for key, status in unseen.items()})
        rows = [build(r, by_id.get(r.values.get("id")), parsed) for r in parsed.rows]
        if extra_checks:
            extra_checks(conn, parsed, rows)
        if parsed.problems:
            raise InputError(parsed.problems)
        split = [contacts.split(kind, r) for r in rows if r is not None]
        rows = [shown for shown, _ in split]
        full = {r["id"]: f for r, (_, f) in zip(rows, split, strict=True) if f}
        # read before any audit row is written here: on PostgreSQL a user's read is audited in a
        # transaction of its own, which would wait for the audit lock this one then holds
        stored = contacts.existing(conn, kind, list(full), path)
        if not dry_run and moves and _hand_over(conn, kind, moves, school, path):
            existing = fetch_by(conn, table_obj, "id", ids)  # the moved rows, at this school now
            by_id = {e["id"]: e for e in existing}
            moves.clear()  # PostgreSQL kept their old spans (guanai_transfer); nothing is left to do after
        changes = diff(table_obj, rows, existing, key=lambda r: r["id"])
        full = {key: f for key, f in full.items() if any(stored.get(key, {}).get(k) != v for k, v in f.items())}
        touched = {changes.key(r) for r in changes.new} | {changes.key(after) for _, after in changes.changed}
        for key in full.keys() - touched:  # only a contact changed (its masked form did not): an update all the same
            changes.changed.append((by_id[key], by_id[key]))
            changes.same -= 1
        in_file = set(ids)
        active = conn.execute(select(table_obj).where(table_obj.c.school == school, table_obj.c.left_on.is_(None)))
        missing = [dict(r._mapping) for r in active if r.id not in in_file]
        result = PeopleImport(changes, missing, facts=fact_changes(kind, changes, len(missing) if mark_left else 0),
                              near=near_headers(list(table.extra), columns))
        result.start = start = _first_day(conn, kind, school, changes, today, asked_on, result.facts)
        if asked_on is not None and start < asked_on and result.facts and not dry_run:
            # facts that take effect on a day gone by change figures of windows already closed
            raise Refusal(f"import.rewrites_past.{kind}", start=start.isoformat(), today=asked_on.isoformat(),
                          n=sum(result.facts.values()))
        if not dry_run:
            classes = {r.get("class_name") or r.get("head_of_class") for r in rows}
            _ensure_classes(conn, school, classes)
            now = utcnow()
            for row in changes.new:
                row["entered_at"] = now
            apply(conn, changes, path)
            history.remember(conn, kind, changes.changed, today, now)  # the values they held before, and until when
            end_pairings(conn, kind, _leavers(changes), school, path)
            contacts.write(conn, kind, school, full)
            audit(conn, [{"action": "contacts", "table_name": kind, "row_key": key, "org": school,
                          "after": {"fields": sorted(k for k, v in f.items() if stored.get(key, {}).get(k) != v)}}
                         for key, f in full.items()], path)  # which changed, never their values
            if mark_left and missing:
                left = Changes(table_obj, changes.key, changed=[(m, {**m, "left_on": today}) for m in missing])
                apply(conn, left, path)
                history.remember(conn, kind, left.changed, today, now)
                end_pairings(conn, kind, {m["id"]: today for m in missing}, school, path)
                result.marked_left = len(missing)
            if after:
                after(conn)
    return result


def _first_day(conn: Connection, kind: str, school: str, changes: Changes, today: date, asked_on: date | None,
               facts: dict[str, int]) -> date:
    """The first day the import's changes take effect: its own day, or an earlier 离校 / 离职 day in
    the file, or the 入学 of a new pupil on days the school was already recording (counted in
    `facts` as new: they add obligations to windows already closed)."""
    left_days = [after["left_on"] for before, after in changes.changed
                 if after.get("left_on") and after["left_on"] != before.get("left_on")]
    joined = [r["enrolled_on"] for r in changes.new if kind == "child" and asked_on is not None
              and r.get("enrolled_on") and r["enrolled_on"] < asked_on]
    if joined and conn.execute(select(exists().where(
            record.c.school == school, record.c.occurred_at >= datetime.combine(min(joined), time())))).scalar():
        facts["new"] = len(joined)
        left_days.append(min(joined))
    return min([today, *left_days]) if facts else today


def _recategorised(old: dict[str, Any] | None, values: dict[str, Any], school: str) -> list[dict[str, Any]]:
    """The child as it will be, when the row changes its category or away_since at this school."""
    keys = [k for k in ("category", "away_since") if k in values]
    if old is None or old["school"] != school or all(values[k] == old[k] for k in keys):
        return []
    return [{**old, **{k: values[k] for k in keys}}]


def _end_pairings_of_no_longer_cared_for(conn: Connection, school: str, children: list[dict[str, Any]],
                                         day: date, source: str) -> None:
    """Pairings follow the people (issue 26): a child the programme in force no longer cares for
    from `day` (its category changed: 父母返乡, no longer 留守) has its pairings end the day before."""
    from guanai.core.store.programmes import in_force, load_version

    binding = in_force(conn, school, day) if children else None
    if binding is None:
        return
    target = load_version(conn, binding["id"]).target
    end_pairings(conn, "child", {k["id"]: day for k in children
                                 if not is_cared_for(k["category"], k["away_since"], target, day)}, school, source)


def _leavers(changes: Changes) -> dict[str, date]:
    """Who the import marks as left (a 离校 / 离职 day new or changed), with their first day away."""
    out = {row["id"]: row["left_on"] for row in changes.new if row.get("left_on")}
    out.update({after["id"]: after["left_on"] for before, after in changes.changed
                if after.get("left_on") and after["left_on"] != before.get("left_on")})
    return out


def end_pairings(conn: Connection, kind: str, leavers: dict[str, date], school: str, source: str) -> None:
    """Pairings follow the people (issue 26): a pairing with a child or staff member who left
    ends the day before their first day away (audited, like any change to a pairing)."""
    if not leavers:
        return
    cols = [pairing.c.child, pairing.c.buddy] if kind == "child" else [pairing.c.staff]
    found = [dict(r) for r in conn.execute(select(pairing).where(or_(*(c.in_(sorted(leavers)) for c in cols))))
             .mappings()]
    changed = []
    for row in found:
        left = min(leavers[row[c.name]] for c in cols if row[c.name] in leavers)
        last = left - timedelta(days=1)
        if row["start"] <= last and (row["end"] is None or row["end"] > last):
            changed.append((row, {**row, "end": last}))
    history.remember_pairings(conn, [], changed, school, utcnow())  # --known-at sees them open
    apply(conn, Changes(pairing, lambda r: r["id"], changed=changed), source, org=lambda _row: school)


def _elsewhere(store: Store, table_obj: Any, ids: list[str], source: str) -> dict[str, str]:
    """On PostgreSQL, of the ids this session cannot see (another school's, under row-level
    security), which are enrolled at another school now ('enrolled') and which have left it
    ('left'): never where. guanai_enrolment() audits the question — in a transaction of its own,
    so the question stays in the audit when the import is then refused."""
    if store.dialect != "postgresql" or not ids:
        return {}
    with store.write() as conn:
        if not contacts.restricted(conn):  # the owner sees every row: nothing is hidden to ask about
            return {}
        seen = {e["id"] for e in fetch_by(conn, table_obj, "id", ids)}
        unseen = [i for i in ids if i not in seen]
        if not unseen:
            return {}
        return {r.id: r.status for r in conn.execute(
            text("SELECT id, status FROM guanai_enrolment(:kind, :ids, :source)"),
            {"kind": table_obj.name, "ids": unseen, "source": source[:300]})}


def _hand_over(conn: Connection, kind: str, moves: list[tuple[dict[str, Any], date]], school: str,
               source: str) -> bool:
    """On PostgreSQL, each move is made by guanai_transfer() (SECURITY DEFINER): the old school's
    span is kept and its pairings end, the row comes here, audited at both schools — if this
    session may make it (a school takes in a pupil who has left; a township or county moves
    anyone under it). On SQLite (one user) keep_moved does the same after the
    rows are written; the transfer tests run on both."""
    if conn.dialect.name != "postgresql":
        return False
    for old, start in moves:
        conn.execute(text("SELECT guanai_transfer(:kind, :key, :school, :start, :source)"),
                     {"kind": kind, "key": old["id"], "school": school, "start": start, "source": source[:300]})
    return True


def effective_day(store: Store, school: str, today: date) -> date:
    """The day a roster or staff import takes effect when it does not say (`--effective`): the
    import's day during a term of a programme bound to the school, the next term's first day
    during a vacation (a roster prepared in August is next term's), else the import's day."""
    with store.read() as conn:
        return effective_day_at(conn, school, today)


def effective_day_at(conn: Connection, school: str, today: date) -> date:
    """effective_day on an open connection."""
    from guanai.core.store.programmes import bindings_for, load_version

    # every version bound to the school: next year's may be published already
    versions = {b["id"] for b in bindings_for(conn, school)}
    terms = [term for v in sorted(versions) for term in load_version(conn, v).calendar.terms]
    if any(term.start <= today <= term.end for term in terms):
        return today
    return min((term.start for term in terms if term.start > today), default=today)


def last_term_end(store: Store, school: str, before: date) -> date:
    """The first day after the last term (of any programme bound to the school) that ends before
    `before`: the graduates' first day away. `before` itself when no term ends before it."""
    from guanai.core.store.programmes import bindings_for, load_version

    with store.read() as conn:
        terms = [term for v in sorted({b["id"] for b in bindings_for(conn, school)})
                 for term in load_version(conn, v).calendar.terms]
    ends = [term.end for term in terms if term.end < before]
    return max(ends) + timedelta(days=1) if ends else before


def import_roster(store: Store, path: str, school: str, mark_left: bool = False, dry_run: bool = False,
                  today: date | None = None, transfer: bool = False, asked_on: date | None = None,
                  table: Table | None = None) -> PeopleImport:
    """A school's roster (花名册). A child stored at another school and not left there is refused
    unless the row is a transfer (`transfer`, or 转入 = 是): then the old enrolment ends the day
    before the new one begins (入学, default today) and its open pairings end with it."""
    today = today or date.today()
    default_enrolment = today  # an empty 入学: the day the import takes effect (issue 26)
    moves: list[tuple[dict[str, Any], date]] = []  # (the child as stored at the old school, start here)
    recategorised: list[dict[str, Any]] = []  # children whose category or away_since changed: as they will be

    def build(row: Any, old: dict[str, Any] | None, parsed: Parsed) -> dict[str, Any] | None:
        values = dict(row.values)
        moving = values.pop("transfer", False) or transfer
        if "id" not in values or "name" not in values:
            return None
        values["school"] = school
        if old is not None and "elsewhere" in old:  # another school's pupil this session cannot see
            return _take_in(row, values, old, moving, parsed, moves, today, "child")
        if values.get("category") is None and (old is None or "category" in values):
            values["category"] = "none"
        recategorised.extend(_recategorised(old, values, school))
        if old is not None and old["school"] != school:
            start = values.get("enrolled_on") or today
            still_there = old["left_on"] is None or old["left_on"] > start
            if still_there and not moving:
                parsed.problem(row.number, "id", "child.other_school", id=old["id"], school=old["school"])
            elif start <= old["enrolled_on"]:
                parsed.problem(row.number, "enrolled_on" if "enrolled_on" in values else "id",
                               "child.transfer_before", start=start.isoformat(), school=old["school"],
                               enrolled=old["enrolled_on"].isoformat())
            values["enrolled_on"], values["left_on"] = start, values.get("left_on")
            if "class_name" not in values:
                values["class_name"] = None  # the old school's class is not a class here
            moves.append((old, start))
        if values.get("enrolled_on") is None:
            values["enrolled_on"] = old["enrolled_on"] if old else default_enrolment
        profile = dict(old["profile"]) if old else {}
        profile.update({k: str(v).strip() for k, v in row.extra.items()})
        values["profile"] = profile
        _check_child_dates(row.number, values, parsed, today)
        return values

    def after(conn: Connection) -> None:
        keep_moved(conn, "child", moves)
        _end_pairings_of_no_longer_cared_for(conn, school, recategorised, today, path)

    result = _people_import(store, path, school, ROSTER_COLUMNS, child, build, mark_left, dry_run, today,
                            after=after, moves=moves, asked_on=asked_on, table=table)
    result.outside_target = _outside_target(store, school, result, today)
    return result


GRADES = "一二三四五六七八九"


def promoted(class_name: str | None) -> tuple[int, str | None] | None:
    """(grade number, the class's name a grade up) for 七(1)班 → (7, 八(1)班), 三年级2班 → (3,
    四年级2班); None for a class whose name carries no grade."""
    grade = grade_of(class_name) if class_name else None
    if not grade or grade[0] not in GRADES or not class_name or not class_name.startswith(grade[0]):
        return None
    n = GRADES.index(grade[0]) + 1
    return n, (GRADES[n] + class_name[1:] if n < len(GRADES) else None)


def promotion(store: Store, school: str, graduate_on: date) -> tuple[Table, dict[str, int]]:
    """The roster of a new school year, made from the stored one: every pupil in school one grade
    up (七(1)班 → 八(1)班), the top grade held at the school leaving on `graduate_on` (its first day
    away). A table for import_roster: the same checks, history and audit as a file. Also the counts
    (promoted, graduating, without a grade in the class name: left as they are)."""
    from guanai.core.store.schema import fact_history

    with store.read() as conn:
        require_school(conn, school)
        kids = conn.execute(select(child.c.id, child.c.name, child.c.class_name).where(
            child.c.school == school, child.c.left_on.is_(None)).order_by(child.c.id)).all()
        h = fact_history  # promoted already since the graduates left? (half the pupils changed class since)
        moved = conn.execute(select(func.count(h.c.subject.distinct())).where(
            h.c.kind == "child", h.c.school == school, h.c.field == "class_name", h.c.superseded_at.is_(None),
            h.c.valid_to >= graduate_on, h.c.subject.in_([k.id for k in kids]))).scalar() or 0
    if kids and moved * 2 >= len(kids):
        raise Refusal("promote.done_already", school=school, n=moved, since=graduate_on.isoformat())
    grades = [g for g in (promoted(k.class_name) for k in kids) if g is not None]
    top = max((n for n, _ in grades), default=None)
    rows, counts = [], {"promoted": 0, "graduating": 0, "unknown": 0}
    for number, k in enumerate(kids, start=2):
        found = promoted(k.class_name)
        if found is None:
            counts["unknown"] += 1
            continue
        n, up = found
        if n == top or up is None:
            rows.append((number, [k.id, k.name, k.class_name, graduate_on.isoformat()]))
            counts["graduating"] += 1
        else:
            rows.append((number, [k.id, k.name, up, ""]))
            counts["promoted"] += 1
    table = Table(f"roster promote --school {school}", ["学籍号", "姓名", "班级", "离校"],
                  {"id": 0, "name": 1, "class_name": 2, "left_on": 3}, {}, rows, text=True)
    return table, counts


def _take_in(row: Any, values: dict[str, Any], old: dict[str, Any], moving: bool, parsed: Parsed,
             moves: list[tuple[dict[str, Any], date]], today: date, kind: str) -> dict[str, Any] | None:
    """A row whose id another school holds, seen from a school that may not see it (PostgreSQL):
    one who left there may be taken in (the row or --transfer says so); one still there is moved
    by the old school's 离校 or by the township or county — never by a guess."""
    if old["elsewhere"] == "enrolled":
        parsed.problem(row.number, "id", f"{kind}.enrolled_elsewhere", id=old["id"])
        return None
    if not moving:
        parsed.problem(row.number, "id", f"{kind}.left_elsewhere", id=old["id"])
        return None
    first = "enrolled_on" if kind == "child" else "joined_on"
    values[first] = values.get(first) or today
    values["left_on"] = values.get("left_on")
    values.setdefault("class_name" if kind == "child" else "head_of_class", None)
    if kind == "child":
        values.setdefault("category", "none")
        values["profile"] = {k: str(v).strip() for k, v in row.extra.items()}
    else:
        values.setdefault("roles", [])
        values.setdefault("party_member", False)
    moves.append((old, values[first]))
    return values


def _check_child_dates(number: int, values: dict[str, Any], parsed: Parsed, today: date) -> None:
    """A child's dates that cannot be: born after enrolling or too long before (a pupil, not a
    grandparent), enrolled more than a year ahead, left before enrolling, away since the future."""
    born, enrolled = values.get("birth_date"), values["enrolled_on"]
    if born and born > enrolled:
        parsed.problem(number, "birth_date", "child.born_after_enrolment", born=born.isoformat(),
                       enrolled=enrolled.isoformat())
    elif born and (enrolled - born).days > MAX_AGE_YEARS * 366:
        parsed.problem(number, "birth_date", "child.too_old", born=born.isoformat(), enrolled=enrolled.isoformat(),
                       years=MAX_AGE_YEARS)
    if enrolled > today + timedelta(days=366):
        parsed.problem(number, "enrolled_on", "child.enrolled_far", value=enrolled.isoformat())
    if values.get("left_on") and values["left_on"] <= enrolled:
        parsed.problem(number, "left_on", "child.left_before_enrolment", left=values["left_on"].isoformat(),
                       enrolled=enrolled.isoformat())
    if values.get("away_since") and values["away_since"] > today:
        parsed.problem(number, "away_since", "child.away_future", value=values["away_since"].isoformat(),
                       day=today.isoformat())


def keep_moved(conn: Connection, kind: str, moves: list[tuple[dict[str, Any], date]]) -> None:
    """A transfer on SQLite, after the moved rows are written: for each child (staff member) who
    moved here on `start`, the span at the old school (its class, up to `start` or the day it left)
    is kept, and its pairings with the old school's staff (children) still open on the day before
    end then. The PostgreSQL form is guanai_transfer() (migrations/sql/0007_access.sql), which does
    the same inside the database for users who cannot see the old school's rows; the transfer tests
    (tests/hostile/test_transfers.py) hold both to the same answers."""
    for old, start in moves:
        end = start if old["left_on"] is None else min(old["left_on"], start)
        last = start - timedelta(days=1)
        if kind == "child":
            conn.execute(insert(past_enrolment).values(child=old["id"], school=old["school"], name=old["name"],
                                                       class_name=old["class_name"], start=old["enrolled_on"],
                                                       end=end))
            mine = [pairing.c.child == old["id"], pairing.c.staff.in_(
                select(staff.c.id).where(staff.c.school == old["school"]))]
        else:
            conn.execute(insert(past_staff).values(staff=old["id"], school=old["school"],
                                                   head_of_class=old["head_of_class"], start=old["joined_on"],
                                                   end=end))
            mine = [pairing.c.staff == old["id"], pairing.c.child.in_(
                select(child.c.id).where(child.c.school == old["school"]))]
        conn.execute(update(pairing).where(*mine, pairing.c.start <= last,
                                           or_(pairing.c.end.is_(None), pairing.c.end > last)).values(end=last))


def _outside_target(store: Store, school: str, result: PeopleImport,
                    today: date) -> list[tuple[dict[str, Any], str, dict[str, Any]]]:
    """Children marked as cared-for whom the programme in force does not take in."""
    from guanai.core.store.programmes import in_force, load_version

    with store.read() as conn:
        binding = in_force(conn, school, today)
        if binding is None:
            return []
        programme = load_version(conn, binding["id"])
    target = programme.target
    out = []
    rows = result.changes.new + [after for _, after in result.changes.changed]
    for row in rows:
        category = row.get("category")
        if category in (None, "none"):
            continue
        if category not in target.categories:
            out.append((row, "roster.category_outside", {"category": category}))
        elif category == "left_behind":
            since = row.get("away_since")
            if since is None:
                out.append((row, "roster.away_unknown", {"months": target.left_behind_min_months}))
                continue
            months = months_between(since, today)
            if months < target.left_behind_min_months:
                out.append((row, "roster.away_short", {"months": months, "min": target.left_behind_min_months,
                                                       "since": since.isoformat()}))
    return out


def import_staff(store: Store, path: str, school: str, mark_left: bool = False, dry_run: bool = False,
                 today: date | None = None, transfer: bool = False, asked_on: date | None = None) -> PeopleImport:
    """A school's staff list. Staff stored at another school and not left there are refused unless
    the row is a move (调动: `transfer`, or 调入 = 是): then their days there end where the days
    here begin (入职, default today), with the class they headed, and their pairings with the old
    school's children end the day before."""
    today = today or date.today()
    moves: list[tuple[dict[str, Any], date]] = []

    def build(row: Any, old: dict[str, Any] | None, parsed: Parsed) -> dict[str, Any] | None:
        values = dict(row.values)
        moving = values.pop("transfer", False) or transfer
        if "id" not in values or "name" not in values:
            return None
        if old is not None and "elsewhere" in old:  # another school's staff member this session cannot see
            values["school"] = school
            return _take_in(row, values, old, moving, parsed, moves, today, "staff")
        if old is not None and old["school"] != school:  # never a silent move: the old school keeps its history
            start = values.get("joined_on") or today
            if (old["left_on"] is None or old["left_on"] > start) and not moving:
                parsed.problem(row.number, "id", "staff.other_school", id=old["id"], school=old["school"])
            elif old["joined_on"] is not None and start <= old["joined_on"]:
                parsed.problem(row.number, "joined_on" if "joined_on" in values else "id", "staff.transfer_before",
                               start=start.isoformat(), school=old["school"], joined=old["joined_on"].isoformat())
            values["joined_on"], values["left_on"] = start, values.get("left_on")
            values.setdefault("head_of_class", None)  # the class headed there is not a class here
            moves.append((old, start))
        values["school"] = school
        if "roles" not in values and old is None:
            values["roles"] = []
        if "party_member" not in values and old is None:
            values["party_member"] = False
        if "kind" in values or old is None:
            values["kind"] = people_kind(values.get("kind"))
        return values

    return _people_import(store, path, school, STAFF_COLUMNS, staff, build, mark_left, dry_run, today,
                          functools.partial(_check_staff_rows, school, today), extra_ok=False,
                          after=lambda conn: keep_moved(conn, "staff", moves), moves=moves, asked_on=asked_on)


def _check_staff_rows(school: str, today: date, conn: Connection, parsed: Parsed, rows: list[Any]) -> None:
    _one_head_per_class(school, conn, parsed, rows)
    _known_kinds(school, today, conn, parsed, rows)


def _known_kinds(school: str, today: date, conn: Connection, parsed: Parsed, rows: list[Any]) -> None:
    """Each 类别 one of PEOPLE_KINDS or a word the programme in force lists (`people_kinds`)."""
    from guanai.core.store.hooks import Programmes

    programme = Programmes(conn).at(school, today)
    allowed = (*PEOPLE_KINDS, *(programme.people_kinds if programme is not None else ()))
    for row, values in zip(parsed.rows, rows, strict=True):
        kind = values and values.get("kind")
        if kind and kind not in allowed:
            parsed.problem(row.number, "kind", "staff.unknown_kind", kind=kind, kinds="、".join(allowed))


def _one_head_per_class(school: str, conn: Connection, parsed: Parsed, rows: list[Any]) -> None:
    """A class has one head teacher: not two in the file, nor one in the file and another stored."""
    seen: dict[str, int] = {}
    in_file = {r["id"] for r in rows if r}
    for row, values in zip(parsed.rows, rows, strict=True):
        cls = values and values.get("head_of_class")
        if not cls:
            continue
        if cls in seen:
            parsed.problem(row.number, "head_of_class", "staff.two_heads", cls=cls, row=seen[cls])
        seen.setdefault(cls, row.number)
    others = conn.execute(select(staff.c.id, staff.c.head_of_class).where(
        staff.c.school == school, staff.c.head_of_class.in_(list(seen)), staff.c.left_on.is_(None)))
    for other_id, cls in others:
        if other_id not in in_file:
            parsed.problem(seen[cls], "head_of_class", "staff.head_taken", cls=cls, other=other_id)
