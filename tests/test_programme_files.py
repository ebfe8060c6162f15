"""The shipped programmes, `programme show|calendar|schema`, `plugins list`, and the CLI basics."""

from __future__ import annotations

import json

import click
import pytest

from tests.conftest import PROGRAMMES, ROOT

SAMPLES = ["xibei.yaml", "yangdeng.yaml", "shangguan.yaml", "xiaogang.yaml", "county/base.yaml",
           "county/shili-middle.yaml"]


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_programmes_pass_check(cli, name):
    result = cli("programme", "check", str(PROGRAMMES / name))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("检查通过。\n")


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_programmes_carry_the_schema_modeline(name):
    first = (PROGRAMMES / name).read_text("utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=") and first.endswith("schemas/programme.schema.json")


def test_xiaogang_says_what_its_plan_says(cli):
    """篇1 of the 小港中学 seed: its posts hold their duties, its buddies are classmates, its
    meetings and contests use the school's own words, 亲情视频 and 亲情电话 are different duties."""
    shown = json.loads(cli("programme", "show", "--json", str(PROGRAMMES / "xiaogang.yaml")).stdout)
    by = {d["id"]: d["by"] for d in shown["duties"]}
    assert by["video"] == {"post": "视频室"} and by["phone"] == {"post": "亲情对话室"}
    assert by["checkup"] == {"post": "医务室"} and by["home-open"] == {"post": "亲情之家办公室"}
    assert [a["name"] for a in shown["activities"]] == ["校歌赛（合唱队）", "作文竞赛（文学社）", "板报展、手抄报展",
                                                        "郊外踏青", "篮球赛（篮球队）", "书画展（书画组）"]
    assert [f["name"] for f in shown["follow_ups"]] == ["体检异常报送上一级医疗部门"]
    assert shown["indicators"][-1]["match"] == {"channel": "视频"}  # 本月亲情视频覆盖率: video calls only
    text = cli("programme", "show", str(PROGRAMMES / "xiaogang.yaml")).stdout
    targets = [line.split() for line in text.splitlines()[-4:]]  # kinds in words, as the plan would say them
    assert targets == [["建档率", "档案填写完整率", "100.0%"], ["结对帮扶完成率", "职责按时完成率", "90.0%"],
                       ["亲情之家工作完成率", "职责按时完成率", "90.0%"], ["本月亲情视频覆盖率", "覆盖率", "100.0%"]]


def test_three_year_plan_warns_about_years_without_holiday_notice(cli):
    result = cli("programme", "check", str(PROGRAMMES / "shangguan.yaml"))
    assert result.exit_code == 0
    assert "2027 年的放假安排" in result.stderr and "2028 年的放假安排" in result.stderr


def test_show_xibei_counts_windows_per_term(cli):
    result = cli("programme", "show", "--json", str(PROGRAMMES / "xibei.yaml"))
    data = json.loads(result.stdout)
    duties = {d["id"]: d for d in data["duties"]}
    # weekly talk during 组织实施阶段 (Sat 09-13 .. 06-30): W37 is only a weekend, so autumn has
    # W38..W52 + W01..W03 = 18 weeks (W03 runs to Sun 01-18, inside the phase); spring W10..W27 = 18
    assert duties["weekly-talk"]["windows"] == {"2025-autumn": 18, "2026-spring": 18}
    assert duties["monthly-call"]["windows"] == {"2025-autumn": 5, "2026-spring": 5}
    assert duties["yearly-report"]["windows"] == {"2025-autumn": 0, "2026-spring": 1}
    assert [p["name"] for p in data["phases"]] == ["安排部署阶段", "组织实施阶段", "活动总结阶段"]


def test_show_reads_like_the_plan(cli):
    result = cli("programme", "show", str(PROGRAMMES / "yangdeng.yaml"))
    assert result.exit_code == 0
    for text in ("羊磴镇中心学校2025年秋季学期关爱留守儿童工作实施方案", "三个优先", "每周 1 次（宽限 2 天）",
                 "各班教师每周与3—5名留守儿童谈一次心（每位教职工，每周 3 次）", "校艺术节展演"):
        assert text in result.stdout


def test_show_month_filters_activities(cli):
    result = cli("programme", "show", "--month", "2025-12", "--json", str(PROGRAMMES / "yangdeng.yaml"))
    assert [a["month"] for a in json.loads(result.stdout)["activities"]] == ["2025-12"]
    bad = cli("programme", "show", "--month", "2025-13", str(PROGRAMMES / "yangdeng.yaml"))
    assert bad.exit_code == 2
    assert bad.stderr == "--month: “2025-13” 不是月份，请写成 2025-10\n"


def test_extends_merges_by_id_removes_and_keeps_base_items(cli):
    result = cli("programme", "show", "--json", str(PROGRAMMES / "county" / "shili-middle.yaml"))
    data = json.loads(result.stdout)
    ids = [d["id"] for d in data["duties"]]
    assert ids == ["weekly-talk", "monthly-call", "termly-support", "yearly-reunion", "home-visits",
                   "grandparent-call", "festival-visit", "open-home"]
    assert data["id"] == "shili-middle-2025" and data["issuer"] == "示例镇中学"
    assert "每周 1 次（宽限 3 天）" == data["duties"][0]["timing"]


def test_calendar_json_says_why(cli):
    result = cli("programme", "calendar", "--json", "--from", "2025-09-28", "--to", "2025-10-01",
                 str(PROGRAMMES / "xibei.yaml"))
    assert json.loads(result.stdout) == [
        {"date": "2025-09-28", "school_day": True, "reason": "makeup_workday", "detail": ""},
        {"date": "2025-09-29", "school_day": True, "reason": "school_day", "detail": "2025年秋季学期"},
        {"date": "2025-09-30", "school_day": True, "reason": "school_day", "detail": "2025年秋季学期"},
        {"date": "2025-10-01", "school_day": False, "reason": "holiday", "detail": "国庆节"},
    ]


def test_calendar_bad_date_option(cli):
    result = cli("programme", "calendar", "--from", "2025-02-30", str(PROGRAMMES / "xibei.yaml"))
    assert result.exit_code == 2
    assert result.stderr == "--from: 日期 2025-02-30 不存在（2月只有28天）\n"


def test_calendar_reversed_range_is_bad_input(cli):
    result = cli("programme", "calendar", "--from", "2025-10-05", "--to", "2025-10-01", str(PROGRAMMES / "xibei.yaml"))
    assert result.exit_code == 2
    assert result.stderr == "--to: 结束日期 2025-10-01 早于开始日期 2025-10-05\n"
    assert result.stdout == ""


def test_schema_file_is_up_to_date(cli):
    result = cli("programme", "schema", "--builtin-only")
    assert result.stdout == (ROOT / "schemas" / "programme.schema.json").read_text("utf-8")
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert "$defs" not in result.stdout
    assert schema["definitions"]["Duty"]["properties"]["name"]["description"] == "职责名称，如 一周一谈心"
    assert "talk" in schema["definitions"]["Duty"]["properties"]["step"]["examples"]


def test_schema_validates_the_samples():
    import jsonschema
    from guanai.core.yamlsafe import load_yaml

    schema = json.loads((ROOT / "schemas" / "programme.schema.json").read_text("utf-8"))
    data, _, errors = load_yaml(PROGRAMMES / "xibei.yaml", "xibei.yaml")
    assert not errors
    plain = json.loads(json.dumps(data, default=str))
    jsonschema.Draft7Validator(schema).validate(plain)


def test_plugins_list_json_shape(cli):
    result = cli("plugins", "list", "--json")
    rows = json.loads(result.stdout)
    basics = next(r for r in rows if r["name"] == "care_basics")
    assert set(basics) == {"name", "version", "steps", "indicators", "commands", "step_fields"}  # SPEC shape, plus three
    assert [f["name"] for f in basics["step_fields"]["talk"]] == ["notes", "topic", "minutes"]
    for step in ("talk", "phone_call", "home_visit", "support_visit", "notify", "incident", "excuse"):
        assert step in basics["steps"]


def test_version_and_overview(cli):
    from importlib.metadata import version

    assert cli("--version").stdout == f"guanai {version('guanai')}\n"
    overview = cli().stdout
    for group in ("县教育局", "学校", "教师", "插件开发者"):
        assert group in overview
    from guanai.core.cli import build_cli

    root = build_cli()
    names = root.list_commands(click.Context(root))
    assert len(names) == 23
    missing = [name for name in names if name not in overview]
    assert missing == []  # every command has its line for the user who needs it


def test_help_ends_with_an_example(cli):
    for args in (["programme", "check"], ["programme", "show"], ["programme", "calendar"], ["plugins", "list"]):
        text = cli(*args, "--help").stdout.rstrip()
        assert text.splitlines()[-1].strip().startswith("示例：guanai")
