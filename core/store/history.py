"""Facts with a history (SPEC §2, issue 26): valid time and transaction time for people's facts.

`child` and `staff` hold each fact's current value, as known now. `fact_history` holds every value
a fact held before, each row on the days [valid_from, valid_to) (NULL: no bound) and as known from
entered_at until superseded_at (NULL: before anything was known / still known). A fact's value on
day d, as known at instant T, is the row holding d that was known at T, else the current value.

Two kinds of fact:
- *valid-time facts* change on a day (the import's effective day): a child's class, category,
  parents' leaving, guardian type and roster cells (profile); a staff member's class headed, posts
  and party membership. The engine judges each window with the values in force then.
- *known-only facts* are corrections, the same on every day: names, birth dates, 入学 and 离校,
  入职 and 离职. Only `--known-at` looks them up (the value as it was known then).

A change of a fact from `old` to `new`, effective E, entered at `now` (`remember`):
1. rows known now whose days reach past E are superseded at `now`; those beginning before E are
   written again, ending at E;
2. the old value, as the current one since the last change, is written as known until `now` on
   every day from the end of the last row (an open row: how the fact read before this change);
3. the old value is written for the days from the end of the last row to E, known from `now`.
So the rows known at any instant never overlap, and the current value holds the days after them.

The school a child or staff member is at is their enrolment itself: a transfer keeps the old
school's span in past_enrolment / past_staff (core/store/people.keep_moved).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from guanai.core.store.schema import child, fact_history, pairing, staff
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    String,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

VALID_TIME = {
    "child": ("class_name", "category", "away_since", "guardian_type"),  # and every profile.<cell>
    "staff": ("head_of_class", "roles", "party_member"),
    "pairing": (),
}
KNOWN_ONLY = {
    "child": ("name", "gender", "birth_date", "enrolled_on", "left_on", "guardian_name", "guardian_relation",
              "father_name", "father_workplace", "mother_name", "mother_workplace"),
    "staff": ("name", "left_on", "joined_on"),
    "pairing": ("end",),  # a pairing's days are its own start and end; when it was ended is what --known-at asks
}
TYPES: dict[str, Any] = {"away_since": Date, "birth_date": Date, "enrolled_on": Date, "left_on": Date,
                         "joined_on": Date, "party_member": Boolean, "end": Date}
TABLES = {"child": child, "staff": staff, "pairing": pairing}
NONE = ""  # a value that was empty; any other is "=" and the value as text


def encode(value: Any) -> str:
    """A value as `fact_history.value`: the text its column reads as in SQL (cast to text)."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "=1" if value else "=0"
    if isinstance(value, date):
        return "=" + value.isoformat()
    if isinstance(value, (list, dict)):
        return "=" + json.dumps(value, ensure_ascii=False)  # the database's JSON serializer (db._json)
    return "=" + str(value)


def tracked(kind: str, name: str) -> bool:
    return name in VALID_TIME[kind] or name in KNOWN_ONLY[kind] or (kind == "child" and name.startswith("profile."))


def valid_time(kind: str, name: str) -> bool:
    return name in VALID_TIME[kind] or (kind == "child" and name.startswith("profile."))


def pairing_end(p: Any, known_at: datetime | None) -> Any:
    """A pairing's end as known at `known_at` (its stored end when None)."""
    if known_at is None:
        return p.c.end
    return field_at("pairing", cast(p.c.id, String), "end", p.c.end, literal(date(2000, 1, 1)), known_at)


def remember_pairings(conn: Connection, new: list[dict[str, Any]], ended: list[tuple[dict[str, Any], dict[str, Any]]],
                      school: str | None, now: datetime, school_of: Any = None) -> None:
    """New pairings say when they were made; an end set or moved is kept as it was known before.
    `school_of`: the school of a pairing's child, where `school` is None."""
    for row in new:
        row["entered_at"] = now
    if school is not None:
        remember(conn, "pairing", ended, None, now, school)
        return
    by_school: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for before, after in ended:
        by_school[school_of(before)].append((before, after))
    for code, rows in by_school.items():
        remember(conn, "pairing", rows, None, now, code)


def _changes(kind: str, before: dict[str, Any], after: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    """(field, old value) for each tracked fact the update changes."""
    for name in (*VALID_TIME[kind], *KNOWN_ONLY[kind]):
        if name in after and after[name] != before.get(name):
            yield name, before.get(name)
    if kind == "child":
        old, new = before.get("profile") or {}, after.get("profile") or {}
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                yield f"profile.{key}", old.get(key)


def remember(conn: Connection, kind: str, updates: list[tuple[dict[str, Any], dict[str, Any]]],
             effective: date | None, now: datetime, school: str | None = None) -> int:
    """Keep the values `updates` (before, after) replace: valid-time facts until `effective`,
    known-only facts as known until `now` (see the module's note). `school`: where the rows are
    kept, for rows that do not name one (a pairing: its child's school). Returns the facts changed."""
    wanted = [(str(b["id"]), school or b["school"], name, old) for b, a in updates for name, old in _changes(kind, b, a)]
    if not wanted:
        return 0
    h = fact_history
    ids = sorted({w[0] for w in wanted})
    live: dict[tuple[str, str], list[Any]] = defaultdict(list)
    last_entered: dict[tuple[str, str], datetime] = {}
    for part in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for r in conn.execute(select(h).where(h.c.kind == kind, h.c.subject.in_(part))):
            key = (r.subject, r.field)
            if r.superseded_at is None:
                live[key].append(r)
            if r.entered_at is not None and (key not in last_entered or r.entered_at > last_entered[key]):
                last_entered[key] = r.entered_at
    gone: list[int] = []
    rows: list[dict[str, Any]] = []
    for subject, school, name, old in wanted:
        key = (subject, name)
        day = effective if valid_time(kind, name) else None
        assert day is not None or not valid_time(kind, name), "a valid-time fact changes on a day"
        last_end = max((r.valid_to for r in live[key]), default=None)
        for r in live[key]:
            if day is None or r.valid_to > day:
                gone.append(r.id)
                if day is not None and (r.valid_from is None or r.valid_from < day):
                    rows.append(_row(kind, subject, r.school, name, r.value, r.valid_from, day, now))
        opened = _row(kind, subject, school, name, encode(old), last_end, None, last_entered.get(key))
        rows.append({**opened, "superseded_at": now})
        if day is not None and (last_end is None or last_end < day):
            rows.append(_row(kind, subject, school, name, encode(old), last_end, day, now))
    for ended in (gone[i:i + 500] for i in range(0, len(gone), 500)):
        conn.execute(update(h).where(h.c.id.in_(ended)).values(superseded_at=now))
    conn.execute(insert(h), rows)
    return len(wanted)


def _row(kind: str, subject: str, school: str, name: str, value: str, start: date | None, end: date | None,
         entered: datetime | None) -> dict[str, Any]:
    return {"kind": kind, "subject": subject, "school": school, "field": name, "value": value,
            "valid_from": start, "valid_to": end, "entered_at": entered, "superseded_at": None}


# —— reading ——

def known(h: Any, known_at: datetime | None) -> list[Any]:
    """The rows known at `known_at` (None: now)."""
    if known_at is None:
        return [h.c.superseded_at.is_(None)]
    return [or_(h.c.entered_at.is_(None), h.c.entered_at <= known_at),
            or_(h.c.superseded_at.is_(None), h.c.superseded_at > known_at)]


def row_known(table: Any, known_at: datetime | None) -> list[Any]:
    """A child or staff row guanai knew at `known_at` (None: now)."""
    return [] if known_at is None else [or_(table.c.entered_at.is_(None), table.c.entered_at <= known_at)]


def field_at(kind: str, subject: Any, name: str, current: Any, day: Any, known_at: datetime | None,
             school: Any = None) -> Any:
    """The SQL value of fact `name` of `subject` on `day` as known at `known_at`: the history row
    holding the day, else `current` (the column as stored). `school`: only rows written at that
    school (a class name means something at one school)."""
    h = fact_history.alias("fh")
    conds = [h.c.kind == kind, h.c.subject == subject, h.c.field == name,
             or_(h.c.valid_from.is_(None), h.c.valid_from <= day), or_(h.c.valid_to.is_(None), h.c.valid_to > day),
             *known(h, known_at)]
    if school is not None:
        conds.append(h.c.school == school)
    # correlated to whatever encloses it, at any depth (a head teacher's lookup sits two levels in)
    found = select(h.c.value).where(*conds).limit(1).correlate_except(h).scalar_subquery()
    text = func.nullif(func.substr(func.coalesce(found, literal("=") + cast(current, String)), 2), "")
    kind_of = TYPES.get(name)
    if kind_of is Date:
        return as_date(text)
    return cast(text, kind_of) if kind_of is not None else text


class local_day(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """The local calendar day of a naive-UTC time column, `minutes` east of UTC."""

    type = Date()
    name = "local_day"
    inherit_cache = True


@compiles(local_day)
def _local_day(element: Any, compiler: Any, **kw: Any) -> str:
    column, minutes = list(element.clauses)
    return (f"CAST({compiler.process(column, **kw)} + make_interval(mins => {compiler.process(minutes, **kw)}) "
            "AS DATE)")


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    column, minutes = list(element.clauses)
    return f"date({compiler.process(column, **kw)}, ({compiler.process(minutes, **kw)}) || ' minutes')"


def class_when(kid: Any, at: Any, zone: Any, known_at: datetime | None) -> Any:
    """A child's class at the local day of the time column `at` (a trigger's record): the class an
    incident's follow-ups are listed under. `zone`'s offset at that day is taken as fixed (China
    keeps no summer time)."""
    offset = zone.utcoffset(datetime(2000, 1, 1))
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return field_at("child", kid.c.id, "class_name", kid.c.class_name, local_day(at, minutes), known_at,
                    kid.c.school)


class as_date(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """Text holding a date, as a date: CAST on PostgreSQL; on SQLite, where dates are text already
    (and CAST … AS DATE would make 2025-09-01 the number 2025), the text itself."""

    type = Date()
    name = "as_date"
    inherit_cache = True


@compiles(as_date)
def _as_date(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(as_date, "sqlite")
def _as_date_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


def relevant(conn: Connection, kind: str, schools: list[str], first: date, last: date,
             known_at: datetime | None) -> bool:
    """Whether any history row of `kind` at `schools` could answer for a day first … last as known
    at `known_at`: when none can, the stored columns are the facts (the engine's fast lane)."""
    h = fact_history
    conds = [h.c.kind == kind, h.c.school.in_(schools), *known(h, known_at)]
    if known_at is None:  # known-only facts' rows are all superseded: only a valid-time fact can differ
        conds += [or_(h.c.valid_from.is_(None), h.c.valid_from <= last), h.c.valid_to > first]
    else:
        conds += [or_(h.c.valid_from.is_(None), h.c.valid_from <= last),
                  or_(h.c.valid_to.is_(None), h.c.valid_to > first)]
    return bool(conn.execute(select(exists().where(*conds))).scalar())


class FactsOn:
    """A child or staff table as it read on `day` (a date or a column) as known at `known_at`:
    `.c.<name>` is the column, or its value then when the fact has a history. Presence rules and
    conditions take it wherever they take the table."""

    def __init__(self, table: Any, kind: str, day: Any, known_at: datetime | None):
        self.table, self.kind, self.day, self.known_at = table, kind, day, known_at
        self.c = _Columns(self)

    def value(self, name: str, current: Any) -> Any:
        if name in KNOWN_ONLY[self.kind] and self.known_at is None:
            return current  # a correction, the same on every day: the stored value is the one known now
        # only rows kept at the school of this row: a school writes the history of its own days (a
        # pupil who moved on cannot have the old school's figures rewritten by the new one)
        return field_at(self.kind, self.table.c.id, name, current, self.day, self.known_at, self.table.c.school)

    def profile(self, key: str) -> Any:
        return self.value(f"profile.{key}", self.table.c.profile[key].as_string())


class _Columns:
    def __init__(self, owner: FactsOn):
        self._owner = owner

    def __getitem__(self, name: str) -> Any:
        owner = self._owner
        column = owner.table.c[name]
        return owner.value(name, column) if tracked(owner.kind, name) else column

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]


def table_on(conn: Connection, kind: str, schools: list[str], day: date, known_at: datetime | None) -> Any:
    """The child or staff table as it read on `day`, as known at `known_at`, for readers that
    look at one day (indicators, reports, stats): the table itself when no history row can
    differ, else a subquery of the same columns."""
    table = TABLES[kind]
    if known_at is None and not relevant(conn, kind, schools, day, day, None):
        return table
    if known_at is not None and not relevant(conn, kind, schools, day, day, known_at) and not conn.execute(
            select(exists().where(table.c.school.in_(schools), table.c.entered_at > known_at))).scalar():
        return table
    view = FactsOn(table, kind, day, known_at)
    columns = [view.c[c.name].label(c.name) for c in table.c]
    if kind == "child":  # each roster cell with a history as a column of its own (engine.child_field reads it)
        h = fact_history
        cells = conn.execute(select(h.c.field).distinct().where(
            h.c.kind == kind, h.c.school.in_(schools), h.c.field.like("profile.%"))).scalars()
        columns += [view.profile(name.removeprefix("profile.")).label(name) for name in sorted(cells)]
    return select(*columns).where(*row_known(table, known_at)).subquery(f"{kind}_on")


def class_spans(conn: Connection, kid: dict[str, Any]) -> list[dict[str, Any]]:
    """The classes a child left (转班), as known now: school, class_name, start, end (its first day
    in the next class); a span with no recorded start begins on the child's 入学."""
    h = fact_history
    rows = conn.execute(select(h.c.school, h.c.value, h.c.valid_from, h.c.valid_to).where(
        h.c.kind == "child", h.c.subject == kid["id"], h.c.field == "class_name", h.c.superseded_at.is_(None),
        h.c.value != NONE).order_by(h.c.valid_to))
    out = []
    for r in rows:
        start = max(r.valid_from or kid["enrolled_on"], kid["enrolled_on"]) if r.school == kid["school"] else r.valid_from
        if start is not None and r.valid_to is not None and start < r.valid_to:
            out.append({"school": r.school, "class_name": r.value[1:], "start": start, "end": r.valid_to})
    return out


def rows_about(conn: Connection, kind: str, subject: str) -> list[dict[str, Any]]:
    """Every history row about one child or staff member (a PIPL export shows them all)."""
    h = fact_history
    return [dict(r._mapping) for r in conn.execute(
        select(h).where(h.c.kind == kind, h.c.subject == subject).order_by(h.c.field, h.c.id))]
