"""`guanai report summary`: the 工作总结's figures equal what stats, compliance (for the term),
indicators and assign list say; it reads well with nothing recorded; .docx, .md and .html agree."""

from __future__ import annotations

import json
import re

from guanai.core.render import percent_of

from tests.conftest import FACTS

ENGINE = FACTS.parent / "engine"
TERM = ("--from", "2025-09-01", "--to", "2026-01-16")


def _sp(text: str) -> str:
    """Without spaces: a sentence made by the catalogue (学生 600 人) as the document sets it (学生600人)."""
    return text.replace(" ", "")


def _docx_text(path) -> tuple[list[str], list[list[list[str]]]]:
    from docx import Document

    doc = Document(str(path))
    return [p.text for p in doc.paragraphs if p.text.strip()], [
        [[c.text for c in row.cells] for row in table.rows] for table in doc.tables]





def _pct(value) -> str:
    return f"{value:.1%}"


def test_summary_figures_equal_the_commands(demo):
    run, folder = demo
    asof = ("--as-of", "2025-12-20")
    out = run("report", "summary", "--org", "S001", "--term", "2025-autumn", *asof, "-o", str(folder / "s.docx"))
    assert out.exit_code == 0, out.output
    assert out.stdout == (f"已写入 {folder / 's.docx'}：西北中学2025年秋季学期关爱留守儿童工作总结\n"
                          f"核对文件 {folder / 's.evidence.json'}：文中每个数字的出处\n")
    text, tables = _docx_text(folder / "s.docx")
    body = "\n".join(text)
    assert not re.search(r"[\u4e00-\u9fff] +[0-9]|[0-9%] +[\u4e00-\u9fff]", body)  # typeset: 学生600人 (issue 28)
    body = _sp(body)
    stats = json.loads(run("stats", "--org", "S001", *asof, "--json").stdout)["totals"]
    assert _sp(f"本校现有在校学生 {stats['pupils']} 人，其中关爱对象 {stats['cared_for']} 人，"
               f"占 {_pct(stats['cared_for'] / stats['pupils'])}") in body
    assert _sp(f"现有教职工 {stats['staff']} 人，其中党员 {stats['party_staff']} 人。") in body
    pairs = json.loads(run("assign", "list", "--org", "S001", *asof, "--json").stdout)
    teachers = {p["staff"] for p in pairs if p["staff"]}
    with_staff = [p for p in pairs if p["staff"]]
    assert _sp(f"结成帮扶对子 {len(with_staff)} 对") in body and _sp(f"承担帮扶的教职工 {len(teachers)} 人") in body
    assert _sp(f"同学之间结成学习帮手对子 {len(pairs) - len(with_staff)} 对。") in body and len(pairs) > len(with_staff)
    duties = json.loads(run("compliance", "--org", "S001", "--by", "duty", *TERM, *asof, "--json").stdout)["rows"]
    table = next(tb for tb in tables if tb[0][0] == "职责")
    assert len(table) - 1 == len(duties) > 5
    for row, duty in zip(table[1:], duties, strict=True):  # one rate, rounded once from met/expected
        rate = percent_of(duty["met"], duty["expected"])
        assert row[3:] == [f"{duty['expected']:,}", f"{duty['met']:,}", f"{duty['met_late']:,}", rate]
        assert f"应完成{duty['expected']:,}项，按时完成{duty['met']:,}项，按时率{rate}" in body
    values = {v["id"]: v for v in json.loads(run("indicators", "--org", "S001", *asof, "--json").stdout)}
    archive = values["archive-rate"]
    assert _sp(f"{archive['name']} {_pct(archive['value'])}（{archive['numerator']}/{archive['denominator']}）") in body
    for v in values.values():  # every indicator below target is named in 三、存在的问题
        if v["value"] is not None and not v["ok"]:
            assert _sp(f"{v['name']}为 {_pct(v['value'])}，未达到 {_pct(v['target'])} 的目标。") in body
    assert [line for line in text if re.match(r"^[一二三四]、", line)] == [
        "一、基本情况", "二、主要做法与成效", "三、存在的问题", "四、下一步打算"]
    assert text[-2:] == ["西北中学", "2025年12月20日"]


def test_the_three_formats_hold_the_same_sentences(demo):
    import html as html_lib

    run, folder = demo
    for suffix in ("docx", "md", "html"):
        assert run("report", "summary", "--org", "S001", "--as-of", "2025-12-20", "-o",
                   str(folder / f"same.{suffix}")).exit_code == 0
    text, _ = _docx_text(folder / "same.docx")
    page = (folder / "same.html").read_text("utf-8")
    paragraphs = [html_lib.unescape(p) for p in re.findall(r"<p>(.*?)</p>", page)]
    markdown = (folder / "same.md").read_text("utf-8")
    for line in paragraphs:
        assert line in text
        assert line.replace("*", "\\*") in markdown or line in markdown
    assert "http" not in page.replace("http-equiv", "")  # self-contained: nothing fetched


def test_a_school_with_no_records_reads_well(db, tmp_path):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(ENGINE / "term.yaml"), "--to", "S001")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001")
    db.ok("report", "summary", "--org", "S001", "--as-of", "2025-10-01", "-o", str(tmp_path / "empty.md"))
    text = (tmp_path / "empty.md").read_text("utf-8")
    assert "—%" not in text and "按时完成 0 次" not in text
    assert "本期尚未建立帮扶结对。" in text
    assert "一周一谈心：本期按孩子·周计，应完成4项，尚未记录谈心。" in text  # K1, the four weeks of September
    assert "本期未记录" not in text  # no plugin is listed: no plugin section at all


def test_a_township_summary_has_a_table_of_schools(school, tmp_path):
    school.ok("staff", "import", str(FACTS / "staff_s002.csv"), "--school", "S002")
    school.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S002")  # enrolled 2024-09-01 and 2025-10-15
    school.ok("report", "summary", "--org", "T01", "--as-of", "2025-11-20", "-o", str(tmp_path / "t.md"))
    text = (tmp_path / "t.md").read_text("utf-8")
    assert text.startswith("# 示例镇2025年秋季学期关爱留守儿童工作总结")
    by_school = json.loads(school.ok("stats", "--org", "T01", "--as-of", "2025-11-20", "--by", "school", "--json"))
    rates = {r["key"]["school"]: r for r in json.loads(school.ok(
        "compliance", "--org", "T01", "--by", "school", "--as-of", "2025-11-20", *TERM, "--json"))["rows"]}
    names = {"S001": "示例镇中学", "S002": "示例镇中心小学"}
    assert "**各校情况**" in text
    for r in by_school["rows"]:
        code = r["key"]["school"]
        rate = rates[code]
        assert (f"| {names[code]} | {r['pupils']:,} | {r['cared_for']:,} | {rate['expected']:,} | {rate['met']:,} | "
                f"{_pct(rate['rate'])} |") in text
    assert len(by_school["rows"]) == 2


def test_a_countys_own_template(demo, tmp_path):
    from docx import Document

    run, folder = demo
    own = Document()
    own.add_paragraph("{{ org_name }}：学生 {{ figures.pupils }} 人，关爱对象 {{ figures.cared_for }} 人")
    own.add_paragraph("{%p for s in sections %}")
    own.add_paragraph("{{ s.heading }}")
    own.add_paragraph("{%p endfor %}")
    own.save(str(tmp_path / "own.docx"))
    assert run("report", "summary", "--org", "S001", "--as-of", "2025-12-20", "--template", str(tmp_path / "own.docx"),
               "-o", str(tmp_path / "out.docx")).exit_code == 0
    text, _ = _docx_text(tmp_path / "out.docx")
    stats = json.loads(run("stats", "--org", "S001", "--as-of", "2025-12-20", "--json").stdout)["totals"]
    assert text == [f"西北中学：学生 {stats['pupils']} 人，关爱对象 {stats['cared_for']} 人",
                    "一、基本情况", "二、主要做法与成效", "三、存在的问题", "四、下一步打算"]
    broken = Document()
    broken.add_paragraph("{% for s in sections %}{{ s.heading }")
    broken.save(str(tmp_path / "broken.docx"))
    result = run("report", "summary", "--org", "S001", "--template", str(tmp_path / "broken.docx"),
                 "-o", str(tmp_path / "never.docx"))
    assert result.exit_code == 2 and f"用模板 {tmp_path / 'broken.docx'} 生成文档时出错" in result.stderr
    assert not (tmp_path / "never.docx").exists()
    wrong = run("report", "summary", "--org", "S001", "-o", str(tmp_path / "x.pdf"))
    assert (wrong.exit_code, wrong.stderr) == (2, f"不知道怎样写 {tmp_path / 'x.pdf'}：文件名应以 .docx、.md、.html 结尾\n")


def test_the_ledger_holds_what_the_summary_counts(demo):
    from openpyxl import load_workbook

    run, folder = demo
    asof = ("--as-of", "2025-12-20")
    out = run("report", "ledger", "--org", "S001", "--term", "2025-autumn", *asof, "-o", str(folder / "l.xlsx"))
    assert out.exit_code == 0 and out.stdout.startswith(f"已写入 {folder / 'l.xlsx'}：")
    book = load_workbook(folder / "l.xlsx")
    assert book.sheetnames[:2] == ["留守儿童花名册", "结对帮扶名单"]
    assert {"谈心记录", "电话联系记录", "体检", "资助", "比赛与展演"} <= set(book.sheetnames)
    assert "体检记录" not in book.sheetnames  # the plugin's own sheet replaces the plain one

    def rows(name: str) -> list[tuple]:
        return list(book[name].iter_rows(min_row=4, values_only=True))  # title, unit and period, header

    for ws in book:
        assert ws.print_title_rows == "$3:$3" and ws.freeze_panes == "A4", ws.title
        assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
        assert ws["A1"].value.startswith("西北中学") and ws["A2"].value.startswith("单位：西北中学")
    stats = json.loads(run("stats", "--org", "S001", *asof, "--json").stdout)["totals"]
    roster = rows("留守儿童花名册")
    assert len(roster) == stats["cared_for"]
    header = [c.value for c in book["留守儿童花名册"][3]]
    phone = header.index("监护人电话")
    assert all("****" in r[phone] for r in roster if r[phone])
    assert book["留守儿童花名册"].cell(row=4, column=1).number_format == "@"  # 学籍号 as text
    # a school's own records have their sheet too, the school named as their subject
    assert [r[1:5] for r in rows("会议记录")] == [("林艳小", "西北中学", None, "会议类型：监护人培训")]
    assert "比赛记录" not in book.sheetnames  # the contest plugin's 比赛与展演 replaces it
    assert [c.value for c in book["结对帮扶名单"][3]][:2] == ["帮扶人", "工号或学籍号"]  # a teacher or a pupil
    calls = [r[-1] for r in rows("电话联系记录")]
    # coded values in words, as the plugin labels them — not "通话对象：parents"
    assert calls[:2] == ["通话对象：父母；时长：10分钟", "通话对象：监护人；时长：5分钟"]  # the field's unit
    assert not any("parents" in c or "guardian" in c for c in calls)
    assert len(rows("结对帮扶名单")) == len(json.loads(run("assign", "list", "--org", "S001", *asof, "--json").stdout))
    run("report", "summary", "--org", "S001", "--term", "2025-autumn", *asof, "-o", str(folder / "l.md"))
    summary = (folder / "l.md").read_text("utf-8")
    talks = re.search(r"本期共记录谈心([\d,]+)次", summary).group(1)
    assert len(rows("谈心记录")) == int(talks.replace(",", ""))
    payments = re.search(r"合计资助\d+人，(\d+)笔", summary).group(1)
    assert len(rows("资助")) == int(payments)


def test_the_ledger_shows_contacts_only_when_asked_and_audits_it(demo):
    from openpyxl import load_workbook

    run, folder = demo
    run("report", "ledger", "--org", "S001", "--as-of", "2025-12-20", "--show-contacts", "-o", str(folder / "c.xlsx"))
    sheet = load_workbook(folder / "c.xlsx")["留守儿童花名册"]
    header = [c.value for c in sheet[3]]
    phones = [r[header.index("监护人电话")] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert any(p and "*" not in p for p in phones)
    assert "含完整联系方式" in sheet["A2"].value
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{folder / 'demo.db'}")
    with engine.connect() as conn:
        found = [json.loads(a) if isinstance(a, str) else a for (a,) in conn.execute(text(
            "SELECT after FROM audit_log WHERE action = 'export_ledger' ORDER BY id"))]
    engine.dispose()
    assert found[-1]["show_contacts"] is True and found[-1]["file"] == "c.xlsx"


def shown(met: int, expected: int) -> float | None:
    """A rate as a workbook's percent cell holds it: the figure shown (3.2% is 0.032), rounded once
    from met/expected by the rule every output uses."""
    from fractions import Fraction

    from guanai.core.render import rate_tenths

    return rate_tenths(Fraction(met, expected)) / 1000 if expected else None


def test_the_county_report_ranks_what_compliance_and_indicators_say(school, tmp_path):
    from openpyxl import load_workbook

    school.ok("staff", "import", str(FACTS / "staff_s002.csv"), "--school", "S002")
    school.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S002")
    school.ok("record", "talk", "--child", "K1", "--by", "P001", "--at", "2025-10-20 10:00")
    asof = ("--as-of", "2025-11-20")
    out = school.ok("report", "county", "--org", "C01", "--term", "2025-autumn", *asof, "-o", str(tmp_path / "k.xlsx"))
    assert out == (f"已写入 {tmp_path / 'k.xlsx'}：示例县2025年秋季学期关爱留守儿童工作考核\n"
                   f"核对文件 {tmp_path / 'k.evidence.json'}：文中每个数字的出处\n")
    book = load_workbook(tmp_path / "k.xlsx")
    assert book.sheetnames == ["学校排名", "学校排名图", "乡镇排名", "乡镇排名图", "指标达标", "月度按时率", "月度按时率图",
                               "薄弱职责"]  # each chart on a sheet of its own: never printed over a table
    ranked = list(book["学校排名"].iter_rows(min_row=4, values_only=True))
    by_school = json.loads(school.ok("compliance", "--org", "C01", "--by", "school", *TERM, *asof, "--json"))["rows"]
    names = {"S001": "示例镇中学", "S002": "示例镇中心小学", "S003": "河口乡小学"}
    expected = sorted(by_school, key=lambda r: (r["rate"] is None, -(r["rate"] or 0), names[r["key"]["school"]]))
    assert [(r[1], r[5], r[6], r[7]) for r in ranked[:len(expected)]] == [
        (names[r["key"]["school"]], r["expected"], r["met"], shown(r["met"], r["expected"])) for r in expected]
    assert [r[0] for r in ranked] == list(range(1, len(ranked) + 1))
    targets = list(book["指标达标"].iter_rows(min_row=4, values_only=True))
    header = [c.value for c in book["指标达标"][3]]
    for row in targets:
        code = next(k for k, v in names.items() if v == row[0])
        values = {v["name"]: v for v in json.loads(school.ok("indicators", "--org", code, *asof, "--json"))}
        for i, title in enumerate(header[1::2]):
            name = title.rsplit("（目标", 1)[0]
            v = values[name]
            assert row[1 + 2 * i] == (shown(v["numerator"], v["denominator"]) if v["unit"] == "share" and v["denominator"]
                                      else v["value"]), (code, name)
            assert row[2 + 2 * i] == ("达标" if values[name]["ok"] else "未达标" if values[name]["value"] is not None
                                      else "—")
    months = list(book["月度按时率"].iter_rows(min_row=4, values_only=True))
    by_month = json.loads(school.ok("compliance", "--org", "C01", "--by", "month", *TERM, *asof, "--json"))["rows"]
    assert [(m[0], m[1], m[2], m[4]) for m in months] == [
        (r["key"]["month"], r["expected"], r["met"], shown(r["met"], r["expected"])) for r in by_month]
    assert len(book["学校排名图"]._charts) == 1 and len(book["月度按时率图"]._charts) == 1
    assert book["学校排名"]._charts == [] and book["学校排名"].print_area == "'学校排名'!$A$1:$I$6"
    school.ok("report", "county", "--org", "C01", *asof, "-o", str(tmp_path / "k.html"))
    page = (tmp_path / "k.html").read_text("utf-8")
    assert page.count("<svg") == 2 and "<script" not in page
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * 2  # nothing fetched


def test_the_shipped_template_is_the_one_make_template_builds(tmp_path):
    """core/reports/templates/summary.docx is generated (python -m guanai.core.reports.make_template);
    a change to the generator without rebuilding it fails here."""
    import zipfile

    from guanai.core.reports.make_template import HERE, build

    fresh = build(tmp_path / "summary.docx")
    for part in ("word/document.xml", "word/styles.xml", "word/footer1.xml"):
        with zipfile.ZipFile(HERE) as shipped, zipfile.ZipFile(fresh) as built:
            assert shipped.read(part) == built.read(part), part


def test_a_summary_counts_each_duty_by_its_match_and_pairs_by_who_pairs(db, tmp_path):
    """小港中学 mid-term: a 主题班会 is no 安全法制教育 and a 视频 call no 亲情电话, so each duty tells
    only its own records; classmates' 学习帮手 pairs are not 教职工 pairs; the months after as_of are
    still to come, not "开展了"."""
    from tests.conftest import ROOT

    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(ROOT / "programmes" / "xiaogang.yaml"), "--to", "S001")
    (tmp_path / "s.csv").write_text("工号,姓名,班主任班级,党员,岗位\nP1,党员甲,七(1)班,是,视频室\nN1,群众乙,,否,亲情对话室\n",
                                    encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "s.csv"), "--school", "S001")
    (tmp_path / "k.csv").write_text("学籍号,姓名,班级,留守类型,外出开始,入学,重点帮扶\n"
                                    "K1,甲,七(1)班,留守,2020-01,2025-09-01,是\nK2,乙,七(1)班,留守,2020-01,2025-09-01,否\n"
                                    "K3,丙,七(1)班,非留守,,2025-09-01,否\n", encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "k.csv"), "--school", "S001")
    for role in ("proxy_parent", "buddy"):
        db.ok("assign", "auto", "--school", "S001", "--role", role, "--from", "2025-09-01")
    db.ok("record", "meeting", "--school", "S001", "--at", "2025-09-26 15:00", "--set", "kind=主题班会")
    db.ok("record", "phone_call", "--child", "K1", "--by", "P1", "--at", "2025-09-25 19:00", "--set", "with=parents",
          "--set", "channel=视频")
    db.ok("report", "summary", "--org", "S001", "--as-of", "2025-10-27", "-o", str(tmp_path / "s.md"))
    lines = [line for line in (tmp_path / "s.md").read_text("utf-8").splitlines() if line]
    assert "与关爱对象结成帮扶对子1对（代理家长1对），承担帮扶的教职工1人，其中党员1人。" in lines
    assert "同学之间结成学习帮手对子2对。" in lines
    assert "主题班会、座谈开展思想教育：本期共记录会议1次；按学校·月计，应完成1项，按时完成1项，按时率100.0%。" in lines
    assert "安全法制教育：本期按学校·月计，应完成1项，尚未记录会议。" in lines
    assert "视频室组织留守学生与父母视频交流：本期共记录电话联系1次；按孩子·月计，应完成2项，按时完成1项，按时率50.0%。" in lines
    assert "亲情对话室组织留守学生与父母电话交流：本期按孩子·月计，应完成2项，尚未记录电话联系。" in lines
    assert "按计划安排但尚无记录：10月校歌赛（合唱队）。" in lines  # no record: never "开展了" (issue 28)
    assert "本期尚待开展：11月作文竞赛（文学社）；12月板报展、手抄报展。" in lines
    db.ok("record", "contest", "--school", "S001", "--by", "P1", "--at", "2025-10-24 15:00", "--set", "name=校歌赛",
          "--set", "category=校歌赛", "--set", "participants=K1")
    db.ok("report", "summary", "--org", "S001", "--as-of", "2025-10-27", "-o", str(tmp_path / "s2.md"))
    lines = [line for line in (tmp_path / "s2.md").read_text("utf-8").splitlines() if line]
    assert "按照月度活动安排，本期开展了：10月校歌赛（合唱队）。" in lines  # its record makes it so
    assert not any(line.startswith("方案职责之外") for line in lines)
    db.ok("record", "letter", "--child", "K1", "--by", "P1", "--at", "2025-10-20 15:00")
    db.ok("report", "summary", "--org", "S001", "--as-of", "2025-10-27", "-o", str(tmp_path / "s3.md"))
    lines = [line for line in (tmp_path / "s3.md").read_text("utf-8").splitlines() if line]
    assert "方案职责之外，本期还记录了：亲情书信1次。" in lines  # work no duty counts is never left out
    assert not any(line.startswith("按计划安排但尚无记录") for line in lines)


def test_an_areas_summary_speaks_of_schools_and_teachers_are_named_only_when_asked(demo):
    """issue 28 item 1: a county's 总结 never names classes (八(1)班 of which school?) nor teachers,
    never says 本校; a school's names its teachers only with --name-staff."""
    run, folder = demo
    asof = ("--as-of", "2025-10-27")
    assert run("report", "summary", "--org", "C01", *asof, "-o", str(folder / "c.md")).exit_code == 0
    county = (folder / "c.md").read_text("utf-8")
    assert "逾期未完成较多的学校：西北中学1" in county and "班：" not in county and "本校" not in county
    assert "（请结合本地实际填写。）" in county and "逾期未完成较多的教师" not in county
    assert run("report", "summary", "--org", "S001", *asof, "-o", str(folder / "s.md")).exit_code == 0
    own = (folder / "s.md").read_text("utf-8")
    assert "逾期未完成较多的班级：七(4)班1" in own and "逾期未完成较多的教师" not in own
    assert "有40位教师有逾期未完成的任务。" in own
    assert run("report", "summary", "--org", "S001", *asof, "--name-staff", "-o", str(folder / "n.md")).exit_code == 0
    assert "逾期未完成较多的教师：" in (folder / "n.md").read_text("utf-8")
