"""The stored facts plugins and reports read, as the plain data of guanai.core.views: records of a
step in a period, children, staff names, who is enrolled or cared for on a day, follow-ups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from guanai.core.obligations import local_midnight_utc
from guanai.core.store import presence
from guanai.core.store.history import table_on
from guanai.core.store.presence import cared_for
from guanai.core.store.schema import (
    child,
    follow_up,
    org_unit,
    past_enrolment,
    past_staff,
    record,
    school_class,
    staff,
)
from guanai.core.store.sync import chunks, fetch_by
from guanai.core.views import Child, Record
from sqlalchemy import func, select

UTC = ZoneInfo("UTC")


def records(conn: Any, step: str, schools: Iterable[str], first: date, last: date, zone: ZoneInfo,
            until: datetime | None = None, known_at: datetime | None = None,
            subjects: Iterable[str] | None = None) -> list[Record]:
    """Records of `step` at `schools` on the local days `first` … `last` (inclusive), oldest first;
    `until`/`known_at` (naive UTC): only those that had happened / were entered by then."""

    r = record
    conds = [r.c.step == step, r.c.school.in_(list(schools)), r.c.occurred_at >= local_midnight_utc(first, zone),
             r.c.occurred_at < local_midnight_utc(last + timedelta(days=1), zone)]
    if until is not None:
        conds.append(r.c.occurred_at <= until)
    if known_at is not None:
        conds.append(r.c.recorded_at <= known_at)
    query = select(r.c.id, r.c.step, r.c.subject_kind, r.c.subject, r.c.school, r.c.by_staff, r.c.occurred_at,
                   r.c.payload).order_by(r.c.occurred_at, r.c.id)
    parts = [list(part) for part in chunks(list(subjects))] if subjects is not None else [None]
    out = []
    for part in parts:
        found = query.where(*conds, r.c.subject.in_(part)) if part is not None else query.where(*conds)
        out += [Record(row.id, row.step, row.subject_kind, row.subject, row.school, row.by_staff,
                       row.occurred_at.replace(tzinfo=UTC).astimezone(zone), dict(row.payload))
                for row in conn.execute(found)]
    return out


def children(conn: Any, ids: Iterable[str], day: date | None = None, known_at: datetime | None = None,
             schools: Iterable[str] = ()) -> dict[str, Child]:
    """The stored children among `ids`, by id; with `day`, as they were that day at `schools`."""

    table = child if day is None else table_on(conn, "child", list(schools), day, known_at)
    return {r["id"]: Child.of(r) for r in fetch_by(conn, table, "id", ids)}


def staff_member(conn: Any, staff_id: str) -> Any:
    """The stored row of one staff member (a mapping), or None when unknown."""

    return conn.execute(select(staff).where(staff.c.id == staff_id)).mappings().first()


def staff_names(conn: Any, ids: Iterable[str | None]) -> dict[str, str]:
    """The names of the staff among `ids` (None and unknown ids left out), by 工号."""

    wanted = sorted({i for i in ids if i})
    return {r.id: r.name for part in chunks(wanted)
            for r in conn.execute(select(staff.c.id, staff.c.name).where(staff.c.id.in_(part)))}


def enrolled(conn: Any, schools: Iterable[str], day: date, seg: Any = None, known_at: datetime | None = None) -> set[str]:
    """Ids of the pupils of `schools` enrolled on `day` (with the facts of that day, as known at
    `known_at`); with `seg`, only those its programme cares for."""

    kid = table_on(conn, "child", list(schools), day, known_at)
    rule = cared_for(kid, seg.programme.target, day) if seg is not None else presence.enrolled(kid, day)
    return set(conn.execute(select(kid.c.id).where(kid.c.school.in_(list(schools)), *rule)).scalars())


def follow_ups(conn: Any, plugin: str, school: str, first: date, last: date, zone: ZoneInfo) -> int:
    """How many follow-ups `plugin` obliged for records of `school` on the local days first … last."""

    return conn.execute(select(func.count()).select_from(follow_up.join(record, record.c.id == follow_up.c.record_id))
                        .where(follow_up.c.plugin == plugin, record.c.school == school,
                               record.c.occurred_at >= local_midnight_utc(first, zone),
                               record.c.occurred_at < local_midnight_utc(last + timedelta(days=1), zone))).scalar() or 0


def org_name(conn: Any, code: str) -> str | None:
    return conn.execute(select(org_unit.c.name).where(org_unit.c.code == code)).scalar()


def org_kind(conn: Any, code: str) -> str | None:
    return conn.execute(select(org_unit.c.kind).where(org_unit.c.code == code)).scalar()


def has_class(conn: Any, school: str, name: str) -> bool:
    return conn.execute(select(school_class.c.name).where(school_class.c.school == school,
                                                         school_class.c.name == name)).first() is not None


def person(conn: Any, kind: str, person_id: str) -> tuple[Any, tuple[str, ...]]:
    """A child's or staff member's (school, name) row (None when unknown) and the schools it was at
    before (its past spans, oldest school first by code)."""
    table_, past = (child, past_enrolment) if kind == "child" else (staff, past_staff)
    row = conn.execute(select(table_.c.school, table_.c.name).where(table_.c.id == person_id)).first()
    earlier = tuple(conn.execute(select(past.c.school).distinct().where(past.c[kind] == person_id)
                                 .order_by(past.c.school)).scalars())
    return row, earlier


def staff_schools(conn: Any, ids: Iterable[str]) -> dict[str, str]:
    """The school of each staff member among `ids`, by 工号."""
    return {r.id: r.school for part in chunks(sorted(set(ids)))
            for r in conn.execute(select(staff.c.id, staff.c.school).where(staff.c.id.in_(part)))}


def has_follow_ups(conn: Any, rule: str) -> bool:
    """Whether obligations of a follow-up `rule` are stored (a plugin's, perhaps since removed)."""
    return conn.execute(select(follow_up.c.rule).where(follow_up.c.rule == rule).limit(1)).scalar() is not None


def occurred(conn: Any, ids: Iterable[int]) -> dict[int, datetime]:
    """When each record among `ids` happened (naive UTC), by id."""
    return {r.id: r.occurred_at for part in chunks(sorted(set(ids)))
            for r in conn.execute(select(record.c.id, record.c.occurred_at).where(record.c.id.in_(part)))}


def staff_names_at(conn: Any, schools: list[str]) -> dict[str, str]:
    """The names of the staff of `schools`, by 工号."""
    return {r.id: r.name for r in conn.execute(select(staff.c.id, staff.c.name).where(staff.c.school.in_(schools)))}
