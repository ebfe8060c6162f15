"""Attacks that need no database privilege: a file of full phones left readable by everyone on the
machine, identifiers written so masking misses them, and a county's Word template that runs code
on every machine that renders it."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.conftest import FACTS

ENGINE = FACTS.parent / "engine"
PAYLOAD = "{{ cycler.__init__.__globals__.os.popen('touch %s').read() }}"


@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # the usual umask: new files readable by everyone
    yield
    os.umask(old)


@pytest.fixture
def phones(school, tmp_path):
    roster = tmp_path / "phones.csv"
    roster.write_text("学籍号,姓名,班级,入学,监护人电话,家长VX,补助发放账户,居住地,备注\n"
                      "K1,刘小明,七(1)班,2024-09-01,138 1234 5678,liu2012abc,6222 0212 3456 7890,光明村3组12号,爷爷 510722 20180303 0031\n",
                      encoding="utf-8")
    school.ok("roster", "import", str(roster), "--school", "S001")
    return school


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_file_with_full_contacts_is_private_whatever_the_umask(phones, tmp_path, umask_022):
    written = {
        "list.xlsx": ("children", "list", "--org", "S001", "--show-contacts", "--xlsx", str(tmp_path / "list.xlsx")),
        "ledger.xlsx": ("report", "ledger", "--org", "S001", "--as-of", "2025-11-20", "--show-contacts",
                        "-o", str(tmp_path / "ledger.xlsx")),
        "child.json": ("export", "--child", "K1", "-o", str(tmp_path / "child.json")),
        "summary.docx": ("report", "summary", "--org", "S001", "--as-of", "2025-11-20", "-o", str(tmp_path / "summary.docx")),
    }
    for name, args in written.items():
        phones.ok(*args)
        assert _mode(tmp_path / name) == 0o600, name
    from openpyxl import load_workbook

    cells = [c for row in load_workbook(tmp_path / "list.xlsx").active.iter_rows(values_only=True) for c in row]
    assert "13812345678" in cells  # asked for: in full (as the import stores a phone), and private


@pytest.mark.parametrize("form", ["sqlite:///file:{p}?mode=rwc&uri=true", "sqlite:///{p}"])
def test_a_sqlite_file_is_private_by_any_url(cli, tmp_path, umask_022, form):
    path = tmp_path / "new.db"
    assert cli("--db", form.format(p=path), "init").exit_code == 0
    assert _mode(path) == 0o600


def test_identifiers_written_with_spaces_or_under_other_names_are_masked(phones):
    shown = json.loads(phones.ok("children", "list", "--org", "S001", "--json"))
    kid = next(r for r in shown if r["id"] == "K1")
    assert kid["guardian_phone"] == "138****5678"
    profile = kid["profile"]
    assert "liu2012abc" not in profile["家长VX"]
    assert "3456" not in profile["补助发放账户"]
    assert "12号" not in profile["居住地"]
    assert profile["备注"] == "爷爷 510722 ******** 0031"
    full = json.loads(phones.ok("children", "list", "--org", "S001", "--json", "--show-contacts"))
    kid = next(r for r in full if r["id"] == "K1")
    assert (kid["guardian_phone"], kid["profile"]["家长VX"], kid["profile"]["补助发放账户"]) == (
        "13812345678", "liu2012abc", "6222 0212 3456 7890")


def test_a_note_naming_a_phone_is_masked_wherever_records_are_shown(phones):
    phones.ok("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-20 16:00",
              "--set", "notes=奶奶电话 139-0000-1111，微信 wxid_nainai88")
    for fmt in ((), ("--json",), ("--csv",)):
        out = phones.ok("records", "list", "--org", "S001", *fmt)
        assert "139-0000-1111" not in out and "wxid_nainai88" not in out and "139-****-1111" in out, fmt
    shown = phones.ok("children", "show", "K1")
    assert "139-0000-1111" not in shown


def test_a_templates_code_runs_nowhere(phones, tmp_path):
    from docx import Document

    witness = tmp_path / "ran"
    template = tmp_path / "county.docx"
    own = Document()
    own.add_paragraph("{{ org_name }}")
    own.add_paragraph(PAYLOAD % witness)
    own.save(str(template))
    result = phones.run("report", "summary", "--org", "S001", "--as-of", "2025-11-20", "--template", str(template),
                        "-o", str(tmp_path / "out.docx"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"模板 {template} 里有不允许的表达式")
    assert not witness.exists() and not (tmp_path / "out.docx").exists()


def test_the_html_renderers_are_sandboxed_too():
    from guanai.core.reports import county, render
    from jinja2.sandbox import SandboxedEnvironment

    for module in (render, county):
        source = open(module.__file__, encoding="utf-8").read()
        assert "SandboxedEnvironment(autoescape=True)" in source and "Environment(autoescape" not in source.replace(
            "SandboxedEnvironment(autoescape", ""), module.__name__
    env = SandboxedEnvironment(autoescape=True)
    with pytest.raises(Exception, match="unsafe|not safely callable|access to attribute"):
        env.from_string(PAYLOAD % "/tmp/never").render(cycler=__import__("jinja2").utils.Cycler(1))
