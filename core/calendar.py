"""School days and obligation windows (SPEC §2), as pure functions of the programme.

A *window* is a period (ISO week, month, quarter, term, school year, phase, a term point or a
festival) clipped to a duty's active span. It exists only if it holds a school day, except
festival windows, which exist whenever they overlap the span.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guanai.core.programme import Calendar, Duty, Phase, Programme, Task

ONE_DAY = timedelta(days=1)
LUNAR_FESTIVALS = {"春节": (1, 1), "元宵节": (1, 15), "端午节": (5, 5), "中秋节": (8, 15), "重阳节": (9, 9)}
SOLAR_FESTIVALS = {"元旦": (1, 1), "六一": (6, 1), "国庆节": (10, 1),
                   # the days school plans name (主题班会, 主题活动): fixed dates
                   "学雷锋日": (3, 5), "妇女节": (3, 8), "植树节": (3, 12), "国家安全教育日": (4, 15),
                   "世界读书日": (4, 23), "劳动节": (5, 1), "青年节": (5, 4), "世界环境日": (6, 5),
                   "全国爱眼日": (6, 6), "国际禁毒日": (6, 26), "建党节": (7, 1), "建军节": (8, 1),
                   "教师节": (9, 10), "国际消除贫困日": (10, 17), "世界艾滋病日": (12, 1), "国家宪法日": (12, 4),
                   "国家公祭日": (12, 13)}
# (month, weekday Monday=0, n-th; -1 = the last): 母亲节 is the second Sunday of May
WEEKDAY_FESTIVALS = {"母亲节": (5, 6, 2), "父亲节": (6, 6, 3), "全国助残日": (5, 6, 3),
                     "全国中小学生安全教育日": (3, 0, -1)}
SOLAR_TERMS = {"清明节": "清明", "冬至": "冬至", "中国农民丰收节": "秋分"}  # 节气, via lunar-python
FESTIVAL_YEARS = range(2000, 2051)


@dataclass(frozen=True, order=True)
class Window:
    """An obligation window [start, end], both inclusive; its due date is `end`."""

    start: date
    end: date
    label: str

    @property
    def due(self) -> date:
        return self.end


Span = tuple[tuple[date, date], ...]


def days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += ONE_DAY


def union(ranges: Iterable[tuple[date, date]]) -> Span:
    """Sorted, merged, inclusive date ranges."""
    out: list[list[date]] = []
    for start, end in sorted(r for r in ranges if r[0] <= r[1]):
        if out and start <= out[-1][1] + ONE_DAY:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return tuple((a, b) for a, b in out)


def clip(span: Span, start: date, end: date) -> Span:
    return tuple((max(a, start), min(b, end)) for a, b in span if a <= end and b >= start)


@cache
def festival_date(name: str, year: int) -> date:
    """The Gregorian date of a festival in `year` (lunar ones via lunar-python)."""
    if name in SOLAR_FESTIVALS:
        month, day = SOLAR_FESTIVALS[name]
        return date(year, month, day)
    if name in WEEKDAY_FESTIVALS:
        month, weekday, nth = WEEKDAY_FESTIVALS[name]
        first = date(year, month, 1)
        if nth > 0:
            return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - ONE_DAY
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    from lunar_python import Lunar, Solar

    if name in SOLAR_TERMS:  # the table of a lunar year runs from one 冬至 to the next: take the one in `year`
        table = Solar.fromYmd(year, 6, 1).getLunar().getJieQiTable()
        keys = {SOLAR_TERMS[name], "DONG_ZHI"} if name == "冬至" else {SOLAR_TERMS[name]}  # DONG_ZHI: the year's last
        solar = next(v for k, v in table.items() if k in keys and v.getYear() == year)
    else:
        month, day = LUNAR_FESTIVALS[name]
        solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


@cache
def _china_holidays(years: tuple[int, ...]):
    import holidays

    return holidays.China(years=years, language="zh_CN")


@cache
def holiday_notice_years() -> frozenset[int]:
    """Years for which the holiday data has the official notice (with 调休 make-up days)."""
    cn = _china_holidays((2020,))
    return frozenset(y for y in cn.special_public_holidays if y >= 2000)


class SchoolCalendar:
    """Which days are school days under a programme's calendar, and why."""

    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        self.terms = tuple(sorted(calendar.terms, key=lambda t: t.start))
        self.first = self.terms[0].start
        self.last = max(t.end for t in self.terms)
        self.term_span: Span = union((t.start, t.end) for t in self.terms)

    @cached_property
    def _public(self):
        if self.calendar.public_holidays != "CN":
            return None
        return _china_holidays(tuple(range(self.first.year, self.last.year + 1)))

    def reason(self, day: date) -> tuple[bool, str, str]:
        """(school day?, reason code, detail) — the reason is the rule that decided."""
        term = next((t for t in self.terms if t.start <= day <= t.end), None)
        if term is None:
            return False, "vacation", ""
        brk = next((b for b in self.calendar.breaks if b.start <= day <= b.end), None)
        if brk is not None:
            return False, "break", brk.name
        if day in self.calendar.extra_holidays:
            return False, "extra_holiday", ""
        if day in self.calendar.extra_workdays:
            return True, "extra_workday", ""
        public = self._public
        if public is not None:
            name = public.get(day)
            if name:
                return False, "holiday", name
            if day in public.weekend_workdays:
                return True, "makeup_workday", ""
        if day.weekday() >= 5:
            return False, "weekend", ""
        return True, "school_day", term.name

    @cached_property
    def school_days(self) -> list[date]:
        return [d for a, b in self.term_span for d in days(a, b) if self.reason(d)[0]]

    def has_school_day(self, span: Span) -> bool:
        ordinal = self.school_days
        for start, end in span:
            i = bisect.bisect_left(ordinal, start)
            if i < len(ordinal) and ordinal[i] <= end:
                return True
        return False

    def count_school_days(self, start: date, end: date) -> int:
        return bisect.bisect_right(self.school_days, end) - bisect.bisect_left(self.school_days, start)

    def unknown_holiday_years(self) -> list[int]:
        if self.calendar.public_holidays != "CN":
            return []
        known = holiday_notice_years()
        latest = max(known) if known else 0
        return [y for y in range(self.first.year, self.last.year + 1) if y > latest]


def active_span(programme: Programme, cal: SchoolCalendar, duty: Duty | Task, month: str | None = None) -> Span:
    """Where a duty applies (SPEC §2 "active span"): the terms — for festival timing, the first
    term's start to the last one's end — narrowed to its `during` phases, or an activity's month.
    School time only: a phase that runs on into a vacation does not carry its duties there."""
    if month is not None:
        year, mon = (int(p) for p in month.split("-"))
        return clip(cal.term_span, date(year, mon, 1), _month_end(year, mon))
    base = ((cal.first, cal.last),) if getattr(duty, "festivals", None) else cal.term_span
    during = getattr(duty, "during", None)
    if during:
        phases = [programme.phase(pid) for pid in during]
        return union(piece for p in phases if p is not None for piece in clip(base, p.start, p.end))
    return base


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - ONE_DAY


def periods(kind: str, span: Span, cal: SchoolCalendar, phases: Iterable[Phase] = ()) -> Iterator[tuple[date, date, str]]:
    """Every period of `kind` that overlaps `span`, unclipped, with a label."""
    if not span:
        return
    lo, hi = span[0][0], span[-1][1]
    if kind == "week":
        yield from _weeks(lo, hi)
    elif kind in ("month", "quarter"):
        yield from _months(lo, hi, 1 if kind == "month" else 3)
    elif kind == "term":
        yield from ((term.start, term.end, term.id) for term in cal.terms)
    elif kind == "year":
        yield from _school_years(lo, hi)
    elif kind == "phase":
        yield from ((phase.start, phase.end, phase.id) for phase in phases)
    else:
        raise ValueError(kind)


def _weeks(lo: date, hi: date) -> Iterator[tuple[date, date, str]]:
    """ISO weeks, Monday to Sunday, labelled 2025-W38."""
    start = lo - timedelta(days=lo.weekday())
    while start <= hi:
        iso = start.isocalendar()
        yield start, start + timedelta(days=6), f"{iso.year}-W{iso.week:02d}"
        start += timedelta(days=7)


def _months(lo: date, hi: date, step: int) -> Iterator[tuple[date, date, str]]:
    """Calendar months (step 1, labelled 2025-10) or quarters (step 3, labelled 2025-Q4)."""
    year, month = lo.year, (lo.month if step == 1 else 3 * ((lo.month - 1) // 3) + 1)
    while date(year, month, 1) <= hi:
        label = f"{year}-{month:02d}" if step == 1 else f"{year}-Q{(month - 1) // 3 + 1}"
        yield date(year, month, 1), _month_end(year, month + step - 1), label
        month += step
        if month > 12:
            year, month = year + 1, month - 12


def _school_years(lo: date, hi: date) -> Iterator[tuple[date, date, str]]:
    """School years, 1 September to 31 August, labelled 2025-2026."""
    year = lo.year if lo.month >= 9 else lo.year - 1
    while date(year, 9, 1) <= hi:
        yield date(year, 9, 1), date(year + 1, 8, 31), f"{year}-{year + 1}"
        year += 1


def term_points(duty: Duty, cal: SchoolCalendar) -> Iterator[tuple[date, date, str]]:
    width = duty.window_days
    for term in cal.terms:
        for point in duty.at or ():
            if point == "term_start":
                start = term.start
            elif point == "term_end":
                start = term.end - timedelta(days=width - 1)
            else:
                middle = term.midterm or term.start + timedelta(days=(term.end - term.start).days // 2)
                start = middle - timedelta(days=(width - 1) // 2)
            yield start, start + timedelta(days=width - 1), f"{point}@{term.id}"


def day_in_year(calendar: Calendar, name: str, year: int) -> date | None:
    """A festival's date in `year`, or a day the programme declares (`calendar.days`, by id or
    name: 05-20 every year, 2026-05-20 once); None when it does not fall in that year."""
    declared = calendar.day_named(name)
    if declared is None:
        return festival_date(name, year) if year in FESTIVAL_YEARS else None
    parts = [int(p) for p in declared.date.split("-")]
    if len(parts) == 3:
        return date(*parts) if parts[0] == year else None
    try:
        return date(year, parts[0], parts[1])
    except ValueError:  # 02-29 in a common year
        return None


def festival_windows(duty: Duty, cal: SchoolCalendar) -> Iterator[tuple[date, date, str]]:
    width = duty.window_days
    for year in range(cal.first.year, cal.last.year + 1):
        for name in duty.festivals or ():
            middle = day_in_year(cal.calendar, name, year)
            if middle is None:
                continue
            start = middle - timedelta(days=(width - 1) // 2)
            declared = cal.calendar.day_named(name)
            yield start, start + timedelta(days=width - 1), f"{declared.name if declared else name}@{year}"


def windows(programme: Programme, cal: SchoolCalendar, duty: Duty | Task, month: str | None = None) -> list[Window]:
    """Every window of a periodic duty (or an activity task with `every`), in date order."""
    span = active_span(programme, cal, duty, month)
    is_festival = bool(getattr(duty, "festivals", None))
    if is_festival:
        raw = festival_windows(duty, cal)  # type: ignore[arg-type]
    elif getattr(duty, "at", None):
        raw = term_points(duty, cal)  # type: ignore[arg-type]
    else:
        chosen = [programme.phase(p) for p in (getattr(duty, "during", None) or ())]
        phases = [p for p in chosen if p] or list(programme.phases)
        raw = periods(duty.every or "term", span, cal, phases)
    out: list[Window] = []
    for start, end, label in raw:
        pieces = clip(span, start, end)
        if not pieces:
            continue
        if not is_festival and not cal.has_school_day(pieces):
            continue
        out.append(Window(pieces[0][0], pieces[-1][1], label))
    return sorted(out)
