"""The edges a user reaches first (issue 28 item 5): a day before the programme, an output folder
that does not exist yet, an upper-case suffix, a database path that does not exist, the org codes."""

from __future__ import annotations

import json
import zipfile


def test_a_day_before_the_programme_is_said_never_an_error(school, tmp_path):
    out = school.ok("indicators", "--org", "S001", "--as-of", "2025-08-01")
    assert out == "2025-08-01 方案尚未施行（自 2025-09-01 起施行）：此前没有职责，也没有目标指标。\n"
    assert json.loads(school.ok("indicators", "--org", "S001", "--as-of", "2025-08-01", "--json")) == []
    for command in (("report", "summary", "--org", "S001"), ("report", "county", "--org", "C01"),
                    ("report", "ledger", "--org", "S001")):
        target = tmp_path / ("x.xlsx" if command[1] != "summary" else "x.md")
        result = school.run(*command, "--as-of", "2025-08-01", "-o", str(target))
        assert result.exit_code == 2, command
        assert result.stderr == ("2025-08-01 方案尚未施行（自 2025-09-01 起施行），没有可写的内容：请用 --as-of 或 --term "
                                 "指定施行以后的学期；未写入任何文件\n")
        assert not target.exists()


def test_output_folders_are_made_and_the_suffix_decides_whatever_its_case(school, tmp_path):
    deep = tmp_path / "报告" / "2025秋" / "总结.md"
    assert school.run("report", "summary", "--org", "S001", "--as-of", "2025-11-01", "-o", str(deep)).exit_code == 0
    assert deep.read_text("utf-8").startswith("# ")
    upper = tmp_path / "总结.DOCX"
    assert school.run("report", "summary", "--org", "S001", "--as-of", "2025-11-01", "-o", str(upper)).exit_code == 0
    assert zipfile.is_zipfile(upper)  # a Word file, not HTML under that name
    folder = tmp_path / "报告"
    result = school.run("report", "summary", "--org", "S001", "--as-of", "2025-11-01", "-o", str(folder) + ".md")
    assert result.exit_code == 0
    blocked = tmp_path / "文件" / "x.md"
    (tmp_path / "文件").write_text("", encoding="utf-8")  # a file where the folder should be
    refused = school.run("report", "summary", "--org", "S001", "--as-of", "2025-11-01", "-o", str(blocked))
    assert refused.exit_code == 2 and refused.stderr.startswith(f"无法写入 {blocked}：")


def test_a_read_command_never_creates_a_database_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("--db", "sqlite:///没有.db", "due")
    assert result.exit_code == 2 and result.stderr == "数据库 sqlite:///没有.db 尚未初始化：请先运行 guanai init\n"
    assert not (tmp_path / "没有.db").exists()
    assert cli("--db", "sqlite:///没有.db", "init").exit_code == 0 and (tmp_path / "没有.db").exists()


def test_org_list_gives_the_codes_the_options_take(school):
    rows = json.loads(school.ok("org", "list", "--json"))
    assert [(r["code"], r["kind"], r["depth"]) for r in rows][:3] == [("C01", "county", 0), ("T01", "township", 1),
                                                                     ("S001", "school", 2)]
    assert any(line.split() == ["S001", "示例镇中学", "学校", "T01"] and "　　示例镇中学" in line for line in school.ok("org", "list").splitlines())
