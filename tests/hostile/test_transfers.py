"""A transfer (转学) must not rewrite history. A roster row at S002 for a child still at S001 is
refused unless it says it is a transfer; a transfer keeps the child's days at S001 (its obligations,
records and pairings) and opens the days at S002 from the transfer date."""

from __future__ import annotations

import json
from datetime import date

from tests.conftest import FACTS

LIU = "G510722201203150022"  # 刘小明, 七(1)班 at S001, paired with T001 by assign auto


def _move(tmp_path, extra_header="", extra_cell=""):
    f = tmp_path / "transfer.csv"
    f.write_text(f"学籍号,姓名,班级,留守类型,外出开始,入学{extra_header}\n"
                 f"{LIU},刘小明,三年级1班,父母均外出,2019-03,2025-10-15{extra_cell}\n", encoding="utf-8")
    return f


def _s001(school, as_of):
    return json.loads(school.ok("compliance", "--org", "S001", "--by", "duty", "--as-of", as_of, "--json"))["rows"]


def _with_history(school, tmp_path):
    """S002's staff; 刘小明 paired with T001 from 2025-09-01; three talks recorded at S001."""
    school.ok("staff", "import", str(FACTS / "staff_s002.csv"), "--school", "S002")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"学籍号,工号,开始\n{LIU},T001,2025-09-01\n", encoding="utf-8")
    school.ok("assign", "import", str(pairs), "--role", "proxy_parent")
    for day in ("2025-09-16", "2025-09-23", "2025-10-09"):
        school.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", f"{day} 16:00")


def test_a_child_of_another_school_is_refused_without_transfer_and_nothing_moves(school, tmp_path):
    before = _s001(school, "2025-10-22")
    f = _move(tmp_path)
    result = school.run("roster", "import", str(f), "--school", "S002")
    assert (result.exit_code, result.stderr) == (2, (
        f"{f}:2:学籍号: 学籍号 {LIU} 在 S001 就读，尚未离校：如是转学（转入本校），请加 --transfer 或在“转入”列填“是”；"
        "否则请检查学籍号\n"))
    assert school.query("SELECT school FROM child WHERE id = :id", id=LIU) == [("S001",)]
    assert _s001(school, "2025-10-22") == before


def test_a_transfer_keeps_the_old_schools_days_records_and_pairings(school, tmp_path):
    _with_history(school, tmp_path)
    before_transfer = _s001(school, "2025-10-14")
    school.ok("roster", "import", str(_move(tmp_path)), "--school", "S002", "--transfer")
    assert school.query("SELECT school, class_name FROM child WHERE id = :id", id=LIU) == [("S002", "三年级1班")]
    # S001's figures for the days the child was there are what they were
    assert _s001(school, "2025-10-14") == before_transfer
    # its records stay S001's; its pairing with S001's teacher ends the day before the transfer
    assert school.query("SELECT DISTINCT school FROM record WHERE subject = :id", id=LIU) == [("S001",)]
    assert school.rows("pairing", "staff", "start", "end", child=LIU) == [("T001", date(2025, 9, 1), date(2025, 10, 14))]
    # S001 still explains the child's September weeks, met by the records made there
    rows = json.loads(school.ok("explain", "--duty", "weekly-talk", "--child", LIU, "--as-of", "2025-10-22", "--json"))
    windows = {r["start"]: r for r in rows}
    assert windows["2025-09-15"]["status"] == "met" and windows["2025-09-15"]["records"] == ["2025-09-16T16:00"]
    assert "2025-10-13" not in windows  # the week of the transfer: at neither school on both its first and last day
    assert windows["2025-10-20"]["status"] == "due"  # S002's first week


def test_a_late_entry_for_a_day_at_the_old_school_goes_to_the_old_school(school, tmp_path):
    _with_history(school, tmp_path)
    school.ok("roster", "import", str(_move(tmp_path)), "--school", "S002", "--transfer")
    school.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-02 16:00", "--id", "LATE")
    assert school.query("SELECT school FROM record WHERE key = 'LATE'") == [("S001",)]
    result = school.run("record", "talk", "--child", LIU, "--by", "P001", "--at", "2025-10-03 16:00")
    assert result.exit_code == 2 and "--by:" in result.stderr  # S002's teacher, for a day at S001
    school.ok("record", "talk", "--child", LIU, "--by", "P001", "--at", "2025-10-20 16:00", "--id", "NEW")
    assert school.query("SELECT school FROM record WHERE key = 'NEW'") == [("S002",)]
    result = school.run("record", "talk", "--child", LIU, "--by", "T001", "--at", "2024-08-01 16:00")
    assert (result.exit_code, result.stderr) == (2, "--at: 时间 2024-08-01 16:00 早于该生入学日期 2024-09-01\n")


def test_a_transfer_column_says_it_row_by_row(school, tmp_path):
    school.ok("roster", "import", str(_move(tmp_path, ",转入", ",是")), "--school", "S002")
    assert school.rows("past_enrolment", "school", "start", "end", child=LIU) == [
        ("S001", date(2024, 9, 1), date(2025, 10, 15))]


def test_a_transfer_date_not_after_the_old_enrolment_is_refused(school, tmp_path):
    f = tmp_path / "early.csv"
    f.write_text(f"学籍号,姓名,入学\n{LIU},刘小明,2024-08-01\n", encoding="utf-8")
    result = school.run("roster", "import", str(f), "--school", "S002", "--transfer")
    assert (result.exit_code, result.stderr) == (
        2, f"{f}:2:入学: 转入日期 2024-08-01 不晚于该生在 S001 的入学日期 2024-09-01：请在“入学”列填转入本校的日期\n")


def test_staff_of_another_school_are_refused_without_transfer(school, tmp_path):
    f = tmp_path / "staff.csv"
    f.write_text("工号,姓名,职务\nT001,王芳,语文教师\n", encoding="utf-8")
    result = school.run("staff", "import", str(f), "--school", "S002")
    assert (result.exit_code, result.stderr) == (2, (
        f"{f}:2:工号: 工号 T001 属于 S001，尚未离职：如是调动（调入本校），请加 --transfer 或在“调入”列填“是”；否则请检查工号\n"))
    assert school.query("SELECT school FROM staff WHERE id = 'T001'") == [("S001",)]


HEAD_PROGRAMME = """id: heads
title: 班主任职责
calendar:
  terms:
    - {id: 2025-autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
duties:
  - {id: class-talk, name: 班主任每周谈心, scope: child, by: head_teacher, step: talk, every: week}
  - {id: staff-report, name: 每月工作小结, scope: staff, step: summary_report, every: month}
"""


def test_a_staff_move_keeps_the_old_schools_duties_head_teacher_and_records(db, tmp_path):
    from tests.conftest import FACTS

    programme = tmp_path / "heads.yaml"
    programme.write_text(HEAD_PROGRAMME, encoding="utf-8")
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(programme))
    db.ok("staff", "import", str(FACTS / "staff_s001.csv"), "--school", "S001")
    db.ok("roster", "import", str(FACTS / "roster_s001_gbk.csv"), "--school", "S001")
    db.ok("staff", "import", str(FACTS / "staff_s002.csv"), "--school", "S002")
    for day in ("2025-09-16", "2025-09-23"):
        db.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", f"{day} 16:00")
    db.ok("record", "summary_report", "--staff", "T001", "--by", "T001", "--at", "2025-09-26 16:00")

    def by_staff(org, as_of):
        rows = json.loads(db.ok("compliance", "--org", org, "--by", "staff,duty", "--as-of", as_of, "--json"))["rows"]
        return {(r["key"]["staff"], r["key"]["duty"]): (r["expected"], r["met"]) for r in rows}

    before = by_staff("S001", "2025-10-14")
    assert before[("T001", "class-talk")][0] > 0  # head teacher of 七(1)班 at S001
    f = tmp_path / "move.csv"
    f.write_text("工号,姓名,职务,班主任班级,入职\nT001,王芳,班主任,三年级2班,2025-10-15\n", encoding="utf-8")
    db.ok("staff", "import", str(f), "--school", "S002", "--transfer")
    assert db.rows("staff", "school", "head_of_class", "joined_on", id="T001") == [("S002", "三年级2班", date(2025, 10, 15))]
    assert db.rows("past_staff", "school", "head_of_class", "start", "end", staff="T001") == [
        ("S001", "七(1)班", None, date(2025, 10, 15))]
    assert by_staff("S001", "2025-10-14") == before  # her September and October days at S001 are S001's
    assert not any(key[0] == "T001" for key in by_staff("S002", "2025-10-14"))  # and not S002's
    report = json.loads(db.ok("explain", "--duty", "staff-report", "--staff", "T001", "--as-of", "2025-11-20",
                              "--json"))
    months = sorted((r["start"][:7], r["status"]) for r in report)
    # September at S001 (met), none for October (she was at neither school all month), November at S002
    assert [m for m in months if m[0] <= "2025-11"] == [("2025-09", "met"), ("2025-11", "due")]
    # a late entry for a day at S001 goes to S001; by her for an S001 child after the move: refused
    db.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-09 16:00", "--id", "LATE")
    assert db.query("SELECT school FROM record WHERE key = 'LATE'") == [("S001",)]
    result = db.run("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-20 16:00")
    assert result.exit_code == 2 and result.stderr.startswith("--by: T001 属于 S002")


def test_a_class_change_keeps_the_old_class_and_its_head_teacher_for_the_days_before(school, tmp_path):
    from guanai.core.store.db import Store
    from guanai.core.store.people import import_roster

    def by_class(as_of):
        rows = json.loads(school.ok("compliance", "--org", "S001", "--by", "class", "--as-of", as_of, "--json"))["rows"]
        return {r["key"]["class"]: (r["expected"], r["met"]) for r in rows}

    school.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-09-16 16:00")
    before = by_class("2025-10-31")
    due_before = school.ok("due", "--org", "S001", "--class", "七(1)班", "--as-of", "2025-10-22", "--json")
    f = tmp_path / "regroup.csv"
    f.write_text(f"学籍号,姓名,班级\n{LIU},刘小明,七(2)班\n", encoding="utf-8")
    store = Store(school.url)
    import_roster(store, str(f), "S001", today=date(2025, 11, 1))  # the school says so on 1 November
    store.engine.dispose()
    assert school.rows("fact_history", "field", "value", "valid_from", "valid_to", subject=LIU,
                       superseded_at=None) == [("class_name", "=七(1)班", None, date(2025, 11, 1))]
    assert by_class("2025-10-31") == before  # October's windows stay with 七(1)班
    due_after = school.ok("due", "--org", "S001", "--class", "七(1)班", "--as-of", "2025-10-22", "--json")
    # 七(1)班 keeps what fell due while the child was in it; what falls due after 1 November moved with the child
    assert [r for r in json.loads(due_after) if r["due"] < "2025-11-01"] == [
        r for r in json.loads(due_before) if r["due"] < "2025-11-01"]
    assert {r["due"] for r in json.loads(due_before) if r["subject"] == LIU} - {
        r["due"] for r in json.loads(due_after) if r["subject"] == LIU} == {"2026-01-16"}
    november = json.loads(school.ok("due", "--org", "S001", "--class", "七(2)班", "--as-of", "2025-11-20", "--json"))
    assert any(r["subject"] == LIU and r["due"] >= "2025-11-01" for r in november)
    assert not any(r["subject"] == LIU and r["due"] < "2025-11-01" for r in november)


def test_a_childs_file_lists_its_schools_and_classes_over_time(school, tmp_path):
    """issue 26 item 7: `children show` names where the child was and when — the school it left
    (with its class), and where it is now."""
    school.ok("roster", "import", str(_move(tmp_path)), "--school", "S002", "--transfer")
    shown = json.loads(school.ok("children", "show", LIU, "--as-of", "2025-10-22", "--json"))
    # the last day at each school (the stored end is the first day away)
    assert [(h["school_name"], h["class"], h["start"], h["last"]) for h in shown["history"]] == [
        ("示例镇中学", "七(1)班", "2024-09-01", "2025-10-14"), ("示例镇中心小学", "三年级1班", "2025-10-15", None)]
    text = school.ok("children", "show", LIU, "--as-of", "2025-10-22").splitlines()
    at = text.index(next(line for line in text if line.strip() == "就读经历"))
    assert [" ".join(line.split()) for line in text[at + 3:at + 5]] == [
        "示例镇中学 七(1)班 2024-09-01 2025-10-14", "示例镇中心小学 三年级1班 2025-10-15 —"]
