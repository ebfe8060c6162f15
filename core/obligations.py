"""Obligations, derived (never stored): what a programme asks, window by window, and the status
of one window given how many satisfying records it has. Pure functions; SPEC §2.

A *rule* is anything that creates windows: a duty, a phase task, an activity task (one-off, or a
duty for one month when it has `every`). The database side (core/store/engine.py) joins a rule's
windows with subjects and records set-based; it uses `status` below for single obligations and
the same conditions, written in SQL, for counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from guanai.core.calendar import Window

if TYPE_CHECKING:
    from guanai.core.calendar import SchoolCalendar
    from guanai.core.programme import Programme

UPCOMING, DUE, OVERDUE, MET, MET_LATE, EXCUSED = "upcoming", "due", "overdue", "met", "met_late", "excused"
OPEN = (DUE, OVERDUE)
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Rule:
    """One source of obligations and all its windows (for one programme version)."""

    id: str
    name: str
    group: str | None
    scope: str
    by: str | None
    step: str
    times: int
    grace_days: int
    match: tuple[tuple[str, Any], ...]
    where: tuple[Cond, ...]
    windows: tuple[Window, ...]
    one_off: bool = False  # a task without `every`: one window
    # for each window, the first day a late record no longer counts for it (SPEC §2, late, not
    # lost): the duty's next window's first day, or the day after the school year's last term day
    late_until: tuple[date, ...] = ()

    def late_until_of(self, window: Window) -> date:
        """The first day a record after `window`'s due date no longer counts for it as met_late."""
        return self.late_until[self.windows.index(window)]


@dataclass(frozen=True)
class Cond:
    """A programme condition (`where:`) as plain data: field, op, value."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class FollowRule:
    """What a trigger obliges: a record of `step` (matching `match`) within `within`."""

    id: str
    name: str
    step: str
    match: tuple[tuple[str, Any], ...]
    within: timedelta
    group: str | None = None


@dataclass(frozen=True)
class TriggerRule:
    """A trigger: records of `step` that satisfy `where` oblige the follow-ups in `then`."""

    id: str
    step: str
    where: tuple[Cond, ...]
    then: tuple[FollowRule, ...]


@dataclass(frozen=True)
class Plan:
    """What the engine needs of a programme version, as plain data: its rules with their windows,
    its target children and its triggers. Kept in a file cache (core/store/engine.py) so that a
    teacher's `due` builds neither the pydantic models nor the calendar (start-up time)."""

    rules: tuple[Rule, ...]
    categories: tuple[str, ...]
    left_behind_min_months: int
    triggers: tuple[TriggerRule, ...]


def plan_of(programme: Programme, cal: SchoolCalendar) -> Plan:
    from guanai.core.programme import parse_duration

    triggers = tuple(
        TriggerRule(trig.id, trig.when.step, conditions_of(trig.when.where), tuple(
            FollowRule(f"{trig.id}.{f.id}", f.name or trig.name or f.id, f.step, tuple(sorted(f.match.items())),
                       parse_duration(f.within), f.group) for f in trig.then))
        for trig in programme.triggers)
    return Plan(tuple(rules_of(programme, cal)), tuple(programme.target.categories),
                programme.target.left_behind_min_months, triggers)


def conditions_of(conditions: Any) -> tuple[Cond, ...]:
    return tuple(Cond(c.field, c.op, c.value) for c in conditions)


def plan_to_json(plan: Plan) -> Any:
    """Plain JSON data (dates tagged) that plan_from_json reads back equal."""
    def conds(cs: tuple[Cond, ...]) -> list[Any]:
        return [[c.field, c.op, _tag(c.value)] for c in cs]

    return {
        "rules": [[r.id, r.name, r.group, r.scope, r.by, r.step, r.times, r.grace_days, _tag(r.match),
                   conds(r.where), [[w.start.isoformat(), w.end.isoformat(), w.label] for w in r.windows], r.one_off,
                   [d.isoformat() for d in r.late_until]]
                  for r in plan.rules],
        "categories": list(plan.categories), "left_behind_min_months": plan.left_behind_min_months,
        "triggers": [[t.id, t.step, conds(t.where),
                      [[f.id, f.name, f.step, _tag(f.match), f.within.total_seconds(), f.group] for f in t.then]]
                     for t in plan.triggers],
    }


def plan_from_json(data: Any) -> Plan:
    def conds(cs: list[Any]) -> tuple[Cond, ...]:
        return tuple(Cond(f, op, _untag(v)) for f, op, v in cs)

    rules = tuple(Rule(i, name, group, scope, by, step, times, grace, _untag(match), conds(where),
                       tuple(Window(date.fromisoformat(a), date.fromisoformat(b), label) for a, b, label in ws),
                       one_off, tuple(date.fromisoformat(d) for d in late))
                  for i, name, group, scope, by, step, times, grace, match, where, ws, one_off, late in data["rules"])
    triggers = tuple(TriggerRule(i, step, conds(where), tuple(
        FollowRule(fid, name, fstep, _untag(match), timedelta(seconds=secs), group)
        for fid, name, fstep, match, secs, group in then))
        for i, step, where, then in data["triggers"])
    return Plan(rules, tuple(data["categories"]), data["left_behind_min_months"], triggers)


def _tag(value: Any) -> Any:
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_tag(v) for v in value]
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        return date.fromisoformat(value["date"])
    if isinstance(value, list):
        return tuple(_untag(v) for v in value)
    return value


def rules_of(programme: Programme, cal: SchoolCalendar) -> list[Rule]:
    """Every duty and task of the programme with its windows, in programme order."""
    from guanai.core.calendar import clip, windows

    def periodic(item: Any, month: str | None = None) -> tuple[Window, ...]:
        return tuple(windows(programme, cal, item, month=month))

    def one(window: Window) -> tuple[Window, ...]:
        return (window,)

    out = [_rule(d, d.name, periodic(d), terms=programme.calendar.terms) for d in programme.duties]
    for phase in programme.phases:
        for task in phase.tasks:
            due = task.due or phase.end
            out.append(_rule(task, task.name or phase.name, one(Window(phase.start, due, phase.name)), True,
                             programme.calendar.terms))
    for activity in programme.activities:
        year, month = (int(p) for p in activity.month.split("-"))
        first = date(year, month, 1)
        last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        for task in activity.tasks:
            name = task.name or activity.name
            if task.every:
                out.append(_rule(task, name, periodic(task, activity.month), False, programme.calendar.terms))
            else:  # a month partly outside the terms keeps its in-term days (03-02 … 03-31)
                held = clip(cal.term_span, first, last) or ((first, last),)
                due = task.due or held[-1][1]
                out.append(_rule(task, name, one(Window(min(held[0][0], due), due, activity.month)), True,
                                 programme.calendar.terms))
    return out


def by_key(by: Any) -> str | None:
    """A duty's `by` as the plan keeps it: a role's id, or "post:视频室" for a post."""
    return getattr(by, "key", by)


POST = "post:"


def _rule(item: Any, name: str, found: Any, one_off: bool = False, terms: Any = ()) -> Rule:
    windows = tuple(found)
    return Rule(item.id, name, getattr(item, "group", None), item.scope, by_key(item.by), item.step, item.times,
                item.grace_days, tuple(sorted(item.match.items())), people_conditions(item.scope, item.where), windows,
                one_off, late_until(windows, terms))


def people_conditions(scope: str, conditions: Any) -> tuple[Cond, ...]:
    """A `where` as plain data; about staff (a duty's scope, a pairing rule's `staff_where`) it
    takes 教职工 only unless it names a `kind`: volunteers sign no 安全责任书 and take no child
    until a rule says so (`{field: kind, op: eq, value: 志愿者}`)."""
    from guanai.core.subjects import STAFF_KIND

    out = conditions_of(conditions)
    if scope == "staff" and not any(c.field == "kind" for c in out):
        out += (Cond("kind", "eq", STAFF_KIND),)
    return out


def school_year_of(day: date) -> int:
    """The school year holding `day`, by the year it starts (1 Sep – 31 Aug)."""
    return day.year if day.month >= 9 else day.year - 1


def late_until(windows: tuple[Window, ...], terms: Any) -> tuple[date, ...]:
    """For each window, the first day a late record no longer counts for it (SPEC §2, late, not
    lost): the next window's first day, and never past the end of the school year holding the
    window (the last day of its last term; 31 August without terms). Windows that touch leave
    no late days (the first day after the due date is the next window's)."""
    ends: dict[int, date] = {}
    for term in terms:
        year = school_year_of(term.start)
        ends[year] = max(ends.get(year, term.end), term.end)
    starts = sorted(w.start for w in windows)
    out = []
    for w in windows:
        year_end = ends.get(school_year_of(w.end), date(school_year_of(w.end) + 1, 8, 31))
        later = [d for d in starts if d > w.end]
        until = min([*later[:1], year_end + timedelta(days=1)])
        out.append(max(until, w.end + timedelta(days=1)))
    return tuple(out)


def settled(done: int, late: int, times: int, excused: bool) -> str | None:
    """The one classifier of a window's obligation by what was recorded: EXCUSED, MET (`times`
    satisfying records in the window), MET_LATE (enough counting the `late` ones after its due date
    and before its late_until) or None (still open). Its SQL form, the same branches in the
    same order, is guanai.core.store.engine.settled_sql; tests/test_states.py proves they agree."""
    if excused:
        return EXCUSED
    if done >= times:
        return MET
    if done + late >= times:
        return MET_LATE
    return None


def status(window: Window, grace_days: int, times: int, done: int, excused: bool, as_of: date,
           late: int = 0) -> str:
    """The status of one window at the end of day `as_of` with `done` satisfying records in it
    (and `late` ones after its due date, before late_until): settled, or by the calendar."""
    state = settled(done, late, times, excused)
    if state is not None:
        return state
    if as_of < window.start:
        return UPCOMING
    if as_of > window.end + timedelta(days=grace_days):
        return OVERDUE
    return DUE


def expected(window: Window, grace_days: int, as_of: date) -> bool:
    """Counted in compliance: due date + grace is before as_of (an open window never counts)."""
    return window.end + timedelta(days=grace_days) < as_of


def trigger_status(occurred: datetime, deadline: datetime, first: datetime | None, as_of: datetime) -> str:
    """A triggered obligation at instant `as_of` (all naive UTC); `first` = first satisfying record."""
    if first is not None:
        return MET if first <= deadline else MET_LATE
    if as_of < occurred:
        return UPCOMING
    return OVERDUE if as_of > deadline else DUE


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant (naive) at which `day` begins in `zone`."""
    return datetime.combine(day, time()).replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def months_back(day: date, months: int) -> date:
    """`day` moved back whole months, clamped to the month's end (05-31 minus 3 → 02-28).

    A child whose parents left on `since` has been away `months` full months on `day` exactly
    when since <= months_back(day, months) — the SQL form of subjects.in_target.
    """
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


@dataclass(frozen=True)
class AsOf:
    """The moment a question is asked: end of a local day, or an exact instant; in UTC too."""

    day: date
    instant_utc: datetime
    known_at_utc: datetime | None = None


def as_of(value: date | datetime, zone: ZoneInfo, known_at: datetime | None = None) -> AsOf:
    """A date means the end of that day (local); a date-time is that instant (local)."""
    if isinstance(value, datetime):
        local = value if value.tzinfo else value.replace(tzinfo=zone)
        instant = local.astimezone(UTC).replace(tzinfo=None)
        day = local.astimezone(zone).date()
    else:
        day = value
        instant = local_midnight_utc(value + timedelta(days=1), zone) - timedelta(microseconds=1)
    known = None
    if known_at is not None:
        known_local = known_at if known_at.tzinfo else known_at.replace(tzinfo=zone)
        known = known_local.astimezone(UTC).replace(tzinfo=None)
    return AsOf(day, instant, known)
