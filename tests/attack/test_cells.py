"""Spreadsheet cells that once slipped through as data: Excel's TRUE in a name column became the
pupil 'True'; an id written out by Excel as 13900001111.0 was taken as it stood."""

from __future__ import annotations


def test_a_logical_cell_is_no_name_and_a_decimal_no_id(school, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["学籍号", "姓名", "班级"])
    sheet.append(["K7", True, "七(1)班"])
    book.save(tmp_path / "true.xlsx")
    result = school.run("roster", "import", str(tmp_path / "true.xlsx"), "--school", "S001")
    assert (result.exit_code, result.stderr) == (
        2, f"{tmp_path / 'true.xlsx'}:2:姓名: 这一格是 Excel 的逻辑值 TRUE，不是名字：请填写文字\n")
    (tmp_path / "decimal.csv").write_text("学籍号,姓名\n13900001111.0,李四\n", encoding="utf-8")
    result = school.run("roster", "import", str(tmp_path / "decimal.csv"), "--school", "S001")
    assert (result.exit_code, result.stderr) == (
        2, f"{tmp_path / 'decimal.csv'}:2:学籍号: “139****1111.0” 像是被 Excel 写成小数的数字（末尾多了 .0）："
           "编号应是文本，请把这一列设为“文本”后重新填写\n")
    assert school.query("SELECT count(*) FROM child WHERE name IN ('True', '李四')") == [(0,)]


def test_running_out_of_memory_is_said_plainly_and_changes_nothing(school, tmp_path, monkeypatch):
    from guanai.core.store import people

    def exhausted(*_args, **_kwargs):
        raise MemoryError

    before = school.count("child")
    monkeypatch.setattr(people, "diff", exhausted)
    (tmp_path / "r.csv").write_text("学籍号,姓名\nK8,王五\n", encoding="utf-8")
    result = school.run("roster", "import", str(tmp_path / "r.csv"), "--school", "S001")
    assert (result.exit_code, result.stderr) == (
        2, "内存不够，没能做完：这个文件太大（一次导入的行数过多）。未作任何改动。请按学校或年级分成几个文件，分批导入\n")
    assert school.count("child") == before
