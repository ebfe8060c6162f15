"""The documents on counties other than the demo (issue 28: "hold on a two-school county and on a
30-school county from bench/generate.py"): the county's 总结 speaks of schools, each figure has a
source whose command gives it, the workbooks print, and nothing is listed thirty times over."""

from __future__ import annotations

import json
import re
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402


@pytest.fixture(scope="module", params=[(400, 2), (6000, 30)], ids=["2-schools", "30-schools"])
def county(request, tmp_path_factory):
    """A generated county with its year of records: (run `guanai --db …`, folder, schools)."""
    from click.testing import CliRunner
    from guanai.core.cli import build_cli

    children, schools = request.param
    folder = tmp_path_factory.mktemp(f"county{schools}")
    plan = generate.plan(children)
    assert len(plan.schools) == schools
    generate.prepare_db(plan, f"sqlite:///{folder / 'c.db'}")
    generate.load_records_raw(plan, str(folder / "c.db"))

    def run(*args: str):
        return CliRunner().invoke(build_cli(), ["--db", f"sqlite:///{folder / 'c.db'}", *args], catch_exceptions=False)

    return run, folder, schools


ASOF = ("--as-of", "2026-01-16")


def test_a_countys_summary_speaks_of_its_schools_with_every_figure_sourced(county):
    run, folder, schools = county
    out = run("report", "summary", "--org", "C01", *ASOF, "-o", str(folder / "c.md"))
    assert out.exit_code == 0, out.output
    text = (folder / "c.md").read_text("utf-8")
    assert "本校" not in text and "班" not in text.split("## 三、存在的问题")[1].split("## 四")[0]  # schools, not classes
    assert text.count("| S0") == schools  # the table of schools: each school once
    assert "（请结合本地实际填写。）" in text
    proof = json.loads((folder / "c.evidence.json").read_text("utf-8"))
    by_duty = {r["key"]["duty"]: r for r in json.loads(run("compliance", "--org", "C01", "--by", "duty",
                                                           "--from", "2025-09-01", "--to", "2026-01-16", *ASOF,
                                                           "--json").stdout)["rows"]}
    told = [item for item in proof["items"] if item.get("select", {}).get("duty")]
    assert len(told) >= 8
    for item in told:  # each duty's sentence: the figures the command gives
        row = by_duty[item["select"]["duty"]]
        assert (item["figures"]["expected"], item["figures"].get("met", row["met"])) == (row["expected"], row["met"])
        assert f"应完成{row['expected']:,}项" in item["text"]
    contests = re.search(r"(\d+)所学校共举办比赛和展演(\d+)场，逐场见下表。", text)
    assert schools < 5 or (contests and contests.group(1) == str(schools))  # counted, not 30 named in a sentence


def test_a_countys_workbooks_print_and_its_page_fits_a4(county):
    from openpyxl import load_workbook

    run, folder, schools = county
    assert run("report", "county", "--org", "C01", *ASOF, "-o", str(folder / "k.xlsx")).exit_code == 0
    assert run("report", "county", "--org", "C01", *ASOF, "-o", str(folder / "k.html"), "--force").exit_code == 0
    assert run("report", "ledger", "--org", "S002", *ASOF, "-o", str(folder / "l.xlsx")).exit_code == 0
    for name in ("k.xlsx", "l.xlsx"):
        for ws in load_workbook(folder / name):
            assert ws.oddFooter.center.text == "第 &P 页 共 &N 页" and ws.page_setup.fitToWidth == 1, ws.title
    ranked = list(load_workbook(folder / "k.xlsx")["学校排名"].iter_rows(min_row=4, values_only=True))
    assert len(ranked) == schools and [r[0] for r in ranked] == list(range(1, schools + 1))
    page = (folder / "k.html").read_text("utf-8")
    assert "@page { size: A4 landscape;" in page and "section + section { break-before: page; }" in page
    assert page.count("<section>") == 5
