"""Pairings: import, automatic pairing by the programme's rules, and `assign check`."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from tests.conftest import FACTS, PROGRAMMES

CLASSES = ["七(1)班", "七(2)班", "八(1)班", "八(2)班"]


@pytest.fixture
def big_school(db, tmp_path):
    """40 left-behind children in 4 classes, 10 staff: 3 party members, 2 head teachers."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PROGRAMMES / "xibei.yaml"))
    staff = ["工号,姓名,班主任班级,党员"]
    for i in range(10):
        head = CLASSES[i] if i < 2 else ""
        staff.append(f"T{i:03d},教师{i},{head},{'是' if i in (2, 5, 9) else '否'}")
    (tmp_path / "staff.csv").write_text("\n".join(staff), encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "staff.csv"), "--school", "S001")
    kids = ["学籍号,姓名,班级,留守类型,外出开始,入学"]
    for i in range(44):
        category = "留守" if i < 40 else "非留守"
        kids.append(f"G{i:04d},学生{i},{CLASSES[i % 4]},{category},2020-01,2024-09-01")
    (tmp_path / "kids.csv").write_text("\n".join(kids), encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "kids.csv"), "--school", "S001")
    return db


def test_auto_pairs_every_child_balanced_with_head_teachers_and_party_members(big_school):
    out = big_school.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent")
    assert out == "已为 S001 新建 40 个结对（代理家长），分给 10 位帮扶人。\n"
    pairs = big_school.rows("pairing", "child", "staff", "start", role="proxy_parent")
    assert len(pairs) == 40 and len({p[0] for p in pairs}) == 40  # every target child once, none other
    assert all(p[2] == date.today() for p in pairs)
    load = Counter(p[1] for p in pairs)
    assert sorted(load.values()) == [4] * 10  # 40 children / 10 staff
    klass = dict(big_school.rows("child", "id", "class_name"))
    assert {klass[c] for c, s, _ in pairs if s == "T000"} == {"七(1)班"}  # head teacher's own class
    assert {klass[c] for c, s, _ in pairs if s == "T001"} == {"七(2)班"}
    again = big_school.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent")
    assert again == "已为 S001 新建 0 个结对（代理家长），分给 0 位帮扶人。\n"


def test_auto_gives_party_members_their_minimum_first(db, tmp_path):
    """3 children, 2 staff: the party member must get 2 (西北: party_member_min 2)."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PROGRAMMES / "xibei.yaml"))
    (tmp_path / "s.csv").write_text("工号,姓名,党员\nA1,甲,否\nB2,乙,是\n", encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "s.csv"), "--school", "S001")
    (tmp_path / "k.csv").write_text("学籍号,姓名,留守类型\nK1,一,留守\nK2,二,留守\nK3,三,孤儿\n", encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "k.csv"), "--school", "S001")
    db.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent")
    assert Counter(s for _, s in db.rows("pairing", "child", "staff")) == {"B2": 2, "A1": 1}


def test_check_lists_violations_and_exits_1_then_0(big_school, tmp_path):
    result = big_school.run("assign", "check", "--org", "S001", "--json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert Counter((v["role"], v["kind"]) for v in found) == {
        ("proxy_parent", "child_too_few"): 40, ("proxy_parent", "staff_below_min"): 7,
        ("proxy_parent", "party_below_min"): 3, ("buddy", "child_too_few"): 40}
    big_school.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent")
    buddies = ["学籍号,学习帮手"] + [f"G{i:04d},G{40 + i % 4:04d}" for i in range(40)]
    (tmp_path / "b.csv").write_text("\n".join(buddies), encoding="utf-8")
    out = big_school.ok("assign", "import", str(tmp_path / "b.csv"), "--role", "buddy")
    assert out == f"S001：没有填“开始”的行自 {date.today().isoformat()} 起。\n导入 40 条结对：新增 40，更新 0，未变 0。\n"
    result = big_school.run("assign", "check", "--org", "S001")
    assert (result.exit_code, result.stdout) == (0, "1 所学校的结对都符合方案要求。\n")


def test_check_text_names_child_class_and_counts(school):
    result = school.run("assign", "check", "--org", "S001")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "S001 · 刘小明（G510722201203150022）七(1)班：代理家长 0 位，应为 1 位"
    assert "S001 · 王芳（T001，党员）：结对 0 名孩子（代理家长），党员至少应 2 名" in lines
    assert lines[-1] == "发现 13 处不符合结对要求：孩子结对不足 8、党员结对不足 3、教师结对不足 2。"  # 4 children and 4 buddies, 5 staff
    limited = school.run("assign", "check", "--org", "S001", "--limit", "3").stdout.splitlines()
    assert len(limited) == 5 and limited[:3] == lines[:3]
    assert limited[3] == "……另有 10 处未列出（用 --limit 多列，或 --csv 看全部）"


def test_assign_import_rules(school, tmp_path):
    school.ok("staff", "import", str(FACTS / "staff_s002.csv"), "--school", "S002")
    f = tmp_path / "pairs.csv"
    f.write_text("学籍号,工号,开始,结束\n"
                 "G510722201203150022,T001,2025-09-01,\n"
                 "G510722201205010031,P001,2025-09-01,\n"
                 "G510722201107300047,T002,2025-09-10,2025-09-01\n"
                 "G000,T002,2025-09-01,\n"
                 "G510722201203150022,T001,2025-09-01,\n", encoding="utf-8")
    result = school.run("assign", "import", str(f), "--role", "proxy_parent")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{f}:3:工号: P001 属于 S002，学生 G510722201205010031 属于 S001：不能跨校结对",
        f"{f}:4:结束: 结束日期 2025-09-01 早于开始日期 2025-09-10",
        f"{f}:5:学籍号: 没有学籍号为 “G000” 的学生",
        f"{f}:6:学籍号: 与第 2 行是同一结对",
        "发现 4 处错误。",
    ]
    assert school.count("pairing") == 0
    f.write_text("学籍号,工号,开始\nG510722201203150022,T001,2025-09-01\n", encoding="utf-8")
    assert school.ok("assign", "import", str(f), "--role", "proxy_parent").endswith("新增 1，更新 0，未变 0。\n")
    assert school.ok("assign", "import", str(f), "--role", "proxy_parent").endswith("新增 0，更新 0，未变 1。\n")
    f.write_text("学籍号,工号,开始,结束\nG510722201203150022,T001,2025-09-01,2025-12-31\n", encoding="utf-8")
    assert school.ok("assign", "import", str(f), "--role", "proxy_parent").endswith("新增 0，更新 1，未变 0。\n")
    assert school.rows("pairing", "child", "staff", "start", "end") == [
        ("G510722201203150022", "T001", date(2025, 9, 1), date(2025, 12, 31))]


def test_head_teacher_is_not_a_pairing_role(school, tmp_path):
    result = school.run("assign", "auto", "--school", "S001", "--role", "head_teacher")
    assert (result.exit_code, result.stderr) == (2, "head_teacher 由教职工名单的“班主任班级”决定，不需要结对\n")


def test_assign_auto_from_the_school_years_first_day(school):
    """Pairings made in November for the year start on --from: September's duties then have a
    responsible teacher, and appear on that teacher's list."""
    school.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    starts = {s for (s,) in school.rows("pairing", "start", role="proxy_parent")}
    assert starts == {date(2025, 9, 1)}
    rows = json.loads(school.ok("due", "--org", "S001", "--as-of", "2025-09-20", "--json"))
    talks = [r for r in rows if r["duty"] == "weekly-talk"]
    assert talks and all(r["responsible"] for r in talks)
    bad = school.run("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-02-30")
    assert bad.exit_code == 2 and "--from" in bad.stderr


WEEKLY = """id: weekly
title: 每周谈心
calendar:
  terms:
    - {id: 2025-autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
  public_holidays: none
assignments:
  - {role: proxy_parent, per_child: 1}
duties:
  - {id: weekly-talk, name: 每周谈心, scope: child, by: proxy_parent, step: talk, every: week}
  - {id: open-home, name: 之家开放, scope: school, step: home_open, every: week}
"""


def test_check_names_duties_left_without_a_responsible_in_the_period(db, tmp_path):
    """Pairings that start 09-15 leave the term's first two weeks (09-01…07, 09-08…14) of the
    weekly talk without a responsible: 3 children × 2 weeks = 6 obligations on nobody's list,
    though every child is paired today. A duty without `by` is never 'unassigned'."""
    _weekly_school(db, tmp_path, [(f"K{i}", "2025-09-01") for i in range(3)])
    db.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-15")
    result = db.run("assign", "check", "--org", "S001", "--as-of", "2025-09-30")
    assert (result.exit_code, result.stdout.splitlines()) == (1, [
        "S001 · 职责“每周谈心”（weekly-talk）：2025-09-01 至 2025-09-30 有 6 项任务没有负责人（代理家长未指定），"
        "不在任何教师的待办里",
        "发现 1 处不符合结对要求：职责无人负责 1。"])
    later = db.run("assign", "check", "--org", "S001", "--as-of", "2025-09-30", "--from", "2025-09-15")
    assert (later.exit_code, later.stdout) == (0, "1 所学校的结对都符合方案要求。\n")
    found = json.loads(db.run("assign", "check", "--org", "S001", "--as-of", "2025-09-30", "--json").stdout)
    assert found == [{"school": "S001", "role": "proxy_parent", "kind": "duty_unassigned", "subject": "weekly-talk",
                      "name": "每周谈心", "have": 6, "need": 0, "class_name": None,
                      "period": "2025-09-01 至 2025-09-30", "partner": None, "left_on": None}]


def test_a_pairing_ends_when_its_teacher_leaves_and_check_names_one_left_open(db, tmp_path):
    """issue 26 item 5: a proxy parent who leaves (离职 10-20) ends their pairings the day before
    (audited); `assign check` then counts the child as unpaired — as `stats` does — and names a
    pairing still open with someone who left (a database from before this rule)."""
    _weekly_school(db, tmp_path, [("K0", "2025-09-01")])
    db.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    assert db.run("assign", "check", "--org", "S001", "--as-of", "2025-10-15").exit_code == 0
    (tmp_path / "s2.csv").write_text("工号,姓名,离职\nA1,甲,2025-10-20\n", encoding="utf-8")
    asked = db.run("staff", "import", str(tmp_path / "s2.csv"), "--school", "S001")
    assert asked.exit_code == 2 and asked.stderr.startswith("这次导入自 2025-10-20 起生效")  # a 离职 day gone by
    db.ok("staff", "import", str(tmp_path / "s2.csv"), "--school", "S001", "--yes")
    assert db.rows("pairing", "child", "staff", "start", "end") == [("K0", "A1", date(2025, 9, 1), date(2025, 10, 19))]
    assert db.query("SELECT count(*) FROM audit_log WHERE table_name = 'pairing' AND action = 'update'") == [(1,)]
    result = db.run("assign", "check", "--org", "S001", "--as-of", "2025-10-21", "--from", "2025-10-21")
    assert (result.exit_code, result.stdout.splitlines()) == (1, [
        "S001 · 学生0（K0）：代理家长 0 位，应为 1 位",
        "发现 1 处不符合结对要求：孩子结对不足 1。"])
    stats = json.loads(db.ok("stats", "--org", "S001", "--as-of", "2025-10-21", "--json"))
    assert stats["totals"]["unpaired"] == 1
    db.execute("UPDATE pairing SET \"end\" = NULL")  # as a database from before the rule holds it
    again = db.run("assign", "check", "--org", "S001", "--as-of", "2025-10-21", "--from", "2025-10-21")
    assert again.stdout.splitlines()[0] == ("S001 · 学生0（K0）：代理家长 甲（A1） 已于 2025-10-20 离职，结对仍未结束"
                                            "——这个孩子没有人负责，请另行结对（guanai assign auto）")


def test_a_pairing_ends_when_its_child_is_no_longer_cared_for(db, tmp_path):
    """issue 26 item 5: parents come home (留守 → 非留守, effective 10-20): the child's pairing ends
    10-19 — the programme no longer asks anyone to care for the child."""
    _weekly_school(db, tmp_path, [("K0", "2025-09-01"), ("K1", "2025-09-01")])
    db.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    (tmp_path / "k2.csv").write_text("学籍号,姓名,留守类型\nK0,学生0,非留守\nK1,学生1,留守\n", encoding="utf-8")
    # 10-20 is long past: figures closed since would change — shown, asked, nothing written
    preview = db.ok("roster", "import", str(tmp_path / "k2.csv"), "--school", "S001", "--effective", "2025-10-20",
                    "--dry-run")
    assert preview.splitlines()[:2] == ["将自 2025-10-20 起：类别变更 1 人（未写入）。",
                                        "生效日 2025-10-20 早于今天：正式导入时要加 --yes 确认改写其间已截止的统计。"]
    asked = db.run("roster", "import", str(tmp_path / "k2.csv"), "--school", "S001", "--effective", "2025-10-20")
    assert (asked.exit_code, asked.stderr) == (2, (
        f"这次导入自 2025-10-20 起生效，早于今天（{date.today().isoformat()}）：1 项班级、类别或离校变更会改变 2025-10-20 "
        "至今已截止周期的统计（2025-10-20 以前的不变）；确要改写请加 --yes，或把 --effective 设为今天\n"))
    assert db.rows("pairing", "child", "end") == [("K0", None), ("K1", None)]
    done = db.ok("roster", "import", str(tmp_path / "k2.csv"), "--school", "S001", "--effective", "2025-10-20",
                 "--yes")
    assert done.splitlines()[0] == "自 2025-10-20 起：类别变更 1 人。"
    assert db.rows("pairing", "child", "end") == [("K0", date(2025, 10, 19)), ("K1", None)]


def test_a_pairing_without_a_start_begins_on_the_effective_day_or_the_enrolment(db, tmp_path):
    """issue 26 item 3: `assign import --effective` — a row without 开始 starts on that day (never
    on a school year already under way), or on the child's enrolment when later; in a vacation the
    default is the next term's first day."""
    from guanai.core.store.db import Store
    from guanai.core.store.pairings import import_pairings

    _weekly_school(db, tmp_path, [("K0", "2025-09-01"), ("K1", "2025-11-03")])
    pairs = tmp_path / "p.csv"
    pairs.write_text("学籍号,工号\nK0,A1\nK1,A1\n", encoding="utf-8")
    db.ok("assign", "import", str(pairs), "--role", "proxy_parent", "--effective", "2025-10-20")
    assert db.rows("pairing", "child", "start") == [("K0", date(2025, 10, 20)), ("K1", date(2025, 11, 3))]
    store = Store(db.url).ready()
    try:  # 2025-08-25, before the programme's first term: the pairings are the new term's
        changes = import_pairings(store, str(pairs), "proxy_parent", dry_run=True, today=date(2025, 8, 25))
    finally:
        store.engine.dispose()
    # a start is part of a pairing's identity: these would be new pairings, from the term's first day
    assert sorted((row["child"], row["start"]) for row in changes.new) == [("K0", date(2025, 9, 1))]
    assert changes.same == 1  # K1's starts with its enrolment either way


def _weekly_school(db, tmp_path, kids: list[tuple[str, str]]) -> None:
    """S001 under the weekly programme, with one teacher (A1 甲) and these left-behind children
    (学籍号, 入学), named 学生0, 学生1 … by their number."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "weekly.yaml").write_text(WEEKLY, encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "weekly.yaml"))
    (tmp_path / "s.csv").write_text("工号,姓名\nA1,甲\n", encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "s.csv"), "--school", "S001")
    (tmp_path / "k.csv").write_text("学籍号,姓名,留守类型,外出开始,入学\n" + "".join(
        f"{kid},学生{kid[1:]},留守,2020-01,{enrolled}\n" for kid, enrolled in kids), encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "k.csv"), "--school", "S001")


def test_an_import_says_from_when_and_warns_of_a_second_proxy_parent(db, tmp_path):
    """From a stranger's run: assign import gave a child a second proxy parent without a word, and
    did not say from which day rows without 开始 count."""
    _weekly_school(db, tmp_path, [("K0", "2025-09-01")])
    (tmp_path / "s2.csv").write_text("工号,姓名\nA1,甲\nA2,乙\n", encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "s2.csv"), "--school", "S001", "--effective", "2025-09-01", "--yes")
    (tmp_path / "p1.csv").write_text("学籍号,工号,开始\nK0,A1,2025-09-01\n", encoding="utf-8")
    first = db.run("assign", "import", str(tmp_path / "p1.csv"), "--role", "proxy_parent")
    assert (first.exit_code, first.stderr) == (0, "")
    (tmp_path / "p2.csv").write_text("学籍号,工号\nK0,A2\n", encoding="utf-8")
    second = db.run("assign", "import", str(tmp_path / "p2.csv"), "--role", "proxy_parent", "--effective", "2025-10-08")
    assert second.exit_code == 0
    assert second.stdout.splitlines()[0] == "S001：没有填“开始”的行自 2025-10-08 起。"
    assert second.stderr == ("学生0（K0）：加上 A2 共有 2 位代理家长，方案要求 1 位；已有 甲（A1，2025-09-01 起）。"
                             "如是换人，请在文件里给原来的结对填“结束”日期。\n")


def test_a_role_is_said_in_the_programmes_own_words(db, tmp_path):
    """issue 27 item 1 (in part): a school's 爱心辅导员 (role love_tutor, `name: 爱心辅导员`) appears by
    its name in `assign auto`, `assign check` and `stats` — never as love_tutor."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "tutor.yaml").write_text(WEEKLY.replace(
        "{role: proxy_parent, per_child: 1}", "{role: love_tutor, name: 爱心辅导员, per_child: 2}").replace(
        "by: proxy_parent", "by: love_tutor"), encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "tutor.yaml"))
    (tmp_path / "s.csv").write_text("工号,姓名\nA1,甲\n", encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "s.csv"), "--school", "S001", "--effective", "2025-09-01", "--yes")
    (tmp_path / "k.csv").write_text("学籍号,姓名,留守类型,外出开始,入学\nK0,学生0,留守,2020-01,2025-09-01\n",
                                    encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "k.csv"), "--school", "S001", "--effective", "2025-09-01", "--yes")
    made = db.ok("assign", "auto", "--school", "S001", "--role", "love_tutor", "--from", "2025-09-01")
    assert "爱心辅导员" in made and "love_tutor" not in made
    check = db.run("assign", "check", "--org", "S001", "--as-of", "2025-09-30")
    assert "学生0（K0）：爱心辅导员 1 位，应为 2 位" in check.stdout and "love_tutor" not in check.stdout
    stats = db.ok("stats", "--org", "S001", "--as-of", "2025-09-30")
    assert "爱心辅导员 1" in stats and "love_tutor" not in stats
    # who lacks a partner is counted for the roles the rules ask for: never "没有代理家长" here
    assert "没有爱心辅导员的关爱对象 0 人" in stats and "代理家长" not in stats


def test_per_staff_max_is_respected_by_auto_and_checked(db, tmp_path):
    """issue 27 item 1: "每位教师结对一至两名" — per_staff_max: 2. One teacher, five children: auto
    gives the teacher two and leaves three for check to name; a file giving three is named too."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "max.yaml").write_text(WEEKLY.replace(
        "{role: proxy_parent, per_child: 1}", "{role: proxy_parent, per_child: 1, per_staff_min: 1, per_staff_max: 2}"),
        encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "max.yaml"))
    (tmp_path / "s.csv").write_text("工号,姓名\nA1,甲\n", encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "s.csv"), "--school", "S001", "--effective", "2025-09-01", "--yes")
    (tmp_path / "k.csv").write_text("学籍号,姓名,留守类型,外出开始,入学\n" + "".join(
        f"K{i},学生{i},留守,2020-01,2025-09-01\n" for i in range(5)), encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "k.csv"), "--school", "S001", "--effective", "2025-09-01", "--yes")
    db.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    assert len(db.rows("pairing", "child")) == 2
    check = db.run("assign", "check", "--org", "S001", "--as-of", "2025-09-02")
    assert check.exit_code == 1 and sum("代理家长 0 位，应为 1 位" in line for line in check.stdout.splitlines()) == 3
    (tmp_path / "p.csv").write_text("学籍号,工号,开始\nK2,A1,2025-09-01\n", encoding="utf-8")
    db.ok("assign", "import", str(tmp_path / "p.csv"), "--role", "proxy_parent")
    over = db.run("assign", "check", "--org", "S001", "--as-of", "2025-09-02").stdout
    assert "S001 · 甲（A1）：结对 3 名孩子（代理家长），至多应 2 名" in over
