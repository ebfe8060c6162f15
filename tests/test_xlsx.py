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
