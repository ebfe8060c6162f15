"""Record types a county declares in YAML (issue 27 item 5): typed fields, usable in duties,
matches, imports, `record STEP --help` and listings exactly like a plugin's step."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FACTS

HERE = FACTS.parent / "declared"
ENGINE = FACTS.parent / "engine"


@pytest.fixture
def declared(db):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(HERE / "home.yaml"), "--to", "S001", "--from", "2025-09-01", "--yes")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001", "--yes")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001", "--yes")
    db.ok("assign", "import", str(ENGINE / "pairs.csv"), "--role", "proxy_parent")
    return db


BAD = """id: bad-steps
title: 写错的记录类型
calendar:
  terms:
    - {id: t, name: 秋季学期, start: 2025-09-01, end: 2026-01-16}
steps:
  - {id: talk, name: 谈话}
  - id: diary
    name: 日记
    fields:
      - {id: mood, name: 情绪, type: choice}
      - {id: minutes, name: 时长, type: integer, min: 10, max: 5}
      - {id: note, name: 内容, min: 1}
duties:
  - {id: d, name: 日记, step: diary, match: {mood: 开心}, every: week}
"""


def test_mistakes_in_a_declared_step_are_named_where_they_are(cli, tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(BAD, encoding="utf-8")
    result = cli("programme", "check", str(f))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:4] == [
        f"{f}:7:10: steps[0].id: 记录类型 “talk” 已由插件 care_basics 提供（谈心）；请换一个编号",
        f"{f}:11:9: steps[1].fields[0]: 字段“情绪”是 choice，要在 values 中列出可选的值",
        f"{f}:12:62: steps[1].fields[1].max: 字段“时长”的最小值 10 大于最大值 5",
        f"{f}:13:35: steps[1].fields[2].min: 字段“内容”是 text，只有 number、integer 才写 min、max",
    ]


def test_record_help_lists_the_declared_fields(declared):
    text = declared.ok("record", "growth_diary", "--help")
    assert "记录一次 成长日记（growth_diary）：帮扶教师记下孩子一周的成长" in text
    assert "content（必填）：内容（文字）" in text and "mood：情绪（开心 | 平稳 | 低落）" in text
    assert "minutes：时长（分钟）（整数）" in text


def test_a_declared_step_records_by_its_labels_and_refuses_what_it_does_not_allow(declared):
    assert declared.ok("record", "成长日记", "--child", "K1", "--by", "T001", "--at", "2025-09-03 16:00",
                       "--set", "内容=今天很开心", "--set", "情绪=开心", "--set", "时长=20") == "已记录：成长日记 · K1\n"
    refused = declared.run("record", "growth_diary", "--child", "K1", "--by", "T001", "--at", "2025-09-04 16:00",
                           "--set", "mood=难过", "--set", "minutes=900")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == ["--set content: 缺少必填字段 “content”",
                                           "--set minutes: 900 太大，最多为 600",
                                           "--set mood: “难过” 不是可选值之一：开心, 平稳, 低落",
                                           "发现 3 处错误。"]
    rows = json.loads(declared.ok("records", "list", "--json"))
    assert [(r["step_name"], r["details"]) for r in rows] == [("成长日记", "内容：今天很开心；情绪：开心；时长：20分钟")]
    assert rows[0]["payload"] == {"content": "今天很开心", "mood": "开心", "minutes": 20}


def test_declared_steps_count_in_duties_matches_and_imports(declared, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("类型,学籍号,工号,时间,内容,情绪,时长\n成长日记,K1,T001,2025-09-10 16:00,会骑车了,开心,15\n"
                 "growth_diary,K1,T001,2025-09-17 16:00,想妈妈,低落,\n", encoding="utf-8")
    assert declared.ok("record", "import", str(f)) == "导入 2 条记录：新增 2，已存在 0。\n"
    declared.ok("record", "safety_pledge", "--staff", "T002", "--by", "T001", "--at", "2025-09-05 10:00",
                "--set", "签订日期=2025-09-05", "--set", "校长签字=是")
    rows = json.loads(declared.ok("compliance", "--org", "S001", "--by", "duty", "--as-of", "2025-09-30",
                                  "--json"))["rows"]
    got = {r["key"]["duty"]: (r["expected"], r["met"]) for r in rows}
    # K1 alone in September (K2 joins 10-15): four weeks, two of them with a diary; the one 低落 entry
    # meets the term's duty (not due yet); T001 and T002 each owe a pledge, T002's is in
    assert got == {"diary": (4, 2), "pledge": (2, 1)}
    low = declared.ok("explain", "--duty", "low-mood", "--child", "K1", "--as-of", "2025-12-30")
    assert "按时完成   1/1" in low

