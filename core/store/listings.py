"""The rows the listing commands show (children, staff, records), as the store holds them: the
commands filter by what the user asked and render; the SQL lives here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from guanai.core.store.schema import child, past_enrolment, record, staff
from sqlalchemy import Connection, or_, select


def children(conn: Connection, schools: list[str] | None, cls: str | None, category: str | None,
             include_left: bool, today: date) -> list[dict[str, Any]]:
    """The roster rows of `schools` (None: every school the user sees), by school, class and id;
    without `include_left`, only pupils who have not left by `today`."""
    query = select(child).order_by(child.c.school, child.c.class_name, child.c.id)
    if schools is not None:
        query = query.where(child.c.school.in_(schools))
    if cls:
        query = query.where(child.c.class_name == cls)
    if category:
        query = query.where(child.c.category == category)
    if not include_left:
        query = query.where(or_(child.c.left_on.is_(None), child.c.left_on > today))
    return [dict(r._mapping) for r in conn.execute(query)]


def moved_away(conn: Connection, schools: list[str] | None, cls: str | None) -> list[Any]:
    """The spans each school keeps of pupils who transferred out (转出): child, name, class, days."""
    query = select(past_enrolment).order_by(past_enrolment.c.school, past_enrolment.c.class_name,
                                            past_enrolment.c.child)
    if schools is not None:
        query = query.where(past_enrolment.c.school.in_(schools))
    if cls:
        query = query.where(past_enrolment.c.class_name == cls)
    return list(conn.execute(query))


def child_columns() -> list[str]:
    return [c.name for c in child.c]


def staff_rows(conn: Connection, schools: list[str] | None) -> list[dict[str, Any]]:
    """The staff rows of `schools` (None: every school the user sees), by school and 工号."""
    query = select(staff).order_by(staff.c.school, staff.c.id)
    if schools is not None:
        query = query.where(staff.c.school.in_(schools))
    return [dict(r._mapping) for r in conn.execute(query)]


def records(conn: Connection, schools: list[str] | None, child_id: str | None, by: str | None, step: str | None,
            after: datetime | None, before: datetime | None, limit: int) -> list[dict[str, Any]]:
    """Stored records, newest first, at most `limit`; `after`/`before`: naive UTC bounds of
    occurred_at (inclusive, exclusive)."""
    query = select(record).order_by(record.c.occurred_at.desc(), record.c.id.desc()).limit(limit)
    if schools is not None:
        query = query.where(record.c.school.in_(schools))
    if child_id:
        query = query.where(record.c.subject_kind == "child", record.c.subject == child_id)
    if by:
        query = query.where(record.c.by_staff == by)
    if step:
        query = query.where(record.c.step == step)
    if after is not None:
        query = query.where(record.c.occurred_at >= after)
    if before is not None:
        query = query.where(record.c.occurred_at < before)
    return [dict(r._mapping) for r in conn.execute(query)]
