"""`programme simulate`: a draft's obligations per teacher and week on today's rosters, counted by
the engine itself — hand-worked cases, and the one-derivation test against `compliance`."""

from __future__ import annotations

import json

from tests.conftest import FACTS, PROGRAMMES

DRAFT = """id: load
title: 工作量试算
calendar:
  terms:
    - {id: autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
  public_holidays: CN
phases:
  - {id: early, name: 前期, start: 2025-09-01, end: 2025-11-16}
  - {id: late, name: 后期, start: 2025-11-17, end: 2026-01-16}
assignments:
  - {role: proxy_parent, per_child: 1}
limits: {per_staff_per_week: 9}
duties:
  - {id: talk, name: 谈心, group: 五个一, scope: child, by: proxy_parent, step: talk, every: week}
  - {id: call, name: 电话, group: 五个一, scope: child, by: proxy_parent, step: phone_call, every: month}
  - {id: homework, name: 辅导作业, group: 五个一, scope: child, by: proxy_parent, step: homework_help, every: week,
     during: [late]}
triggers:
  - id: incident
    name: 突发事件
    when: {step: incident}
    then:
      - {id: tell, name: 告知监护人, step: notify, match: {to: guardian}, within: 30m}
"""
ROSTER = "学籍号,姓名,班级,留守类型,外出开始,入学\n" + "".join(
    f"K{i},学生{i},七(1)班,留守,2020-01,{'2025-10-15' if i == 5 else '2025-09-01'}\n" for i in range(1, 7))
PAIRS = ("学籍号,工号,开始,结束\nK1,A,2025-09-01,\nK2,A,2025-09-01,\nK3,A,2025-09-01,\nK4,A,2025-09-01,2025-11-30\n"
         "K4,B,2025-12-01,\nK5,A,2025-10-15,\n")  # K6: nobody


def _county(db, tmp_path):
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "staff.csv").write_text("工号,姓名\nA,甲老师\nB,乙老师\n", encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "staff.csv"), "--school", "S001")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "roster.csv"), "--school", "S001")
    (tmp_path / "pairs.csv").write_text(PAIRS, encoding="utf-8")
    db.ok("assign", "import", str(tmp_path / "pairs.csv"), "--role", "proxy_parent")
    (tmp_path / "draft.yaml").write_text(DRAFT, encoding="utf-8")
    return tmp_path / "draft.yaml"


def test_hand_worked_weeks_of_two_teachers(db, tmp_path):
    """甲 has K1–K4 from 09-01 (K4 until 11-30, then 乙) and K5, enrolled mid-term on 10-15.
    W40 holds the National Day holiday and September's calls (due 09-30): 4 talks + 4 calls. K5's
    talks start in W43, the first week it is enrolled on the window's first day; its first call is
    November's. 辅导作业 starts with the phase 后期 (W47). November's calls fall in W48. K6 has
    nobody: 10 talks, 3 homework, 3 calls unassigned. Nothing is stored or published."""
    draft = _county(db, tmp_path)
    load = json.loads(db.ok("programme", "simulate", str(draft), "--org", "S001", "--from", "2025-09-29",
                            "--to", "2025-12-07", "--json"))
    weeks = {(r["key"]["staff"], r["key"]["week"]): r["obligations"] for r in load["rows"]}
    assert [weeks.get(("A", f"2025-W{w}"), 0) for w in range(40, 50)] == [8, 4, 4, 5, 9, 5, 5, 10, 15, 8]
    assert [weeks.get(("B", f"2025-W{w}"), 0) for w in range(40, 50)] == [0] * 9 + [2]
    assert sum(n for (who, _), n in weeks.items() if who is None) == 16
    assert load["totals"] == {"obligations": 91, "unassigned": 16}
    assert [(k["child"], k["obligations"]) for k in load["unassigned_children"]] == [("K6", 16)]
    assert load["limits"] == {"per_staff_per_week": 9, "over": [
        {"staff": "A", "name": "甲老师", "week": "2025-W48", "obligations": 15},
        {"staff": "A", "name": "甲老师", "week": "2025-W47", "obligations": 10}]}
    assert db.count("programme_version") == 0 and db.count("record") == 0
    text = db.ok("programme", "simulate", str(draft), "--org", "S001", "--from", "2025-09-29", "--to", "2025-12-07")
    lines = text.splitlines()
    assert lines[0] == "示例镇中学 · 试算《工作量试算》 · 2025-09-29 至 2025-12-07（10 周）"
    assert lines[3].split()[:4] == ["甲老师（A）", "73", "7.3", "15（2025-W48）"]
    assert lines[3].endswith("▅▃▃▃▅▃▃▆█▅")  # against the heaviest week (15): ▁ … █
    assert "超过每周 9 项上限：1 位教师、2 个周次 —— 甲老师（A）2025-W48 15 项；甲老师（A）2025-W47 10 项" in text
    assert "1 名孩子的职责将无人负责：学生6（K6）" in text
    by_duty = json.loads(db.ok("programme", "simulate", str(draft), "--org", "S001", "--from", "2025-09-29",
                               "--to", "2025-12-07", "--by", "duty", "--json"))
    assert {r["key"]["duty"]: r["obligations"] for r in by_duty["rows"]} == {"talk": 57, "call": 16, "homework": 18}


def test_bad_options_are_refused_before_any_work(db, tmp_path):
    draft = _county(db, tmp_path)
    result = db.run("programme", "simulate", str(draft), "--by", "staff,day")
    assert (result.exit_code, result.stderr) == (2, "--by: 不能按 “day” 分组；可用：duty|staff|class|school|week|month\n")
    result = db.run("programme", "simulate", str(draft), "--from", "2025-12-01", "--to", "2025-11-01")
    assert (result.exit_code, result.stderr) == (2, "--to: 结束日期 2025-11-01 早于开始日期 2025-12-01\n")


def _both(run, first: str, last: str) -> tuple[dict, dict, dict]:
    """(simulate's obligations, compliance's expected) per staff, week and duty for the periodic
    duties of the published programme (triggered ones depend on events; simulate does not count
    them), and `programme show`'s windows per term of each duty."""
    show = json.loads(run("programme", "show", str(PROGRAMMES / "xibei.yaml"), "--json").stdout)
    triggered = {f["id"] for f in show["follow_ups"]}
    load = json.loads(run("programme", "simulate", str(PROGRAMMES / "xibei.yaml"), "--org", "S001", "--from", first,
                          "--to", last, "--by", "staff,week,duty", "--json").stdout)
    known = json.loads(run("compliance", "--org", "S001", "--by", "staff,week,duty", "--from", first, "--to", last,
                           "--as-of", "2026-08-31", "--json").stdout)
    mine = {(r["key"]["staff"] or None, r["key"]["week"], r["key"]["duty"]): r["obligations"] for r in load["rows"]}
    theirs = {(r["key"]["staff"], r["key"]["week"], r["key"]["duty"]): r["expected"] for r in known["rows"]
              if r["key"]["duty"] not in triggered and r["expected"]}
    windows = {d["id"]: d["windows"]["2025-autumn"] for d in show["duties"]}
    return mine, theirs, windows


def _per_duty(found: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_, _, duty), n in found.items():
        out[duty] = out.get(duty, 0) + n
    return out


def test_simulating_the_published_programme_gives_what_compliance_knows_on_the_demo(demo):
    """The demo's autumn term: the same 12,940 obligations, teacher by teacher and week by week;
    每一周至少谈心一次 is 294 children × its 18 windows."""
    run, _ = demo
    mine, theirs, windows = _both(run, "2025-09-01", "2026-01-16")
    assert mine == theirs
    assert sum(mine.values()) == 12_940
    assert _per_duty(mine)["weekly-talk"] == 294 * windows["weekly-talk"] == 294 * 18


def test_simulating_the_published_programme_gives_what_compliance_knows_on_both_backends(school):
    """A small school on SQLite and PostgreSQL: the same obligations per teacher, week and duty, and
    the weekly talk is each cared-for child once per window `programme show` counts."""
    school.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    mine, theirs, windows = _both(lambda *args: school.run(*args), "2025-09-01", "2026-01-16")
    assert mine == theirs
    cared = json.loads(school.ok("stats", "--org", "S001", "--as-of", "2025-09-01", "--json"))["totals"]["cared_for"]
    assert cared > 0
    assert _per_duty(mine)["weekly-talk"] == cared * windows["weekly-talk"]


def test_diff_names_what_changed_in_the_programmes_words_and_the_load_per_teacher_and_week(db, tmp_path):
    """The revision starts 后期 a week earlier (11-10) and gives 电话 3 grace days: 辅导作业 gains
    the window 2025-W46 — for 甲's five children and for K6, who has nobody."""
    old = _county(db, tmp_path)
    new = tmp_path / "new.yaml"
    new.write_text(DRAFT.replace("end: 2025-11-16}", "end: 2025-11-09}").replace("start: 2025-11-17,", "start: 2025-11-10,")
                   .replace("step: phone_call, every: month}", "step: phone_call, every: month, grace_days: 3}"),
                   encoding="utf-8")
    out = json.loads(db.ok("programme", "diff", str(old), str(new), "--org", "S001", "--from", "2025-09-29",
                           "--to", "2025-12-07", "--json"))
    assert [(i["section"], i["id"], i["change"], [(f["label"], f["old"], f["new"]) for f in i["fields"]])
            for i in out["items"]] == [
        ("phases", "early", "changed", [("结束日期", "2025-11-16", "2025-11-09")]),
        ("phases", "late", "changed", [("开始日期", "2025-11-17", "2025-11-10")]),
        ("duties", "call", "changed", [("宽限天数", 0, 3)])]
    assert out["windows"] == [{"duty": "homework", "name": "辅导作业", "moved": [], "added": ["2025-W46"],
                               "removed": []}]
    assert out["load"]["rows"] == [
        {"key": {"staff": "A", "week": "2025-W46"}, "old": 5, "new": 10, "change": 5},
        {"key": {"staff": None, "week": "2025-W46"}, "old": 1, "new": 2, "change": 1}]
    assert out["load"]["totals"] == {"old": 91, "new": 97, "change": 6, "unassigned_old": 16, "unassigned_new": 17}
    text = db.ok("programme", "diff", str(old), str(new), "--org", "S001", "--from", "2025-09-29", "--to", "2025-12-07")
    assert "～ 修改职责“电话”（call）\n    宽限天数：0 → 3\n" in text
    assert "  时间窗口 · 辅导作业：新增 1 个（2025-W46）\n" in text
    assert text.endswith("任务 91 → 97（+6）；无人负责 16 → 17。\n")
    same = db.ok("programme", "diff", str(old), str(old), "--org", "S001")
    assert "两个方案的职责、任务、活动、触发和指标相同。" in same


def test_the_programmes_limit_in_assign_check_and_assign_auto(db, tmp_path):
    """Published, the draft's limit (9 a week) holds 甲 to account week by week; one child's
    heaviest week is 3 obligations (talk, homework and November's call in W48), so assign auto
    says a teacher may hold 3 children."""
    draft = _county(db, tmp_path)
    db.ok("programme", "publish", str(draft))
    result = db.run("assign", "check", "--org", "S001", "--as-of", "2025-10-31")
    over = [line for line in result.stdout.splitlines() if "超过方案每周" in line]
    assert over == [
        "S001 · 甲老师（A）：2025-W48 有 15 项任务，超过方案每周 9 项的上限",
        "S001 · 甲老师（A）：2026-W01 有 12 项任务，超过方案每周 9 项的上限",
        "S001 · 甲老师（A）：2026-W03 有 12 项任务，超过方案每周 9 项的上限",
        "S001 · 甲老师（A）：2025-W47 有 10 项任务，超过方案每周 9 项的上限"]
    assert result.exit_code == 1 and "教师超出每周上限 4" in result.stdout.splitlines()[-1]
    out = db.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")
    assert out.splitlines() == ["已为 S001 新建 1 个结对（代理家长），分给 1 位帮扶人。",
                                "按方案每周 9 项的上限，每位教师最多做 3 名孩子的代理家长；超出的教师 1 位（assign check 会逐周列出）。"]
    assert db.rows("pairing", "staff", child="K6") == [("B",)]  # to the teacher under the limit


def test_a_post_nobody_holds_and_a_class_without_head_are_named_never_counted_as_children(db, tmp_path):
    """issue 27 item 6: a school duty of a post nobody holds (视频室) was listed among children
    ("S001（S001）"); a class duty with no head teacher likewise. Each is named for what it is."""
    draft = _county(db, tmp_path)
    draft.write_text(DRAFT.replace("triggers:", """  - {id: video, name: 亲情视频室开放, scope: school, by: {post: 视频室}, step: home_open, every: week}
  - {id: class-meeting, name: 主题班会, scope: class, by: head_teacher, step: meeting, every: month}
triggers:"""), encoding="utf-8")
    load = json.loads(db.ok("programme", "simulate", str(draft), "--org", "S001", "--from", "2025-09-29",
                            "--to", "2025-10-26", "--json"))
    assert [k["child"] for k in load["unassigned_children"]] == ["K6"]
    assert load["vacant_posts"] == [{"post": "视频室", "duties": ["亲情视频室开放"], "obligations": 4}]
    assert load["unassigned_other"] == [{"scope": "class", "school": "S001", "subject": "七(1)班",
                                         "duties": ["主题班会"], "obligations": 1}]
    text = db.ok("programme", "simulate", str(draft), "--org", "S001", "--from", "2025-09-29", "--to", "2025-10-26")
    assert "岗位“视频室”还没有人担任：亲情视频室开放 共 4 项任务无人负责（在教职工名单的“岗位/职务”列写明）" in text
    assert "班级 七(1)班：主题班会 共 1 项任务无人负责" in text


GAP = DRAFT.replace("  - {role: proxy_parent, per_child: 1}",
                    "  - {role: proxy_parent, per_child: 1, where: [{field: profile.重点帮扶, op: eq, value: 是}]}")


def test_check_with_facts_and_publish_warn_of_a_duty_its_rule_leaves_without_anyone(db, tmp_path):
    """issue 27 item 6: a weekly talk for every child by a 代理家长 given only to the 重点帮扶 ones is
    found before publishing, with the counts, not only in simulate."""
    _county(db, tmp_path)
    (tmp_path / "roster.csv").write_text(ROSTER.replace("入学\n", "入学,重点帮扶\n").replace("2025-09-01\n", "2025-09-01,是\n", 2)
                                         .replace("2025-09-01\n", "2025-09-01,\n").replace("2025-10-15\n", "2025-10-15,\n"),
                                         encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "roster.csv"), "--school", "S001", "--yes")
    draft = tmp_path / "gap.yaml"
    draft.write_text(GAP, encoding="utf-8")
    result = db.run("programme", "check", str(draft), "--with-facts", "--org", "S001")
    assert result.exit_code == 0
    warning = ("警告：S001 职责“{}”（{}）面向 5 名孩子，但结对规则只给其中 2 名配了代理家长：另 3 名孩子的这项职责无人负责"
               "（2025-09-01 的花名册；改结对规则的 where 或职责的 where）")
    assert result.stderr.splitlines() == [warning.format("谈心", "talk"), warning.format("电话", "call"),
                                          warning.format("辅导作业", "homework")]
    published = db.run("programme", "publish", str(draft), "--to", "S001", "--from", "2025-09-01", "--yes")
    assert published.exit_code == 0 and published.stderr.splitlines()[0] == warning.format("谈心", "talk")
    assert db.count("programme_version") == 1
