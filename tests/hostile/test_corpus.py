"""The hostile corpus: every import command × every kind of bad cell users and their spreadsheets
produce. Each is refused at its FILE:ROW:COLUMN with exit 2 and nothing stored, or — an invisible
character at a cell's edge, a formula-looking name — read as the user meant."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from openpyxl import Workbook

LIU = "G510722201203150022"


@dataclass
class Command:
    args: tuple[str, ...]
    table: str  # what it writes
    header: tuple[str, ...]
    row: tuple[str, ...]  # one good row
    id_col: int  # a column holding an id
    text_col: int  # a column holding a name or text
    date_col: int | None  # a column holding a date or time
    time_suffix: str = ""


COMMANDS = {
    "org": Command(("org", "import"), "org_unit", ("代码", "名称", "类型", "上级"), ("X01", "新校", "学校", "T01"),
                   0, 1, None),
    "roster": Command(("roster", "import", "--school", "S001"), "child", ("学籍号", "姓名", "班级", "出生日期", "入学"),
                      ("G9", "张三", "七(1)班", "2012-05-01", "2024-09-01"), 0, 1, 3),
    "staff": Command(("staff", "import", "--school", "S001"), "staff", ("工号", "姓名", "职务", "离职"),
                     ("T09", "赵丽", "语文教师", ""), 0, 1, 3),
    "assign": Command(("assign", "import", "--role", "proxy_parent"), "pairing", ("学籍号", "工号", "开始", "结束"),
                      (LIU, "T002", "2025-09-01", ""), 1, 1, 2),
    "record": Command(("record", "import",), "record", ("类型", "学籍号", "工号", "时间", "编号", "topic"),
                      ("talk", LIU, "T001", "2025-10-08 16:00", "K1", "学习"), 4, 5, 3, " 10:00"),
}


def _count(db, table):
    return db.count(table)


def _write_csv(tmp_path, cmd: Command, col: int, value: str):
    row = list(cmd.row)
    row[col] = value
    f = tmp_path / "hostile.csv"
    cells = ['"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\n') else c for c in row]
    f.write_text(",".join(cmd.header) + "\n" + ",".join(cells) + "\n", encoding="utf-8")
    return f


def _assert_refused(school, cmd: Command, f, column: str, message: str):
    before = _count(school, cmd.table)
    result = school.run(*cmd.args[:2], str(f), *cmd.args[2:])
    assert (result.exit_code, result.stderr) == (2, f"{f}:2:{column}: {message}\n")
    assert _count(school, cmd.table) == before


@pytest.mark.parametrize("name", list(COMMANDS))
def test_nul_and_escape_and_bidi_characters_are_refused_at_their_cell(school, tmp_path, name):
    cmd = COMMANDS[name]
    for bad, code in (("A\x00B", "U+0000"), ("A\x1b[2JB", "U+001B"), ("A\u202eB", "U+202E")):
        f = _write_csv(tmp_path, cmd, cmd.text_col, bad)
        _assert_refused(school, cmd, f, cmd.header[cmd.text_col], f"第 2 个字符是看不见的控制字符（{code}），请删去后重新填写")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_over_long_cells_are_refused_at_their_cell(school, tmp_path, name):
    cmd = COMMANDS[name]
    f = _write_csv(tmp_path, cmd, cmd.id_col, "X" * 5000)
    limit = {"org": 32, "record": 128}.get(name, 64)
    _assert_refused(school, cmd, f, cmd.header[cmd.id_col], f"太长：5000 个字符，最多 {limit} 个")


@pytest.mark.parametrize("name", [n for n in COMMANDS if COMMANDS[n].date_col is not None])
def test_impossible_dates_are_refused_at_their_cell(school, tmp_path, name):
    cmd = COMMANDS[name]
    f = _write_csv(tmp_path, cmd, cmd.date_col, "2025-02-30" + cmd.time_suffix)
    _assert_refused(school, cmd, f, cmd.header[cmd.date_col], "日期 2025-02-30 不存在")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_bom_or_zero_width_space_at_a_cells_edge_is_stripped(school, tmp_path, name):
    cmd = COMMANDS[name]
    value = cmd.row[cmd.id_col]
    f = _write_csv(tmp_path, cmd, cmd.id_col, f"\ufeff{value}\u200b")
    result = school.run(*cmd.args[:2], str(f), *cmd.args[2:])
    assert result.exit_code == 0, result.stderr
    column = {"org": "code", "roster": "id", "staff": "id", "assign": "staff", "record": "key"}[name]
    table = {"assign": "pairing"}.get(name, cmd.table)
    assert school.query(f"SELECT count(*) FROM {table} WHERE {column} = :v", v=value) == [(1,)]


@pytest.mark.parametrize("name", ["org", "roster", "staff"])
def test_a_formula_looking_name_is_stored_as_text(school, tmp_path, name):
    cmd = COMMANDS[name]
    f = _write_csv(tmp_path, cmd, cmd.text_col, "=cmd|' /C calc'!A0")
    result = school.run(*cmd.args[:2], str(f), *cmd.args[2:])
    assert result.exit_code == 0, result.stderr
    assert school.query(f"SELECT count(*) FROM {cmd.table} WHERE name = :v", v="=cmd|' /C calc'!A0") == [(1,)]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_ids_stored_as_numbers_in_a_workbook_are_refused(school, tmp_path, name):
    cmd = COMMANDS[name]
    path = tmp_path / "numbers.xlsx"
    wb = Workbook()
    wb.active.append(list(cmd.header))
    row: list[object] = list(cmd.row)
    row[cmd.id_col] = 5.10722201203150e17
    wb.active.append(row)
    wb.save(path)
    result = school.run(*cmd.args[:2], str(path), *cmd.args[2:])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}:2:{cmd.header[cmd.id_col]}: 以数字格式存储（读出为 5.1072220120315e+17）")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_hidden_first_sheet_is_not_what_is_imported(school, tmp_path, name):
    cmd = COMMANDS[name]
    path = tmp_path / "hidden.xlsx"
    wb = Workbook()
    hidden = wb.active
    hidden.title = "旧表"
    hidden.append(list(cmd.header))
    old = list(cmd.row)
    old[cmd.text_col] = "A\u202eB"  # would be refused, were it read
    hidden.append(old)
    hidden.sheet_state = "hidden"
    visible = wb.create_sheet("新表")
    visible.append(list(cmd.header))
    visible.append(list(cmd.row))
    wb.active = 1
    wb.save(path)
    result = school.run(*cmd.args[:2], str(path), *cmd.args[2:])
    assert (result.exit_code, result.stderr) == (0, f"{path}：读取工作表 “新表”\n")
