"""Pairing rules with filters (issue 17 item 1): which children a role is for (`where`), who may
take it (`staff_where`), and peer buddies — a classmate, not a teacher."""

from __future__ import annotations

import json

from tests.conftest import FACTS

PROGRAMME = """id: rules
title: 结对规则
calendar:
  terms:
    - {id: autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
assignments:
  - role: proxy_parent
    per_child: 1
    where: [{field: profile.特困, op: eq, value: 是}]
    staff_where: [{field: party_member, op: eq, value: true}]
  - {role: buddy, per_child: 1}
duties:
  - {id: talk, name: 谈心, scope: child, by: proxy_parent, step: talk, every: week,
     where: [{field: profile.特困, op: eq, value: 是}]}
"""
ROSTER = """学籍号,姓名,班级,留守类型,外出开始,入学,特困
K1,甲,七(1)班,留守,2020-01,2025-09-01,是
K2,乙,七(1)班,留守,2020-01,2025-09-01,否
K3,丙,七(1)班,非留守,,2025-09-01,
K4,丁,七(2)班,留守,2020-01,2025-09-01,是
K5,戊,七(2)班,非留守,,2025-09-01,
"""
STAFF = "工号,姓名,党员\nP1,党员甲,是\nN1,群众乙,否\n"


def _school(db, tmp_path):
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "p.yaml").write_text(PROGRAMME, encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "p.yaml"))
    (tmp_path / "s.csv").write_text(STAFF, encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "s.csv"), "--school", "S001")
    (tmp_path / "k.csv").write_text(ROSTER, encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "k.csv"), "--school", "S001")


def test_auto_pairs_only_the_children_and_staff_the_rule_names_and_buddies_with_classmates(db, tmp_path):
    _school(db, tmp_path)
    said = db.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    assert said == "已为 S001 新建 2 个结对（代理家长），分给 1 位帮扶人。\n"
    assert db.rows("pairing", "child", "staff", order="child", role="proxy_parent") == [("K1", "P1"), ("K4", "P1")]
    said = db.ok("assign", "auto", "--school", "S001", "--role", "buddy", "--from", "2025-09-01")
    assert said == "已为 S001 新建 3 个结对（学习帮手），分给 2 名同班同学。\n"  # not "1 位教职工"
    again = db.ok("assign", "auto", "--school", "S001", "--role", "buddy", "--from", "2025-09-01")
    assert again == "已为 S001 新建 0 个结对（学习帮手），分给 0 名同班同学。\n"
    # each cared-for child gets a classmate, one not cared for first
    assert db.rows("pairing", "child", "buddy", order="child", role="buddy") == [
        ("K1", "K3"), ("K2", "K3"), ("K4", "K5")]
    result = db.run("assign", "check", "--org", "S001", "--as-of", "2025-09-30")
    assert (result.exit_code, result.stdout) == (0, "1 所学校的结对都符合方案要求。\n")
    # K2 is cared for but not 特困: the rule gives it no proxy parent, so it is not "unpaired"
    totals = json.loads(db.ok("stats", "--org", "S001", "--as-of", "2025-09-30", "--json"))["totals"]
    assert (totals["cared_for"], totals["pairs_by_role"]["proxy_parent"], totals["unpaired"]) == (3, 2, 0)
    db.ok("assign", "import", str(_end_k4(tmp_path)), "--role", "proxy_parent")
    totals = json.loads(db.ok("stats", "--org", "S001", "--as-of", "2025-10-31", "--json"))["totals"]
    assert totals["unpaired"] == 1  # K4, 特困, whose pairing ended


def _end_k4(tmp_path):
    f = tmp_path / "end.csv"
    f.write_text("学籍号,工号,开始,结束\nK4,P1,2025-09-01,2025-10-15\n", encoding="utf-8")
    return f


def test_check_names_a_buddy_from_another_class(db, tmp_path):
    _school(db, tmp_path)
    (tmp_path / "b.csv").write_text("学籍号,学习帮手,开始\nK1,K5,2025-09-01\n", encoding="utf-8")
    db.ok("assign", "import", str(tmp_path / "b.csv"), "--role", "buddy")
    lines = db.run("assign", "check", "--org", "S001", "--as-of", "2025-09-30").stdout.splitlines()
    assert "S001 · 甲（K1）七(1)班：学习帮手 戊（K5）七(2)班 不是同班同学" in lines  # names, not only ids


def test_a_rule_naming_an_unknown_field_is_refused_by_programme_check(cli, tmp_path):
    (tmp_path / "p.yaml").write_text(PROGRAMME.replace("field: party_member", "field: party"), encoding="utf-8")
    result = cli("programme", "check", str(tmp_path / "p.yaml"))
    assert result.exit_code == 1 and "assignments[0].staff_where[0]" in result.stderr


def test_profile_share_counts_the_children_whose_profile_holds_a_value(db, tmp_path):
    """入学率-like indicators: the share of the children cared for whose 特困 is 是 — K1 and K4 of
    K1, K2, K4 (K3 and K5 are not cared for)."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "p.yaml").write_text(PROGRAMME + """indicators:
  - {id: poor, name: 特困占比, kind: profile_share, fields: [profile.特困], values: [是], target: 0.5}
""", encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "p.yaml"))
    (tmp_path / "k.csv").write_text(ROSTER, encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "k.csv"), "--school", "S001")
    import json

    found = json.loads(db.ok("indicators", "--org", "S001", "--as-of", "2025-10-01", "--json"))
    assert [(r["id"], r["numerator"], r["denominator"], r["ok"]) for r in found] == [("poor", 2, 3, True)]
    bad = tmp_path / "bad.yaml"
    bad.write_text(PROGRAMME + "indicators:\n  - {id: poor, name: 特困占比, kind: profile_share, target: 0.5}\n",
                   encoding="utf-8")
    result = db.run("programme", "check", str(bad))
    assert result.exit_code == 1 and "profile_share 指标需要 fields (1), values" in result.stderr
