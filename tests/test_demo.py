"""`guanai demo`: a believable, deterministic school, rebuilt on demand, never over real data."""

from __future__ import annotations

import json


def test_demo_builds_and_prints_due_and_compliance(cli, tmp_path):
    path = tmp_path / "demo.db"
    result = cli("demo", "--db", str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[0] == (f"演示数据库 sqlite:///{path}：西北中学 600 名学生（关爱对象 294 名）、40 名教职工、"
                      "3101 条记录（2025年秋季学期前八周）。")
    assert "谢萍佳（T008）· 西北中学 · 截至 2025年10月27日 周一" in out
    assert "共 58 项：逾期 20 项、本周 18 项、本月 3 项、待办 17 项。" in out
    assert any(" ".join(line.split()) == "每一周至少谈心一次 1,470 1,049 0 71.4%" for line in out)
    assert any(" ".join(line.split()) == "1小时内告知在外务工家长 1 0 1 0.0%" for line in out)
    assert any(" ".join(line.split()) == "合计 3,240 2,195 2 67.7%" for line in out)
    assert any(" ".join(line.split()) == "体检率 88.4% 95.0% 260/294 未达标" for line in out)  # a plugin's kind
    assert f"已写入 {tmp_path / 'demo-总结.docx'}：西北中学2025年秋季学期关爱留守儿童工作总结" in out
    assert any(line.startswith(f"已写入 {tmp_path / 'demo-台账.xlsx'}：15 张表（留守儿童花名册") for line in out)
    from docx import Document

    text = "\n".join(p.text for p in Document(str(tmp_path / "demo-总结.docx")).paragraphs)
    assert "每一周至少谈心一次：本期共记录谈心1,259次；按孩子·周计，应完成1,470项，按时完成1,049项，按时率71.4%。" in text
    again = cli("demo", "--db", str(path))  # rebuilt from scratch: the same numbers
    assert again.stdout.splitlines()[0] == out[0]
    by_township = json.loads(cli("--db", f"sqlite:///{path}", "compliance", "--by", "township,school",
                                 "--as-of", "2025-10-27", "--json").stdout)
    assert by_township["rows"] == [{"key": {"township": "T01", "school": "S001"}, "expected": 3240, "met": 2195,
                                    "met_late": 2, "rate": 0.6775}]
    worst = json.loads(cli("--db", f"sqlite:///{path}", "compliance", "--by", "staff", "--group", "五个一",
                           "--sort", "rate", "--as-of", "2025-10-27", "--json").stdout)["rows"]
    rates = [r["rate"] for r in worst]
    assert rates == sorted(rates) and len(worst) == 40


def test_demo_refuses_a_database_with_real_data(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'school.db'}"
    assert cli("--db", url, "init").exit_code == 0
    assert cli("--db", url, "org", "import", "tests/data/facts/org.csv").exit_code == 0
    assert cli("--db", url, "programme", "publish", "programmes/xibei.yaml").exit_code == 0
    result = cli("demo", "--db", str(tmp_path / "school.db"))
    assert (result.exit_code, result.stderr) == (2, f"{url} 已有数据，不是演示数据库：请换一个文件，例如 guanai demo --db demo.db\n")


def test_compliance_refuses_an_unknown_grouping(cli, demo_db):
    path = demo_db
    result = cli("--db", f"sqlite:///{path}", "compliance", "--by", "school,teacher")
    assert (result.exit_code, result.stderr) == (2, "--by: 不能按 “teacher” 分组；可用：duty|staff|class|school|township|org|month|week\n")


def test_explain_refuses_a_subject_the_duty_is_not_about(cli, demo_db):
    path = demo_db
    result = cli("--db", f"sqlite:///{path}", "explain", "--duty", "weekly-talk", "--school", "S001")
    assert (result.exit_code, result.stderr) == (2, "职责 weekly-talk 的对象是每个孩子：请用 --child 学籍号\n")


def test_due_for_a_class_names_its_school_and_lists_only_its_childrens_items(cli, demo_db):
    path = demo_db
    url = f"sqlite:///{path}"
    out = cli("--db", url, "due", "--class", "七(1)班", "--as-of", "2025-10-27").stdout.splitlines()
    assert out[0] == "西北中学 七(1)班 · 截至 2025年10月27日 周一"
    rows = json.loads(cli("--db", url, "due", "--class", "七(1)班", "--as-of", "2025-10-27", "--json").stdout)
    assert rows and {(r["class"], r["scope"]) for r in rows} == {("七(1)班", "child")}
    summary = next(line for line in out if line.startswith("共 "))
    assert summary.startswith(f"共 {len(rows)} 项：") and summary.count("还剩") == 0  # time-limited: one bucket


def test_a_childs_file_and_the_proxy_parent_in_the_list(cli, demo_db):
    """一人一档: profile (contacts masked), pairings over time, every record, open items — the same
    open items `due` lists for the child; `children list` names each child's proxy parent."""
    path = demo_db
    url = f"sqlite:///{path}"
    kids = json.loads(cli("--db", url, "children", "list", "--json").stdout)
    first = kids[0]
    assert (first["proxy_parent"], first["proxy_parent_name"]) == ("T001", "董丽")
    shown = json.loads(cli("--db", url, "children", "show", first["id"], "--as-of", "2025-10-27", "--json").stdout)
    assert shown["child"]["guardian_phone"] == "190****9920"
    assert [(p["role"], p["staff_name"] or p["buddy_name"]) for p in shown["pairings"]] == [
        ("proxy_parent", "董丽"), ("buddy", "唐玉娜")]
    due = json.loads(cli("--db", url, "due", "--org", "S001", "--as-of", "2025-10-27", "--json").stdout)
    mine = sorted((r["duty"], r["due"]) for r in due if r["subject"] == first["id"])
    assert sorted((r["duty"], r["due"]) for r in shown["open"]) == mine and mine
    records = json.loads(cli("--db", url, "records", "list", "--child", first["id"], "--json").stdout)
    assert len(shown["records"]) == len(records)
    text = cli("--db", url, "children", "show", first["id"], "--as-of", "2025-10-27").stdout
    assert text.startswith(f"郑强（{first['id']}）· 西北中学 七(1)班 · 留守 · 截至 2025年10月27日 周一")
    assert "时长：30" in text and f"共 {len(records)} 条记录；待办 {len(mine)} 项" in text
    # who answers and who recorded, by name (the JSON keeps the 工号)
    assert shown["open"][0]["responsible"] == "T001" and " 董丽 " in text.split("待办与逾期")[1].splitlines()[3]
    assert " T001 " not in text
    unknown = cli("--db", url, "children", "show", "G0")
    assert (unknown.exit_code, unknown.stderr) == (2, "没有学籍号为 “G0” 的学生\n")


def test_children_list_takes_a_category_in_words_or_as_its_code(cli, demo_db):
    """issue 27 item 7: `--category 留守` once returned 0 rows without a word."""
    url = f"sqlite:///{demo_db}"
    words = json.loads(cli("--db", url, "children", "list", "--category", "留守", "--json").stdout)
    code = json.loads(cli("--db", url, "children", "list", "--category", "left_behind", "--json").stdout)
    assert words == code and len(words) == 265 and {k["category"] for k in words} == {"left_behind"}
    wrong = cli("--db", url, "children", "list", "--category", "留守儿")
    assert (wrong.exit_code, wrong.stderr) == (2, "--category: “留守儿” 不是可选值之一：留守、孤儿、遗弃、单亲、非留守\n")
