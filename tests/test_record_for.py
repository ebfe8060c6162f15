"""A record may name the duty or task it is for (`--for`, a 事项 column): then it counts for that
one alone (issue 27 item 5: one 制定方案 record satisfied four plan tasks)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FACTS

ENGINE = FACTS.parent / "engine"

PLANS = """id: plans
title: 四个方案
calendar:
  terms:
    - {id: 2025-autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
phases:
  - id: start
    name: 安排部署
    start: 2025-09-01
    end: 2025-09-30
    tasks:
      - {id: work-plan, name: 制定工作方案, step: plan, due: 2025-09-19}
      - {id: safety-plan, name: 制定安全预案, step: plan, due: 2025-09-19}
      - {id: home-plan, name: 制定留守儿童之家管理制度, step: plan, due: 2025-09-19}
      - {id: visit-plan, name: 制定家访计划, step: plan, due: 2025-09-19}
"""


@pytest.fixture
def plans(db, tmp_path):
    f = tmp_path / "plans.yaml"
    f.write_text(PLANS, encoding="utf-8")
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(f), "--to", "S001", "--from", "2025-09-01", "--yes")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001", "--yes")
    return db


def _met(db) -> dict[str, int]:
    rows = json.loads(db.ok("compliance", "--org", "S001", "--by", "duty", "--as-of", "2025-09-30", "--json"))["rows"]
    return {r["key"]["duty"]: r["met"] for r in rows}


def test_a_record_without_for_closes_every_task_of_its_step(plans):
    plans.ok("record", "plan", "--school", "S001", "--by", "T001", "--at", "2025-09-05 10:00")
    assert _met(plans) == {"work-plan": 1, "safety-plan": 1, "home-plan": 1, "visit-plan": 1}


def test_a_record_for_one_task_closes_that_one_by_id_or_by_name(plans, tmp_path):
    plans.ok("record", "plan", "--school", "S001", "--by", "T001", "--at", "2025-09-05 10:00", "--for", "work-plan")
    f = tmp_path / "r.csv"
    f.write_text("类型,学校,工号,时间,事项\n制定方案,S001,T001,2025-09-08 10:00,制定安全预案\n", encoding="utf-8")
    assert plans.ok("record", "import", str(f)) == "导入 1 条记录：新增 1，已存在 0。\n"
    assert _met(plans) == {"work-plan": 1, "safety-plan": 1, "home-plan": 0, "visit-plan": 0}
    rows = json.loads(plans.ok("records", "list", "--json"))
    assert [r["purpose"] for r in rows] == ["safety-plan", "work-plan"]


def test_for_names_what_it_may_be_and_changes_nothing(plans):
    result = plans.run("record", "plan", "--school", "S001", "--by", "T001", "--at", "2025-09-05 10:00",
                       "--for", "学期计划")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "--for: 方案里没有 “学期计划” 这项职责或任务；这种记录可用于：制定工作方案（work-plan）、制定安全预案（safety-plan）、"
        "制定留守儿童之家管理制度（home-plan）、制定家访计划（visit-plan）")
    other = plans.run("record", "meeting", "--school", "S001", "--by", "T001", "--at", "2025-09-05 10:00",
                      "--set", "kind=座谈会", "--for", "work-plan")
    assert other.exit_code == 2
    assert other.stderr.splitlines()[0] == "--for: “制定工作方案” 要的是“制定方案”记录，这是“会议”"
    assert json.loads(plans.ok("records", "list", "--json")) == []


def test_a_wrong_item_in_a_file_names_its_row_and_column(plans, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("类型,学校,工号,时间,事项\nplan,S001,T001,2025-09-08 10:00,制定工作方案\n"
                 "plan,S001,T001,2025-09-09 10:00,学期计划\n", encoding="utf-8")
    result = plans.run("record", "import", str(f))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(f"{f}:3:事项: 方案里没有 “学期计划” 这项职责或任务")
    assert json.loads(plans.ok("records", "list", "--json")) == []
