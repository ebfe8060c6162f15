"""The engine, hand-worked: each scenario says why the expected answer is what it is.

Programme: tests/data/engine/term.yaml — one term from 2025-09-01, National Day break stretched
to 10-01…10-12, phase `implement` ending mid-month on 11-15. School S001: K1 (enrolled 2024) paired
with T001; K2 enrolled 2025-10-15 and paired with T002, who leaves on 2025-10-20; K3 not cared for.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime

import pytest

from tests.conftest import FACTS, ROOT

ENGINE = FACTS.parent / "engine"


@pytest.fixture
def term(db):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(ENGINE / "term.yaml"), "--to", "S001")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001")
    db.ok("assign", "import", str(ENGINE / "pairs.csv"), "--role", "proxy_parent")
    return db


def record(db, step, subject, at, *sets, by="T001", key=None):
    option = "--school" if subject.startswith("S") else "--child"
    args = ["record", step, option, subject, "--by", by, "--at", at]
    for s in sets:
        args += ["--set", s]
    if key:
        args += ["--id", key]
    db.ok(*args)


def explain(db, duty, child, as_of):
    return json.loads(db.ok("explain", "--duty", duty, "--child", child, "--as-of", as_of, "--json"))


def windows(db, duty, child, as_of):
    return {w["start"]: w for w in explain(db, duty, child, as_of)}


def test_child_enrolled_mid_term_starts_with_the_first_whole_window(term):
    """K2 enrolled on Wed 10-15: the week 10-13…10-19 began before, so it is not K2's; 10-20 is."""
    weeks = windows(term, "weekly-talk", "K2", "2025-10-31")
    assert min(weeks) == "2025-10-20"
    assert "2025-10-13" in windows(term, "weekly-talk", "K1", "2025-10-31")


def test_a_week_that_is_all_holiday_has_no_window(term):
    """10-06…10-12 lies inside the break: no school day, so no window. 09-29…10-05 keeps 09-29/30."""
    weeks = windows(term, "weekly-talk", "K1", "2025-10-31")
    assert "2025-09-29" in weeks and "2025-10-06" not in weeks and "2025-10-13" in weeks


def test_a_month_split_by_the_end_of_a_phase(term):
    """monthly-call runs during `implement`, which ends 11-15: November's window is 11-01…11-15."""
    months = windows(term, "monthly-call", "K1", "2025-12-31")
    assert [(w["start"], w["due"]) for w in months.values()][-1] == ("2025-11-01", "2025-11-15")
    assert len(months) == 3  # September, October, half of November


def test_times_two(term):
    """open-home needs 2 records a week: one leaves it open, two meet it."""
    record(term, "home_open", "S001", "2025-10-14 16:00")
    rows = json.loads(term.ok("explain", "--duty", "open-home", "--school", "S001", "--as-of", "2025-10-19",
                              "--json"))
    week = next(w for w in rows if w["start"] == "2025-10-13")
    assert (week["status"], week["done"], week["required"]) == ("due", 1, 2)
    record(term, "home_open", "S001", "2025-10-16 16:00")
    rows = json.loads(term.ok("explain", "--duty", "open-home", "--school", "S001", "--as-of", "2025-10-19",
                              "--json"))
    assert next(w for w in rows if w["start"] == "2025-10-13")["status"] == "met"


def test_grace_days_move_a_window_from_due_to_overdue(term):
    """weekly-talk: week 10-13…10-19 is due Sunday 10-19 with 2 days' grace: open on 10-21, overdue on
    10-22; and only then does it count as expected in compliance."""
    assert windows(term, "weekly-talk", "K1", "2025-10-21")["2025-10-13"]["status"] == "due"
    assert windows(term, "weekly-talk", "K1", "2025-10-22")["2025-10-13"]["status"] == "overdue"

    def expected(as_of):
        out = json.loads(term.ok("compliance", "--org", "S001", "--duty", "weekly-talk", "--by", "duty",
                                 "--as-of", as_of, "--json"))
        return out["rows"][0]["expected"]

    # K1's weeks from 09-01: 09-01, 09-08, 09-15, 09-22, 09-29, (10-06 holiday), 10-13 → 6 by 10-22
    assert expected("2025-10-21") == 5
    assert expected("2025-10-22") == 6


def test_an_excuse_covers_one_window_but_not_the_next(term):
    """Excused 10-13…10-22: the week 10-13…10-19 is wholly covered, the week 10-20…10-26 only partly."""
    term.ok("record", "excuse", "--child", "K1", "--by", "T001", "--at", "2025-10-13 08:00",
            "--set", "from=2025-10-13", "--set", "to=2025-10-22", "--set", "reason=病假")
    weeks = windows(term, "weekly-talk", "K1", "2025-10-31")
    assert weeks["2025-10-13"]["status"] == "excused"
    assert weeks["2025-10-20"]["status"] == "overdue"
    out = json.loads(term.ok("compliance", "--org", "S001", "--duty", "weekly-talk", "--as-of", "2025-10-31",
                             "--json"))
    assert out["rows"][0]["expected"] == 6 + 1 - 1 + 1  # K1: 7 weeks to 10-26 less the excused; K2: 10-20


def test_a_teacher_leaving_leaves_the_child_unassigned(term):
    """T002 leaves on 10-20 (the first day away): K2's week due 10-26 has nobody responsible."""
    weeks = windows(term, "weekly-talk", "K2", "2025-10-31")
    assert weeks["2025-10-20"]["responsible"] is None
    due = json.loads(term.ok("due", "--org", "S001", "--as-of", "2025-10-31", "--json"))
    k2 = [r for r in due if r["subject"] == "K2" and r["duty"] == "weekly-talk"]
    assert [(r["window_start"], r["responsible"], r["status"]) for r in k2] == [
        ("2025-10-20", None, "overdue"), ("2025-10-27", None, "due")]
    assert json.loads(term.ok("due", "--staff", "T002", "--as-of", "2025-10-31", "--json")) == []


def test_incident_chain_to_the_minute(term):
    """Incident at 10:00: guardian told at 10:29 (in 30m: met), parents at 11:01 (61m > 1h: met late),
    bureau never (2h passed: overdue)."""
    record(term, "incident", "K1", "2025-10-14 10:00", "kind=受伤")
    record(term, "notify", "K1", "2025-10-14 10:29", "to=guardian")
    record(term, "notify", "K1", "2025-10-14 11:01", "to=parents")
    rows = json.loads(term.ok("explain", "--duty", "incident-chain", "--child", "K1", "--as-of",
                              "2025-10-14 13:00", "--json"))
    assert [(r["duty"], r["due"], r["status"]) for r in rows] == [
        ("incident-chain.tell-guardian", "2025-10-14T10:30", "met"),
        ("incident-chain.tell-parents", "2025-10-14T11:00", "met_late"),
        ("incident-chain.tell-bureau", "2025-10-14T12:00", "overdue"),
    ]
    at_1159 = json.loads(term.ok("due", "--staff", "T001", "--as-of", "2025-10-14 11:59", "--json"))
    bureau = [r for r in at_1159 if r["duty"] == "incident-chain.tell-bureau"]
    assert [(r["status"], r["due"]) for r in bureau] == [("due", "2025-10-14T12:00")]
    out = json.loads(term.ok("compliance", "--org", "S001", "--by", "duty", "--as-of", "2025-10-14 13:00",
                             "--json"))
    chain = {r["key"]["duty"]: (r["expected"], r["met"], r["met_late"]) for r in out["rows"]
             if r["key"]["duty"].startswith("incident")}
    assert chain == {"incident-chain.tell-guardian": (1, 1, 0), "incident-chain.tell-parents": (1, 0, 1),
                     "incident-chain.tell-bureau": (1, 0, 0)}


def test_festival_window_crossing_a_month_boundary(term):
    """中秋节 2025 is 10-06; 15 days centred on it start 7 days before: 09-29…10-13, one window
    across the month end, in the holidays (festival windows need no school day)."""
    visits = windows(term, "mid-autumn", "K1", "2025-10-31")
    assert [(w["start"], w["due"]) for w in visits.values()] == [("2025-09-29", "2025-10-13")]
    term.ok("record", "home_visit", "--child", "K1", "--by", "T001", "--at", "2025-09-30 10:00")
    assert windows(term, "mid-autumn", "K1", "2025-10-31")["2025-09-29"]["status"] == "met"


def test_a_programme_version_change_mid_term(term, tmp_path):
    """Version 2 from 11-01 asks two talks a week: windows due before 11-01 keep version 1's one."""
    text = (ENGINE / "term.yaml").read_text(encoding="utf-8").replace("version: 1", "version: 2").replace(
        "step: talk,\n     every: week, grace_days: 2}", "step: talk,\n     every: week, times: 2, grace_days: 2}")
    v2 = tmp_path / "term-v2.yaml"
    v2.write_text(text, encoding="utf-8")
    # 11-01 is long past (the tests run on today's date): the figures since then would change —
    # guanai asks first, and nothing is published until --yes
    asked = term.run("programme", "publish", str(v2), "--to", "S001", "--from", "2025-11-01")
    today = date.today().isoformat()
    assert (asked.exit_code, asked.stderr) == (2, (
        f"自 2025-11-01 起改用这一版，会按新方案重算 1 所学校（S001）2025-11-01 至 {today} 已截止的统计，原先的方案"
        "那时仍在使用；确要改写请加 --yes，否则把 --from 设为今天或以后\n"))
    assert term.count("programme_version") == 1
    out = term.ok("programme", "publish", str(v2), "--to", "S001", "--from", "2025-11-01", "--yes")
    assert out.splitlines()[0] == "已发布方案 engine-test 第 2 版：引擎测试方案"
    weeks = windows(term, "weekly-talk", "K1", "2025-11-30")
    assert weeks["2025-10-27"]["required"] == 2  # due Sunday 11-02: version 2
    assert weeks["2025-10-20"]["required"] == 1  # due 10-26: version 1


def test_as_of_counts_history_entered_later_and_known_at_reproduces_the_old_report(term):
    """A talk held on 10-14 but entered on 10-23 counts for 10-22 (it happened); a report known
    at 10-22 did not have it."""
    record(term, "talk", "K1", "2025-10-14 16:00")
    term.execute("UPDATE record SET recorded_at = :at", at=datetime(2025, 10, 23, 2, 0))
    for table in ("child", "staff"):  # the roster and staff list, entered before the term (the fixture enters them today)
        term.execute(f"UPDATE {table} SET entered_at = :at", at=datetime(2025, 8, 20))
    term.execute("UPDATE programme_binding SET bound_at = :at", at=datetime(2025, 8, 20))
    now = windows(term, "weekly-talk", "K1", "2025-10-22")["2025-10-13"]
    assert now["status"] == "met"
    then = json.loads(term.ok("explain", "--duty", "weekly-talk", "--child", "K1", "--as-of", "2025-10-22",
                              "--known-at", "2025-10-22 18:00", "--json"))
    assert next(w for w in then if w["start"] == "2025-10-13")["status"] == "overdue"


def test_due_table_for_a_teacher(term):
    """As of Wed 10-22, with this week's talk done on 10-21: six past weeks without a talk (the holiday
    week has no window), September's call overdue, October's call due this month."""
    record(term, "talk", "K1", "2025-10-21 16:00")
    lines = term.ok("due", "--staff", "T001", "--as-of", "2025-10-22").splitlines()
    assert lines[0] == "王芳（T001）· 示例镇中学 · 截至 2025年10月22日 周三"
    body = [" ".join(line.split()) for line in lines[3:-2]]
    assert body == [
        "逾期45天 09-07 周日 一周一谈心 刘小明 七(1)班 0/1",
        "逾期38天 09-14 周日 一周一谈心 刘小明 七(1)班 0/1",
        "逾期31天 09-21 周日 一周一谈心 刘小明 七(1)班 0/1",
        "逾期24天 09-28 周日 一周一谈心 刘小明 七(1)班 0/1",
        "逾期22天 09-30 周二 一月一电话 刘小明 七(1)班 0/1",
        "逾期17天 10-05 周日 一周一谈心 刘小明 七(1)班 0/1",
        "逾期3天 10-19 周日 一周一谈心 刘小明 七(1)班 0/1",
        "本月 10-31 周五 一月一电话 刘小明 七(1)班 0/1",
    ]
    assert lines[-2] == "共 8 项：逾期 7 项、本月 1 项。"
    # the hint closes what it names: not an overdue week (a talk today counts for this week, SPEC §2),
    # but October's call, with the duty's match and an --at inside its window
    hint = "guanai record phone_call --child K1 --set with=parents --by T001 --at 2025-10-22"
    assert lines[-1] == f"下一步（一月一电话）：{hint}"
    term.ok(*hint.split()[1:])
    after = term.ok("due", "--staff", "T001", "--as-of", "2025-10-22").splitlines()
    assert after[-1] == "共 7 项：逾期 7 项。"  # it closed October's call; nothing left a record can close


def test_indicators(term):
    record(term, "talk", "K1", "2025-10-21 16:00")
    rows = {r["id"]: r for r in json.loads(term.ok("indicators", "--org", "S001", "--as-of", "2025-10-22",
                                                    "--json"))}
    # Cared for on 10-22: K1 and K2 (K3 is not left-behind). K2 has no guardian phone.
    assert (rows["archive-rate"]["value"], rows["archive-rate"]["ok"]) == (0.5, False)
    assert (rows["talk-coverage"]["numerator"], rows["talk-coverage"]["denominator"]) == (1, 2)
    assert rows["five-ones"]["target"] == 0.9


def forget_plans() -> None:
    from guanai.core.store import engine, programmes

    engine._plans.clear()  # each CLI run is a new process for users; so here too
    programmes._models.clear()
    engine._calendars.clear()


def test_plan_cache_changes_no_answer(term, tmp_path, monkeypatch):
    """Plans (rules, windows, target, triggers) are cached per programme (JSON) to spare the
    pydantic models and holiday tables at start-up; the cached and the computed answers are the
    same, and a damaged cache is ignored."""
    monkeypatch.setenv("GUANAI_CACHE_DIR", str(tmp_path))
    forget_plans()
    first = explain(term, "weekly-talk", "K1", "2025-10-31")
    [cached] = list(tmp_path.glob("plan-*.json"))
    forget_plans()
    assert explain(term, "weekly-talk", "K1", "2025-10-31") == first
    cached.write_text("not json", encoding="utf-8")
    forget_plans()
    assert explain(term, "weekly-talk", "K1", "2025-10-31") == first
    # An entry of older code (another code hash) is removed when the current one is written.
    older = cached.with_name(f"{cached.name.rsplit('-', 1)[0]}-0123456789abcdef.json")
    older.write_text("{}", encoding="utf-8")
    cached.unlink()
    forget_plans()
    assert explain(term, "weekly-talk", "K1", "2025-10-31") == first
    assert sorted(p.name for p in tmp_path.glob("plan-*.json")) == [cached.name]


def test_engine_commands_on_an_empty_database(db):
    """Before org import and publish, each command says what to do first (exit 2)."""
    assert db.run("due").stderr == "还没有任何学校：请先运行 guanai org import 导入县、乡镇和学校\n"
    db.ok("org", "import", str(FACTS / "org.csv"))
    result = db.run("compliance", "--org", "S001")
    assert (result.exit_code, result.stderr) == (2, "示例镇中学还没有适用的方案：请先运行 guanai programme publish\n")
    result = db.run("due", "--as-of", "2025-02-30")
    assert (result.exit_code, result.stderr) == (2, "--as-of: 日期 2025-02-30 不存在\n")


@pytest.mark.parametrize("name", ["xibei", "shangguan", "yangdeng", "county/shili-middle"])
def test_plan_reads_back_equal(name):
    """The cached plan of each shipped programme reads back equal to the computed one: every rule,
    window, condition (dates too), target and trigger."""
    from guanai.core.calendar import SchoolCalendar
    from guanai.core.loader import load_programme
    from guanai.core.obligations import plan_from_json, plan_of, plan_to_json
    from guanai.core.plugins import load_registry

    from tests.conftest import ROOT

    programme = load_programme(ROOT / "programmes" / f"{name}.yaml", load_registry()).programme
    plan = plan_of(programme, SchoolCalendar(programme.calendar))
    again = plan_from_json(json.loads(json.dumps(plan_to_json(plan), ensure_ascii=False)))
    assert again == plan
    assert len(plan.rules) == len(programme.duties) + sum(len(p.tasks) for p in programme.phases) + sum(
        len(a.tasks) for a in programme.activities)
    if name == "xibei":
        legal = next(t for t in plan.triggers if t.step == "incident" and t.where)
        assert [(c.field, c.op, c.value) for c in legal.where] == [("kind", "eq", "法律案件")]
        assert [(f.id, f.within.days) for f in legal.then] == [(f"{legal.id}.refer-legal-aid", 7)]


def test_due_from_a_warm_cache_builds_no_pydantic_model(term, tmp_path):
    """A teacher's `due` with the plan cached reads plain data: pydantic's models are not even
    imported (they cost ~60 ms of start-up; docs/BENCHMARKS.md)."""
    import subprocess
    import sys

    env = {**os.environ, "GUANAI_CACHE_DIR": str(tmp_path), "GUANAI_DB": term.url}
    code = ("import sys; from guanai.core.cli import main\n"
            "try:\n main(['due', '--staff', 'T001', '--as-of', '2025-10-22'])\n"
            "except SystemExit: pass\n"
            "print('pydantic.main' in sys.modules, file=sys.stderr)")
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert (first.stderr, warm.stderr) == ("True\n", "False\n")
    assert warm.stdout == first.stdout and "一周一谈心" in warm.stdout


def test_an_unwritable_cache_changes_no_answer(term, tmp_path, monkeypatch):
    """A cache folder that cannot be made (here: a file stands in its place) is skipped silently."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("GUANAI_CACHE_DIR", str(blocked))
    forget_plans()
    rows = explain(term, "weekly-talk", "K1", "2025-10-31")
    monkeypatch.setenv("GUANAI_CACHE_DIR", str(tmp_path / "cache"))
    forget_plans()
    assert explain(term, "weekly-talk", "K1", "2025-10-31") == rows
    assert blocked.read_text(encoding="utf-8") == ""


def test_explain_a_class_duty(db):
    """`explain --class NAME --school CODE` for a class's duty (yangdeng's 班级留守儿童工作总结)."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(ROOT / "programmes" / "yangdeng.yaml"), "--to", "S001")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001")
    ask = ("explain", "--duty", "class-summary", "--class", "七(1)班", "--school", "S001", "--as-of", "2026-02-01")
    assert db.ok(*ask).splitlines()[0] == "班级留守儿童工作总结 · 示例镇中学 七(1)班 · 截至 2026年2月1日 周日"
    db.ok("record", "summary_report", "--class", "七(1)班", "--school", "S001", "--by", "T001", "--at", "2026-01-10 10:00")
    rows = json.loads(db.ok(*ask, "--json"))
    assert [(r["window"], r["status"], r["responsible"], r["records"]) for r in rows] == [
        ("2026-01", "met", "T001", ["2026-01-10T10:00"])]
    wrong = db.run("explain", "--duty", "class-summary", "--school", "S001")
    assert (wrong.exit_code, wrong.stderr) == (2, "职责 class-summary 的对象是每个班级：请用 --class 班级 --school 学校代码\n")
    unknown = db.run("explain", "--duty", "class-summary", "--class", "九(9)班", "--school", "S001")
    assert (unknown.exit_code, unknown.stderr) == (2, "S001 没有班级 “九(9)班”\n")


def test_the_hint_for_a_late_follow_up_records_it_now_with_its_match(term):
    """A triggered item closes late (met_late): at 10:45 the guardian, due 10:30, is still to be told;
    the hint records it now, to the guardian, and then moves on to the parents (due 11:00)."""
    record(term, "incident", "K1", "2025-10-14 10:00", "kind=受伤")
    lines = term.ok("due", "--staff", "T001", "--as-of", "2025-10-14 10:45").splitlines()
    hint = 'guanai record notify --child K1 --set to=guardian --by T001 --at "2025-10-14 10:45"'
    assert lines[-1] == f"下一步（告知委托监护人）：{hint}"
    record(term, "notify", "K1", "2025-10-14 10:45", "to=guardian")
    lines = term.ok("due", "--staff", "T001", "--as-of", "2025-10-14 10:46").splitlines()
    assert lines[-1] == ('下一步（告知在外务工家长）：guanai record notify --child K1 --set to=parents --by T001 '
                         '--at "2025-10-14 10:46"')


CLASS_DUTIES = """id: classes
title: 班级职责
calendar:
  terms:
    - {id: autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
phases:
  - {id: start, name: 建立档案, start: 2025-09-01, end: 2025-09-19,
     tasks: [{id: register, name: 以班为单位登记留守学生名单, scope: class, by: head_teacher, step: census,
              due: 2025-09-12},
             {id: rules, name: 健全工作制度, scope: school, step: plan, due: 2025-09-12}]}
"""


def test_an_org_due_list_reads_classes_in_school_order_and_names_who_answers(db, tmp_path):
    """Classes in the order schools list them (七 八 九, 七(2)班 before 七(10)班), each named once with
    its head teacher by name; a school's own task (no role) is the school's, not 未指定; explain names
    a school, not its code."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "p.yaml").write_text(CLASS_DUTIES, encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "p.yaml"))
    classes = ["九(1)班", "七(10)班", "八(1)班", "七(2)班"]
    (tmp_path / "s.csv").write_text("工号,姓名,班主任班级\n" + "".join(f"T{i},师{i},{c}\n" for i, c in enumerate(classes)),
                                    encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "s.csv"), "--school", "S001")
    (tmp_path / "k.csv").write_text("学籍号,姓名,班级,留守类型,外出开始,入学\n" + "".join(
        f"K{i},生{i},{c},留守,2020-01,2025-09-01\n" for i, c in enumerate(classes)), encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "k.csv"), "--school", "S001")
    lines = db.ok("due", "--org", "S001", "--as-of", "2025-09-30").splitlines()
    rows = [line.split() for line in lines[3:8]]
    assert [(r[3], r[4], r[5]) for r in rows] == [
        ("以班为单位登记留守学生名单", "七(2)班", "师3"), ("以班为单位登记留守学生名单", "七(10)班", "师1"),
        ("以班为单位登记留守学生名单", "八(1)班", "师2"), ("以班为单位登记留守学生名单", "九(1)班", "师0"),
        ("健全工作制度", "示例镇中学", "学校")]  # who answers by name (the JSON keeps the 工号)
    assert json.loads(db.ok("due", "--org", "S001", "--as-of", "2025-09-30", "--json"))[0]["responsible"] == "T3"
    shown = db.ok("explain", "--duty", "rules", "--school", "S001", "--as-of", "2025-09-30").splitlines()
    assert shown[0] == "健全工作制度 · 示例镇中学（S001） · 截至 2025年9月30日 周二"
    assert shown[3].split()[-2:] == ["0/1", "学校"]


def test_late_not_lost_a_record_in_the_gap_before_the_next_window_counts_late(term):
    """SPEC §2: the week 09-29…10-05 is the last window before the National Day break (no window
    10-06…10-12); a talk on 10-08 comes after its due date and before the next window opens, so it
    counts for it as met_late. A talk on 10-14 is inside the next week's window: that week's, not
    late for any. Weeks that touch have no gap: nothing late there."""
    record(term, "talk", "K1", "2025-10-08 10:00")
    record(term, "talk", "K1", "2025-10-14 10:00")
    weeks = windows(term, "weekly-talk", "K1", "2025-10-31")
    assert [(s, w["due"], w["status"], w["records"]) for s, w in sorted(weeks.items())][:4] == [
        ("2025-09-01", "2025-09-07", "overdue", []),
        ("2025-09-08", "2025-09-14", "overdue", []),
        ("2025-09-15", "2025-09-21", "overdue", []),
        ("2025-09-22", "2025-09-28", "overdue", [])]
    assert (weeks["2025-09-29"]["status"], weeks["2025-09-29"]["records"]) == ("met_late", ["2025-10-08T10:00"])
    assert (weeks["2025-10-13"]["status"], weeks["2025-10-13"]["records"]) == ("met", ["2025-10-14T10:00"])
    rows = json.loads(term.ok("compliance", "--by", "duty", "--duty", "weekly-talk", "--as-of", "2025-10-31",
                              "--json"))["rows"]
    # K1's 7 windows due by 10-26 (+2 days' grace before 10-31; the break's week has none) and K2's
    # week of 10-20 (enrolled 10-15): 8 expected, one met on time, one late
    assert [(r["expected"], r["met"], r["met_late"]) for r in rows] == [(8, 1, 1)]


def test_late_not_lost_ends_with_the_school_year(term):
    """The 中秋 window (09-29…10-13) has no next window: a visit counts late until the school year's
    last term day (2026-01-16); one on 2026-01-20 is lost."""
    record(term, "home_visit", "K1", "2026-01-20 10:00")
    lost = windows(term, "mid-autumn", "K1", "2026-01-31")["2025-09-29"]
    assert (lost["status"], lost["records"]) == ("overdue", [])
    record(term, "home_visit", "K1", "2025-10-20 10:00")
    late = windows(term, "mid-autumn", "K1", "2026-01-31")["2025-09-29"]
    assert (late["status"], late["records"]) == ("met_late", ["2025-10-20T10:00"])
    rows = json.loads(term.ok("compliance", "--by", "duty", "--duty", "mid-autumn", "--as-of", "2026-01-31",
                              "--json"))["rows"]
    assert [(r["expected"], r["met"], r["met_late"], r["rate"]) for r in rows] == [(1, 0, 1, 0.0)]


def test_a_staff_duty_counts_records_about_each_staff_member_and_records_each_made(term, tmp_path):
    """SPEC §2: for a staff-scope duty, a record about a staff member counts for that member,
    whoever entered it (T001 enters T003's 总结); a record about a child, a class or the school
    counts for the staff member who made it."""
    text = (ENGINE / "term.yaml").read_text(encoding="utf-8").replace("version: 1", "version: 2").replace(
        "duties:\n", "duties:\n  - {id: termly-report, name: 每学期一份总结, scope: staff, step: summary_report, "
                     "every: term}\n")
    v2 = tmp_path / "term-v2.yaml"
    v2.write_text(text, encoding="utf-8")
    term.ok("programme", "publish", str(v2), "--to", "S001", "--from", "2025-09-01", "--yes")
    staff = tmp_path / "staff.csv"  # T003 joins (T002 leaves on 10-20: no subject of the term's window)
    staff.write_text("工号,姓名,班主任班级\nT001,王芳,七(1)班\nT002,李强,\nT003,赵敏,\n", encoding="utf-8")
    term.ok("staff", "import", str(staff), "--school", "S001")
    term.ok("record", "summary_report", "--staff", "T003", "--by", "T001", "--at", "2025-10-10 10:00")

    def report(staff):
        found = json.loads(term.ok("explain", "--duty", "termly-report", "--staff", staff, "--as-of", "2025-10-15",
                                   "--json"))
        return [(w["status"], w["done"]) for w in found]

    assert (report("T001"), report("T003")) == ([("due", 0)], [("met", 1)])
    term.ok("record", "summary_report", "--school", "S001", "--by", "T001", "--at", "2025-10-11 10:00")
    assert (report("T001"), report("T003")) == ([("met", 1)], [("met", 1)])


def test_due_lists_the_school_year_of_as_of_unless_asked_for_another_period(term):
    """A new school year's list does not open with last year's overdue items (issue 26): by default
    `due` lists what is due from 1 September of the school year holding --as-of; --from/--to ask
    for another period (due dates)."""
    assert json.loads(term.ok("due", "--staff", "T001", "--as-of", "2026-09-20", "--json")) == []
    last_year = json.loads(term.ok("due", "--staff", "T001", "--as-of", "2026-09-20", "--from", "2025-09-01",
                                   "--json"))
    assert {r["duty"] for r in last_year} == {"weekly-talk", "monthly-call"}
    assert min(r["due"] for r in last_year) == "2025-09-07" and all(r["status"] == "overdue" for r in last_year)
    october = json.loads(term.ok("due", "--staff", "T001", "--as-of", "2025-10-31", "--from", "2025-10-01",
                                 "--to", "2025-10-31", "--json"))
    assert sorted({r["due"] for r in october}) == ["2025-10-05", "2025-10-19", "2025-10-26", "2025-10-31"]
    bad = term.run("due", "--from", "2025-10-31", "--to", "2025-10-01")
    assert (bad.exit_code, bad.stderr) == (2, "--to 2025-10-01 早于 --from 2025-10-31\n")


def test_an_import_takes_effect_on_its_day_in_term_and_on_the_next_terms_first_day_in_a_vacation(term, tmp_path):
    """issue 26 item 3: a roster prepared in August is next term's; an empty 入学 is the day the
    import takes effect (never the start of a school year already past); --effective says it."""
    from guanai.core.store.db import Store
    from guanai.core.store.people import effective_day

    store = Store(term.url).ready()
    try:
        assert effective_day(store, "S001", date(2025, 8, 25)) == date(2025, 9, 1)  # before the term: its first day
        assert effective_day(store, "S001", date(2025, 10, 10)) == date(2025, 10, 10)  # in term: the day itself
        assert effective_day(store, "S001", date(2026, 2, 1)) == date(2026, 2, 1)  # no term follows: the day
        assert effective_day(store, "S003", date(2025, 8, 25)) == date(2025, 8, 25)  # no programme there
    finally:
        store.engine.dispose()
    roster = tmp_path / "new.csv"
    roster.write_text("学籍号,姓名,班级,留守类型,入学\nK9,新同学,七(1)班,留守,\n", encoding="utf-8")
    term.ok("roster", "import", str(roster), "--school", "S001", "--effective", "2025-10-20")
    assert term.rows("child", "id", "enrolled_on", id="K9") == [("K9", date(2025, 10, 20))]
    weeks = windows(term, "weekly-talk", "K9", "2025-11-05")
    assert min(weeks) == "2025-10-20"  # the week of its first day, not the school year's
    bad = term.run("roster", "import", str(roster), "--school", "S001", "--effective", "2025-02-30")
    assert (bad.exit_code, bad.stderr) == (2, "--effective: 日期 2025-02-30 不存在（2月只有28天）\n")


def test_the_compliance_title_names_what_the_figures_cover(term):
    """A stranger read a table of figures since the programme began as this term's: the title says
    which — the term, the days asked for, or since the programme's first day."""
    def title(*args):
        return term.ok("compliance", "--org", "S001", "--as-of", "2025-10-27", *args).splitlines()[0]

    assert title() == "示例镇中学 · 自 2025-09-01 方案起用以来 · 截至 2025年10月27日 周一"
    assert title("--term", "2025-autumn") == "示例镇中学 · 2025年秋季学期 · 截至 2025年10月27日 周一"
    assert title("--from", "2025-10-01", "--to", "2025-10-31") == (
        "示例镇中学 · 2025-10-01 至 2025-10-31 截止的 · 截至 2025年10月27日 周一")
    assert title("--from", "2025-10-01") == "示例镇中学 · 2025-10-01 起截止的 · 截至 2025年10月27日 周一"


def test_date_options_take_a_date_as_a_cell_would_hold_it(term):
    """From a stranger's run: `--effective 2026/9/1` was refused though a roster cell takes it."""
    slash = term.ok("compliance", "--org", "S001", "--from", "2025/10/1", "--to", "2025年10月31日", "--as-of", "2025-11-05")
    assert slash.splitlines()[0] == "示例镇中学 · 2025-10-01 至 2025-10-31 截止的 · 截至 2025年11月5日 周三"
    bad = term.run("compliance", "--from", "2025-13-01")
    assert (bad.exit_code, bad.stderr) == (2, "--from: 日期 2025-13-01 不存在（没有 13 月）\n")
