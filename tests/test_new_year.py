"""A school's second year (issue 26, "done when"): the demo school's 2025–26 figures — compliance by
teacher, class and duty, indicators, stats, the 总结 and 台账 of each term — are the same before
and after next year's roster (promoted classes, graduates, new pupils, category changes), staff
(head teachers rotated) and programme are imported; and `--known-at` a moment before those imports
reproduces every report printed then, byte for byte (the workbook cell by cell)."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from tests.conftest import PROGRAMMES

BEFORE = datetime(2026, 8, 1)  # when the demo's year was entered (set below; the demo enters it today)
KNOWN = "2026-08-15 12:00"  # a moment after that and before next year's imports
NEXT = "2026-09-01"
GRADE_UP = {"七": "八", "八": "九"}
TERMS = (("2025-autumn", "2026-01-16"), ("2026-spring", "2026-07-10"))


def _run(url: str, *args: str):
    from guanai.core.cli import build_cli

    return CliRunner().invoke(build_cli(), ["--db", url, *args], catch_exceptions=False)


def _cli(url: str, *args: str) -> str:
    result = _run(url, *args)
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result.stdout


def _reports(url: str, folder, tag: str, known_at: str | None = None) -> dict[str, object]:
    """Every figure and document of 2025–26, and the present's stats and lists."""
    from openpyxl import load_workbook

    extra = ["--known-at", known_at] if known_at else []
    out: dict[str, object] = {}
    for term, last in TERMS:
        for by in ("staff", "class", "duty", "school,class,staff,duty"):
            out[term, by] = _cli(url, "compliance", "--org", "S001", "--term", term, "--by", by, "--as-of", "2026-08-31",
                                 *extra, "--json")
        out[term, "indicators"] = _cli(url, "indicators", "--org", "S001", "--as-of", last, *extra, "--json")
        out[term, "stats"] = _cli(url, "stats", "--org", "S001", "--by", "class,category", "--as-of", last, *extra,
                                  "--json")
        summary = folder / f"{tag}-{term}.md"
        _cli(url, "report", "summary", "--org", "S001", "--term", term, "--as-of", "2026-08-31", *extra,
             "-o", str(summary))
        out[term, "summary"] = summary.read_text("utf-8")
        today = folder / f"{tag}-{term}-today.md"  # printed today, as the README says: indicators of the term's end
        _cli(url, "report", "summary", "--org", "S001", "--term", term, *extra, "-o", str(today))
        out[term, "summary_today"] = today.read_text("utf-8")
        ledger = folder / f"{tag}-{term}.xlsx"
        _cli(url, "report", "ledger", "--org", "S001", "--term", term, "--as-of", "2026-08-31", *extra,
             "-o", str(ledger))
        book = load_workbook(ledger)
        out[term, "ledger"] = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}
        county = folder / f"{tag}-{term}-county.xlsx"
        _cli(url, "report", "county", "--org", "C01", "--term", term, "--as-of", "2026-08-31", *extra,
             "-o", str(county))
        book = load_workbook(county)
        out[term, "county"] = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}
    return out


def _next_year(url: str, path, folder) -> dict[str, int]:
    """Next year's roster, staff list and programme, as a school prepares them in the summer."""
    db = sqlite3.connect(path)
    kids = db.execute("SELECT id, name, class_name, category FROM child ORDER BY id").fetchall()
    heads = db.execute("SELECT id, name, head_of_class FROM staff WHERE head_of_class IS NOT NULL ORDER BY id").fetchall()
    db.close()
    roster = folder / "roster-2026.csv"
    moved = graduated = recategorised = 0
    with roster.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["学籍号", "姓名", "班级", "留守类型"])
        for n, (kid, name, cls, category) in enumerate(kids):
            if cls[0] == "九":
                graduated += 1
                continue  # graduates: not in next year's file (--mark-left)
            moved += 1
            label = {"left_behind": "留守", "single_parent": "单亲", "orphan": "孤儿", "none": "非留守"}.get(
                category, "非留守")
            if category == "left_behind" and n % 17 == 0:  # parents came home: no longer left-behind
                label, recategorised = "非留守", recategorised + 1
            w.writerow([kid, name, GRADE_UP[cls[0]] + cls[1:], label])
        for i in range(100):
            w.writerow([f"N{i:04d}", f"新生{i}", f"七({i % 4 + 1})班", "留守" if i % 2 else "非留守"])
    staff = folder / "staff-2026.csv"
    with staff.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["工号", "姓名", "班主任班级"])
        classes = [h[2] for h in heads]
        for (sid, name, _), cls in zip(heads, classes[1:] + classes[:1], strict=True):  # every head teacher moves on
            w.writerow([sid, name, cls])
    _cli(url, "roster", "import", str(roster), "--school", "S001", "--effective", NEXT, "--mark-left", "--yes")
    _cli(url, "staff", "import", str(staff), "--school", "S001", "--effective", NEXT, "--yes")
    programme = folder / "xibei-2026.yaml"
    _cli(url, "programme", "next", str(PROGRAMMES / "xibei.yaml"), "-o", str(programme))
    # last year's programme judged nothing after its last term: publishing from 09-01 asks nothing
    _cli(url, "programme", "publish", str(programme), "--to", "C01", "--from", NEXT)
    return {"moved": moved, "graduated": graduated, "recategorised": recategorised}


@pytest.fixture
def year(demo_db):
    url = f"sqlite:///{demo_db}"
    db = sqlite3.connect(demo_db)
    with db:  # the demo enters its year today; say it was entered in the summer, before next year's files
        db.execute("UPDATE record SET recorded_at = ?", (BEFORE.isoformat(sep=" "),))
        db.execute("UPDATE programme_binding SET bound_at = ?", (BEFORE.isoformat(sep=" "),))
        db.execute("UPDATE programme_version SET published_at = ?", (BEFORE.isoformat(sep=" "),))
        db.execute("UPDATE child SET entered_at = ?", (BEFORE.isoformat(sep=" "),))
        db.execute("UPDATE staff SET entered_at = ?", (BEFORE.isoformat(sep=" "),))
        db.execute("UPDATE pairing SET entered_at = ?", (BEFORE.isoformat(sep=" "),))
    db.close()
    return url, demo_db


def test_next_years_files_leave_last_years_figures_and_documents_as_they_were(year, tmp_path):
    url, path = year
    before = _reports(url, tmp_path, "before")
    present = ("stats", "--org", "S001", "--by", "class", "--as-of", "2026-10-15")  # next year's autumn term
    now_before = _cli(url, *present, "--json")
    done = _next_year(url, path, tmp_path)
    assert done == {"moved": 400, "graduated": 200, "recategorised": 12}
    assert _cli(url, *present, "--json") != now_before  # the present did change
    after = _reports(url, tmp_path, "after")
    for key in before:
        assert after[key] == before[key], key
    known = _reports(url, tmp_path, "known", KNOWN)
    for key in before:
        assert known[key] == before[key], key
    assert _cli(url, *present, "--known-at", KNOWN, "--json") == now_before


def test_compare_puts_two_terms_side_by_side_each_as_counted_alone(year, tmp_path):
    """`compliance --compare 2025-autumn,2026-autumn`: each term's columns are what `--term` gives
    for it alone (each with its own programme version and the facts of its days), and the change
    is in percentage points."""
    url, path = year
    _next_year(url, path, tmp_path)
    both = json.loads(_cli(url, "compliance", "--org", "S001", "--compare", "2025-autumn,2026-autumn", "--by", "duty",
                           "--as-of", "2026-12-06", "--json"))
    assert both["compare"] == ["2025-autumn", "2026-autumn"]
    for term in both["compare"]:
        alone = json.loads(_cli(url, "compliance", "--org", "S001", "--term", term, "--by", "duty",
                                "--as-of", "2026-12-06", "--json"))
        assert {r["key"]["duty"]: r for r in alone["rows"]} == {
            r["key"]["duty"]: {"key": r["key"], **r[term]} for r in both["rows"] if r[term]["expected"]}
        assert {k: both["total"][term][k] for k in alone["total"]} == alone["total"]
    talk = next(r for r in both["rows"] if r["key"]["duty"] == "weekly-talk")
    assert talk["2025-autumn"]["expected"] == 5292 and talk["2026-autumn"]["expected"] == 2673
    assert talk["change"] == round((talk["2026-autumn"]["rate"] - talk["2025-autumn"]["rate"]) * 100, 1)
    one = _run(url, "compliance", "--compare", "2025-autumn")
    assert (one.exit_code, one.stderr) == (
        2, "--compare: 要两个不同的学期编号，用逗号隔开，如 2025-autumn,2026-autumn（收到 “2025-autumn”）\n")


def test_diff_across_years_compares_like_with_like(year, tmp_path):
    """`programme diff` of last year's file and next year's (issue 26: it read "0 → 14,079"): the old
    one is moved on a year first, so an unchanged programme shows no change at all and a renamed
    duty shows exactly that."""
    url, _ = year
    nxt = tmp_path / "xibei-2026.yaml"
    _cli(url, "programme", "next", str(PROGRAMMES / "xibei.yaml"), "-o", str(nxt))
    modeline = nxt.read_text("utf-8").splitlines()[0]  # the editor's schema, found from the new file's folder
    assert modeline.startswith("# yaml-language-server: $schema=")
    assert (nxt.parent / modeline.split("=", 1)[1]).resolve() == (PROGRAMMES.parent / "schemas" /
                                                                  "programme.schema.json").resolve()
    same = _cli(url, "programme", "diff", str(PROGRAMMES / "xibei.yaml"), str(nxt), "--org", "S001").splitlines()
    assert same[1:3] == ["（两个方案属于不同学年：旧方案的日期先顺延 1 年再比较，只列出真正的改动。）",
                         "两个方案的职责、任务、活动、触发和指标相同。"]
    assert same[-1].startswith("任务 ") and "（+0）" in same[-1]
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(nxt.read_text("utf-8").replace("每一周至少谈心一次", "每一周至少谈心两次"), encoding="utf-8")
    found = json.loads(_cli(url, "programme", "diff", str(PROGRAMMES / "xibei.yaml"), str(renamed), "--org", "S001",
                            "--json"))
    assert found["moved_on_years"] == 1 and found["windows"] == [] and found["load"]["totals"]["change"] == 0
    assert [(i["id"], [(f["old"], f["new"]) for f in i["fields"]]) for i in found["items"]] == [
        ("weekly-talk", [("每一周至少谈心一次", "每一周至少谈心两次")])]


def test_an_empty_list_in_a_vacation_says_why(year, tmp_path):
    """A teacher's list in the autumn after last year's programme ended, before next year's is
    published: not a bare 没有待办事项, but which term ended and what to do; once next year's programme
    is published, the list of its first weeks."""
    url, _ = year
    empty = _cli(url, "due", "--staff", "T008", "--as-of", "2026-09-10").splitlines()
    assert empty[1:] == ["没有待办事项。", "2026-09-10 不在方案的任何学期内（2026年春季学期已于 2026-07-10 结束）；"
                         "还没有发布新学期的方案：用 guanai programme next 写出下一学年的方案，核对后发布。"]
    nxt = tmp_path / "xibei-2026.yaml"
    _cli(url, "programme", "next", str(PROGRAMMES / "xibei.yaml"), "-o", str(nxt))
    _cli(url, "programme", "publish", str(nxt), "--to", "C01", "--from", "2026-09-01")
    assert _cli(url, "due", "--staff", "T008", "--as-of", "2026-09-10").splitlines()[1] != "没有待办事项。"


def test_roster_promote_moves_every_class_up_and_graduates_the_top_grade(year):
    """`roster promote`: 七→八, 八→九 from the new term's first day; 九年级 leaves the day after the last
    term (2026-07-11); last year's figures by class stay; the history says what each class was."""
    url, path = year
    args = ("compliance", "--org", "S001", "--term", "2025-autumn", "--by", "class,staff", "--as-of", "2026-08-31",
            "--json")
    before = _cli(url, *args)
    plan = _cli(url, "roster", "promote", "--school", "S001", "--effective", NEXT, "--dry-run").splitlines()
    assert plan[0] == "升级：400 人升一个年级（自 2026-09-01 起），200 人毕业（自 2026-07-11 起离校）。"
    _cli(url, "roster", "promote", "--school", "S001", "--effective", NEXT, "--yes")
    db = sqlite3.connect(path)
    classes = dict(db.execute("SELECT substr(class_name, 1, 1), count(*) FROM child WHERE left_on IS NULL "
                              "GROUP BY 1").fetchall())
    left = db.execute("SELECT count(*), min(left_on), max(left_on) FROM child WHERE left_on IS NOT NULL").fetchone()
    history = db.execute("SELECT count(*) FROM fact_history WHERE field = 'class_name' AND superseded_at IS NULL "
                         "AND valid_to = '2026-09-01'").fetchone()
    db.close()
    assert classes == {"八": 200, "九": 200} and left == (200, "2026-07-11", "2026-07-11") and history == (400,)
    assert _cli(url, *args) == before


def test_the_county_report_shows_the_same_term_a_year_before(year, tmp_path):
    """issue 26 item 7: the county's assessment of 2026 autumn carries each school's on-time rate of
    2025 autumn, as `compliance --term 2025-autumn --by school` counts it."""
    from fractions import Fraction

    from guanai.core.render import rate_tenths
    from openpyxl import load_workbook

    url, path = year
    _next_year(url, path, tmp_path)
    out = tmp_path / "county.xlsx"
    _cli(url, "report", "county", "--org", "C01", "--term", "2026-autumn", "--as-of", "2026-12-06", "-o", str(out))
    sheet = load_workbook(out).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if "名次" in r)
    column = header.index("去年同期按时率")  # 2025年秋季学期 for the 2026 autumn of the subtitle
    school = next(r for r in rows[rows.index(header) + 1:] if r[1] == "西北中学")
    then = json.loads(_cli(url, "compliance", "--org", "S001", "--term", "2025-autumn", "--by", "school",
                           "--as-of", "2026-12-06", "--json"))["rows"][0]
    assert school[column] == rate_tenths(Fraction(then["met"], then["expected"])) / 1000 and then["met"] > 0


def test_promote_twice_is_refused_and_a_past_leaving_day_asks(year, tmp_path):
    """From a stranger's run: a second `roster promote` graduated this year's 九年级 back to 07-11 and
    moved closed windows without a question. It is refused; and a file whose 离校 lies before today
    asks for --yes like a past --effective does."""
    url, path = year
    _cli(url, "roster", "promote", "--school", "S001", "--effective", NEXT, "--yes")
    again = _run(url, "roster", "promote", "--school", "S001")
    assert (again.exit_code, again.stderr) == (2, "S001 自 2026-07-11 以来已有 400 名学生换过班级，看来已经升过级："
                                                  "未作任何改动（个别学生转班请用花名册导入）\n")
    db = sqlite3.connect(path)
    kid, name, cls = db.execute("SELECT id, name, class_name FROM child WHERE left_on IS NULL ORDER BY id").fetchone()
    db.close()
    f = tmp_path / "left.csv"
    f.write_text(f"学籍号,姓名,班级,离校\n{kid},{name},{cls},2026-10-01\n", encoding="utf-8")
    asked = _run(url, "roster", "import", str(f), "--school", "S001")
    assert asked.exit_code == 2 and asked.stderr.startswith("这次导入自 2026-10-01 起生效")


def test_a_new_pupil_enrolled_on_days_already_counted_asks(year, tmp_path):
    """From a stranger's run: four pupils backdated to the term's first day added closed windows with
    no question. Where the school was already recording (its figures counted), it asks; a school's
    first roster (nothing recorded yet) does not."""
    url, _ = year
    f = tmp_path / "late.csv"
    f.write_text("学籍号,姓名,班级,留守类型,入学\nN0001,新生甲,七(1)班,留守,2025-09-01\n", encoding="utf-8")
    dry = _cli(url, "roster", "import", str(f), "--school", "S001", "--dry-run").splitlines()
    assert dry[:2] == [f"将自 {date.today().isoformat()} 起：新生 1 人（入学日早于今天）（未写入）。",
                       "生效日 2025-09-01 早于今天：正式导入时要加 --yes 确认改写其间已截止的统计。"]
    asked = _run(url, "roster", "import", str(f), "--school", "S001")
    assert asked.exit_code == 2 and asked.stderr.startswith("这次导入自 2025-09-01 起生效")
    _cli(url, "roster", "import", str(f), "--school", "S001", "--yes")
