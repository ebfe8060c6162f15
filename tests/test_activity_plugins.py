"""The activity plugins (health_check, subsidy, contest), the call hooks they use, an outside
plugin installed as a real distribution, and plugins that break."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import FACTS, ROOT

PLUGINS = FACTS.parent / "plugins"
ENGINE = FACTS.parent / "engine"


@pytest.fixture
def care(db):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PLUGINS / "care.yaml"), "--to", "S001")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(PLUGINS / "roster.csv"), "--school", "S001")
    return db


def test_health_check_ranges(care):
    result = care.run("record", "health_check", "--child", "K1", "--at", "2025-10-20 09:00",
                      "--set", "vision_left=6.0", "--set", "systolic=80", "--set", "diastolic=90")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "--set vision_left: 6.0 太大，最多为 5.3"


def test_hook_on_record_health_referral_follows_an_abnormal_check(care):
    """Vision 4.7 < 4.9: a referral is due 14 days after the check (10-20 09:00 → 11-03 09:00)."""
    care.ok("record", "health_check", "--child", "K1", "--at", "2025-10-20 09:00",
            "--set", "vision_left=4.7", "--set", "vision_right=5.0")
    care.ok("record", "health_check", "--child", "K2", "--at", "2025-10-20 09:30", "--set", "vision_left=5.0")
    assert care.rows("follow_up", "rule", "name", "step", "deadline", "plugin") == [
        ("health-referral", "体检异常报送上一级医疗部门", "referral", datetime(2025, 11, 3, 1, 0), "health_check")]
    due = json.loads(care.ok("due", "--org", "S001", "--as-of", "2025-11-04", "--json"))
    assert [(r["duty"], r["subject"], r["due"], r["status"]) for r in due if r["duty"] == "health-referral"] == [
        ("health-referral", "K1", "2025-11-03T09:00", "overdue")]
    care.ok("record", "referral", "--child", "K1", "--by", "T001", "--at", "2025-10-28 10:00",
            "--set", "to=县医院", "--set", "reason=视力")
    out = json.loads(care.ok("compliance", "--org", "S001", "--duty", "health-referral", "--as-of", "2025-11-04",
                             "--json"))
    assert out["rows"] == [{"key": {"duty": "health-referral"}, "expected": 1, "met": 1, "met_late": 0,
                            "rate": 1.0}]


def test_hook_register_indicator_kinds_checkup_rate(care):
    care.ok("record", "health_check", "--child", "K1", "--at", "2025-10-20 09:00", "--set", "height_cm=150.5")
    rows = {r["id"]: r for r in json.loads(care.ok("indicators", "--org", "S001", "--as-of", "2025-10-31",
                                                    "--json"))}
    assert (rows["checkup-rate"]["numerator"], rows["checkup-rate"]["denominator"]) == (1, 2)  # K1 of K1, K2
    assert (rows["checkup-rate"]["value"], rows["checkup-rate"]["ok"]) == (0.5, False)


def test_health_import_of_a_clinic_sheet(care, tmp_path):
    sheet = tmp_path / "体检结果.csv"
    sheet.write_text("学籍号,姓名,体检日期,身高,体重,左眼视力,右眼视力,血压,耳鼻喉\n"
                     "K1,刘小明,2025-10-21,151.2,40.5,5.0,5.1,135/85,正常\n"
                     "K2,陈小红,2025-10-21,148,38,4.9,4.9,110/70,异常\n", encoding="utf-8")
    out = care.ok("health", "import", str(sheet))
    assert out == "导入体检结果 2 人：新增 2，已存在 0。\n"
    assert care.count("follow_up") == 2  # K1: blood pressure 135 > 130; K2: ENT abnormal
    bad = tmp_path / "bad.csv"
    bad.write_text("学籍号,体检日期,血压,左眼视力\nK1,2025-10-22,135-85,4.0\nK9,2025-10-22,,\n", encoding="utf-8")
    result = care.run("health", "import", str(bad))
    assert result.stderr.splitlines() == [
        f"{bad}:2:血压: “135-85” 不是血压：请写成 收缩压/舒张压，如 120/80",
        f"{bad}:3:学籍号: 没有学籍号为 “K9” 的学生",
        "发现 2 处错误。",
    ]


def test_subsidy_sums_are_exact_and_a_fund_cannot_be_overspent(care):
    for amount in ("0.10", "0.20", "300.00"):
        care.ok("record", "subsidy", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00",
                "--set", f"amount_yuan={amount}", "--set", "fund=jiedui")
    summary = json.loads(care.ok("subsidy", "summary", "--org", "S001", "--json"))
    jiedui = next(r for r in summary if r["fund"] == "jiedui")
    assert (jiedui["spent_yuan"], jiedui["balance_yuan"]) == ("300.30", "0.00")  # 0.1 + 0.2 is 0.30, exactly
    result = care.run("record", "subsidy", "--child", "K1", "--by", "T001", "--at", "2025-10-11 10:00",
                      "--set", "amount_yuan=0.01", "--set", "fund=jiedui")
    assert (result.exit_code, result.stderr) == (2, "--set amount_yuan: 插件 subsidy 拒绝了这条记录：“团委结对资助”"
                                                 "本学期余额 ¥0.00，不足以支付 ¥0.01（专款专用，预算 ¥300.30）\n")


def test_subsidy_eligibility_and_unknown_fund(care):
    result = care.run("record", "subsidy", "--child", "K2", "--by", "T001", "--at", "2025-10-10 10:00",
                      "--set", "amount_yuan=50", "--set", "fund=jiedui")
    assert result.stderr == "--set fund: 插件 subsidy 拒绝了这条记录：“团委结对资助”只资助标有 贫困 的孩子\n"
    result = care.run("record", "subsidy", "--child", "K2", "--by", "T001", "--at", "2025-10-10 10:00",
                      "--set", "amount_yuan=50", "--set", "fund=xyz")
    assert result.stderr == ("--set fund: 插件 subsidy 拒绝了这条记录：方案没有资金 “xyz”；"
                             "有：lmyb（两免一补）、jiedui（团委结对资助）\n")


def test_subsidy_batch_counts_earlier_rows_of_the_same_file(care, tmp_path):
    f = tmp_path / "资助.csv"
    f.write_text("类型,学籍号,工号,时间,amount_yuan,fund\n"
                 "subsidy,K1,T001,2025-10-10 10:00,600,lmyb\n"
                 "subsidy,K2,T001,2025-10-10 10:05,400.01,lmyb\n", encoding="utf-8")
    result = care.run("record", "import", str(f))
    assert result.stderr.splitlines()[0] == (f"{f}:3:amount_yuan: 插件 subsidy 拒绝了这条记录：“两免一补”本学期余额 "
                                             "¥400.00，不足以支付 ¥400.01（专款专用，预算 ¥1,000.00）")
    assert care.count("record") == 0


def test_two_concurrent_payments_cannot_overspend_a_fund(care):
    """Budget 1,000: two processes each pay 600 at once; exactly one is refused."""
    code = ("import sys\nfrom guanai.core.plugins import load_registry\nfrom guanai.core.store.db import Store\n"
            "from guanai.core.store.records import Draft, option_where, save_records\n"
            "from guanai.core.diagnostics import InputError\n"
            "d = Draft('subsidy', 'child', sys.argv[2], '2025-10-10 10:00', {'amount_yuan': '600', 'fund': 'lmyb'},"
            " 'T001', where=option_where({}))\n"
            "try:\n    save_records(Store(sys.argv[1]), load_registry(), [d], 'p')\n    print('ok')\n"
            "except InputError:\n    print('refused')\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, care.url, kid], stdout=subprocess.PIPE, text=True)
             for kid in ("K1", "K2")]
    outcomes = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert outcomes == ["ok", "refused"]
    assert care.count("record") == 1


def test_poor_coverage_and_fund_usage(care):
    care.ok("record", "subsidy", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00",
            "--set", "amount_yuan=800", "--set", "fund=lmyb")
    rows = {r["id"]: r for r in json.loads(care.ok("indicators", "--org", "S001", "--as-of", "2025-10-31",
                                                    "--json"))}
    assert (rows["poor-coverage"]["numerator"], rows["poor-coverage"]["denominator"]) == (1, 1)  # K1 only (K4 not cared for)
    assert (rows["fund-usage"]["numerator"], rows["fund-usage"]["denominator"]) == (80000, 100000)  # fen
    assert rows["fund-usage"]["ok"] is True


def test_contest_participants_and_priority_participation(care):
    result = care.run("record", "contest", "--school", "S001", "--by", "T001", "--at", "2025-10-24 15:00",
                      "--set", "name=校园十佳歌手赛", "--set", "category=歌手赛", "--set", "participants=K1;K9")
    assert result.stderr == "--set participants: 插件 contest 拒绝了这条记录：参赛学生不在 S001：K9\n"
    care.ok("record", "contest", "--school", "S001", "--by", "T001", "--at", "2025-10-24 15:00",
            "--set", "name=校园十佳歌手赛", "--set", "category=歌手赛", "--set", "participants=K1、K2、K3",
            "--set", "awards=K1:一等奖")
    rows = {r["id"]: r for r in json.loads(care.ok("indicators", "--org", "S001", "--as-of", "2025-10-31",
                                                    "--json"))}
    # participants 2/3 left-behind; school 2/4 → (2/3)/(2/4) = 4/3
    assert rows["activity-priority"]["value"] == round(4 / 3, 4) and rows["activity-priority"]["ok"] is True
    assert rows["activity-priority"]["unit"] == "ratio"
    # a ratio of two shares, shown with both shares of people (issue 27 item 7), never products of counts
    assert (rows["activity-priority"]["numerator"], rows["activity-priority"]["denominator"]) == (2, 3)
    assert rows["activity-priority"]["shares"] == {"among": "参赛", "part": 2, "of": 3, "share": 0.6667,
                                                   "base_among": "全校", "base_part": 2, "base_of": 4, "base_share": 0.5}
    line = next(ln for ln in care.ok("indicators", "--org", "S001", "--as-of", "2025-10-31").splitlines()
                if ln.lstrip().startswith(rows["activity-priority"]["name"]))
    assert line.split()[1:] == ["1.33", "倍", "1.00", "倍", "占参赛", "66.7%（2/3），占全校", "50.0%（2/4）", "达标"]
    results = json.loads(care.ok("contest", "results", "--org", "S001", "--json"))
    assert results == [{"school": "S001", "date": "2025-10-24", "name": "校园十佳歌手赛", "category": "歌手赛",
                        "participants": 3, "left_behind": 2, "awards": ["K1:一等奖"]}]


def test_hook_report_sections(care, tmp_path):
    """Each plugin's report section stands in the 工作总结 with its sentences and, in the 台账, its table."""
    care.ok("record", "health_check", "--child", "K1", "--at", "2025-10-20 09:00", "--set", "vision_left=4.5")
    care.ok("record", "subsidy", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00",
            "--set", "amount_yuan=12.34", "--set", "fund=lmyb")
    care.ok("report", "summary", "--org", "S001", "--as-of", "2025-11-01", "-o", str(tmp_path / "s.md"))
    text = (tmp_path / "s.md").read_text("utf-8")
    assert "### （四）体检\n\n共为1名学生完成健康体检，其中关爱对象1人，占关爱对象的50.0%；发现异常、需报送上一级医疗部门1人次。" in text
    assert "### （五）资助\n\n两免一补：资助1人，1笔，共12.34元。\n\n合计资助1人，1笔，共12.34元。" in text
    assert "### （六）比赛与展演\n\n本期未记录比赛或展演。" in text
    assert "| 2025-10-20 | K1 | 刘小明 | 七(1)班 |  |  | 4.5 |  |  | 左眼视力 4.5 |" in text


def test_hook_register_commands(cli, tmp_path, monkeypatch):
    from tests.test_plugins import install_fake_plugin

    assert cli("health", "--help").exit_code == 0
    install_fake_plugin(tmp_path, monkeypatch, "guanai_clash", """
        import click
        from guanai.core.hookspecs import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command("due")
            def due():
                click.echo("not the real due")

            @cli.command("hello")
            def hello():
                click.echo("你好")
        """)
    result = cli("hello")
    assert (result.exit_code, result.stdout) == (0, "你好\n")
    assert "插件 guanai_clash 想用内置命令名 “due”，已忽略" in result.stderr
    listed = json.loads(cli("plugins", "list", "--json").stdout)
    assert next(p for p in listed if p["name"] == "guanai_clash")["commands"] == ["due", "hello"]
    assert next(p for p in listed if p["name"] == "subsidy")["indicators"] == ["fund_usage", "poor_coverage"]


def _listing(care, tmp_path, plugin):
    """Publish the test programme again, now listing `plugin` (hooks act where it is listed)."""
    listed = tmp_path / f"{plugin}.yaml"
    listed.write_text((PLUGINS / "care.yaml").read_text(encoding="utf-8").replace(
        "plugins: [health_check, subsidy, contest]", f"plugins: [health_check, subsidy, contest, {plugin}]")
        .replace("version: 1", "version: 2"), encoding="utf-8")
    care.ok("programme", "publish", str(listed), "--to", "S001", "--yes")


def test_a_plugin_that_raises_in_on_record_refuses_with_its_name(care, tmp_path, monkeypatch):
    """A careless plugin is contained: an unmarked hook sees only its own steps, any hook acts only
    where the programme in force lists its plugin; where it does act and fails, it is named."""
    from tests.test_plugins import install_fake_plugin

    install_fake_plugin(tmp_path, monkeypatch, "guanai_buggy", """
        from guanai.api import for_steps, hookimpl

        @hookimpl
        @for_steps("*")
        def on_record(record, ctx):
            raise KeyError("oops")
        """)
    # the programme in force does not list guanai_buggy: its hook is not called
    care.ok("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-09 10:00")
    _listing(care, tmp_path, "guanai_buggy")
    result = care.run("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00")
    assert (result.exit_code, result.stderr) == (2, "STEP: 插件 guanai_buggy 处理这条记录时出错（KeyError: 'oops'，位于 "
                                                 f"{tmp_path / 'guanai_buggy.py'}:7），"  # where, in the plugin's file
                                                 "未记录；可设置 GUANAI_DISABLE_PLUGINS=guanai_buggy 跳过它\n")
    monkeypatch.setenv("GUANAI_DISABLE_PLUGINS", "guanai_buggy")
    assert care.run("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00").exit_code == 0


def test_an_unmarked_hook_sees_only_its_own_plugins_steps(care, tmp_path, monkeypatch):
    from tests.test_plugins import install_fake_plugin

    install_fake_plugin(tmp_path, monkeypatch, "guanai_careless", """
        from guanai.api import hookimpl

        @hookimpl
        def on_record(record, ctx):
            raise KeyError("should never run for talk")
        """)
    care.ok("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00")
    assert care.count("record") == 1


def test_hook_on_record_for_steps_sees_only_its_steps(care, tmp_path, monkeypatch):
    """`@for_steps("home_visit")` is called for home visits only."""
    from tests.test_plugins import install_fake_plugin

    install_fake_plugin(tmp_path, monkeypatch, "guanai_picky", """
        from guanai.core.hookspecs import for_steps, hookimpl
        from guanai.core.registry import Rejected

        @hookimpl
        @for_steps("home_visit")
        def on_record(record, ctx):
            raise Rejected(f"picky saw {record.step}")
        """)
    _listing(care, tmp_path, "guanai_picky")
    ok = care.run("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00")
    assert (ok.exit_code, ok.stderr) == (0, "")
    refused = care.run("record", "home_visit", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00")
    assert (refused.exit_code, refused.stderr) == (2, "STEP: 插件 guanai_picky 拒绝了这条记录：picky saw home_visit\n")


@pytest.fixture(scope="session")
def example_plugin(tmp_path_factory):
    """tests/example_plugin built and installed as a real distribution into a folder of its own
    (built from a copy: setuptools leaves build/ and *.egg-info beside the sources it builds)."""
    import shutil

    source = tmp_path_factory.mktemp("example") / "example_plugin"
    shutil.copytree(ROOT / "tests" / "example_plugin", source,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True)
    return target


def test_outside_plugin_installed_and_used_from_a_programme(care, example_plugin, monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(example_plugin))
    monkeypatch.delitem(sys.modules, "guanai_psych", raising=False)
    from guanai.core import plugins

    plugins._registries.clear()  # as a new process would see it: the plugin installed
    listed = json.loads(care.ok("plugins", "list", "--json"))
    assert {"name": "guanai_psych", "version": "0.3.0", "steps": ["psych_screening"],
            "indicators": ["screening_coverage"], "commands": ["psych"]} in [{k: p[k] for k in ("name", "version", "steps", "indicators", "commands")}
                                for p in listed]
    programme = tmp_path / "psych.yaml"
    programme.write_text(Path(ENGINE / "term.yaml").read_text(encoding="utf-8").replace(
        "id: engine-test\nversion: 1", "id: psych-test\nversion: 1\nplugins: [guanai_psych]\n"
        "settings:\n  guanai_psych: {threshold: 60, within_days: 7}").replace(
        "duties:\n", "duties:\n  - {id: screening, name: 每学期心理筛查, scope: child, step: psych_screening, "
        "every: term}\n").replace("indicators:\n", "indicators:\n  - {id: screening-rate, name: 心理筛查覆盖率, "
                                   "kind: screening_coverage, target: 0.95}\n"), encoding="utf-8")
    care.ok("programme", "publish", str(programme), "--to", "S001", "--from", "2025-09-02", "--yes")
    care.ok("record", "psych_screening", "--child", "K1", "--by", "T001", "--at", "2025-10-09 10:00",
            "--set", "score=72")
    care.ok("record", "psych_screening", "--child", "K2", "--by", "T001", "--at", "2025-10-09 10:00",
            "--set", "score=30")
    due = json.loads(care.ok("due", "--org", "S001", "--as-of", "2025-10-20", "--json"))
    follow = [(r["subject"], r["due"], r["status"]) for r in due if r["duty"] == "psych-counselling"]
    assert follow == [("K1", "2025-10-16T10:00", "overdue")]
    assert [r for r in due if r["subject"] == "K2" and r["duty"] == "psych-counselling"] == []  # 30 < 60
    rows = json.loads(care.ok("explain", "--duty", "psych-counselling", "--child", "K1", "--as-of", "2025-10-20",
                              "--json"))
    assert [(r["status"], r["responsible"]) for r in rows] == [("overdue", "T001")]  # who recorded the trigger
    summary = care.ok("psych", "summary", "--org", "S001", "--as-of", "2025-10-20")
    assert "S001" in summary and summary.count("2") >= 1  # two screenings, one positive (≥ 65)
    assert [line.split() for line in summary.splitlines() if line.startswith("S001")] == [["S001", "2", "1"]]
    rate = next(r for r in json.loads(care.ok("indicators", "--org", "S001", "--as-of", "2025-10-20", "--json"))
                if r["id"] == "screening-rate")
    assert (rate["numerator"], rate["denominator"], rate["error"]) == (2, 2, None)  # K1 and K2, the two cared for


def test_a_programme_needing_a_plugin_no_longer_installed_is_said_on_due_compliance_indicators(
        care, example_plugin, monkeypatch, tmp_path):
    from guanai.core import plugins

    monkeypatch.syspath_prepend(str(example_plugin))
    monkeypatch.delitem(sys.modules, "guanai_psych", raising=False)
    plugins._registries.clear()
    programme = tmp_path / "psych.yaml"
    programme.write_text((PLUGINS / "care.yaml").read_text(encoding="utf-8").replace(
        "plugins: [health_check, subsidy, contest]", "plugins: [health_check, subsidy, contest, guanai_psych]")
        .replace("version: 1", "version: 2"), encoding="utf-8")
    care.ok("programme", "publish", str(programme), "--to", "S001", "--yes")
    assert care.run("due", "--org", "S001", "--as-of", "2025-10-20").stderr == ""
    monkeypatch.setenv("GUANAI_DISABLE_PLUGINS", "guanai_psych")  # as if uninstalled
    note = ("注意：方案 plugins-test 需要插件 guanai_psych，但它没有安装或未能加载（guanai plugins check）："
            "它的记录类型、职责和指标无法计算\n")
    for command in (("due",), ("compliance",), ("indicators",)):
        result = care.run(*command, "--org", "S001", "--as-of", "2025-10-20")
        assert (result.exit_code, result.stderr) == (0, note), command
