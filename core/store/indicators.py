"""Indicators (目标指标) against the programme's targets: coverage, profile_complete,
duty_compliance — each a count in SQL over the children cared for at as_of."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from guanai.core.obligations import AsOf, local_midnight_utc
from guanai.core.registry import ShareRatio
from guanai.core.store import presence
from guanai.core.store.context import Context, as_date, reading_in
from guanai.core.store.engine import Segment, child_field
from guanai.core.store.facts import enrolled
from guanai.core.store.history import table_on
from guanai.core.store.match import payload_condition
from guanai.core.store.schema import child, record
from sqlalchemy import Connection, and_, exists, func, or_, select


@dataclass
class Value:
    id: str
    name: str
    kind: str
    target: float
    numerator: float  # a count; for a mean, the sum of the scores
    denominator: int
    error: str | None = None  # the plugin whose compute failed, and why (the value is then unknown)
    unit: str = "share"  # or "ratio" (a plugin kind's IndicatorKind.unit), "mean" (score_mean), "pairs",
    # "records" or "people" (count: the value is the number itself, the target a number: 全镇 71 对)
    shares: Any = None  # a ShareRatio's counts summed over the schools: the two shares a ratio is made of

    @property
    def value(self) -> float | None:
        if self.error is not None:
            return None
        if self.unit in COUNT_UNITS:
            return self.numerator
        if self.shares is not None:
            return self.shares.value
        return round(self.numerator / self.denominator, 4) if self.denominator else None

    @property
    def ok(self) -> bool:
        """Whether the target is reached, from the exact figures (89,997 of 100,000 is below 90%,
        though its value rounds to 0.9)."""
        from fractions import Fraction

        if self.value is None:
            return False
        target = Fraction(str(self.target))
        if self.unit in COUNT_UNITS:
            return Fraction(str(self.numerator)) >= target
        if self.shares is not None:
            sh = self.shares
            return Fraction(sh.part * sh.base_of, sh.of * sh.base_part) >= target
        return Fraction(str(self.numerator)) / self.denominator >= target


COUNT_UNITS = ("pairs", "records", "people")


def cared_for(seg: Segment, day: date, kid: Any = child) -> list[Any]:
    """Children of the segment's schools enrolled on `day` whom the programme cares for; `kid`:
    the child table as it read that day (history.table_on)."""
    return [kid.c.school.in_(seg.schools), *presence.cared_for(kid, seg.programme.target, day)]


def _records_figure(conn: Connection, seg: Segment, ind: Any, asof: AsOf) -> tuple[Any, int]:
    """record_share: (records of `step` whose payload `field` is one of `values`, all of them);
    score_mean: (the sum of the payload's `field`, the records holding one) — over the records of
    the segment's schools in the indicator's period (default the term) up to as_of."""
    first, last = period_of(seg, ind.period or "term", asof.day)
    base = [record.c.step == ind.step, record.c.school.in_(seg.schools),
            record.c.occurred_at >= local_midnight_utc(first, seg.zone),
            record.c.occurred_at < local_midnight_utc(last + timedelta(days=1), seg.zone),
            record.c.occurred_at <= asof.instant_utc,
            *([record.c.recorded_at <= asof.known_at_utc] if asof.known_at_utc else [])]
    name = ind.fields[0]
    if ind.kind == "record_share":
        hit = func.sum(_flag(or_(*(payload_condition(record.c.payload, name, v) for v in ind.values))))
        total, yes = conn.execute(select(func.count(), hit).where(*base)).one()
        return int(yes or 0), int(total or 0)
    score = record.c.payload[name].as_float()
    total, summed = conn.execute(select(func.count(score), func.sum(score)).where(*base)).one()
    return float(summed or 0), int(total or 0)


def _count(conn: Connection, seg: Segment, ind: Any, asof: AsOf) -> int:
    """count: the pairings in force on as_of (of `role`, else every role) of children enrolled
    then; the records of `step` holding `match` in the period (default the term) up to as_of; or
    the children cared for on as_of — at the segment's schools, facts as known at --known-at."""
    from guanai.core.store.presence import enrolled as enrolled_on
    from guanai.core.store.presence import pairing_in_force
    from guanai.core.store.schema import pairing, staff

    day = asof.day
    kid = table_on(conn, "child", seg.schools, day, asof.known_at_utc)
    if ind.count == "people":
        return int(conn.execute(select(func.count()).select_from(kid).where(*cared_for(seg, day, kid))).scalar() or 0)
    if ind.count == "pairs":
        p = pairing
        query = (select(func.count()).select_from(p.join(kid, kid.c.id == p.c.child))
                 .where(kid.c.school.in_(seg.schools), *enrolled_on(kid, day),
                        *pairing_in_force(p, staff, day, asof.known_at_utc)))
        if ind.role:
            query = query.where(p.c.role == ind.role)
        return int(conn.execute(query).scalar() or 0)
    first, last = period_of(seg, ind.period or "term", day)
    query = select(func.count()).select_from(record).where(
        record.c.step == ind.step, record.c.school.in_(seg.schools),
        record.c.occurred_at >= local_midnight_utc(first, seg.zone),
        record.c.occurred_at < local_midnight_utc(last + timedelta(days=1), seg.zone),
        record.c.occurred_at <= asof.instant_utc,
        *([record.c.recorded_at <= asof.known_at_utc] if asof.known_at_utc else []),
        *(payload_condition(record.c.payload, k, v) for k, v in sorted(ind.match.items())))
    return int(conn.execute(query).scalar() or 0)


def period_of(seg: Segment, kind: str | None, day: date) -> tuple[date, date]:
    """The period of kind `kind` that holds `day` (the current week, month, term …)."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if kind == "month":
        start = day.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if kind == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        return start, (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    if kind == "phase":
        for phase in seg.programme.phases:
            if phase.start <= day <= phase.end:
                return phase.start, phase.end
    if kind in ("term", "phase"):
        terms = [t for t in seg.programme.calendar.terms if t.start <= day]
        if terms:
            term = terms[-1]
            return term.start, term.end
    year = day.year if day.month >= 9 else day.year - 1
    return date(year, 9, 1), date(year + 1, 8, 31)


@dataclass
class IndicatorContext(Context):
    """What a plugin's indicator kind gets (a ``Context``): the schools under one programme
    version, the indicator as written, the moment asked about; its questions default to those
    schools, the term holding as_of, and as_of."""

    _conn: Connection  # private: plugins ask through the methods
    schools: list[str]
    programme: Any
    indicator: Any  # the programme's Indicator (its `params` are the plugin's)
    as_of: AsOf
    segment: Segment
    _registry: Any = None  # private: the run's registry
    plugin: str = ""  # the plugin that owns the indicator kind

    def _reading(self) -> Any:
        return reading_in(self._conn)

    def _about(self) -> tuple[list[str], date, date, date]:
        first, last = period_of(self.segment, "term", self.as_of.day)
        return list(self.schools), first, last, self.as_of.day

    def _programme(self) -> Any:
        return self.programme

    def _zone(self) -> Any:
        return self.segment.zone

    def _until(self) -> Any:
        return self.as_of.instant_utc

    def _known_at(self) -> Any:
        return self.as_of.known_at_utc

    def cared_for(self, on: date | str | None = None) -> set[str]:
        """Ids of the children the programme cares for, enrolled on ``on`` (default as_of)."""
        return enrolled(self._conn, self.schools, as_date(on, "on") or self.as_of.day, self.segment,
                        self.as_of.known_at_utc)

    def pupils(self, on: date | str | None = None) -> set[str]:
        """Ids of every pupil enrolled on ``on`` (default as_of), cared for or not."""
        return enrolled(self._conn, self.schools, as_date(on, "on") or self.as_of.day, known_at=self.as_of.known_at_utc)

    def period(self, kind: str | None) -> tuple[date, date]:
        """The week/month/quarter/term/year/phase holding as_of, as local first and last days."""
        return period_of(self.segment, kind, self.as_of.day)


def compute(conn: Connection, segs: list[Segment], asof: AsOf,
            compliance: Callable[[str | None, set[str] | None, tuple[date, date]], list[dict[str, Any]]],
            kinds: dict[str, Any] | None = None, registry: Any = None) -> list[Value]:
    """Every indicator of the programmes in force at as_of, summed over their schools."""
    out: dict[str, Value] = {}
    day = asof.day
    for seg in segs:
        if not (seg.start <= day <= seg.end):
            continue
        for ind in seg.programme.indicators:
            found = out.setdefault(ind.id, Value(ind.id, ind.name, ind.kind, ind.target, 0, 0))
            if ind.kind != "duty_compliance":  # counted once below, over all segments
                _figure(conn, seg, ind, asof, found, kinds, registry)
    for seg in segs:
        for ind in seg.programme.indicators:
            if ind.kind == "duty_compliance" and seg.start <= day <= seg.end and out[ind.id].denominator == 0:
                # over its period holding as_of (the term by default), never since the programme began
                rows = compliance(ind.group, set(ind.duties) or None, period_of(seg, ind.period or "term", day))
                out[ind.id].denominator = sum(r["expected"] for r in rows)
                out[ind.id].numerator = sum(r["met"] for r in rows)
    return list(out.values())


def _figure(conn: Connection, seg: Segment, ind: Any, asof: AsOf, found: Value, kinds: dict[str, Any] | None,
            registry: Any) -> None:
    """One segment's part of an indicator (not duty_compliance), added to `found`."""
    day = asof.day
    if ind.kind == "count":  # a number, summed over the schools: pairs, records, people
        found.unit = ind.count or "people"
        found.numerator += _count(conn, seg, ind, asof)
        found.denominator = 1
        return
    if ind.kind in ("record_share", "score_mean"):  # over the records of the period, not children
        hit, total = _records_figure(conn, seg, ind, asof)
        found.numerator += hit
        found.denominator += total
        if ind.kind == "score_mean":
            found.unit = "mean"
        return
    kid = table_on(conn, "child", seg.schools, day, asof.known_at_utc)  # the facts of as_of's day
    yes = _children_counted(seg, ind, asof, kid)
    if yes is not None:  # a share of the children cared for
        total, hit = conn.execute(select(func.count(), yes).select_from(kid).where(*cared_for(seg, day, kid))).one()
        found.denominator += total or 0
        found.numerator += hit or 0
    elif kinds and ind.kind in kinds:
        _plugin_figure(conn, seg, ind, asof, kinds[ind.kind], registry, found)
    else:  # no plugin provides the kind (not installed, or left out for this run): 无法计算, never 0/0
        from guanai.core.i18n import t

        found.error = f"{t('indicators.no_plugin_name')}: {t('indicators.kind_missing', kind=ind.kind)}"


def _plugin_figure(conn: Connection, seg: Segment, ind: Any, asof: AsOf, kind: Any, registry: Any,
                   found: Value) -> None:
    """A plugin's indicator kind, added to `found`; a failure is contained to its own row."""
    from guanai.core.registry import trace_call

    trace_call(kind.plugin, f"{kind.name}.compute", ind.id)
    try:
        with conn.begin_nested():  # a failing plugin leaves the transaction usable for the others
            got = kind.compute(IndicatorContext(conn, seg.schools, seg.programme, ind, asof, seg, registry, kind.plugin))
    except Exception as exc:  # contained: this indicator's row says so, the others still count
        from guanai.core.plugins import failure_text

        found.error = f"{kind.plugin}: {failure_text(exc)}"
        return
    found.unit = kind.unit
    if isinstance(got, ShareRatio):  # two shares of people: each count summed over the schools
        old = found.shares or ShareRatio(0, 0, 0, 0, got.among, got.base_among)
        found.shares = replace(old, part=old.part + got.part, of=old.of + got.of,
                               base_part=old.base_part + got.base_part, base_of=old.base_of + got.base_of)
        found.numerator, found.denominator = found.shares.part, found.shares.of
        return
    hit, total = got
    found.numerator += hit or 0
    found.denominator += total or 0


def _children_counted(seg: Segment, ind: Any, asof: AsOf, kid: Any = child) -> Any:
    """For a share of the children cared for, the SQL sum of those who count (None for other kinds):
    profile_complete (every field filled), profile_share (the field holds one of `values`),
    coverage (a record of `step` holding `match` in the period)."""
    if ind.kind == "profile_complete":
        filled = [_filled(child_field(f, kid)) for f in ind.fields]
        return func.sum(func.coalesce(_flag(and_(*filled)), 0)) if filled else func.count()
    if ind.kind == "profile_share":
        return func.sum(_flag(child_field(ind.fields[0], kid).in_([str(v) for v in ind.values])))
    if ind.kind != "coverage":
        return None
    first, last = period_of(seg, ind.period, asof.day)
    r = record.alias("r")
    has = exists().where(r.c.step == ind.step, r.c.subject_kind == "child", r.c.subject == kid.c.id,
                         *(payload_condition(r.c.payload, k, v) for k, v in sorted(ind.match.items())),
                         r.c.occurred_at >= local_midnight_utc(first, seg.zone),
                         r.c.occurred_at < local_midnight_utc(last + timedelta(days=1), seg.zone),
                         r.c.occurred_at <= asof.instant_utc,
                         *([r.c.recorded_at <= asof.known_at_utc] if asof.known_at_utc else []))
    return func.sum(_flag(has))


def _filled(col: Any) -> Any:
    """A field counts as filled when it holds a value; text also when it is not empty (comparing a
    date with '' is an error on PostgreSQL)."""
    from sqlalchemy import String

    return and_(col.is_not(None), col != "") if isinstance(col.type, String) else col.is_not(None)


def _flag(cond: Any) -> Any:
    from sqlalchemy import case

    return case((cond, 1), else_=0)


def compute_by_school(conn: Connection, segs: list[Segment], asof: AsOf, schools: list[str],
                      rows_by_school_duty: Callable[[tuple[date, date]], list[dict[str, Any]]],
                      groups: dict[str, str | None], kinds: dict[str, Any] | None = None,
                      registry: Any = None) -> dict[str, list[Value]]:
    """Each school's indicators, exactly as `indicators --org SCHOOL` gives them: `compute` over the
    school's share of each segment, its duty_compliance counts taken from one compliance pass per
    period grouped by school and duty (`rows_by_school_duty(period)`, `groups`: rule id → group)
    instead of one pass per school."""
    from dataclasses import replace

    passes: dict[tuple[date, date], dict[str, list[dict[str, Any]]]] = {}

    def by_school(period: tuple[date, date]) -> dict[str, list[dict[str, Any]]]:
        if period not in passes:
            passes[period] = {}
            for r in rows_by_school_duty(period):
                passes[period].setdefault(r["key"]["school"], []).append(r)
        return passes[period]

    out = {}
    for school in schools:
        own = [replace(seg, schools=[school]) for seg in segs if school in seg.schools]
        if not own:
            continue

        def compliance(group: str | None, duties: set[str] | None, period: tuple[date, date],
                       school: str = school) -> list[Any]:
            return [r for r in by_school(period).get(school, [])
                    if (group is None or groups.get(r["key"]["duty"]) == group)
                    and (duties is None or r["key"]["duty"] in duties)]

        out[school] = compute(conn, own, asof, compliance, kinds, registry)
    return out
