"""What plugins read, as plain data: records, children, periods. The contexts guanai hands to
plugins (RecordContext, IndicatorContext, ReportContext, CommandContext) answer with these, so a
plugin never writes SQL against guanai's tables (which stay private and may change)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Record:
    """A stored record: `occurred_at` is local (the school's time zone) and aware; `payload` is the
    step's payload in its JSON form (decimals as text), as validated when it was recorded."""

    id: int
    step: str
    subject_kind: str
    subject: str
    school: str
    by: str | None
    occurred_at: datetime
    payload: dict[str, Any]

    @property
    def model(self) -> Any:
        """The payload as the step's own pydantic model (validated again from its stored form)."""
        from guanai.core.plugins import load_registry

        return load_registry().steps[self.step].payload.model_validate(self.payload)


@dataclass(frozen=True)
class Child:
    """A child as the roster gives it (contacts left out: plugins that need them ask the school)."""

    id: str
    name: str
    school: str
    class_name: str | None
    category: str
    guardian_type: str | None
    enrolled_on: date
    left_on: date | None
    profile: dict[str, Any]


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The naive UTC instant the local `day` begins in `zone` (how record times are stored)."""
    from guanai.core.obligations import local_midnight_utc as midnight

    return midnight(day, zone)


def records(conn: Any, step: str, schools: Iterable[str], first: date, last: date, zone: ZoneInfo,
            until: datetime | None = None, known_at: datetime | None = None,
            subjects: Iterable[str] | None = None) -> list[Record]:
    """Records of `step` at `schools` on the local days `first` … `last` (inclusive), oldest first;
    `until`/`known_at` (naive UTC): only those that had happened / were entered by then."""
    from guanai.core.store.schema import record
    from guanai.core.store.sync import chunks
    from sqlalchemy import select

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


def children(conn: Any, ids: Iterable[str]) -> dict[str, Child]:
    """The stored children among `ids`, by id."""
    from guanai.core.store.schema import child
    from guanai.core.store.sync import fetch_by

    return {r["id"]: Child(r["id"], r["name"], r["school"], r["class_name"], r["category"], r["guardian_type"],
                           r["enrolled_on"], r["left_on"], dict(r["profile"] or {}))
            for r in fetch_by(conn, child, "id", ids)}


def staff_member(conn: Any, staff_id: str) -> Any:
    """The stored row of one staff member (a mapping), or None when unknown."""
    from guanai.core.store.schema import staff
    from sqlalchemy import select

    return conn.execute(select(staff).where(staff.c.id == staff_id)).mappings().first()


def staff_names(conn: Any, ids: Iterable[str | None]) -> dict[str, str]:
    """The names of the staff among `ids` (None and unknown ids left out), by 工号."""
    from guanai.core.store.schema import staff
    from guanai.core.store.sync import chunks
    from sqlalchemy import select

    wanted = sorted({i for i in ids if i})
    return {r.id: r.name for part in chunks(wanted)
            for r in conn.execute(select(staff.c.id, staff.c.name).where(staff.c.id.in_(part)))}


def enrolled(conn: Any, schools: Iterable[str], day: date, seg: Any = None) -> set[str]:
    """Ids of the pupils of `schools` enrolled on `day`; with `seg`, only those its programme cares for."""
    from guanai.core.store.schema import child
    from sqlalchemy import or_, select

    conds: list[Any]
    if seg is not None:
        from guanai.core.store.indicators import cared_for

        conds = [*cared_for(seg, day), child.c.school.in_(list(schools))]
    else:
        conds = [child.c.school.in_(list(schools)), child.c.enrolled_on <= day,
                 or_(child.c.left_on.is_(None), child.c.left_on > day)]
    return set(conn.execute(select(child.c.id).where(*conds)).scalars())


def follow_ups(conn: Any, plugin: str, school: str, first: date, last: date, zone: ZoneInfo) -> int:
    """How many follow-ups `plugin` obliged for records of `school` on the local days first … last."""
    from guanai.core.store.schema import follow_up, record
    from sqlalchemy import func, select

    return conn.execute(select(func.count()).select_from(follow_up.join(record, record.c.id == follow_up.c.record_id))
                        .where(follow_up.c.plugin == plugin, record.c.school == school,
                               record.c.occurred_at >= local_midnight_utc(first, zone),
                               record.c.occurred_at < local_midnight_utc(last + timedelta(days=1), zone))).scalar() or 0


def settings_of(models: dict[str, Any], plugin: str, programme: Any) -> Any:
    """The programme's `settings.<plugin>` validated by the plugin's model, defaults applied (the raw
    dict when the plugin registered no model; None without a programme)."""
    raw = dict((programme.settings.get(plugin) or {}) if programme is not None else {})
    model = models.get(plugin)
    return model.model_validate(raw) if model is not None else raw


def term_of(programme: Any, day: date) -> tuple[date, date] | None:
    """The (first, last) day of the programme's term holding `day`, or None in a vacation."""
    for term in programme.calendar.terms if programme is not None else ():
        if term.start <= day <= term.end:
            return term.start, term.end
    return None
