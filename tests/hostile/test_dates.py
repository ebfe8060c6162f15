"""Implausible dates are refused at their cell: a birth in 1900, the number 3 that Excel shows as a
date, a pupil 40 years older than the school year, a pairing from 2999 or years ahead."""

from __future__ import annotations

from datetime import date, timedelta

from openpyxl import Workbook

LIU = "G510722201203150022"


def test_dates_outside_any_plausible_year_are_refused_at_their_cell(school, tmp_path):
    f = tmp_path / "roster.csv"
    f.write_text("学籍号,姓名,出生日期,入学\n"
                 "G1,张三,1900-01-01,2024-09-01\n"
                 "G2,李四,1990-05-01,2024-09-01\n"
                 "G3,王五,2012-05-01,2999-09-01\n", encoding="utf-8")
    result = school.run("roster", "import", str(f), "--school", "S001")
    assert result.stderr.splitlines() == [
        f"{f}:2:出生日期: 日期 1900-01-01 不在 1950—2099 年之间：年份是否写错了？",
        f"{f}:3:出生日期: 出生日期 1990-05-01 距入学（2024-09-01）超过 25 年：出生日期是否写错了？",
        f"{f}:4:入学: 日期 2999-09-01 不在 1950—2099 年之间：年份是否写错了？",
        "发现 3 处错误。"]
    assert school.count("child") == 5


def test_a_small_number_in_a_date_cell_is_not_a_date_of_1900(school, tmp_path):
    path = tmp_path / "roster.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["学籍号", "姓名", "出生日期"])
    ws.append(["G1", "张三", 3])  # typed 3, shown by Excel as 1900-01-03
    ws["C2"].number_format = "yyyy-mm-dd"
    ws.append(["G2", "李四", 41000])  # a real serial: 2012-04-01
    wb.save(path)
    result = school.run("roster", "import", str(path), "--school", "S001")
    assert result.stderr.splitlines() == [
        f"{path}:2:出生日期: 数字 3 被当成日期读成了 1900-01-03：这一格应填日期，例如 2015-03-02"]


def test_pairings_from_2999_or_years_ahead_are_refused(school, tmp_path):
    ahead = date.today() + timedelta(days=400)
    f = tmp_path / "pairs.csv"
    f.write_text(f"学籍号,工号,开始\n{LIU},T001,2999-09-01\nG510722201205010031,T001,{ahead}\n", encoding="utf-8")
    result = school.run("assign", "import", str(f), "--role", "proxy_parent")
    assert result.stderr.splitlines() == [
        f"{f}:2:开始: 日期 2999-09-01 不在 1950—2099 年之间：年份是否写错了？",
        f"{f}:3:开始: 结对开始日期 {ahead} 在一年以后：是否写错了？",
        "发现 2 处错误。"]
    assert school.count("pairing") == 0
