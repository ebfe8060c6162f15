"""School days and windows, worked by hand against the 2025–26 calendar and CN holidays."""

from __future__ import annotations

from datetime import date, timedelta

from guanai.core.calendar import SchoolCalendar, festival_date, windows
from guanai.core.programme import Programme
from hypothesis import given, settings
from hypothesis import strategies as st

TERM = {"id": "2025-autumn", "name": "2025年秋季学期", "start": "2025-09-01", "end": "2026-01-16"}


def programme(duties, phases=(), terms=(TERM,), **calendar):
    return Programme.model_validate({
        "id": "t", "title": "t", "calendar": {"terms": list(terms), **calendar},
        "phases": list(phases), "duties": list(duties),
    })


def duty_windows(p):
    return windows(p, SchoolCalendar(p.calendar), p.duties[0])


def test_national_day_and_makeup_workdays_2025():
    cal = SchoolCalendar(programme([]).calendar)
    assert cal.reason(date(2025, 9, 28)) == (True, "makeup_workday", "")  # Sunday worked for 国庆
    assert cal.reason(date(2025, 10, 1)) == (False, "holiday", "国庆节")
    assert cal.reason(date(2025, 10, 6)) == (False, "holiday", "中秋节")
    assert cal.reason(date(2025, 10, 11)) == (True, "makeup_workday", "")
    assert cal.reason(date(2025, 10, 12)) == (False, "weekend", "")
    assert cal.reason(date(2026, 2, 1)) == (False, "vacation", "")


def test_extra_days_override_holiday_data_and_breaks_win():
    p = programme([], extra_holidays=["2025-09-29"], extra_workdays=["2025-10-12"],
                  breaks=[{"name": "秋季运动会", "start": "2025-10-23", "end": "2025-10-24"}])
    cal = SchoolCalendar(p.calendar)
    assert cal.reason(date(2025, 9, 29)) == (False, "extra_holiday", "")
    assert cal.reason(date(2025, 10, 12)) == (True, "extra_workday", "")
    assert cal.reason(date(2025, 10, 23)) == (False, "break", "秋季运动会")


def test_public_holidays_none_keeps_national_day_as_weekday():
    cal = SchoolCalendar(programme([], public_holidays="none").calendar)
    assert cal.reason(date(2025, 10, 1)) == (True, "school_day", "2025年秋季学期")


def test_week_that_is_all_holiday_has_no_window():
    # ISO week 2025-W40 is Mon 09-29 .. Sun 10-05: 09-29 and 09-30 are school days, so it exists;
    # week W41 (10-06 .. 10-12) has 10-09, 10-10 and the make-up Saturday 10-11.
    # With 09-29/09-30 and 10-09..10-11 declared extra holidays, both weeks vanish.
    p = programme([{"id": "w", "name": "w", "step": "talk", "every": "week"}],
                  extra_holidays=["2025-09-29", "2025-09-30", "2025-10-09", "2025-10-10", "2025-10-11"])
    labels = [w.label for w in duty_windows(p)]
    assert "2025-W39" in labels and "2025-W42" in labels
    assert "2025-W40" not in labels and "2025-W41" not in labels


def test_first_and_last_weeks_are_clipped_to_the_term():
    p = programme([{"id": "w", "name": "w", "step": "talk", "every": "week"}])
    found = duty_windows(p)
    assert (found[0].start, found[0].end) == (date(2025, 9, 1), date(2025, 9, 7))
    assert (found[-1].start, found[-1].end) == (date(2026, 1, 12), date(2026, 1, 16))
    assert len(found) == 20


def test_month_split_by_the_end_of_a_phase():
    # implement ends Fri 2026-01-09: the January window is Jan 1–9, due Jan 9.
    p = programme([{"id": "m", "name": "m", "step": "phone_call", "every": "month", "during": ["implement"]}],
                  phases=[{"id": "implement", "name": "组织实施", "start": "2025-09-13", "end": "2026-01-09"}])
    found = duty_windows(p)
    assert [(w.start, w.due) for w in (found[0], found[-1])] == [
        (date(2025, 9, 13), date(2025, 9, 30)), (date(2026, 1, 1), date(2026, 1, 9))]
    assert [w.label for w in found] == ["2025-09", "2025-10", "2025-11", "2025-12", "2026-01"]


def test_a_phase_running_into_the_vacation_does_not_carry_its_duties_there():
    # implement runs to 2026-02-15, the autumn term ends Fri 2026-01-16 (SPEC §2: school time only)
    p = programme([{"id": "m", "name": "m", "step": "phone_call", "every": "month", "during": ["implement"]},
                   {"id": "p", "name": "p", "step": "talk", "every": "phase", "during": ["implement"]}],
                  phases=[{"id": "implement", "name": "组织实施", "start": "2025-09-13", "end": "2026-02-15"}])
    monthly = duty_windows(p)
    assert [(w.label, w.start, w.due) for w in monthly[-2:]] == [
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)), ("2026-01", date(2026, 1, 1), date(2026, 1, 16))]
    cal = SchoolCalendar(p.calendar)
    assert [(w.start, w.due) for w in windows(p, cal, p.duties[1])] == [(date(2025, 9, 13), date(2026, 1, 16))]


def test_year_window_spans_both_terms_of_the_school_year():
    spring = {"id": "2026-spring", "name": "春", "start": "2026-03-02", "end": "2026-07-10"}
    p = programme([{"id": "y", "name": "y", "step": "summary_report", "scope": "staff", "every": "year"}],
                  terms=[TERM, spring])
    [window] = duty_windows(p)
    assert (window.start, window.due, window.label) == (date(2025, 9, 1), date(2026, 7, 10), "2025-2026")


def test_term_points_start_midterm_end():
    p = programme([{"id": "v", "name": "v", "step": "home_visit", "at": ["term_start", "midterm", "term_end"]}])
    found = duty_windows(p)
    # default midterm = 09-01 + (137 days // 2) = 2025-11-08; centred: 3 days before
    assert [(w.start, w.end) for w in found] == [
        (date(2025, 9, 1), date(2025, 9, 7)),
        (date(2025, 11, 5), date(2025, 11, 11)),
        (date(2026, 1, 10), date(2026, 1, 16)),
    ]


def test_festival_window_crossing_a_month_boundary():
    # 春节 2026 is 02-17; a 31-day window centred on it runs 02-02 .. 03-04, in the vacation.
    spring = {"id": "2026-spring", "name": "春", "start": "2026-03-02", "end": "2026-07-10"}
    p = programme([{"id": "f", "name": "f", "step": "parent_meeting", "festivals": ["春节"], "window_days": 31}],
                  terms=[TERM, spring])
    [window] = duty_windows(p)
    assert (window.start, window.end, window.label) == (date(2026, 2, 2), date(2026, 3, 4), "春节@2026")


def test_festival_dates():
    assert festival_date("春节", 2026) == date(2026, 2, 17)
    assert festival_date("中秋节", 2025) == date(2025, 10, 6)
    assert festival_date("端午节", 2026) == date(2026, 6, 19)
    assert festival_date("清明节", 2026) == date(2026, 4, 5)
    assert festival_date("重阳节", 2025) == date(2025, 10, 29)
    assert festival_date("元宵节", 2000) == date(2000, 2, 19)
    assert festival_date("春节", 2050) == date(2050, 1, 23)


def test_the_days_school_plans_name():
    """issue 27 item 4: 植树节, 学雷锋日, 世界读书日, 母亲节 and 父亲节 (the n-th Sunday), 全国中小学生安全教育日 (the
    last Monday of March), 国家安全教育日, 国际禁毒日, 教师节, 丰收节 and 冬至 (节气) …"""
    assert festival_date("学雷锋日", 2026) == date(2026, 3, 5)
    assert festival_date("植树节", 2026) == date(2026, 3, 12)
    assert festival_date("世界读书日", 2026) == date(2026, 4, 23)
    assert festival_date("国家安全教育日", 2026) == date(2026, 4, 15)
    assert festival_date("母亲节", 2026) == date(2026, 5, 10)
    assert festival_date("母亲节", 2025) == date(2025, 5, 11)
    assert festival_date("父亲节", 2026) == date(2026, 6, 21)
    assert festival_date("全国助残日", 2026) == date(2026, 5, 17)
    assert festival_date("全国中小学生安全教育日", 2026) == date(2026, 3, 30)
    assert festival_date("全国中小学生安全教育日", 2025) == date(2025, 3, 31)
    assert festival_date("教师节", 2025) == date(2025, 9, 10)
    assert festival_date("中国农民丰收节", 2025) == date(2025, 9, 23)
    assert festival_date("冬至", 2025) == date(2025, 12, 21)
    assert festival_date("冬至", 2026) == date(2026, 12, 22)
    assert festival_date("清明节", 2025) == date(2025, 4, 4)


def test_unknown_holiday_years_are_listed():
    far = {"id": "2027-autumn", "name": "秋", "start": "2027-09-01", "end": "2028-01-14"}
    assert SchoolCalendar(programme([], terms=[far]).calendar).unknown_holiday_years() == [2027, 2028]
    assert SchoolCalendar(programme([]).calendar).unknown_holiday_years() == []


# -- properties -----------------------------------------------------------------------------

dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 6, 30))


@st.composite
def calendars_and_duties(draw):
    start = draw(dates)
    terms, cursor = [], start
    for i in range(draw(st.integers(1, 3))):
        length = draw(st.integers(1, 160))
        terms.append({"id": f"t{i}", "name": f"t{i}", "start": cursor.isoformat(),
                      "end": (cursor + timedelta(days=length)).isoformat()})
        cursor += timedelta(days=length + draw(st.integers(1, 60)))
    last = date.fromisoformat(terms[-1]["end"])
    p_start = draw(st.dates(min_value=start, max_value=last))
    p_end = draw(st.dates(min_value=p_start, max_value=last))
    phases = [{"id": "ph", "name": "ph", "start": p_start.isoformat(), "end": p_end.isoformat()}]
    kind = draw(st.sampled_from(["week", "month", "quarter", "term", "year", "phase"]))
    duty = {"id": "d", "name": "d", "step": "talk", "every": kind}
    if draw(st.booleans()):
        duty["during"] = ["ph"]
    holidays = draw(st.sampled_from(["CN", "none"]))
    return programme([duty], phases=phases, terms=terms, public_holidays=holidays)


@settings(max_examples=150, deadline=None)
@given(calendars_and_duties())
def test_windows_never_overlap_hold_a_school_day_and_lie_inside_the_span(p):
    from guanai.core.calendar import active_span

    cal = SchoolCalendar(p.calendar)
    found = windows(p, cal, p.duties[0])
    span = active_span(p, cal, p.duties[0])
    for a, b in zip(found, found[1:], strict=False):
        assert a.end < b.start
    for w in found:
        assert w.start <= w.end
        assert any(cal.reason(d)[0] and any(s <= d <= e for s, e in span)
                   for d in (w.start + timedelta(days=i) for i in range((w.end - w.start).days + 1)))
        assert any(s <= w.start <= e for s, e in span) and any(s <= w.end <= e for s, e in span)
    for s, e in span:  # school time only, `during` or not (SPEC §2)
        assert any(a <= s and e <= b for a, b in cal.term_span)


def test_window_labels_read_as_words():
    """issue 27 item 7: explain's 周期 column says 2025年第41周, not 2025-W41."""
    from guanai.core.render import window_name

    p = programme([])
    terms = p.calendar.terms
    assert [window_name(label, terms) for label in (
        "2025-W41", "2025-10", "2025-Q4", "2025-2026", "2025-autumn", "term_start@2025-autumn", "中秋节@2025",
        "组织实施阶段")] == ["2025年第41周", "2025年10月", "2025年第4季度", "2025—2026学年", "2025年秋季学期",
                          "期初·2025年秋季学期", "2025年中秋节", "组织实施阶段"]
