"""The two plans written from seed texts nobody had encoded (issue 27 item 8), as a bureau officer
wrote them: programmes/seed_liushou.yaml (seeds/000) and programmes/seed_zhongxue.yaml (seeds/003).
What docs/programmes.md's practice table says each can do, done: village cadres and retired
teachers as 社会代理家长 who are not staff, declared record types, --for, a programme's own day."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FACTS, PROGRAMMES

SEEDS = FACTS.parent / "seeds"


def _school(db, programme: str):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PROGRAMMES / programme), "--to", "S001", "--from", "2025-09-01", "--yes")
    db.ok("staff", "import", str(SEEDS / "staff.csv"), "--school", "S001", "--yes")
    db.ok("roster", "import", str(SEEDS / "roster.csv"), "--school", "S001", "--yes")
    return db


@pytest.fixture
def liushou(db):
    return _school(db, "seed_liushou.yaml")


def _met(db, duties: set[str], as_of: str) -> dict[str, tuple[int, int]]:
    rows = json.loads(db.ok("compliance", "--org", "S001", "--by", "duty", "--as-of", as_of, "--json"))["rows"]
    return {r["key"]["duty"]: (r["expected"], r["met"]) for r in rows if r["key"]["duty"] in duties}


def test_both_seed_plans_pass_the_check_without_a_warning(cli):
    result = cli("programme", "check", str(PROGRAMMES / "seed_liushou.yaml"), str(PROGRAMMES / "seed_zhongxue.yaml"))
    assert result.exit_code == 0 and result.stderr == ""


def test_village_cadres_and_retired_teachers_are_partners_not_staff(liushou):
    liushou.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    liushou.ok("assign", "auto", "--school", "S001", "--role", "village_proxy", "--from", "2025-09-01")
    pairs = json.loads(liushou.ok("assign", "list", "--org", "S001", "--as-of", "2025-10-10", "--json"))
    by_role = {role: sorted((p["child"], p["staff"]) for p in pairs if p["role"] == role)
               for role in ("proxy_parent", "village_proxy")}
    assert {p for _, p in by_role["proxy_parent"]} == {"T001", "T002"} and len(by_role["proxy_parent"]) == 4
    assert {k for k, _ in by_role["village_proxy"]} == {"K3", "K4"}
    assert {p for _, p in by_role["village_proxy"]} <= {"C1", "R1"}
    stats = json.loads(liushou.ok("stats", "--org", "S001", "--as-of", "2025-10-10", "--json"))["totals"]
    assert (stats["staff"], stats["party_staff"], stats["others_by_kind"]) == (2, 1, {"校外辅导员": 2, "志愿者": 1})
    assert stats["unpaired_by_role"] == {"proxy_parent": 0, "village_proxy": 0}


def test_one_plan_record_for_one_task_and_the_schools_own_record_types(liushou):
    liushou.ok("record", "plan", "--school", "S001", "--by", "T001", "--at", "2025-09-10 10:00", "--for", "help-rules")
    liushou.ok("record", "成立领导小组", "--school", "S001", "--by", "T001", "--at", "2025-09-05 10:00",
               "--set", "组长=王芳", "--set", "成员人数=7")
    assert _met(liushou, {"work-plan", "help-rules", "found-home", "leading-group"}, "2025-10-01") == {
        "leading-group": (1, 1), "work-plan": (1, 0), "help-rules": (1, 1), "found-home": (1, 0)}
    liushou.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    liushou.ok("record", "growth_diary", "--child", "K1", "--by", "T001", "--at", "2025-10-20 16:00",
               "--set", "内容=作文得了表扬", "--set", "情绪=开心")
    liushou.ok("record", "training", "--staff", "T002", "--by", "T002", "--at", "2025-11-05 14:00",
               "--set", "主题=心理教育", "--set", "学时=4")
    assert _met(liushou, {"growth-diary"}, "2025-11-01") == {"growth-diary": (4, 1)}  # October, four children
    # a staff duty is about each 教职工 (T001, T002), not the 校外辅导员 and 志愿者; due at the year's end
    rows = json.loads(liushou.ok("explain", "--duty", "staff-training", "--staff", "T002", "--as-of", "2026-07-11",
                                 "--json"))
    assert [(r["window_name"], r["status"]) for r in rows] == [("2025—2026学年", "met")]
    assert _met(liushou, {"staff-training"}, "2026-07-11") == {"staff-training": (2, 1)}


def test_the_song_contest_falls_on_the_days_the_programme_declares(liushou):
    rows = json.loads(liushou.ok("explain", "--duty", "song-contest", "--school", "S001", "--as-of", "2025-12-31",
                                 "--json"))
    assert [(r["window_name"], r["start"], r["due"], r["status"]) for r in rows] == [
        ("2025年学校歌手大赛", "2025-12-22", "2025-12-22", "overdue")]


def test_the_middle_schools_assessment_and_station_are_records_of_their_own(db):
    _school(db, "seed_zhongxue.yaml")
    db.ok("record", "心理健康评估", "--child", "K1", "--by", "T002", "--at", "2025-10-15 15:00",
          "--set", "结论=需关注", "--set", "评估人=县心理健康中心 赵医生")
    db.ok("record", "station_open", "--school", "S001", "--by", "V1", "--at", "2025-10-14 16:00", "--set", "来访人数=6")
    assert _met(db, {"station-open"}, "2025-10-20") == {"station-open": (2, 1)}  # W41 (3 school days) and W42
    rows = json.loads(db.ok("explain", "--duty", "psych-assessment", "--child", "K1", "--as-of", "2026-01-31",
                            "--json"))
    assert [(r["window_name"], r["status"], r["done"]) for r in rows] == [("2025年秋季学期", "met", 1),
                                                                   ("2026年春季学期", "upcoming", 0)]
