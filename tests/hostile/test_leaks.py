"""Personal data does not leave by a side door: profile columns holding contacts or identifiers are
masked like the contact columns, messages do not echo phones, ID-card numbers or passwords, and
no spreadsheet guanai writes runs a formula a child's record smuggled in."""

from __future__ import annotations

import csv
import io
import json

ROSTER = "学籍号,姓名,班级,入学,家庭住址,身份证号,备用电话,父亲微信,备注,性格爱好\n"
ROW = ("G9,=cmd|' /C calc'!A0,七(1)班,2024-09-01,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",510722201203150099,"
       "13912345678,wxid_abc123,妈妈电话13822223333,爱打篮球\n")


def _import(school, tmp_path):
    f = tmp_path / "roster.csv"
    f.write_text(ROSTER + ROW, encoding="utf-8")
    school.ok("roster", "import", str(f), "--school", "S001")


def _g9(rows):
    return next(r for r in rows if r["id"] == "G9")


def test_sensitive_profile_fields_are_masked_unless_asked_for(school, tmp_path):
    _import(school, tmp_path)
    shown = _g9(json.loads(school.ok("children", "list", "--json")))
    assert shown["profile"] == {"身份证号": "510*************99", "备用电话": "139******78", "父亲微信": "wxi******23",
                                "备注": "妈妈电话138****3333", "性格爱好": "爱打篮球"}
    rows = list(csv.DictReader(io.StringIO(school.ok("children", "list", "--csv"))))
    assert "510722201203150099" not in json.dumps(rows, ensure_ascii=False)
    full = _g9(json.loads(school.ok("children", "list", "--json", "--show-contacts")))
    assert full["profile"]["身份证号"] == "510722201203150099"
    assert full["profile"]["备注"] == "妈妈电话13822223333"


def test_csv_cells_that_would_run_as_formulas_are_neutralised(school, tmp_path):
    _import(school, tmp_path)
    rows = list(csv.DictReader(io.StringIO(school.ok("children", "list", "--csv"))))
    g9 = _g9(rows)
    assert g9["name"] == "'=cmd|' /C calc'!A0"
    assert g9["address"] == "'=H****"  # masked, and the mask keeps no formula
    full = _g9(list(csv.DictReader(io.StringIO(school.ok("children", "list", "--csv", "--show-contacts")))))
    assert full["address"] == "'=HYPERLINK(\"http://x\",\"y\")"
    school.ok("record", "talk", "--child", "G9", "--by", "T001", "--at", "2025-10-22 16:00", "--id", "@SUM(A1)",
              "--set", "topic=-讲故事")
    rec = next(csv.DictReader(io.StringIO(school.ok("records", "list", "--csv"))))
    assert rec["key"] == "'@SUM(A1)"
    from openpyxl import load_workbook  # the same cells in a workbook: text, neutralised alike

    school.ok("children", "list", "--xlsx", str(tmp_path / "kids.xlsx"))
    sheet = load_workbook(tmp_path / "kids.xlsx").active
    header = [c.value for c in sheet[1]]
    kid = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "G9")
    assert (kid[header.index("姓名")], kid[header.index("家庭住址")]) == ("'=cmd|' /C calc'!A0", "'=H****")


def test_every_csv_is_written_by_the_one_neutralising_writer():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    writers = [str(p.relative_to(root)) for folder in ("core", "plugins") for p in (root / folder).rglob("*.py")
               if "csv.writer(" in p.read_text("utf-8") or "csv.DictWriter(" in p.read_text("utf-8")]
    assert writers == ["core/output.py"]
    workbooks = [str(p.relative_to(root)) for folder in ("core", "plugins") for p in (root / folder).rglob("*.py")
                 if "Workbook(" in p.read_text("utf-8")]
    assert workbooks == ["core/spreadsheet.py"]


def test_safe_cell_keeps_numbers_numbers():
    from guanai.core.celltext import safe_cell

    assert [safe_cell(v) for v in (-3, -3.5, "-3.5", "+86", "-", "\t1", "=1+2", "名字")] == [
        -3, -3.5, "-3.5", "+86", "'-", "'\t1", "'=1+2", "名字"]


def test_an_error_does_not_echo_a_phone_or_an_id_card_number(school, tmp_path):
    f = tmp_path / "roster.csv"
    f.write_text("学籍号,姓名,监护人电话\nG8,张三,139000012345\n", encoding="utf-8")
    result = school.run("roster", "import", str(f), "--school", "S001")
    assert result.stderr == (f"{f}:2:监护人电话: “139*****2345” 不是电话号码：手机号为 11 位数字（如 13812345678），"
                             "座机如 0817-1234567\n")


def test_a_password_in_the_database_url_is_never_echoed(cli):
    result = cli("--db", "postgresql+psycopg://bob:s3cret@127.0.0.1:1/guanai", "due")
    assert result.exit_code == 2
    assert "s3cret" not in result.stderr and "bob:***@127.0.0.1:1/guanai" in result.stderr


def test_a_database_error_prints_neither_the_statement_nor_its_parameters():
    from guanai.core.cli import _error_text
    from sqlalchemy.exc import DataError

    exc = DataError("INSERT INTO child (id, guardian_phone) VALUES (%(id)s, %(p)s)",
                    {"id": "G1", "p": "13812345678"}, Exception("value too long for type character varying(100)\n"
                                                                "DETAIL: row (G1, 13812345678)"))
    assert _error_text(exc) == "Exception: value too long for type character varying(100)"


def test_redacts_fast_path_agrees_with_the_patterns_on_random_text():
    """redact() skips its patterns when a text holds no URL and no run of 11 digits; on random
    texts near that edge it gives what the patterns alone give."""
    import random

    from guanai.core.privacy import _keep_ends, _pattern, redact

    def by_patterns(text: str) -> str:
        text = _pattern("url_password").sub(r"\1***@", text)
        return _pattern("long_digits").sub(lambda m: _keep_ends(m.group(0), 3, 4), text)

    rng = random.Random(13)
    alphabet = "0123456789０１２٣Xx.-:/@ ab学号"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        if rng.random() < 0.2:
            text += "postgresql://u:pw@h/db"
        assert redact(text) == by_patterns(text), text
