"""People who are not staff (issue 27 item 2): a 类别 column; volunteers make records and take
children where a rule's staff_where names their kind; never counted as 教职工 or 党员."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FACTS

PEOPLE = FACTS.parent / "people"


@pytest.fixture
def home(db):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PEOPLE / "home.yaml"), "--to", "S001", "--from", "2025-09-01", "--yes")
    db.ok("staff", "import", str(PEOPLE / "staff.csv"), "--school", "S001", "--yes")
    db.ok("roster", "import", str(PEOPLE / "roster.csv"), "--school", "S001", "--yes")
    return db


def test_a_kind_nobody_listed_names_its_row_and_changes_nothing(home):
    result = home.run("staff", "import", str(PEOPLE / "staff_bad.csv"), "--school", "S001")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{PEOPLE / 'staff_bad.csv'}:3:类别: 类别 “义工” 不认识：可写 教职工、志愿者、校外辅导员、家长志愿者、巾帼志愿者；"
        "方案可在 people_kinds 中列出别的类别")
    assert [r["id"] for r in json.loads(home.ok("staff", "list", "--json"))] == ["T001", "T002", "V001", "V002"]


def test_volunteers_take_the_rule_that_names_them_and_teachers_the_others(home):
    home.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    home.ok("assign", "auto", "--school", "S001", "--role", "love_tutor", "--from", "2025-09-01")
    pairs = json.loads(home.ok("assign", "list", "--org", "S001", "--as-of", "2025-10-10", "--json"))
    by_role = {role: sorted({(p["staff"], p["staff_kind"]) for p in pairs if p["role"] == role})
               for role in ("proxy_parent", "love_tutor")}
    assert by_role == {"proxy_parent": [("T001", "教职工"), ("T002", "教职工")],
                       "love_tutor": [("V001", "志愿者"), ("V002", "巾帼志愿者")]}
    shown = home.ok("assign", "list", "--org", "S001", "--as-of", "2025-10-10")
    assert "爱心辅导员" in shown and "love_tutor" not in shown
    assert shown.splitlines()[-1] == "结对 6 对，教职工 2 人（其中党员 1 人），志愿者等非教职工 2 人"
    assert home.ok("assign", "check", "--org", "S001", "--as-of", "2025-10-10") == "1 所学校的结对都符合方案要求。\n"


def test_volunteers_are_not_counted_as_staff_or_party_members(home):
    stats = json.loads(home.ok("stats", "--org", "S001", "--as-of", "2025-10-10", "--json"))["totals"]
    assert (stats["staff"], stats["party_staff"], stats["others_by_kind"]) == (2, 1, {"巾帼志愿者": 1, "志愿者": 1})
    text = home.ok("stats", "--org", "S001", "--as-of", "2025-10-10").splitlines()
    assert text[1:3] == ["在校学生 3 人，关爱对象 3 人（占 100.0%）；教职工 2 人，其中党员 1 人。",
                         "另有非教职工 巾帼志愿者 1 人、志愿者 1 人（不计入教职工与党员）。"]


def test_a_volunteer_records_and_closes_the_duty_of_their_children(home):
    home.ok("assign", "auto", "--school", "S001", "--role", "love_tutor", "--from", "2025-09-01")
    home.ok("record", "talk", "--child", "K1", "--by", "V001", "--at", "2025-09-03 16:00")
    rows = json.loads(home.ok("compliance", "--org", "S001", "--by", "staff", "--from", "2025-09-01",
                              "--to", "2025-09-07", "--as-of", "2025-09-10", "--json"))["rows"]
    v001 = next(r for r in rows if r["key"]["staff"] == "V001")
    assert (v001["expected"], v001["met"]) == (2, 1)  # K1 and K3, the week of 09-01; K1's talk on 09-03


def test_a_post_listed_with_in_matches_any_of_its_values(db, tmp_path):
    """`op: in` on roles takes every listed post (it took the first only)."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    staff = tmp_path / "staff.csv"
    staff.write_text("工号,姓名,岗位,类别\nC1,张村长,村干部,校外辅导员\nR1,李老师,退休教师,校外辅导员\nT1,王芳,,教职工\n",
                     encoding="utf-8")
    plan = tmp_path / "p.yaml"
    plan.write_text((PEOPLE / "home.yaml").read_text("utf-8").replace(
        "staff_where: [{field: kind, op: in, value: [志愿者, 巾帼志愿者]}]",
        "staff_where: [{field: kind, op: eq, value: 校外辅导员}, {field: roles, op: in, value: [村干部, 退休教师]}]"),
        encoding="utf-8")
    db.ok("programme", "publish", str(plan), "--to", "S001", "--from", "2025-09-01", "--yes")
    db.ok("staff", "import", str(staff), "--school", "S001", "--yes")
    db.ok("roster", "import", str(PEOPLE / "roster.csv"), "--school", "S001", "--yes")
    db.ok("assign", "auto", "--school", "S001", "--role", "love_tutor", "--from", "2025-09-01")
    pairs = json.loads(db.ok("assign", "list", "--org", "S001", "--as-of", "2025-10-10", "--json"))
    assert sorted({p["staff"] for p in pairs}) == ["C1", "R1"]


def test_count_indicators_give_the_number_and_its_target(home):
    """issue 27 item 5: a `count` indicator (全镇 71 对): pairs of a role, records, people."""
    home.ok("assign", "auto", "--school", "S001", "--role", "love_tutor", "--from", "2025-09-01")
    home.ok("record", "talk", "--child", "K1", "--by", "V001", "--at", "2025-09-03 16:00")
    rows = {r["id"]: r for r in json.loads(home.ok("indicators", "--org", "S001", "--as-of", "2025-10-10", "--json"))}
    assert {k: (r["value"], r["target"], r["ok"], r["unit"]) for k, r in rows.items()} == {
        "tutor-pairs": (3, 3, True, "pairs"), "talks": (1, 10, False, "records"), "cared": (3, 3, True, "people")}
    text = home.ok("indicators", "--org", "S001", "--as-of", "2025-10-10")
    assert text.splitlines()[3:6] == ["爱心辅导员结对数   3 对    3 对      —   达标  ",
                                      "谈心次数           1 条   10 条      —   未达标",
                                      "关爱对象人数       3 人    3 人      —   达标  "]


def test_a_category_outside_the_target_is_named_in_words(db, tmp_path):
    """issue 27 item 7: “类别 单亲 不在方案的关爱对象之内”, not single_parent."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    plan = tmp_path / "p.yaml"
    plan.write_text((PEOPLE / "home.yaml").read_text("utf-8").replace(
        "people_kinds: [巾帼志愿者]", "people_kinds: [巾帼志愿者]\ntarget: {categories: [left_behind]}"), encoding="utf-8")
    db.ok("programme", "publish", str(plan), "--to", "S001", "--from", "2025-09-01", "--yes")
    roster = tmp_path / "r.csv"
    roster.write_text("学籍号,姓名,班级,留守类型,入学\nK9,周晓,七(1)班,单亲,2024-09-01\n", encoding="utf-8")
    out = db.ok("roster", "import", str(roster), "--school", "S001", "--yes")
    assert "周晓（K9）：类别 单亲 不在方案的关爱对象之内" in out.splitlines()


def test_assign_auto_from_a_day_pairs_a_pupil_who_joined_later_from_their_first_day(db):
    """issue 27 item 7: `assign auto --from 2025-09-01` run later pairs K2 (joined 10-15) from 10-15."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PEOPLE / "home.yaml"), "--to", "S001", "--from", "2025-09-01", "--yes")
    db.ok("staff", "import", str(PEOPLE / "staff.csv"), "--school", "S001", "--yes")
    db.ok("roster", "import", str(FACTS.parent / "engine" / "roster.csv"), "--school", "S001", "--yes")
    out = db.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    assert out.splitlines()[0] == "已为 S001 新建 2 个结对（代理家长），分给 2 位帮扶人。"
    pairs = json.loads(db.ok("assign", "list", "--org", "S001", "--as-of", "2025-10-20", "--json"))
    assert sorted((p["child"], p["start"]) for p in pairs) == [("K1", "2025-09-01"), ("K2", "2025-10-15")]


def test_children_csv_says_categories_in_words(home):
    """issue 27 item 7: a sheet people read says 留守, not left_behind; --category takes the word."""
    rows = home.ok("children", "list", "--org", "S001", "--category", "留守", "--csv").splitlines()
    header = rows[0].split(",")
    assert [r.split(",")[header.index("category")] for r in rows[1:]] == ["留守", "留守", "留守"]
