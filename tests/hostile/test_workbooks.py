"""Workbooks as they arrive: bombs that unpack to gigabytes, a cell at XFD1048576, a truncated sheet,
hidden and extra sheets. Read streaming and bounded; refused with the file named, quickly, in little
memory, nothing stored."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

ROSTER_HEAD = ["学籍号", "姓名", "班级", "入学"]


def _book(path: Path, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = (), active: str | None = None):
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    if active:
        wb.active = wb.sheetnames.index(active)
    wb.save(path)
    return path


def _replace_sheet_xml(path: Path, write) -> None:
    """Rewrite the first sheet's XML of `path` with what `write(stream)` writes."""
    src = path.with_suffix(".orig.xlsx")
    path.rename(src)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info in zin.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with zout.open(info.filename, "w", force_zip64=True) as out:
                    write(out, zin.read(info.filename))
            else:
                zout.writestr(info, zin.read(info.filename))
    src.unlink()


def _run_measured(db_url: str, tmp_path: Path, *args: str) -> tuple[int, str, float, float]:
    """Run guanai in a child process: (exit code, stderr, seconds, its own peak RSS in MB)."""
    peak_file = tmp_path / "peak"
    # VmHWM: this process's own peak (ru_maxrss carries the forking parent's over exec on Linux)
    code = ("import atexit, re, sys\n"
            "def peak():\n"
            "    status = open('/proc/self/status').read()\n"
            f"    open({str(peak_file)!r}, 'w').write(re.search(r'VmHWM:\\s+(\\d+)', status).group(1))\n"
            "atexit.register(peak)\n"
            "from guanai.core.cli import main\nmain(sys.argv[1:])")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, "--db", db_url, *args],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "GUANAI_LANG": "zh"})
    seconds = time.monotonic() - start
    return proc.returncode, proc.stderr, seconds, int(peak_file.read_text()) / 1024  # kB


def test_a_workbook_that_unpacks_to_gigabytes_is_refused_in_seconds_and_little_memory(school, tmp_path):
    bomb = _book(tmp_path / "bomb.xlsx", {"花名册": [ROSTER_HEAD]})
    row = b'<row r="2"><c r="A2" t="inlineStr"><is><t>G1</t></is></c></row>' * 1000

    def write(out, original):
        head, _, tail = original.partition(b"</sheetData>")
        out.write(head)
        for _ in range(2700):  # 2,700 × 64 KB ≈ 170 MB of XML, about 1 MB packed
            out.write(row)
        out.write(b"</sheetData>" + tail)

    _replace_sheet_xml(bomb, write)
    assert bomb.stat().st_size < 5 * 1024 * 1024
    code, err, seconds, peak = _run_measured(school.url, tmp_path, "roster", "import", str(bomb), "--school", "S001")
    assert code == 2
    assert err.startswith(f"{bomb}: 解压后有 ")
    assert "超过 160 MB 的上限" in err
    assert seconds < 10 and peak < 300
    assert school.count("child") == 5


def test_a_cell_at_xfd1048576_is_refused_at_its_row_in_seconds(school, tmp_path):
    path = tmp_path / "sparse.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(ROSTER_HEAD)
    ws.append(["G1", "张三", "七(1)班", "2024-09-01"])
    ws["XFD1048576"] = "x"
    wb.save(path)
    assert path.stat().st_size < 10_000
    code, err, seconds, peak = _run_measured(school.url, tmp_path, "roster", "import", str(path), "--school", "S001")
    assert (code, err) == (2, f"{path}:1048576:0: 第 16384 列有内容，超过 512 列的上限：请删去表格右边多余的内容\n")
    assert seconds < 10 and peak < 300
    assert school.count("child") == 5


def test_a_row_far_down_in_column_a_is_just_a_row(school, tmp_path):
    path = tmp_path / "far.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(ROSTER_HEAD)
    ws["A1048576"], ws["B1048576"], ws["D1048576"] = "G7", "李四", "2024-09-01"
    wb.save(path)
    assert school.ok("roster", "import", str(path), "--school", "S001").endswith("导入 1 条学生：新增 1，更新 0，未变 0。\n")


def test_a_truncated_sheet_is_a_file_error(school, tmp_path):
    path = _book(tmp_path / "cut.xlsx", {"花名册": [ROSTER_HEAD, ["G1", "张三", "七(1)班", "2024-09-01"]]})
    _replace_sheet_xml(path, lambda out, original: out.write(original[: len(original) // 2]))
    result = school.run("roster", "import", str(path), "--school", "S001")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: 不是有效的 .xlsx 文件：")
    assert school.count("child") == 5


def test_the_visible_sheet_is_read_not_a_hidden_first_one_and_guanai_says_which(school, tmp_path):
    path = _book(tmp_path / "hidden.xlsx", {
        "旧名单": [ROSTER_HEAD, ["G1", "旧的", "七(1)班", "2024-09-01"]],
        "花名册": [ROSTER_HEAD, ["G2", "新的", "七(1)班", "2024-09-01"]]}, hidden=("旧名单",), active="花名册")
    result = school.run("roster", "import", str(path), "--school", "S001")
    assert result.exit_code == 0
    assert result.stderr == f"{path}：读取工作表 “花名册”\n"
    assert school.query("SELECT id FROM child WHERE id IN ('G1', 'G2')") == [("G2",)]


def test_several_visible_data_sheets_are_refused_unless_sheet_picks_one(school, tmp_path):
    path = _book(tmp_path / "two.xlsx", {
        "七年级": [ROSTER_HEAD, ["G1", "张三", "七(1)班", "2024-09-01"]],
        "八年级": [ROSTER_HEAD, ["G2", "李四", "七(1)班", "2024-09-01"]],
        "填表说明": [["请按学籍号填写"]]})
    result = school.run("roster", "import", str(path), "--school", "S001")
    assert (result.exit_code, result.stderr) == (2, f"{path}: 有多个工作表含数据（七年级、八年级）：请用 --sheet 指定导入哪一个\n")
    assert school.count("child") == 5
    result = school.run("roster", "import", str(path), "--school", "S001", "--sheet", "八年级")
    assert result.exit_code == 0, result.stderr
    assert school.query("SELECT id FROM child WHERE id IN ('G1', 'G2')") == [("G2",)]
    result = school.run("roster", "import", str(path), "--school", "S001", "--sheet", "九年级")
    assert (result.exit_code, result.stderr) == (2, f"{path}: 没有名为 “九年级” 的工作表；有：七年级、八年级、填表说明\n")


@pytest.mark.parametrize("command", [("org", "import"), ("staff", "import", "--school", "S001"),
                                     ("assign", "import", "--role", "proxy_parent"), ("record", "import")])
def test_every_import_command_reads_workbooks_through_the_same_gate(school, tmp_path, command):
    path = tmp_path / "sparse.xlsx"
    wb = Workbook()
    wb.active.append(["学籍号", "工号", "类型", "代码"])
    wb.active["XFD9"] = "x"
    wb.save(path)
    result = school.run(*command[:2], str(path), *command[2:])
    assert (result.exit_code, result.stderr) == (2, f"{path}:9:0: 第 16384 列有内容，超过 512 列的上限：请删去表格右边多余的内容\n")
