"""Authoring mistakes: each invalid file gives exactly the expected FILE:LINE:COL lines, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA

INVALID = DATA / "invalid"
CASES = sorted(p.name for p in INVALID.glob("[0-9]*.yaml"))


def test_there_are_at_least_25_distinct_mistakes():
    assert len(CASES) >= 25
    codes = {(INVALID / c).with_suffix(".expected").read_text("utf-8").splitlines()[0].split(": ")[-1][:8]
             for c in CASES}
    assert len(codes) >= 25


@pytest.mark.parametrize("name", CASES)
def test_golden(name, cli, monkeypatch):
    monkeypatch.chdir(INVALID)
    result = cli("programme", "check", name)
    expected = (INVALID / name).with_suffix(".expected").read_text("utf-8")
    assert result.exit_code == 1
    assert result.stderr == expected
    assert "Traceback" not in result.output


def test_impossible_date_names_the_month_length(cli, monkeypatch):
    monkeypatch.chdir(INVALID)
    result = cli("programme", "check", "01_impossible_date.yaml")
    assert result.stderr.splitlines()[0] == (
        "01_impossible_date.yaml:10:10: phases[0].end: 日期 2025-11-31 不存在（11月只有30天）"
    )


def test_errors_from_several_files_are_sorted_and_counted(cli, monkeypatch):
    monkeypatch.chdir(INVALID)
    result = cli("programme", "check", "09_times_zero.yaml", "05_unknown_key_typo.yaml")
    lines = result.stderr.splitlines()
    assert lines == [
        "05_unknown_key_typo.yaml:10:5: duties[0]: 未知字段 “evry”，是否想写 “every”？",
        "09_times_zero.yaml:7:68: duties[0].times: 0 太小，至少为 1",
        "发现 2 处错误。",
    ]


def test_json_output_keeps_positions(cli, monkeypatch):
    import json

    monkeypatch.chdir(INVALID)
    result = cli("programme", "check", "--json", "06_unknown_step.yaml")
    assert result.exit_code == 1
    [error] = json.loads(result.stdout)
    assert (error["file"], error["line"], error["col"], error["path"]) == ("06_unknown_step.yaml", 7, 74, "duties[0].step")
    assert error["code"] == "steps.unknown_hint"
    assert error["params"] == {"step": "talkk", "hint": "talk"}


def test_english_messages(cli, monkeypatch):
    monkeypatch.chdir(INVALID)
    result = cli("--lang", "en", "programme", "check", "05_unknown_key_typo.yaml")
    assert result.stderr.splitlines()[0] == '05_unknown_key_typo.yaml:10:5: duties[0]: unknown key "evry"; did you mean "every"?'


def test_file_over_one_megabyte_is_refused_before_parsing(cli, tmp_path: Path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_text("id: x\n" + "# padding\n" * 110_000, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("programme", "check", "big.yaml")
    assert result.exit_code == 1
    assert result.stderr.startswith("big.yaml:1:1: 文件太大（1100006 字节），上限 1000000 字节")


def test_missing_file_is_a_usage_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("programme", "check", "nope.yaml")
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_alias_bomb_is_refused_quickly(cli, monkeypatch):
    import time

    monkeypatch.chdir(INVALID)
    started = time.perf_counter()
    result = cli("programme", "check", "18_alias_bomb.yaml")
    assert result.exit_code == 1
    assert "别名" in result.stderr
    assert time.perf_counter() - started < 5  # refused during the event scan, never expanded


def test_show_of_a_bad_file_exits_2_with_the_errors(cli, monkeypatch):
    monkeypatch.chdir(INVALID)
    result = cli("programme", "show", "01_impossible_date.yaml")
    assert result.exit_code == 2
    assert result.stderr == "01_impossible_date.yaml:10:10: phases[0].end: 日期 2025-11-31 不存在（11月只有30天）\n"


def test_a_during_phase_without_a_school_day_is_a_warning(cli, tmp_path):
    f = tmp_path / "vacation.yaml"
    f.write_text("""id: v
title: 寒假
calendar:
  terms:
    - {id: autumn, name: 秋季学期, start: 2025-09-01, end: 2026-01-16}
    - {id: spring, name: 春季学期, start: 2026-03-02, end: 2026-07-10}
phases:
  - {id: winter, name: 寒假家访, start: 2026-01-20, end: 2026-02-20}
duties:
  - {id: call, name: 每月电话, scope: child, step: phone_call, every: month, during: [winter]}
""", encoding="utf-8")
    result = cli("programme", "check", str(f))
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == (
        f"{f}:10:83: 警告：duties[0].during[0]: 阶段 “winter”（2026-01-20 至 2026-02-20）不含上学日："
        "在此阶段内的职责不会产生任何任务（假期里不布置职责）")


MANY = """id: many
title: 多处错误
calendar:
  terms:
    - {id: autumn, name: 秋季学期, start: 2025-09-01, end: 2026-01-16}
assignments:
  - {role: mentor, per_child: one}
phases:
  - {id: implement, name: 组织实施, start: 2025-09-01, end: 2025-12-31}
duties:
  - {id: a, name: 谈心, scope: child, by: mentor, step: talk, every: week}
  - {id: b, name: 电话, scope: child, step: phone_cal, every: month}
  - {id: c, name: 家访, scope: child, step: home_visit, every: month, during: [implemnt]}
  - {id: d, name: 坏, scope: child, step: talk, every: fortnight}
"""


def test_an_error_in_one_item_hides_no_independent_error_elsewhere(cli, tmp_path, monkeypatch):
    """The wrong assignment does not hide the three duty mistakes; the duty naming its role is not
    a fourth (the role exists, its rule was only mistyped)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "many.yaml").write_text(MANY, encoding="utf-8")
    result = cli("programme", "check", "many.yaml")
    assert (result.exit_code, result.stderr.splitlines()) == (1, [
        "many.yaml:7:31: assignments[0].per_child: “one” 不是整数",
        "many.yaml:12:43: duties[1].step: 未知的记录类型 “phone_cal”，是否想写 “phone_call”？",
        "many.yaml:13:78: duties[2].during[0]: 没有编号为 “implemnt” 的阶段（已有：implement）",
        "many.yaml:14:55: duties[3].every: “fortnight” 不是可选值之一：week, month, quarter, term, year, phase",
        "发现 4 处错误。"])


def test_programme_show_never_cuts_a_column_however_narrow_the_terminal(cli, monkeypatch):
    from tests.conftest import PROGRAMMES

    monkeypatch.setenv("COLUMNS", "60")
    out = cli("programme", "show", str(PROGRAMMES / "xibei.yaml")).stdout
    assert "…" not in out
    assert "制定活动实施方案（09-12）、全校留守儿童基本情况调查摸底（09-10）" in out
    long = cli("programme", "show", str(PROGRAMMES / "xiaogang.yaml")).stdout  # three long tasks in one phase
    assert "…" not in long
    assert "".join(line.strip() for line in long.splitlines()).count("健全关爱留守学生工作制度（09-12）") == 1


SPRING_MONTHS = """id: spring
title: 春季学期活动
calendar:
  terms:
    - {id: spring, name: 2026年春季学期, start: 2026-03-02, end: 2026-07-10}
    - {id: autumn, name: 2026年秋季学期, start: 2026-09-01, end: 2026-12-31}
  days:
    - {id: culture-fest, name: 校园文化节, date: 05-20}
activities:
  - {month: 2026-03, name: 学雷锋月, tasks: [{id: leifeng, step: meeting}]}
  - {month: 2026-07, name: 暑假安全教育, tasks: [{id: summer-safety, step: meeting}]}
  - {month: 2026-08, name: 暑期家访, tasks: [{id: summer-visit, step: meeting}]}
  - {month: 2027-01, name: 寒假返校, tasks: [{id: back, step: meeting}]}
duties:
  - {id: fest, name: 文化节展示, scope: class, step: meeting, festivals: [校园文化节, 学雷锋日]}
  - {id: bad, name: 读书, scope: class, step: meeting, festivals: [世界读书节]}
"""


def test_an_activity_month_keeps_its_school_days_and_a_month_without_one_is_named(cli, tmp_path):
    """issue 27 item 4: a spring term starting 03-02 takes March activities (03-02 … 03-31); a
    summer month is a warning that names the month; a month past the calendar an error naming it;
    a festival nobody knows names the closest; a programme's own day is a festival."""
    f = tmp_path / "spring.yaml"
    f.write_text(SPRING_MONTHS, encoding="utf-8")
    result = cli("programme", "check", str(f))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{f}:12:13: 警告：activities[2].month: 活动“暑期家访”的月份 2026-08 没有上学日（学期之外或全是假期），本月任务不会产生",
        f"{f}:13:13: activities[3].month: 活动“寒假返校”的月份 2027-01 不在校历范围内（2026-03-02 至 2026-12-31）",
        f"{f}:16:66: duties[1].festivals[0]: 没有叫 “世界读书节” 的节日或校历日子（最接近的：世界读书日）；可写的节日："
        "元旦、春节、元宵节、清明节、六一、端午节、中秋节、国庆节、重阳节、学雷锋日、妇女节、植树节、全国中小学生安全教育日、"
        "国家安全教育日、世界读书日、劳动节、青年节、母亲节、全国助残日、世界环境日、全国爱眼日、父亲节、国际禁毒日、建党节、"
        "建军节、教师节、中国农民丰收节、国际消除贫困日、世界艾滋病日、国家宪法日、国家公祭日、冬至；校历 days 中声明的：校园文化节",
        "发现 2 处错误。",
        "共 1 条警告。",
    ]


def test_march_activities_and_declared_days_make_their_windows():
    from datetime import date

    from guanai.core.calendar import SchoolCalendar, windows
    from guanai.core.obligations import rules_of
    from guanai.core.programme import Programme
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(SPRING_MONTHS)
    data["duties"] = data["duties"][:1]
    data["activities"] = data["activities"][:2]
    p = Programme.model_validate(data)
    cal = SchoolCalendar(p.calendar)
    rules = {r.id: r for r in rules_of(p, cal)}
    leifeng, = rules["leifeng"].windows
    assert (leifeng.start, leifeng.due) == (date(2026, 3, 2), date(2026, 3, 31))
    summer, = rules["summer-safety"].windows
    assert (summer.start, summer.due) == (date(2026, 7, 1), date(2026, 7, 10))  # the term ends 07-10
    assert [(w.start, w.end, w.label) for w in windows(p, cal, p.duties[0])] == [
        (date(2026, 3, 2), date(2026, 3, 8), "学雷锋日@2026"),
        (date(2026, 5, 17), date(2026, 5, 23), "校园文化节@2026"),
    ]


def test_a_match_in_words_is_kept_as_its_code(tmp_path):
    """issue 27 item 7: `match: {with: 父母}` is accepted like `--set with=父母`, and kept as parents."""
    from guanai.core.loader import load_programme

    f = tmp_path / "words.yaml"
    f.write_text("""id: words
title: 词
calendar:
  terms:
    - {id: t, name: 秋季学期, start: 2025-09-01, end: 2026-01-16}
duties:
  - {id: call, name: 一月一电话, step: phone_call, match: {with: 父母}, every: month}
  - {id: visit, name: 家访, step: home_visit, match: {met: 监护人}, every: term}
""", encoding="utf-8")
    loaded = load_programme(f)
    assert loaded.errors == []
    assert [dict(d.match) for d in loaded.programme.duties] == [{"with": "parents"}, {"met": "guardian"}]
