"""One gate for text, the same on SQLite and PostgreSQL, before any SQL: control characters and bidi
overrides are refused at their cell, invisible edges (BOM, zero-width) are stripped, lengths are
bounded by the columns that store them, and full-width ids are the ids they look like (NFKC)."""

from __future__ import annotations

import pytest

LIU = "G510722201203150022"
ROSTER = "学籍号,姓名,班级,入学\n"
STAFF = "工号,姓名,职务\n"


def _write(tmp_path, name, text):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize(("cell", "message"), [
    ("王\x00芳", "第 2 个字符是看不见的控制字符（U+0000），请删去后重新填写"),
    ("王\x1b[31m芳", "第 2 个字符是看不见的控制字符（U+001B），请删去后重新填写"),
    ("王\u202e芳", "第 2 个字符是看不见的控制字符（U+202E），请删去后重新填写"),
    ("王" * 100_000, "太长：100000 个字符，最多 100 个"),
])
def test_a_name_with_a_control_character_or_over_long_is_refused_at_its_cell(school, tmp_path, cell, message):
    f = _write(tmp_path, "roster.csv", f"{ROSTER}G1,{cell},七(1)班,2024-09-01\n")
    before = school.count("child")
    result = school.run("roster", "import", str(f), "--school", "S001")
    assert (result.exit_code, result.stderr) == (2, f"{f}:2:姓名: {message}\n")
    assert school.count("child") == before


def test_invisible_edges_are_stripped_and_full_width_ids_are_the_same_child(school, tmp_path):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in LIU)  # Ｇ５１０… typed with a Chinese input method
    f = _write(tmp_path, "roster.csv", f"{ROSTER}\ufeff{full_width}\u200b,刘小明\u200b,七(1)班,2024-09-01\n")
    out = school.ok("roster", "import", str(f), "--school", "S001")
    assert out.endswith("导入 1 条学生：新增 0，更新 0，未变 1。\n")  # the stored child, unchanged: not a new one
    assert school.query("SELECT name FROM child WHERE id = :id", id=LIU) == [("刘小明",)]
    staff = _write(tmp_path, "staff.csv", f"{STAFF}\ufeffT010,赵丽\u2060,语文教师\n")
    school.ok("staff", "import", str(staff), "--school", "S001")
    assert school.query("SELECT id, name FROM staff WHERE name = '赵丽'") == [("T010", "赵丽")]
    # and T010 is matchable: a record by her is stored
    school.ok("record", "talk", "--child", LIU, "--by", "T010", "--at", "2025-10-22 16:00")
    assert school.query("SELECT by_staff FROM record") == [("T010",)]


def test_an_org_code_longer_than_its_column_is_refused_before_any_sql(db, tmp_path):
    f = _write(tmp_path, "org.csv", f"代码,名称,类型,上级\n{'C' * 40},示例县,县,\n")
    result = db.run("org", "import", str(f))
    assert (result.exit_code, result.stderr) == (2, f"{f}:2:代码: 太长：40 个字符，最多 32 个\n")
    assert db.count("org_unit") == 0


def test_profile_cells_pass_the_same_gate(school, tmp_path):
    f = _write(tmp_path, "roster.csv", f"{ROSTER.strip()},爱好\nG2,张三,七(1)班,2024-09-01,打\x07球\n")
    result = school.run("roster", "import", str(f), "--school", "S001")
    assert (result.exit_code, result.stderr) == (2, f"{f}:2:爱好: 第 2 个字符是看不见的控制字符（U+0007），请删去后重新填写\n")


@pytest.mark.parametrize(("args", "message"), [
    (("--id", ""), "--id: 不能为空"),
    (("--id", "K" * 129), "--id: 太长：129 个字符，最多 128 个"),
    (("--id", "1E5"), "--id: “1E5” 是被 Excel 转成科学计数法的数字，编号已丢失位数：请把这一列设为“文本”后重新填写"),
    (("--set", "minutes=3", "--set", "minutes=4"), "--set minutes: 字段 “minutes” 给了两次，只能给一次"),
    (("--set", "topic=a\u202eb"), "--set topic: 第 2 个字符是看不见的控制字符（U+202E），请删去后重新填写"),
])
def test_record_options_pass_the_same_gate_as_import_cells(school, args, message):
    result = school.run("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-22 16:00", *args)
    assert (result.exit_code, result.stderr) == (2, message + "\n")
    assert school.count("record") == 0


def test_a_padded_key_is_the_key_as_in_import(school):
    school.ok("record", "talk", "--child", f" {LIU}", "--by", "T001", "--at", "2025-10-22 16:00", "--id", "K1 ")
    school.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-22 16:00", "--id", "K1")
    assert school.query("SELECT key, subject FROM record") == [("K1", LIU)]


def test_records_after_a_child_left_or_by_staff_who_left_are_refused_on_both_paths(school, tmp_path):
    school.execute("UPDATE child SET left_on = '2025-10-10' WHERE id = :id", id=LIU)
    school.execute("UPDATE staff SET left_on = '2025-10-15' WHERE id = 'T002'")
    result = school.run("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-10 08:00")
    assert (result.exit_code, result.stderr) == (2, f"--at: 时间 2025-10-10 08:00 时 {LIU} 已离校（离校日期 2025-10-10）\n")
    chen = "G510722201205010031"
    result = school.run("record", "talk", "--child", chen, "--by", "T002", "--at", "2025-10-15 08:00")
    assert (result.exit_code, result.stderr) == (2, "--by: 时间 2025-10-15 08:00 时教职工 T002 已离职（离职日期 2025-10-15）\n")
    f = tmp_path / "r.csv"
    f.write_text("类型,学籍号,工号,时间\n"
                 f"talk,{LIU},T001,2025-10-09 16:00\n"  # the day before: fine
                 f"talk,{LIU},T001,2025-10-11 16:00\n"
                 f"talk,{chen},T002,2025-10-14 16:00\n"
                 f"talk,{chen},T002,2025-11-01 16:00\n", encoding="utf-8")
    result = school.run("record", "import", str(f))
    assert result.stderr.splitlines() == [f"{f}:3:时间: 时间 2025-10-11 16:00 时 {LIU} 已离校（离校日期 2025-10-10）",
                                          f"{f}:5:工号: 时间 2025-11-01 16:00 时教职工 T002 已离职（离职日期 2025-10-15）",
                                          "发现 2 处错误。"]
    assert school.count("record") == 0
