"""Documents one signs (issue 28): every figure with its source in an evidence file, what each
count counts, work recorded for a duty not yet due, an opening and a closing paragraph, the file's
own properties, and a hand-edited file never overwritten without --force."""

from __future__ import annotations

import json
import re

from tests.conftest import FACTS

ENGINE = FACTS.parent / "engine"


def test_every_sentence_with_a_figure_names_its_source_and_the_command_gives_the_same_figure(demo):
    """The evidence file beside the 总结: each sentence with figures, the engine call and the
    command; running a compliance command it names gives the sentence's figures."""
    run, folder = demo
    out = run("report", "summary", "--org", "S001", "--as-of", "2025-12-20", "-o", str(folder / "e.md"))
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[1] == f"核对文件 {folder / 'e.evidence.json'}：文中每个数字的出处"
    proof = json.loads((folder / "e.evidence.json").read_text("utf-8"))
    assert (proof["document"], proof["org"], proof["as_of"], proof["period"]) == (
        "e.md", "S001", "2025-12-20T23:59", {"name": "2025年秋季学期", "first": "2025-09-01", "last": "2026-01-16"})
    text = (folder / "e.md").read_text("utf-8")
    sentences = [item for item in proof["items"] if "text" in item]
    assert all(item["text"] in text for item in sentences)  # the sentences as printed
    numbered = [p for p in text.split("\n\n") if re.search(r"\d", p) and not p.startswith(("|", "#", "<p", "**"))]
    told = {item["text"] for item in sentences}
    framing = ("2025年秋季学期，本校按照", "以上数字")  # the opening's term and the closing's date
    assert [p for p in numbered if p not in told and not p.startswith(framing)] == []  # no figure without a source
    talk = next(item for item in sentences if item["text"].startswith("每一周至少谈心一次："))
    assert talk["call"] == "guanai.core.services.engine.compliance" and talk["select"] == {"duty": "weekly-talk"}
    assert talk["command"] == ("guanai compliance --by duty --from 2025-09-01 --to 2026-01-16 --org S001 "
                               "--as-of 2025-12-20T23:59 --json")
    assert talk["records"]["call"] == "guanai.core.store.reporting.matching_count"
    row = next(r for r in json.loads(run(*talk["command"].split()[1:]).stdout)["rows"]
               if r["key"]["duty"] == "weekly-talk")
    assert (talk["figures"]["expected"], talk["figures"]["met"]) == (row["expected"], row["met"])
    listed = json.loads(run(*talk["records"]["command"].split()[1:]).stdout)
    assert len(listed) == talk["figures"]["n"]  # 本期共记录谈心 N 次: the records the command lists


def test_evidence_goes_where_asked_and_beside_a_county_report(demo, tmp_path):
    run, folder = demo
    out = run("report", "summary", "--org", "S001", "--as-of", "2025-12-20", "-o", str(folder / "f.docx"),
              "--evidence", str(tmp_path / "证据" / "f.json"))
    assert out.exit_code == 0 and (tmp_path / "证据" / "f.json").is_file() and not (folder / "f.evidence.json").exists()
    out = run("report", "county", "--org", "C01", "--as-of", "2025-12-20", "-o", str(folder / "k.html"))
    tables = json.loads((folder / "k.evidence.json").read_text("utf-8"))["items"]
    assert [t["table"] for t in tables] == ["学校排名", "乡镇排名", "指标达标", "月度按时率", "薄弱职责"]
    assert tables[0]["command"].startswith("guanai compliance --by school --from 2025-09-01 --to 2026-01-16 --org C01")


def test_a_file_already_there_is_kept_unless_forced(demo):
    """A 总结 the head teacher edited by hand is not overwritten by a second run: exit 2, the file
    as it was; --force writes it again."""
    run, folder = demo
    target = folder / "kept.md"
    target.write_text("校长改过的稿子", encoding="utf-8")
    for report, name in (("summary", "kept.md"), ("ledger", "kept.xlsx"), ("county", "kept.html")):
        (folder / name).write_text("校长改过的稿子", encoding="utf-8")
        out = run("report", report, "--org", "S001" if report != "county" else "C01", "--as-of", "2025-12-20",
                  "-o", str(folder / name))
        assert (out.exit_code, out.stdout) == (2, "")
        assert out.stderr == (f"{folder / name} 已经存在（可能已经手工修改过）：未覆盖。要重新生成请加 --force，或换一个文件名\n")
        assert (folder / name).read_text("utf-8") == "校长改过的稿子"
    out = run("report", "summary", "--org", "S001", "--as-of", "2025-12-20", "-o", str(target), "--force")
    assert out.exit_code == 0 and target.read_text("utf-8").startswith("# 西北中学")


def test_the_summary_opens_and_closes_as_a_summary_does_and_its_file_says_whose_it_is(demo):
    from datetime import date

    from docx import Document

    run, folder = demo
    run("report", "summary", "--org", "S001", "--as-of", "2025-12-20", "-o", str(folder / "p.docx"))
    doc = Document(str(folder / "p.docx"))
    text = [p.text for p in doc.paragraphs if p.text.strip()]
    assert text[1] == ("2025年秋季学期，本校按照《西北中学关爱农村留守儿童\"同爱行动\"实施方案》的部署，围绕“五个一”"
                       "“三个优先”“健康”等要求开展关爱留守儿童工作。现将本期工作总结如下。")
    assert text[2] == "一、基本情况"
    assert text[-3:] == ["以上数字均取自截至2025年12月20日的工作记录；每个数字的出处见随本文生成的核对文件（.evidence.json）。",
                         "西北中学", "2025年12月20日"]
    props = doc.core_properties
    assert (props.title, props.author, props.last_modified_by) == (
        "西北中学2025年秋季学期关爱留守儿童工作总结", "西北中学", "西北中学")
    assert props.created.date() == date.today() and "模板" not in (props.title or "") + (props.comments or "")


def test_counts_say_what_they_count_and_work_done_before_its_duty_is_due_is_told(db, tmp_path):
    """A weekly duty per child counts 孩子·周; a duty needing 2 records a week says so; a training
    recorded on 10-17 for a task due 10-21 is in a 总结 made on 10-20."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    plan = (ENGINE / "term.yaml").read_text("utf-8").replace(
        "tasks: [{id: plan, name: 制定方案, scope: school, step: plan, due: 2025-09-10}]",
        "tasks: [{id: plan, name: 制定方案, scope: school, step: plan, due: 2025-09-10},\n"
        "            {id: trainer, name: 委托监护人培训, scope: school, step: meeting, due: 2025-10-21}]")
    (tmp_path / "p.yaml").write_text(plan, encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "p.yaml"), "--to", "S001", "--yes")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001")
    for day in ("2025-10-13", "2025-10-15", "2025-10-17"):
        db.ok("record", "home_open", "--school", "S001", "--at", f"{day} 15:00")
    db.ok("record", "meeting", "--school", "S001", "--at", "2025-10-17 16:00")
    db.ok("report", "summary", "--org", "S001", "--as-of", "2025-10-20", "-o", str(tmp_path / "s.md"))
    lines = [x for x in (tmp_path / "s.md").read_text("utf-8").splitlines() if x]
    opening = next(x for x in lines if x.startswith("留守儿童之家每周开放2次："))
    assert opening == ("留守儿童之家每周开放2次：本期共记录留守儿童之家开放3次；按学校·周计，应完成6项（每项2次，共12次），"
                       "按时完成1项，按时率16.7%。")
    assert "委托监护人培训：本期已记录会议1次，要求尚未到期（10月21日截止）。" in lines
    assert "| 留守儿童之家每周开放2次 | — | 学校·周 | 6 | 1 | 0 | 16.7% |" in lines


def test_what_can_be_checked_without_eyes_holds_in_every_document(demo):
    """issue 28 item 6: every sheet of every workbook has page numbers and prints A4 landscape one
    page wide; no chart lies over a table; the 总结's text has no half-width space between Chinese
    and a figure; its title breaks into two lines, neither a word alone; table headers wrap only
    between words; counts carry thousands separators in the text as in the tables."""
    from docx import Document
    from openpyxl import load_workbook

    run, folder = demo
    asof = ("--as-of", "2026-01-16")
    for args, name in ((("ledger", "--org", "S001"), "w1.xlsx"), (("county", "--org", "C01"), "w2.xlsx")):
        assert run("report", *args, *asof, "-o", str(folder / name)).exit_code == 0
        for ws in load_workbook(folder / name):
            assert ws.oddFooter.center.text == "第 &P 页 共 &N 页", ws.title
            assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1, ws.title
            assert ws._charts == [] or ws.max_row == 1, ws.title  # a chart has a sheet of its own
    run("report", "summary", "--org", "S001", *asof, "-o", str(folder / "w.docx"))
    doc = Document(str(folder / "w.docx"))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert not re.search(r"[\u4e00-\u9fff，。：；（）] +[0-9]|[0-9%] +[\u4e00-\u9fff，。；]", body)
    assert doc.paragraphs[0].text == "西北中学2025年秋季学期\n关爱留守儿童工作总结"
    assert "本期共记录谈心1,259次" in body and not re.search(r"[^\d,.]\d{4,}次", body)
    headers = [cell.text for table in doc.tables for cell in table.rows[0].cells]
    assert "按时\n完成" in headers and not any(h in ("按时完\n成", "逾期完\n成") for h in headers)
    assert all(len(line) >= 2 for h in headers for line in h.split("\n"))  # never one character alone


def test_the_ledger_files_each_incident_with_its_notices_and_whether_in_time(demo):
    """突发事件与报告: the demo's incident of 10-14 10:00 and its four notices, as compliance counts
    them: 30 minutes (in time), 1 hour (given at 11:01: late), 2 hours to the bureau (never given)."""
    from datetime import datetime

    from openpyxl import load_workbook

    run, folder = demo
    run("report", "ledger", "--org", "S001", "--as-of", "2026-01-16", "-o", str(folder / "i.xlsx"))
    sheet = load_workbook(folder / "i.xlsx")["突发事件与报告"]
    assert [c.value for c in sheet[3]] == ["事件", "发生时间", "对象", "班级", "记录人", "应报告事项", "时限", "报告时间", "结果"]
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True)]
    at = datetime(2025, 10, 14, 10, 0)
    assert [(r[1], r[5], r[6], r[7], r[8]) for r in rows] == [
        (at, "30分钟内告知委托监护人", datetime(2025, 10, 14, 10, 30), datetime(2025, 10, 14, 10, 25), "按时完成"),
        (at, "1小时内告知在外务工家长", datetime(2025, 10, 14, 11, 0), datetime(2025, 10, 14, 11, 1), "逾期完成"),
        (at, "2小时内报告上级教育主管部门", datetime(2025, 10, 14, 12, 0), None, "逾期未报告"),
        (at, "2小时内报告乡党委政府", datetime(2025, 10, 14, 12, 0), datetime(2025, 10, 14, 11, 40), "按时完成")]
    assert all(r[4] and not r[4].startswith("T0") for r in rows)  # 记录人 by name, never 工号
    by_duty = {r["key"]["duty"]: r for r in json.loads(run("compliance", "--org", "S001", "--by", "duty", "--as-of",
                                                           "2026-01-16", "--json").stdout)["rows"]}
    assert [by_duty[f"incident-chain.{d}"]["met"] for d in ("tell-guardian", "tell-parents", "tell-bureau",
                                                             "tell-township")] == [1, 0, 0, 1]


def test_the_rosters_parents_fit_one_cell_each_and_amounts_keep_their_cents(demo):
    from openpyxl import load_workbook

    run, folder = demo
    run("report", "ledger", "--org", "S001", "--as-of", "2026-01-16", "-o", str(folder / "r.xlsx"))
    book = load_workbook(folder / "r.xlsx")
    roster = book["留守儿童花名册"]
    header = [c.value for c in roster[3]]
    assert len(header) == 13 and header[9:11] == ["父亲（电话、务工地）", "母亲（电话、务工地）"]
    father = roster.cell(row=4, column=10)
    assert father.value.count("\n") == 2 and "****" in father.value and father.alignment.wrap_text
    assert roster.row_dimensions[4].height == 45  # three lines shown
    money = book["资助"]
    assert [c.value for c in money[3]][5] == "金额（元）" and money.cell(row=4, column=6).number_format == "#,##0.00"
    assert "。；" not in money["A2"].value and "资助34人" in money["A2"].value
    health = [c.value for c in book["体检"][3]]
    assert health[4:6] == ["身高（厘米）", "体重（千克）"]


def test_the_sample_template_keeps_every_section_of_the_summary(demo, tmp_path):
    """`report template` writes the default template, a county's starting point; a summary through
    it holds every paragraph the default gives — opening, 一 to 四, closing, unit and date."""
    from docx import Document

    run, folder = demo
    out = run("report", "template", "-o", str(tmp_path / "本县模板.docx"))
    assert out.stdout.startswith(f"已写入 {tmp_path / '本县模板.docx'}：默认的工作总结模板。")
    assert run("report", "template", "-o", str(tmp_path / "本县模板.docx")).exit_code == 2  # kept
    asof = ("--as-of", "2025-12-20")
    run("report", "summary", "--org", "S001", *asof, "-o", str(tmp_path / "a.docx"))
    run("report", "summary", "--org", "S001", *asof, "--template", str(tmp_path / "本县模板.docx"),
        "-o", str(tmp_path / "b.docx"))
    plain, through = ([p.text for p in Document(str(tmp_path / name)).paragraphs] for name in ("a.docx", "b.docx"))
    assert through == plain and "一、基本情况" in through and through[-1] == "2025年12月20日"
