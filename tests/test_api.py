"""guanai.api, the public plugin API: the one module plugins import, its exact surface, and what the
contexts and plugin commands give plugins."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FACTS, ROOT

PLUGINS = ROOT / "tests" / "data" / "plugins"


def _guanai_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        found += [(node.lineno, name) for name in names if name.split(".")[0] == "guanai"]
    return found


def test_plugins_import_only_the_public_api():
    files = [*(ROOT / "plugins").glob("*.py"), *(ROOT / "tests" / "example_plugin" / "guanai_psych").glob("*.py")]
    leaks = [f"{f.relative_to(ROOT)}:{line}: {name}" for f in files for line, name in _guanai_imports(f)
             if name not in ("guanai.api", "guanai.testing")]
    assert leaks == []
    assert len(files) >= 5


def test_the_api_lists_exactly_what_it_exports_and_each_resolves():
    import guanai.api as api

    assert set(api.__all__) == {"API_VERSION", *api._EXPORTS}
    assert api.API_VERSION == "2.0"
    for name in api.__all__:
        assert getattr(api, name) is not None, name


def test_importing_hook_names_does_not_load_the_engine():
    code = ("import sys\nfrom guanai.api import hookimpl, StepType, FollowUp\n"
            "print(sorted(m for m in sys.modules if m.startswith(('guanai.core.store', 'sqlalchemy'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _care(db):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PLUGINS / "care.yaml"), "--to", "S001")
    db.ok("staff", "import", str(FACTS.parent / "engine" / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(PLUGINS / "roster.csv"), "--school", "S001")
    return db


def test_plugin_commands_take_org_as_of_and_term(db):
    care = _care(db)
    care.ok("record", "subsidy", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00",
            "--set", "amount_yuan=12.34", "--set", "fund=lmyb")
    by_term = json.loads(care.ok("subsidy", "summary", "--org", "S001", "--term", "2025-autumn", "--json"))
    by_day = json.loads(care.ok("subsidy", "summary", "--org", "S001", "--as-of", "2025-11-01", "--json"))
    assert by_term == by_day
    assert next(r for r in by_term if r["fund"] == "lmyb")["spent_yuan"] == "12.34"
    result = care.run("contest", "results", "--org", "S001", "--term", "2026-spring", "--json")
    assert (result.exit_code, result.stderr) == (2, "方案里没有学期 “2026-spring”；有：2025-autumn\n")


def test_a_hooks_settings_are_its_own_model_with_defaults():
    from datetime import date
    from types import SimpleNamespace

    from guanai.core.store.hooks import RecordContext
    from guanai.plugins.health_check import Settings

    registry = SimpleNamespace(settings_models={"health_check": Settings}, steps={}, pm=None)
    ctx = RecordContext(None, None, None, _registry=registry, plugin="health_check")
    assert ctx.settings == Settings()  # no programme: the model's defaults
    assert ctx.child is None and ctx.term(date(2025, 10, 1)) is None


def test_the_registry_is_built_once_per_process(db, monkeypatch):
    from guanai.core import plugins

    care = _care(db)
    built = []
    original = plugins.build_registry
    monkeypatch.setattr(plugins, "build_registry", lambda *a, **k: built.append(1) or original(*a, **k))
    plugins._registries.clear()
    care.ok("record", "subsidy", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00",
            "--set", "amount_yuan=1", "--set", "fund=lmyb")
    care.ok("indicators", "--org", "S001", "--as-of", "2025-10-31", "--json")
    assert built == [1]  # `record` once built it twice; every later command of the process reuses it


def test_one_app_per_command_one_store_one_clock(db, monkeypatch):
    """Each command builds one App: the database opened once, the clock read once."""
    from datetime import UTC, datetime

    from guanai.core import app as app_module
    from guanai.core.store import db as db_module

    care = _care(db)
    opened = []
    original = db_module.Store.__init__
    monkeypatch.setattr(db_module.Store, "__init__", lambda self, url: opened.append(url) or original(self, url))

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2025, 10, 20, 8, 30, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(app_module, "datetime", Frozen)
    care.ok("record", "talk", "--child", "K1", "--by", "T001")  # no --at: the command's moment
    assert len(opened) == 1
    at = care.query("SELECT occurred_at FROM record")[0][0]
    assert str(at)[:16] == "2025-10-20 08:30"  # stored in UTC
    opened.clear()
    out = care.ok("due", "--staff", "T001")  # no --as-of: the same clock, in the school's zone
    assert "2025年10月20日" in out and len(opened) == 1


def test_explain_takes_a_plugins_follow_up(db):
    care = _care(db)
    care.ok("record", "health_check", "--child", "K1", "--at", "2025-10-20 09:00", "--set", "vision_left=4.7")
    rows = json.loads(care.ok("explain", "--duty", "health-referral", "--child", "K1", "--as-of", "2025-10-25",
                              "--json"))
    assert [(r["duty"], r["start"], r["due"], r["status"]) for r in rows] == [
        ("health-referral", "2025-10-20T09:00", "2025-11-03T09:00", "due")]
    care.ok("record", "referral", "--child", "K1", "--by", "T001", "--at", "2025-10-28 10:00",
            "--set", "to=县医院", "--set", "reason=视力")
    rows = json.loads(care.ok("explain", "--duty", "health-referral", "--child", "K1", "--as-of", "2025-11-04",
                              "--json"))
    assert [(r["status"], r["records"]) for r in rows] == [("met", ["2025-10-28T10:00"])]
    result = care.run("explain", "--duty", "no-such-rule", "--child", "K1")
    assert result.exit_code == 2 and "no-such-rule" in result.stderr


def test_a_time_limited_item_reads_in_days_and_hours(db):
    care = _care(db)
    care.ok("record", "health_check", "--child", "K1", "--at", "2025-10-20 09:00", "--set", "vision_left=4.7")
    out = care.ok("due", "--org", "S001", "--as-of", "2025-10-25 09:00")
    assert "还剩9天" in out and "分钟" not in out  # 14 days after 10-20 09:00, seen on 10-25 09:00
    from guanai.core.services.engine import span_text

    assert [span_text(m, "left") for m in (90, 150, 2 * 1440, 9 * 1440 + 180)] == [
        "还剩90分钟", "还剩2小时", "还剩2天", "还剩9天3小时"]
    assert span_text(14401, "overdue") == "逾期10天"


def test_a_follow_up_of_a_step_nobody_provides_is_refused_naming_the_plugin(cli, tmp_path, monkeypatch, db):
    from tests.test_plugins import install_fake_plugin

    install_fake_plugin(tmp_path, monkeypatch, "guanai_typo", """
        from guanai.api import FollowUp, for_steps, hookimpl

        @hookimpl
        @for_steps("talk")
        def on_record(record, ctx):
            return [FollowUp("callback", "回访", "call_back", "7d")]
        """)
    from tests.test_activity_plugins import _listing

    care = _care(db)
    _listing(care, tmp_path, "guanai_typo")
    result = care.run("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-20 09:00")
    assert (result.exit_code, result.stderr) == (2, (
        "STEP: 插件 guanai_typo 处理这条记录时出错（它要求的跟进 “callback” 用的记录类型 “call_back” 不存在，"
        "这项工作谁也无法完成），未记录；可设置 GUANAI_DISABLE_PLUGINS=guanai_typo 跳过它\n"))
    assert care.count("record") == 0


def test_a_follow_up_must_be_declared_on_the_plugins_step(tmp_path, monkeypatch, db):
    from tests.test_plugins import install_fake_plugin

    install_fake_plugin(tmp_path, monkeypatch, "guanai_adhoc", """
        from guanai.api import FollowUp, for_steps, hookimpl

        @hookimpl
        @for_steps("talk")
        def on_record(record, ctx):
            return [FollowUp("callback", "回访", "phone_call", "7d")]
        """)
    from tests.test_activity_plugins import _listing

    care = _care(db)
    _listing(care, tmp_path, "guanai_adhoc")
    result = care.run("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-20 09:00")
    assert result.exit_code == 2
    assert "插件 guanai_adhoc 处理这条记录时出错（它返回的跟进 “callback” 未在记录类型的 follow_ups 中声明" in result.stderr
    assert care.count("record") == 0


def test_a_declared_follow_up_of_an_unknown_step_leaves_the_plugin_out(cli, tmp_path, monkeypatch):
    from tests.test_plugins import install_fake_plugin

    install_fake_plugin(tmp_path, monkeypatch, "guanai_lost", """
        from pydantic import BaseModel
        from guanai.api import FollowUp, StepType, hookimpl

        class Visit(BaseModel):
            notes: str | None = None

        @hookimpl
        def register_step_types(register):
            register(StepType("revisit", "回访", Visit, follow_ups=(FollowUp("again", "再访", "revisit_twice", "7d"),)))
        """)
    result = cli("plugins", "check")
    assert result.exit_code == 1
    assert ("插件 guanai_lost 声明的跟进 “again” 用的记录类型 “revisit_twice” 不存在，这项工作谁也无法完成；已停用该插件"
            in result.output)
    from guanai.core.plugins import load_registry

    assert "revisit" not in load_registry().steps and "guanai_lost" not in load_registry().plugins


def test_follow_up_rules_are_shown_grouped_and_explained(db, tmp_path):
    care = _care(db)
    text = (PLUGINS / "care.yaml").read_text("utf-8").replace("referral_days: 14", "referral_days: 10")
    (tmp_path / "care10.yaml").write_text(text, encoding="utf-8")
    shown = json.loads(care.ok("programme", "show", str(tmp_path / "care10.yaml"), "--json"))["follow_ups"]
    assert shown == [{"id": "health-referral", "when": "体检异常", "name": "体检异常报送上一级医疗部门",
                      "step": "referral", "within": "10d", "group": "健康", "plugin": "health_check"}]
    out = care.ok("programme", "show", str(PLUGINS / "care.yaml"))
    assert "体检异常   体检异常报送上一级医疗部门   14 天内   健康" in out
    # explain knows the rule before any record obliged it
    rows = json.loads(care.ok("explain", "--duty", "health-referral", "--child", "K1", "--as-of", "2025-10-25",
                              "--json"))
    assert rows == []
    care.ok("record", "health_check", "--child", "K1", "--at", "2025-10-20 09:00", "--set", "vision_left=4.7")
    care.ok("record", "health_check", "--child", "K2", "--at", "2025-10-20 09:30", "--set", "vision_left=4.6")
    care.ok("record", "referral", "--child", "K1", "--by", "T001", "--at", "2025-10-28 10:00",
            "--set", "to=县医院", "--set", "reason=视力")
    by_group = json.loads(care.ok("compliance", "--org", "S001", "--group", "健康", "--by", "duty",
                                  "--as-of", "2025-11-10", "--json"))
    assert [(r["key"]["duty"], r["expected"], r["met"]) for r in by_group["rows"]] == [("health-referral", 2, 1)]
    other = json.loads(care.ok("compliance", "--org", "S001", "--group", "五个一", "--by", "duty",
                               "--as-of", "2025-11-10", "--json"))
    assert "health-referral" not in [r["key"]["duty"] for r in other["rows"]]


FRAGILE = """
import click
from guanai.api import IndicatorKind, ReportSection, hookimpl

def broken(ctx):
    raise ZeroDivisionError("division by zero")

@hookimpl
def register_indicator_kinds(register):
    register(IndicatorKind("fragile_rate", "脆弱指标", broken))

@hookimpl
def register_commands(cli):
    @cli.command("fragile")
    def fragile():
        raise RuntimeError("boom")

@hookimpl
def report_sections(ctx):
    raise RuntimeError("no section")
"""


def test_a_failing_plugin_is_named_and_contained(db, tmp_path, monkeypatch):
    from tests.test_activity_plugins import _listing
    from tests.test_plugins import install_fake_plugin

    install_fake_plugin(tmp_path, monkeypatch, "guanai_fragile", FRAGILE)
    care = _care(db)
    _listing(care, tmp_path, "guanai_fragile")
    programme = tmp_path / "guanai_fragile.yaml"
    programme.write_text(programme.read_text(encoding="utf-8").replace("version: 2", "version: 3") +
                         "  - {id: fragile, name: 脆弱指标, kind: fragile_rate, target: 0.5}\n", encoding="utf-8")
    care.ok("programme", "publish", str(programme), "--to", "S001", "--yes")
    result = care.run("indicators", "--org", "S001", "--as-of", "2025-10-31", "--json")
    assert result.exit_code == 0
    assert result.stderr == ("指标“脆弱指标”没有算出：插件 guanai_fragile 出错（ZeroDivisionError: division by zero，"
                             f"位于 {tmp_path / 'guanai_fragile.py'}:6）；"
                             "其余指标照常。可设置 GUANAI_DISABLE_PLUGINS=guanai_fragile 跳过它\n")
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["fragile"]["value"] is None and rows["fragile"]["ok"] is False
    assert rows["fragile"]["error"].startswith("guanai_fragile: ZeroDivisionError")
    assert rows["checkup-rate"]["error"] is None and rows["checkup-rate"]["denominator"] > 0  # the others still count
    result = care.run("fragile")
    assert (result.exit_code, result.stderr) == (2, "插件 guanai_fragile 的命令 fragile 出错（RuntimeError: boom）；"
                                                 "可设置 GUANAI_DISABLE_PLUGINS=guanai_fragile 跳过它\n")
    made = care.run("report", "summary", "--org", "S001", "--as-of", "2025-11-01", "-o", str(tmp_path / "s.md"))
    assert made.exit_code == 1 and made.stderr == ("插件 guanai_fragile 的一节未能生成（RuntimeError: no section，位于 "
                                                   f"{tmp_path / 'guanai_fragile.py'}:20），"
                                                   "文档中已标为“未生成”；设 GUANAI_DISABLE_PLUGINS=guanai_fragile 可不用它\n")
    text = (tmp_path / "s.md").read_text("utf-8")
    assert "### （七）guanai\\_fragile（未生成）\n\n本节未生成：插件 guanai\\_fragile 运行出错，请联系插件的维护者。" in text
    assert "### （四）体检" in text  # the others are there


def test_steps_say_what_they_are(cli):
    help_text = cli("record", "phone_call", "--help").stdout
    assert "with：通话对象：parents 在外务工父母 / guardian 监护人 / child 孩子（parents | guardian | child）" in help_text
    assert 'guanai record phone_call --child 学籍号 --by 工号 --at "2025-10-22 16:00"' in help_text
    census = " ".join(cli("record", "census", "--help").stdout.split())
    assert 'guanai record census --school 学校代码 --by 工号 --at "2025-10-22 16:00" --set counted=20' in census
    listed = {p["name"]: p for p in json.loads(cli("plugins", "list", "--json").stdout)}
    fund = next(f for f in listed["subsidy"]["step_fields"]["subsidy"] if f["name"] == "fund")
    assert fund == {"name": "fund", "description": "资金编号，见方案 settings.subsidy.funds", "type": "文字",
                    "required": True, "example": "资金编号", "labels": {}}
    call = next(f for f in listed["care_basics"]["step_fields"]["phone_call"] if f["name"] == "with")
    assert call["labels"] == {"parents": "父母", "guardian": "监护人", "child": "孩子"}
    shown = json.loads(cli("plugins", "show", "health_check", "--json").stdout)
    assert [s["name"] for s in shown["settings"]] == ["vision_referral_below", "systolic_max", "diastolic_max",
                                                      "referral_days"]
    assert shown["indicators"] == [{"name": "checkup_rate", "title": "体检率"}]
    assert shown["commands"] == ["health"] and "on_record" in shown["hooks"]
    assert shown["steps"][0]["follow_ups"] == [{"id": "health-referral", "name": "体检异常报送上一级医疗部门",
                                                "when": "体检异常", "step": "referral", "group": "健康",
                                                "within": "14d"}]
    assert "跟进：体检异常 → 体检异常报送上一级医疗部门（health-referral），14 天内" in cli("plugins", "show",
                                                                               "health_check").stdout
    result = cli("plugins", "show", "nope")
    assert (result.exit_code, result.stderr) == (2, "没有安装插件 “nope”；已安装：care_basics、health_check、subsidy、contest\n")


def test_every_step_example_records(db):
    """The example in each step's help, filled in, is a record guanai accepts (or refuses only for
    what a plugin checks against the programme: a fund, a participant)."""
    from guanai.core.plugins import load_registry

    care = _care(db)
    # the two a plugin refuses, each for what its example cannot know, word for word; any other
    # refusal, warning or crash fails
    refused = {"subsidy": "--set fund: 插件 subsidy 拒绝了这条记录：方案没有资金 “资金编号”；有：lmyb（两免一补）、"
                          "jiedui（团委结对资助）\n",
               "contest": "--set participants: 插件 contest 拒绝了这条记录：参赛学生不在 S001：参赛学生K1\n"}
    for step in load_registry().steps.values():
        command = step.example().replace("学籍号", "K1").replace("学校代码", "S001").replace("工号", "T001")
        args = [a.strip('"') for a in __import__("shlex").split(command)][1:]
        result = care.run(*args)
        expected = (2, refused[step.name]) if step.name in refused else (0, "")
        assert (result.exit_code, result.stderr) == expected, command


def test_trace_shows_the_calls_guanai_makes_into_plugins(db, monkeypatch):
    care = _care(db)
    monkeypatch.setenv("GUANAI_TRACE_PLUGINS", "1")
    result = care.run("record", "health_check", "--child", "K1", "--at", "2025-10-20 09:00", "--set", "vision_left=4.7")
    assert "  health_check.on_record(health_check child K1)\n" in result.stderr
    result = care.run("indicators", "--org", "S001", "--as-of", "2025-10-31")
    assert "  health_check.checkup_rate.compute(checkup-rate)\n" in result.stderr
    assert "  contest.command(contest)\n" in care.run("contest", "results", "--org", "S001").stderr


def test_the_reference_in_docs_plugins_md_is_current():
    from guanai.core.apidoc import updated

    page = (ROOT / "docs" / "plugins.md").read_text("utf-8")
    assert updated(page) == page, "docs/plugins.md is stale: run `make docs`"
    assert "`.cared_for(on: date | str | None = None) -> set[str]`" in page
    assert "`.records(step: str, first: date | str | None = None, last: date | str | None = None, schools: Iterable[str] | None = None) -> list[Any]`" in page


def _fresh_venv(folder: Path) -> Path:
    """A new virtual environment whose base packages (guanai, its dependencies, pytest, setuptools)
    are this one's — offline, no downloads — and whose own site-packages starts empty."""
    import sysconfig
    import venv

    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    outer = sysconfig.get_paths()["purelib"]
    Path(purelib, "guanai_base.pth").write_text(f"import site; site.addsitedir({outer!r})\n", encoding="utf-8")
    return python


def test_plugin_new_scaffolds_a_package_whose_tests_pass_when_installed(tmp_path, cli):
    """`guanai plugin new`: pip installs the package into a fresh venv (as a distribution, with its
    entry point) and its generated tests pass there with guanai.testing's fixtures."""
    result = cli("plugin", "new", "nutrition", "--title", "营养餐检查", "--dir", str(tmp_path))
    folder = tmp_path / "guanai-nutrition"
    assert result.exit_code == 0 and f"已新建插件 nutrition：{folder}" in result.stdout
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "README.md", "guanai_nutrition/__init__.py", "pyproject.toml", "tests/programme.yaml",
        "tests/test_nutrition.py"]
    python = _fresh_venv(tmp_path / "fresh")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-build-isolation", str(folder)], check=True, capture_output=True)
    where = subprocess.run([str(python), "-c", "import guanai_nutrition; print(guanai_nutrition.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path).stdout
    assert where.startswith(str(tmp_path / "fresh")), where  # the installed copy, not the source folder
    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "tests")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert "4 passed" in run.stdout, run.stdout + run.stderr  # a step, follow-up, setting, indicator, command, section
    assert _guanai_imports(folder / "guanai_nutrition" / "__init__.py") == [(9, "guanai.api")]  # and nothing else
    shown = subprocess.run([str(python), "-m", "guanai.core.cli", "plugins", "show", "nutrition", "--json"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    again = cli("plugin", "new", "nutrition", "--dir", str(tmp_path))
    assert (again.exit_code, again.stderr) == (2, f"{folder} 已存在，未改动\n")
    assert cli("plugin", "new", "Bad-Name").exit_code == 2


def test_guanai_testing_gives_a_school_with_a_programme(guanai_school):
    school = guanai_school(PLUGINS / "care.yaml")
    assert school.record("health_check", child="K1", by=None, at="2025-10-20 09:00", vision_left="4.7").exit_code == 0
    assert [r["duty"] for r in school.due("2025-10-25") if r["duty"] == "health-referral"] == ["health-referral"]
    assert school.indicators("2025-10-31")["checkup-rate"]["numerator"] == 1


def test_installed_plugin_hygiene(cli, tmp_path, monkeypatch):
    from tests.test_plugins import install_fake_plugin

    assert cli("plugins", "check").stdout == "4 个插件都正常：care_basics、health_check、subsidy、contest\n"
    install_fake_plugin(tmp_path, monkeypatch, "guanai_typo", """
        from guanai.api import hookimpl

        @hookimpl
        def on_recrod(record, ctx):
            return None
        """)
    result = cli("plugins", "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (  # one line: the plugin, the cause, where, the switch
        f"插件 guanai_typo 实现了不存在的钩子 on_recrod：是否想写 on_record？（{tmp_path / 'guanai_typo.py'}:5）；"
        "本次已停用；要不再加载它，设 GUANAI_DISABLE_PLUGINS=guanai_typo")
    assert result.stdout.splitlines()[-1] == "1 个插件未能加载，4 个正常。"
    programme = tmp_path / "p.yaml"
    programme.write_text((PLUGINS / "care.yaml").read_text("utf-8").replace(
        "plugins: [health_check, subsidy, contest]", "plugins: [health_check, subsidy, contest, guanai_typo, nope]"),
        encoding="utf-8")
    check = cli("programme", "check", str(programme))
    assert check.exit_code == 1
    lines = [line for line in check.stderr.splitlines() if "plugins[" in line]
    assert lines[0].endswith("plugins[3]: 插件 “guanai_typo” 已安装但未能加载：插件 guanai_typo 实现了不存在的钩子 on_recrod：是否想写 on_record？")
    assert lines[1].endswith("plugins[4]: 插件 “nope” 没有安装（guanai plugins list 查看已安装的插件）")


def test_records_from_contexts_carry_the_steps_model(db):
    from datetime import date
    from decimal import Decimal

    from guanai.api import CommandContext
    from guanai.core.store.db import Store

    care = _care(db)
    care.ok("record", "subsidy", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00",
            "--set", "amount_yuan=12.34", "--set", "fund=lmyb")
    store = Store(care.url)
    asked = CommandContext(["S001"], date(2025, 10, 31), _store=store, plugin="subsidy")
    found = asked.records("subsidy", date(2025, 9, 1), date(2026, 1, 16), schools=["S001"])
    assert asked.records("subsidy", "2025-09-01", "2026-01-16") == found  # ISO text is a date too
    assert CommandContext(["S001"], date(2025, 10, 9), _store=store, plugin="subsidy").records(
        "subsidy", "2025-09-01", "2026-01-16") == []  # --as-of 10-09: the record of 10-10 had not happened
    store.engine.dispose()
    assert [(r.subject, r.payload["amount_yuan"], r.model.amount_yuan) for r in found] == [
        ("K1", "12.34", Decimal("12.34"))]


def test_the_schema_includes_installed_outside_plugins_unless_builtin_only(cli, tmp_path, monkeypatch):
    from tests.test_plugins import GOOD, install_fake_plugin

    install_fake_plugin(tmp_path, monkeypatch, "guanai_psych", GOOD)
    full = json.loads(cli("programme", "schema").stdout)
    assert "psych_screening" in full["definitions"]["Duty"]["properties"]["step"]["examples"]
    assert "guanai_psych" in full["properties"]["settings"]["properties"]
    builtin = json.loads(cli("programme", "schema", "--builtin-only").stdout)
    assert "psych_screening" not in builtin["definitions"]["Duty"]["properties"]["step"]["examples"]
    assert builtin == json.loads((ROOT / "schemas" / "programme.schema.json").read_text("utf-8"))


def test_a_refused_record_fails_the_authors_test_rather_than_passing_unseen(guanai_school):
    """guanai.testing's `school.record` raises `Refused` with guanai's message; `refusal` gives the
    message of a record meant to be refused, and fails when the record is stored."""
    from guanai.testing import Refused

    school = guanai_school(PLUGINS / "care.yaml")
    with pytest.raises(Refused) as refused:
        school.record("health_check", child="K1", by=None, at="2025-10-20 09:00", vision_left="9.9")
    assert "vision_left" in str(refused.value) or "左眼" in str(refused.value)
    assert school.refusal("health_check", child="K1", by=None, at="2025-10-20 09:00", vision_left="9.9") == \
        str(refused.value)
    with pytest.raises(AssertionError, match="the record was stored"):
        school.refusal("health_check", child="K1", by=None, at="2025-10-20 09:00", vision_left="4.7")
