"""What the written reports count that the engine does not: records per step and per duty in a
period, the children cared for on a day with their roster rows, those never visited at home, the
staff of the schools. The reports (guanai.core.reports) phrase them; the SQL lives here."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from guanai.core.obligations import AsOf, local_midnight_utc
from guanai.core.store.engine import Segment
from guanai.core.store.history import table_on
from guanai.core.store.indicators import cared_for
from guanai.core.store.match import payload_condition
from guanai.core.store.schema import child, record
from guanai.core.store.stats import segment_at
from sqlalchemy import Connection, and_, exists, func, or_, select


def _in_period(schools: list[str], first: date, last: date, zone: ZoneInfo, asof: AsOf) -> list[Any]:
    """Records at `schools` on the local days first … last that had happened (and were known) by as_of."""
    conds = [record.c.school.in_(schools), record.c.occurred_at >= local_midnight_utc(first, zone),
             record.c.occurred_at < local_midnight_utc(last + timedelta(days=1), zone),
             record.c.occurred_at <= asof.instant_utc]
    if asof.known_at_utc is not None:
        conds.append(record.c.recorded_at <= asof.known_at_utc)
    return conds


def record_counts(conn: Connection, schools: list[str], first: date, last: date, zone: ZoneInfo,
                  asof: AsOf) -> dict[str, int]:
    """Records per step in the period."""
    return {step: int(n) for step, n in conn.execute(
        select(record.c.step, func.count()).where(*_in_period(schools, first, last, zone, asof))
        .group_by(record.c.step))}


def matching_count(conn: Connection, schools: list[str], first: date, last: date, zone: ZoneInfo, asof: AsOf,
                   step: str, match: tuple[tuple[str, Any], ...], rule_id: str | None = None) -> int:
    """Records of `step` in the period holding `match` as the engine counts them (for `rule_id`:
    not those recorded --for another duty)."""
    mine = [or_(record.c.purpose.is_(None), record.c.purpose == rule_id)] if rule_id else []
    return int(conn.execute(select(func.count()).where(
        *_in_period(schools, first, last, zone, asof), record.c.step == step, *mine,
        *(payload_condition(record.c.payload, k, v) for k, v in match))).scalar() or 0)


def cared_for_rows(conn: Connection, segs: list[Segment], schools: list[str], day: date,
                   known_at: datetime | None = None) -> list[dict[str, Any]]:
    """The roster rows of the children cared for on `day` at `schools`, each by its programme in force."""
    out: list[dict[str, Any]] = []
    for seg, members in _by_segment(segs, schools, day):
        kid = table_on(conn, "child", members, day, known_at)  # each child's facts of that day
        out += [dict(r._mapping) for r in conn.execute(
            select(*(kid.c[c.name] for c in child.c)).where(*cared_for(seg, day, kid), kid.c.school.in_(members)))]
    return out


def never_visited(conn: Connection, segs: list[Segment], schools: list[str], first: date, last: date,
                  day: date, asof: AsOf, step: str) -> dict[str, int]:
    """Children cared for on `day` with no record of `step` (a home visit) in the period, by class."""
    out: dict[str, int] = defaultdict(int)
    for seg, members in _by_segment(segs, schools, day):
        kid = table_on(conn, "child", members, day, asof.known_at_utc)  # each child's class and category that day
        visited = exists().where(and_(
            record.c.step == step, record.c.subject_kind == "child", record.c.subject == kid.c.id,
            record.c.occurred_at >= local_midnight_utc(first, seg.zone),
            record.c.occurred_at < local_midnight_utc(last + timedelta(days=1), seg.zone),
            record.c.occurred_at <= asof.instant_utc,
            *([record.c.recorded_at <= asof.known_at_utc] if asof.known_at_utc else [])))
        for cls, n in conn.execute(select(kid.c.class_name, func.count()).where(
                *cared_for(seg, day, kid), kid.c.school.in_(members), ~visited).group_by(kid.c.class_name)):
            out[cls or "—"] += int(n)
    return dict(out)


def _by_segment(segs: list[Segment], schools: list[str], day: date) -> list[tuple[Segment, list[str]]]:
    """The programme in force on `day` at each of `schools`, with the schools it holds there."""
    by_seg: dict[int, tuple[Segment, list[str]]] = {}
    for school, seg in segment_at(segs, schools, day).items():
        by_seg.setdefault(id(seg), (seg, []))[1].append(school)
    return list(by_seg.values())
