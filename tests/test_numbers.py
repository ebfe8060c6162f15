"""One rule for every rate a person reads (issue 28 item 2): rounded half up once, from the exact
fraction; a value below its target (or below 100%) never shows as reaching it."""

from __future__ import annotations

from guanai.core.render import indicator_value, percent_of, rate_text
from guanai.core.store.indicators import Value


def test_rates_are_rounded_once_from_the_exact_fraction():
    assert percent_of(2195, 3240) == "67.7%"  # 67.747…%: was 67.8% (rounded to 0.6775 first)
    assert percent_of(1, 3) == "33.3%" and percent_of(2, 3) == "66.7%" and percent_of(1, 8) == "12.5%"
    assert percent_of(0, 5) == "0.0%" and percent_of(5, 5) == "100.0%" and percent_of(3, 0) == "—"
    assert rate_text(None) == "—" and rate_text(0.714) == "71.4%"


def test_a_value_below_its_target_never_shows_reaching_it():
    assert percent_of(16187, 17992) == "90.0%"  # no target: the nearest tenth
    assert percent_of(16187, 17992, 0.9) == "89.9%"  # 89.97% against 90%: below, and shown below
    assert percent_of(2999, 3000) == "99.9%"  # never 100.0% short of everyone
    assert percent_of(18, 20, 0.9) == "90.0%"  # exactly the target: reached


def test_an_indicator_rounded_to_its_target_is_still_below_it():
    near = Value("five-ones", "五个一完成率", "duty_compliance", 0.9, 89997, 100000)
    assert near.value == 0.9 and near.ok is False  # its JSON value rounds to 0.9; it is not reached
    assert indicator_value(near.value, near.unit, near.target, near.numerator, near.denominator) == "89.9%"
    assert Value("x", "x", "count", 71, 71, 1, unit="pairs").ok is True


def test_a_long_title_breaks_into_balanced_lines_never_inside_a_number():
    """issue 28 item 3: "总结" was left alone on the .docx title's second line."""
    from guanai.core.reports.render import balanced_title, tight

    assert balanced_title("西北中学2025年秋季学期关爱留守儿童工作总结") == "西北中学2025年秋季学期\n关爱留守儿童工作总结"
    assert balanced_title("示例镇中心小学2025年10月1日至2025年12月31日关爱留守儿童工作总结") == (
        "示例镇中心小学2025年10月1日至2025年\n12月31日关爱留守儿童工作总结")
    assert balanced_title("短标题") == "短标题"
    assert tight("本校现有在校学生 600 人，占 49.0%：留守 265 人") == "本校现有在校学生600人，占49.0%：留守265人"
    assert tight("加 --name-staff 列出 guanai report") == "加 --name-staff 列出 guanai report"  # Latin keeps its spaces


def test_the_docx_title_holds_its_line_break(demo):
    from docx import Document

    run, folder = demo
    assert run("report", "summary", "--org", "S001", "--as-of", "2025-12-20", "-o", str(folder / "t.docx")).exit_code == 0
    first = next(p.text for p in Document(str(folder / "t.docx")).paragraphs if p.text.strip())
    assert first == "西北中学2025年秋季学期\n关爱留守儿童工作总结"


def test_a_rate_is_kept_exact_until_shown_and_written_with_four_decimals():
    """1,122 of 4,998 is 22.449%: its rate was stored as 0.2245 and the 总结's table then showed
    22.5% beside the sentence's 22.4% (rounded twice). A Rate stays exact: every table, sentence and
    workbook cell shows 22.4%; JSON and CSV still carry 0.2245 (SPEC's `rate`)."""
    import json

    from guanai.core.celltext import cell_value, json_default, rate
    from guanai.core.reports.render import cell_text
    from guanai.core.spreadsheet import value_of

    r = rate(1122, 4998)
    assert rate(3, 0) is None
    assert cell_text(r, percent=True) == rate_text(r) == percent_of(1122, 4998) == "22.4%"
    assert json.dumps({"rate": r}, default=json_default) == '{"rate": 0.2245}' and cell_value(r) == 0.2245
    assert value_of(r) == 0.224 and value_of(rate(89997, 100000)) == 0.9  # the cell holds what is shown
    assert value_of(rate(2999, 3000)) == 0.999  # never 100.0% short of everyone


def test_the_summary_table_and_its_sentence_show_one_rate(cli, demo_db, tmp_path):
    """The 总结's 职责落实 table and the duty's sentence show the same figure for every duty."""
    import re

    out = tmp_path / "s.md"
    cli("--db", f"sqlite:///{demo_db}", "report", "summary", "--org", "S001", "--as-of", "2025-12-20", "-o", str(out))
    text = out.read_text("utf-8")
    rows = re.findall(r"^\| (\S+) \|[^\n]*\| ([\d.]+%) \|$", text, re.M)
    assert len(rows) >= 5
    for name, shown in rows:
        said = re.search(rf"^{re.escape(name)}：[^\n]*按时率([\d.]+%)", text, re.M)
        assert said is None or said.group(1) == shown, name
    assert any(re.search(rf"^{re.escape(name)}：[^\n]*按时率", text, re.M) for name, _ in rows)
