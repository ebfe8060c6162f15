"""PIPL duties: everything held about one child (a guardian's request to see it), and deleting the
children who left before a day with all that is theirs. Both are audited; the audit row of a purge
holds counts, not the children's data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from guanai.core.store import history
from guanai.core.store.schema import (
    child,
    contact,
    fact_history,
    follow_up,
    pairing,
    past_enrolment,
    record,
    staff,
)
from guanai.core.store.sync import chunks
from sqlalchemy import Connection, delete, or_, select


def child_file(conn: Connection, child_id: str) -> dict[str, Any] | None:
    """The child's row (contacts included), earlier schools and classes, pairings with their
    partners, every record about the child with the follow-ups it obliged; None when unknown."""
    row = conn.execute(select(child).where(child.c.id == child_id)).mappings().first()
    if row is None:
        return None
    partner, buddy = staff.alias("s"), child.alias("b")
    pairs = [dict(r._mapping) for r in conn.execute(
        select(pairing.c.role, pairing.c.start, pairing.c.end, pairing.c.staff, partner.c.name.label("staff_name"),
               pairing.c.buddy, buddy.c.name.label("buddy_name"))
        .select_from(pairing.outerjoin(partner, partner.c.id == pairing.c.staff)
                     .outerjoin(buddy, buddy.c.id == pairing.c.buddy))
        .where(or_(pairing.c.child == child_id, pairing.c.buddy == child_id)).order_by(pairing.c.start, pairing.c.id))]
    records = [dict(r._mapping) for r in conn.execute(
        select(record.c.id, record.c.step, record.c.school, record.c.by_staff, record.c.occurred_at, record.c.payload,
               record.c.recorded_at, record.c.recorded_by, record.c.source)
        .where(record.c.subject_kind == "child", record.c.subject == child_id).order_by(record.c.occurred_at))]
    follows = [dict(r._mapping) for r in conn.execute(
        select(follow_up.c.record_id, follow_up.c.rule, follow_up.c.name, follow_up.c.deadline)
        .where(follow_up.c.record_id.in_([r["id"] for r in records])))] if records else []
    return {
        "child": dict(row),
        "past_schools": [dict(r._mapping) for r in conn.execute(
            select(past_enrolment).where(past_enrolment.c.child == child_id).order_by(past_enrolment.c.start))],
        "past_classes": history.class_spans(conn, dict(row)),
        "fact_history": history.rows_about(conn, "child", child_id),
        "pairings": pairs,
        "records": records,
        "follow_ups": follows,
    }


@dataclass
class Purge:
    """What a purge deletes (or would): the children and how many rows of each kind are theirs."""

    children: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def purge(conn: Connection, left_before: date, dry_run: bool) -> Purge:
    """Children whose last day at school (left_on: the first day away) came before `left_before`,
    with their records and those records' follow-ups, their pairings (as child or buddy) and their
    earlier schools and classes. Children still enrolled are never touched."""
    ids = list(conn.execute(select(child.c.id).where(child.c.left_on.is_not(None), child.c.left_on < left_before)
                            .order_by(child.c.id)).scalars())
    out = Purge(ids, {})
    plan = [
        ("follow_up", follow_up, lambda part: follow_up.c.record_id.in_(
            select(record.c.id).where(record.c.subject_kind == "child", record.c.subject.in_(part)))),
        ("record", record, lambda part: (record.c.subject_kind == "child") & record.c.subject.in_(part)),
        ("pairing", pairing, lambda part: or_(pairing.c.child.in_(part), pairing.c.buddy.in_(part))),
        ("past_enrolment", past_enrolment, lambda part: past_enrolment.c.child.in_(part)),
        ("fact_history", fact_history, lambda part: (fact_history.c.kind == "child") & fact_history.c.subject.in_(part)),
        ("contact", contact, lambda part: (contact.c.kind == "child") & contact.c.id.in_(part)),
        ("child", child, lambda part: child.c.id.in_(part)),
    ]
    from sqlalchemy import func

    for name, table, where in plan:
        n = 0
        for part in chunks(ids):
            n += (conn.execute(select(func.count()).select_from(table).where(where(part))).scalar() or 0) if dry_run \
                else conn.execute(delete(table).where(where(part))).rowcount
        out.counts[name] = int(n)
    return out
