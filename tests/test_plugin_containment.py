"""Plugins that cannot hurt each other (issue 29): beside a working plugin, plugins that make a
common mistake or misbehave — a hook with a wrong argument, sys.exit() or a print while loading,
a built-in's name, a step or a command two plugins claim, a report section that fails. Each is
loaded from a plugins folder (--plugins-dir / GUANAI_PLUGINS_DIR), as an author tries one."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FACTS

PLUGINS = FACTS.parent / "plugins"
ENGINE = FACTS.parent / "engine"

GOOD = '''
from pydantic import BaseModel
from guanai.api import hookimpl, IndicatorKind, StepType, ReportSection

class Meal(BaseModel):
    ate: bool = True

@hookimpl
def register_step_types(register):
    register(StepType("meal_check", "营养餐检查", Meal, "营养餐是否吃完", scope="child"))

@hookimpl
def register_indicator_kinds(register):
    register(IndicatorKind("meal_rate", "营养餐覆盖率", lambda ctx: (1, 2)))

@hookimpl
def report_sections(ctx):
    return [ReportSection("营养餐", (f"检查营养餐 {len(ctx.records('meal_check'))} 次。",))]
'''


@pytest.fixture
def plugins_dir(guanai_plugins):
    """guanai.testing's plugins folder: `add(name, source)` → the module's path as text."""
    return lambda name, source: str(guanai_plugins.add(name, source))


def _school(db, tmp_path, plugins=("nutrition",)):
    db.ok("org", "import", str(FACTS / "org.csv"))
    plan = (ENGINE / "term.yaml").read_text("utf-8").replace("id: engine-test", f"id: engine-test\nplugins: {list(plugins)}")
    (tmp_path / "p.yaml").write_text(plan, encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "p.yaml"), "--to", "S001", "--yes")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001")
    db.ok("assign", "auto", "--school", "S001", "--role", "proxy_parent", "--from", "2025-09-01")


def test_a_hook_with_a_wrong_argument_leaves_out_that_plugin_only(cli, plugins_dir, tmp_path):
    plugins_dir("nutrition", GOOD)
    where = plugins_dir("typo", '''
        from guanai.api import hookimpl

        @hookimpl
        def on_record(rec, ctx):
            return None
        ''')
    line = (f"插件 typo 的钩子 on_record 有规范里没有的参数 rec（可用的参数：ctx、record）（{where}:5）；"
            "本次已停用；要不再加载它，设 GUANAI_DISABLE_PLUGINS=typo")
    check = cli("plugins", "check")
    assert (check.exit_code, check.stdout.splitlines()) == (1, [line, "1 个插件未能加载，5 个正常。"])
    listed = cli("plugins", "list", "--json")
    assert listed.exit_code == 0 and "nutrition" in [p["name"] for p in json.loads(listed.stdout)]
    checked = cli("programme", "check", str(PLUGINS / "care.yaml"))  # any other command works, and says
    assert checked.exit_code == 0 and checked.stderr.splitlines()[0] == line  # once what it left out


def test_exiting_or_printing_while_loading_breaks_nothing_else(cli, plugins_dir, db, tmp_path):
    plugins_dir("nutrition", GOOD)
    exits = plugins_dir("quitter", "import sys\nsys.exit(3)\n")
    plugins_dir("chatty", "print('debug: loaded')\n")
    _school(db, tmp_path)
    out = db.run("due", "--staff", "T001", "--as-of", "2025-10-27", "--json")
    assert out.exit_code == 0 and isinstance(json.loads(out.stdout), list)  # --json intact
    assert out.stderr.splitlines() == [
        "插件 chatty 在加载时向标准输出写了字（“debug: loaded”），会弄乱 --json 等输出；本次已停用；"
        "要不再加载它，设 GUANAI_DISABLE_PLUGINS=chatty",
        f"插件 quitter 无法加载（SystemExit: 3）（{exits}:2）；本次已停用；要不再加载它，设 GUANAI_DISABLE_PLUGINS=quitter"]
    assert db.run("record", "meal_check", "--child", "K1", "--by", "T001", "--at", "2025-10-20 12:00").exit_code == 0


def test_a_builtin_name_is_reserved_for_loading_and_for_plugin_new(cli, plugins_dir, tmp_path):
    where = plugins_dir("care_basics", "from guanai.api import hookimpl\n")
    check = cli("plugins", "check")
    assert check.exit_code == 1
    assert check.stdout.splitlines()[0] == (f"插件 care_basics（{where}）用了内置插件的名字，不能替换内置插件；请换一个名字；本次未加载")
    assert "talk" in cli("plugins", "show", "care_basics", "--json").stdout  # the built-in stands
    made = cli("plugin", "new", "care_basics", "--dir", str(tmp_path))
    assert (made.exit_code, made.stderr) == (2, "“care_basics” 是内置插件的名字，请换一个（如 care_basics_县名）\n")
    assert not (tmp_path / "guanai-care_basics").exists()


def test_a_step_two_plugins_claim_is_refused_for_both_never_by_load_order(cli, plugins_dir, monkeypatch):
    plugins_dir("nutrition", GOOD)
    plugins_dir("aaa_intruder", GOOD.replace("营养餐检查", "抢注"))  # loads first by name
    check = cli("plugins", "check")
    assert check.exit_code == 1
    assert check.stdout.splitlines()[:2] == [
        "插件 nutrition 注册的 “meal_check” 插件 aaa_intruder 也注册了，无法分辨用哪一个；本次已停用；"
        "要不再加载它，设 GUANAI_DISABLE_PLUGINS=nutrition",
        "插件 aaa_intruder 注册的 “meal_check” 插件 nutrition 也注册了，无法分辨用哪一个；本次已停用；"
        "要不再加载它，设 GUANAI_DISABLE_PLUGINS=aaa_intruder"]
    assert "meal_check" not in cli("programme", "schema").stdout  # neither serves it
    monkeypatch.setenv("GUANAI_DISABLE_PLUGINS", "aaa_intruder")  # the county leaves the intruder out
    assert cli("plugins", "check").exit_code == 0 and "meal_check" in cli("programme", "schema").stdout


def test_a_command_two_plugins_add_is_added_for_neither(cli, plugins_dir):
    command = '''
        import click
        from guanai.api import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command("psych")
            def psych():
                click.echo("{name}")
        '''
    plugins_dir("nutrition", command.replace("{name}", "nutrition"))
    plugins_dir("zzz_later", command.replace("{name}", "later"))
    out = cli("psych")
    assert out.exit_code == 2 and "nutrition" not in out.stdout and "later" not in out.stdout
    assert "插件 zzz_later 和 nutrition 都想提供命令 “psych”，无法分辨用哪一个，两个都不提供" in out.stderr
    check = cli("plugins", "check")
    assert check.exit_code == 1 and "都想提供命令 “psych”" in check.stdout


def test_a_failing_report_section_is_marked_and_the_report_exits_1(cli, plugins_dir, db, tmp_path):
    where = plugins_dir("nutrition", GOOD.replace("len(ctx.records('meal_check'))",
                                                  "ctx.records('meal_check')[0].payload['score']"))
    _school(db, tmp_path)
    db.ok("record", "meal_check", "--child", "K1", "--by", "T001", "--at", "2025-10-20 12:00")
    out = db.run("report", "summary", "--org", "S001", "--as-of", "2025-10-27", "-o", str(tmp_path / "s.md"))
    assert out.exit_code == 1
    assert out.stderr == (f"插件 nutrition 的一节未能生成（KeyError: 'score'，位于 {where}:18），文档中已标为“未生成”；"
                          "设 GUANAI_DISABLE_PLUGINS=nutrition 可不用它\n")
    text = (tmp_path / "s.md").read_text("utf-8")
    assert "### （三）nutrition（未生成）\n\n本节未生成：插件 nutrition 运行出错，请联系插件的维护者。" in text
    assert "KeyError" not in text  # the county reads no traceback text
    strict = db.run("report", "summary", "--org", "S001", "--as-of", "2025-10-27", "-o", str(tmp_path / "t.md"),
                    "--strict")
    assert strict.exit_code == 2 and not (tmp_path / "t.md").exists()
    assert strict.stderr.splitlines()[-1] == "有插件的一节未能生成，按 --strict 未写入文件"


def test_an_indicator_whose_plugin_is_missing_cannot_be_computed_and_shows_no_figures(plugins_dir, db, tmp_path,
                                                                                     monkeypatch):
    from guanai.core import plugins

    plugins_dir("nutrition", GOOD)
    db.ok("org", "import", str(FACTS / "org.csv"))
    plan = (ENGINE / "term.yaml").read_text("utf-8").replace("id: engine-test", "id: engine-test\nplugins: [nutrition]")
    plan += "  - {id: meals, name: 营养餐覆盖率, kind: meal_rate, target: 0.9}\n"
    (tmp_path / "p.yaml").write_text(plan, encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "p.yaml"), "--to", "S001", "--yes")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001")
    asked = ("indicators", "--org", "S001", "--as-of", "2025-10-27")
    rows = {r["id"]: r for r in json.loads(db.run(*asked, "--json").stdout)}
    assert (rows["meals"]["numerator"], rows["meals"]["denominator"], rows["meals"]["error"]) == (1, 2, None)
    monkeypatch.setenv("GUANAI_DISABLE_PLUGINS", "nutrition")  # uninstalled, or left out: never 0/0 未达标
    plugins._registries.clear()
    rows = {r["id"]: r for r in json.loads(db.run(*asked, "--json").stdout)}
    assert (rows["meals"]["value"], rows["meals"]["ok"]) == (None, False)
    assert rows["meals"]["error"] == "（无）: 没有可用的插件提供指标类型 “meal_rate”（未安装，或本次已停用）"
    shown = [line.split() for line in db.run(*asked).stdout.splitlines() if line.startswith("营养餐覆盖率")]
    assert shown == [["营养餐覆盖率", "—", "90.0%", "—", "无法计算"]]


NOSY = '''
from guanai.api import hookimpl, ReportSection
{reads}
@hookimpl
def report_sections(ctx):
    talks = ctx.records("talk")
    return [ReportSection("谈心统计", (f"谈心 {{len(talks)}} 次。",))]
'''


def test_a_plugin_reads_other_plugins_records_only_when_it_declares_it(cli, plugins_dir, db, tmp_path):
    """No context carries a connection; another plugin's records are read only when declared
    (READS), and `plugins show` tells a county so before it lists the plugin."""
    plugins_dir("nosy", NOSY.format(reads=""))
    _school(db, tmp_path, plugins=("nosy",))
    db.ok("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-20 12:00")
    out = db.run("report", "summary", "--org", "S001", "--as-of", "2025-10-27", "-o", str(tmp_path / "s.md"))
    assert out.exit_code == 1 and "插件 nosy 的一节未能生成（NotDeclared: plugin nosy reads records of “talk”" in out.stderr
    assert "只读取自己的记录类型" in cli("plugins", "show", "nosy").stdout
    plugins_dir("nosy", NOSY.format(reads='READS = ("talk",)'))
    out = db.run("report", "summary", "--org", "S001", "--as-of", "2025-10-27", "-o", str(tmp_path / "t.md"))
    assert out.exit_code == 0 and "谈心1次。" in (tmp_path / "t.md").read_text("utf-8")
    shown = json.loads(cli("plugins", "show", "nosy", "--json").stdout)
    assert shown["reads"] == [{"step": "talk", "title": "谈心", "plugin": "care_basics"}]
    assert "还读取其他插件的记录：谈心（talk）" in cli("plugins", "show", "nosy").stdout


def test_every_context_answers_the_same_questions_and_carries_no_connection():
    import inspect

    from guanai import api

    for name in ("RecordContext", "ReportContext", "IndicatorContext", "CommandContext"):
        kind = getattr(api, name)
        assert issubclass(kind, api.Context), name
        assert not hasattr(kind, "conn") and "conn" not in inspect.signature(kind).parameters, name
        for question in ("records", "children", "cared_for", "staff_names", "term"):
            params = list(inspect.signature(getattr(kind, question)).parameters)
            assert params == list(inspect.signature(getattr(api.Context, question)).parameters), (name, question)
        assert isinstance(inspect.getattr_static(kind, "settings"), property), name
    assert api.RecordView is api.Record  # one record type


SETTINGS = '''
from pydantic import BaseModel, ConfigDict
from guanai.api import hookimpl
{requires}

class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    {field}: int = 10
{migrate}

@hookimpl
def register_settings_model(register):
    register(Settings)
'''
MIGRATE = '''
    @classmethod
    def migrate(cls, raw):  # 2.0 renamed threshold to limit: programmes published before still read
        if "threshold" in raw:
            raw["limit"] = raw.pop("threshold")
        return raw
'''


def test_a_renamed_setting_is_found_in_published_programmes_and_a_migration_keeps_them(cli, plugins_dir, db,
                                                                                      tmp_path):
    plugins_dir("nutri", SETTINGS.format(requires="", field="threshold", migrate=""))
    db.ok("org", "import", str(FACTS / "org.csv"))
    plan = (ENGINE / "term.yaml").read_text("utf-8").replace(
        "id: engine-test", "id: engine-test\nplugins: [nutri]\nsettings: {nutri: {threshold: 5}}")
    (tmp_path / "p.yaml").write_text(plan, encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "p.yaml"), "--to", "S001", "--yes")
    assert db.run("plugins", "check").exit_code == 0
    plugins_dir("nutri", SETTINGS.format(requires="", field="limit", migrate=""))  # the upgrade renames it
    check = db.run("plugins", "check")
    assert check.exit_code == 1 and check.stdout.splitlines()[0] == (
        "已发布的方案 engine-test 第 1 版里插件 nutri 的设置，所装的 nutri 0 已不接受：settings.nutri：未知字段 "
        "“threshold”。请发布修改后的方案，或由插件提供设置的迁移（migrate）")
    plugins_dir("nutri", SETTINGS.format(requires="", field="limit", migrate=MIGRATE))
    assert db.run("plugins", "check").exit_code == 0  # the migration reads the old name


def test_a_plugin_needing_a_newer_api_is_refused_with_a_clear_line(cli, plugins_dir):
    from guanai.api import API_VERSION

    plugins_dir("future", SETTINGS.format(requires='REQUIRES_API = "9.1"', field="x", migrate=""))
    check = cli("plugins", "check")
    assert check.exit_code == 1 and check.stdout.splitlines()[0] == (
        f"插件 future 需要 guanai 插件接口 9.1 或更新，当前是 {API_VERSION}；请升级 guanai；本次已停用；"
        "要不再加载它，设 GUANAI_DISABLE_PLUGINS=future")
    plugins_dir("future", SETTINGS.format(requires='REQUIRES_API = "2.0"', field="x", migrate=""))
    assert cli("plugins", "check").exit_code == 0
