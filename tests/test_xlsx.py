"""`--xlsx FILE` beside `--csv`: the same rows and columns, Chinese headers, laid out to print."""

from __future__ import annotations

import csv
import io

import pytest

COMMANDS = [
    ("due", "--staff", "T001", "--as-of", "2025-11-20"),
    ("compliance", "--by", "class,duty", "--as-of", "2025-11-20"),
    ("indicators", "--as-of", "2025-11-20"),
    ("children", "list"),
    ("staff", "list"),
    ("records", "list", "--limit", "300"),
    ("stats", "--by", "grade,category", "--as-of", "2025-11-20"),
    ("assign", "list", "--as-of", "2025-11-20"),
]


def _text(value) -> str:
    from datetime import datetime

    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:2]) for a in COMMANDS])
def test_xlsx_holds_the_csvs_rows_with_chinese_headers(demo, args):
    from openpyxl import load_workbook

    run, folder = demo
    rows = list(csv.reader(io.StringIO(run(*args, "--csv").stdout)))
    target = folder / f"{args[0]}-{args[1]}.xlsx"
    result = run(*args, "--xlsx", str(target))
    assert result.exit_code == 0 and result.stdout == f"已写入 {target}（{len(rows) - 1:,} 行）\n"
    sheet = load_workbook(target).active
    got = [[_text(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    assert len(got) == len(rows) and len(rows) > 1
    assert all(not h.isascii() for h in got[0]), got[0]  # every header in words
    assert [r[0] for r in got[1:]] == [r[0] for r in rows[1:]]  # the same rows in the same order
    assert [len(r) for r in got] == [len(r) for r in rows]
    assert sheet.freeze_panes == "A2" and sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape"


def test_identifiers_and_phones_stay_text(demo):
    from openpyxl import load_workbook

    run, folder = demo
    run("children", "list", "--show-contacts", "--xlsx", str(folder / "kids.xlsx"))
    sheet = load_workbook(folder / "kids.xlsx").active
    header = [c.value for c in sheet[1]]
    first = next(sheet.iter_rows(min_row=2, max_row=2))
    for name in ("学籍号", "监护人电话"):
        cell = first[header.index(name)]
        assert isinstance(cell.value, str) and cell.number_format == "@", name


def test_every_sheet_prints_with_page_numbers_borders_and_says_when_it_is_empty(tmp_path):
    """issue 28 item 4: 第 &P 页 共 &N 页 in every footer, thin borders, 本期无记录 on an empty sheet."""
    from guanai.core.spreadsheet import Sheet, write
    from openpyxl import load_workbook

    target = tmp_path / "b.xlsx"
    write(target, [Sheet("谈心记录", ["时间", "对象"], [["2025-10-22 16:00", "K1"]], title="谈心记录"),
                   Sheet("家访记录", ["时间", "对象", "记录人"], [], title="家访记录")])
    book = load_workbook(target)
    for ws in book.worksheets:
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
        assert ws.page_setup.orientation == "landscape" and ws.print_title_rows
    talks, visits = book["谈心记录"], book["家访记录"]
    header = next(r for r in talks.iter_rows() if r[0].value == "时间")
    assert header[0].border.left.style == "thin"
    assert talks.cell(row=header[0].row + 1, column=2).border.bottom.style == "thin"
    empty = next(r for r in visits.iter_rows() if r[0].value == "时间")[0].row + 1
    assert visits.cell(row=empty, column=1).value == "本期无记录"
