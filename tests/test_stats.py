"""`guanai stats`: the 基本情况 figures on hand-worked days, and equal to what `indicators` counts."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FACTS

ENGINE = FACTS.parent / "engine"


@pytest.fixture
def small(db):
    """S001 of the engine scenarios: K1 留守 (since 2020-01, from 2024-09-01), K2 留守 (enrolled
    2025-10-15), K3 非留守; T001 党员 head teacher, T002 leaves 2025-10-20; K1–T001 and K2–T002
    proxy parents from 2025-09-01."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(ENGINE / "term.yaml"), "--to", "S001")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001")
    db.ok("assign", "import", str(ENGINE / "pairs.csv"), "--role", "proxy_parent")
    return db


def _stats(db, day: str, *more: str) -> dict:
    return json.loads(db.ok("stats", "--org", "S001", "--as-of", day, "--json", *more))


def test_figures_on_hand_worked_days(small):
    before = _stats(small, "2025-10-01")
    assert before["totals"] == {"pupils": 2, "cared_for": 1, "staff": 2, "party_staff": 1, "others_by_kind": {}, "pairs": 1,
                                "pairs_by_role": {"proxy_parent": 1}, "unpaired": 0,
                                "unpaired_by_role": {"proxy_parent": 0}}  # K2 not yet enrolled
    assert [(r["key"]["category"], r["pupils"], r["cared_for"], r["share"], r["of_cared"]) for r in before["rows"]] == [
        ("left_behind", 1, 1, 1.0, 1.0), ("none", 1, 0, 0.0, 0.0)]
    after = _stats(small, "2025-10-25")
    # K2 enrolled; T002 left on 10-20, so K2's pairing no longer counts: K2 has no proxy parent
    assert after["totals"] == {"pupils": 3, "cared_for": 2, "staff": 1, "party_staff": 1, "others_by_kind": {}, "pairs": 1,
                               "pairs_by_role": {"proxy_parent": 1}, "unpaired": 1,
                               "unpaired_by_role": {"proxy_parent": 1}}
    assert after["as_of"] == "2025-10-25T23:59" and after["org"] == "S001"


def test_grouping_keys_and_the_terminal(small):
    rows = _stats(small, "2025-10-25", "--by", "class,category")["rows"]
    assert [(r["key"], r["pupils"], r["cared_for"]) for r in rows] == [
        ({"class": "七(1)班", "category": "left_behind"}, 2, 2), ({"class": "七(1)班", "category": "none"}, 1, 0)]
    out = small.ok("stats", "--org", "S001", "--as-of", "2025-10-25")
    assert "在校学生 3 人，关爱对象 2 人（占 66.7%）；教职工 1 人，其中党员 1 人。" in out
    assert "在结对 1 对（代理家长 1）；没有代理家长的关爱对象 1 人。" in out
    assert "监护类型" in out and "未填" in out  # the default view shows both breakdowns
    bad = small.run("stats", "--by", "colour")
    assert bad.exit_code == 2 and "colour" in bad.stderr


def test_cared_for_equals_what_indicators_count_on_the_demo(cli, demo_db):
    url = f"sqlite:///{demo_db}"
    for day in ("2025-09-15", "2025-11-20", "2026-01-10"):
        stats = json.loads(cli("--db", url, "stats", "--as-of", day, "--json").stdout)
        values = {v["id"]: v for v in json.loads(cli("--db", url, "indicators", "--as-of", day, "--json").stdout)}
        profile = next(v for v in values.values() if v["kind"] == "profile_complete")
        assert stats["totals"]["cared_for"] == profile["denominator"] > 0
        by_grade = json.loads(cli("--db", url, "stats", "--as-of", day, "--by", "grade", "--json").stdout)
        assert sum(r["cared_for"] for r in by_grade["rows"]) == stats["totals"]["cared_for"]
        assert sum(r["pupils"] for r in by_grade["rows"]) == stats["totals"]["pupils"]


def test_assign_list_is_the_pairings_stats_counts(small):
    rows = json.loads(small.ok("assign", "list", "--org", "S001", "--as-of", "2025-10-25", "--json"))
    assert rows == [{"role": "proxy_parent", "start": "2025-09-01", "end": None, "child": "K1", "child_name": "刘小明",
                     "class": "七(1)班", "school": "S001", "staff": "T001", "staff_name": "王芳", "party_member": True, "staff_kind": "教职工",
                     "buddy": None, "buddy_name": None}]  # K2's partner T002 left on 10-20
    before = json.loads(small.ok("assign", "list", "--org", "S001", "--as-of", "2025-09-20", "--json"))
    assert [r["child"] for r in before] == ["K1"]  # K2 enrols on 10-15
    out = small.ok("assign", "list", "--org", "S001", "--as-of", "2025-10-25")
    assert "王芳（T001）   党员   代理家长      1   七(1)班：刘小明" in out
    assert out.endswith("结对 1 对，教职工 1 人（其中党员 1 人）\n")
    assert json.loads(small.ok("assign", "list", "--staff", "T002", "--as-of", "2025-10-25", "--json")) == []


def test_assign_list_and_stats_agree_on_the_demo(cli, demo_db):
    url = f"sqlite:///{demo_db}"
    for day in ("2025-09-01", "2025-12-01"):
        totals = json.loads(cli("--db", url, "stats", "--as-of", day, "--json").stdout)["totals"]
        rows = json.loads(cli("--db", url, "assign", "list", "--as-of", day, "--json").stdout)
        assert len(rows) == totals["pairs"] > 0
        for role, n in totals["pairs_by_role"].items():
            listed = json.loads(cli("--db", url, "assign", "list", "--role", role, "--as-of", day, "--json").stdout)
            assert len(listed) == n
        proxy = {r["child"] for r in rows if r["role"] == "proxy_parent" and r["staff"]}
        assert totals["cared_for"] - len(proxy) == totals["unpaired"]


def test_due_ics_holds_one_all_day_event_per_open_item(small, tmp_path):
    from datetime import date

    from icalendar import Calendar

    small.ok("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-20 10:00")
    rows = json.loads(small.ok("due", "--staff", "T001", "--as-of", "2025-10-22", "--json"))
    target = tmp_path / "t001.ics"
    assert small.ok("due", "--staff", "T001", "--as-of", "2025-10-22", "--ics", str(target)) == (
        f"已写入 {target}（{len(rows)} 项，可导入手机日历）\n")
    events = Calendar.from_ical(target.read_bytes()).walk("VEVENT")
    assert len(events) == len(rows) > 0
    by_uid = {str(e["uid"]): e for e in events}
    for r in rows:
        event = by_uid[f"{r['duty']}.{r['subject']}.{r['window_start']}@guanai"]
        day = event.decoded("dtstart")
        if r["status"] == "overdue":  # shown today, where the teacher looks
            assert day == date(2025, 10, 22) and str(event["summary"]).startswith("逾期｜")
        else:
            assert day == date.fromisoformat(r["due"]) and str(event["summary"]) == f"{r['name']}：{r['subject_name']}"
    assert small.query("SELECT action, row_key FROM audit_log WHERE action = 'export_ics'") == [
        ("export_ics", "staff=T001")]


def test_compliance_periods_partition_the_total(cli, demo_db):
    """--from/--to keep windows due in the period: months add up to the whole, per duty and staff."""
    url = f"sqlite:///{demo_db}"

    def ask(*more: str) -> dict:
        rows = json.loads(cli("--db", url, "compliance", "--by", "duty,staff", "--as-of", "2025-12-20", "--json",
                              *more).stdout)["rows"]
        return {(r["key"]["duty"], r["key"]["staff"]): (r["expected"], r["met"], r["met_late"]) for r in rows}

    whole = ask()
    months = [ask("--to", "2025-09-30"), ask("--from", "2025-10-01", "--to", "2025-10-31"),
              ask("--from", "2025-11-01", "--to", "2025-11-30"), ask("--from", "2025-12-01")]
    summed: dict = {}
    for part in months:
        for key, values in part.items():
            summed[key] = tuple(a + b for a, b in zip(summed.get(key, (0, 0, 0)), values, strict=True))
    assert {k: v for k, v in summed.items() if v != (0, 0, 0)} == {k: v for k, v in whole.items() if v != (0, 0, 0)}
    assert sum(v[0] for v in months[1].values()) > 0
    by_month = json.loads(cli("--db", url, "compliance", "--by", "month", "--as-of", "2025-12-20", "--json").stdout)
    assert [(r["key"]["month"], r["expected"], r["met"], r["met_late"]) for r in by_month["rows"]] == [
        (month, sum(v[0] for v in part.values()), sum(v[1] for v in part.values()), sum(v[2] for v in part.values()))
        for month, part in zip(("2025-09", "2025-10", "2025-11", "2025-12"), months, strict=True)]
    bad = cli("--db", url, "compliance", "--from", "2025-11-01", "--to", "2025-10-01")
    assert (bad.exit_code, bad.stderr) == (2, "--to 2025-10-01 早于 --from 2025-11-01\n")


def test_one_pass_regrouped_equals_each_grouping_asked_directly(cli, demo_db):
    """The reports ask compliance once by (school, class, staff, duty) and sum it down; each sum
    equals `compliance --by KEYS` asked on its own."""
    from guanai.core.celltext import json_default
    from guanai.core.services.engine import regroup

    url = f"sqlite:///{demo_db}"

    def ask(by: str) -> list:
        return json.loads(cli("--db", url, "compliance", "--by", by, "--as-of", "2025-11-20", "--from", "2025-10-01",
                              "--json").stdout)["rows"]

    detail = ask("school,class,staff,duty")
    by_duty = ask("duty")
    names = {"duty": {r["key"]["duty"]: "" for r in by_duty}}
    for keys in (("duty",), ("class",), ("school",), ("staff", "duty"), ("class", "duty")):
        assert json.loads(json.dumps(regroup(detail, keys, names), default=json_default)) == ask(",".join(keys)), keys


def test_profile_complete_counts_date_fields_on_both_backends(school):
    """建档率 lists birth_date: a date field is filled when it holds a date (PostgreSQL refused the
    comparison with '' that text fields get)."""
    values = {v["id"]: v for v in json.loads(school.ok("indicators", "--org", "S001", "--as-of", "2025-11-20", "--json"))}
    stats = json.loads(school.ok("stats", "--org", "S001", "--as-of", "2025-11-20", "--json"))["totals"]
    assert values["archive-rate"]["denominator"] == stats["cared_for"] > 0
    assert 0 <= values["archive-rate"]["numerator"] <= stats["cared_for"]


def test_compliance_of_a_term_and_the_indicator_over_the_term_asked_about(cli, demo_db):
    """issue 26 item 6: `compliance --term ID` is the term's due dates; 五个一完成率 on a spring day
    counts the spring term's obligations, not the autumn's too (the demo recorded autumn's first
    eight weeks only: spring's rate is 0.0, the programme's whole is not)."""
    url = f"sqlite:///{demo_db}"

    def rows(*more: str) -> list:
        return json.loads(cli("--db", url, "compliance", "--group", "五个一", "--as-of", "2026-03-31", "--json",
                              *more).stdout)["rows"]

    autumn = rows("--term", "2025-autumn")
    assert autumn == rows("--from", "2025-09-01", "--to", "2026-01-16") and sum(r["met"] for r in autumn) > 0
    spring = rows("--term", "2026-spring")
    assert sum(r["met"] for r in spring) == 0 and sum(r["expected"] for r in spring) > 0
    values = {v["id"]: v for v in json.loads(cli("--db", url, "indicators", "--as-of", "2026-03-31", "--json").stdout)}
    assert (values["five-ones"]["numerator"], values["five-ones"]["denominator"]) == (
        0, sum(r["expected"] for r in spring))
    whole = rows()
    assert sum(r["met"] for r in whole) > 0  # since the programme began: what the indicator no longer mixes in
    refused = cli("--db", url, "compliance", "--term", "2027-autumn")
    assert (refused.exit_code, refused.stderr) == (2, "方案里没有学期 “2027-autumn”；有：2025-autumn、2026-spring\n")
    both = cli("--db", url, "compliance", "--term", "2025-autumn", "--from", "2025-09-01")
    assert (both.exit_code, both.stderr) == (2, "--term: --term 与 --from/--to 只能用一种\n")
