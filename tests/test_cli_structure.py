"""The command line's structure (issue 17 item 13): each command a module-level click object beside
its logic, imported only when used, its options gathered in one dataclass, its help in the run's
language; the large ones a view (plain data) with one renderer per format, which must agree."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import click
from guanai.core.cli import COMMANDS, build_cli


def _walk(command: click.Command, path: str = "") -> list[tuple[str, click.Command]]:
    """Every built-in command through click's lazy-loading contract (list_commands, get_command)."""
    found = [(path, command)]
    if isinstance(command, click.Group) and path != "record":  # record STEP: one per step type, apart below
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{path} {name}"
            found += _walk(sub, f"{path} {name}".strip())
    return found


def test_every_command_is_a_module_level_command_beside_its_logic():
    from guanai.core.cli import COMMANDS

    commands = [(path, c) for path, c in _walk(build_cli())[1:] if not isinstance(c, click.Group)]
    declared = {name if isinstance(target, str) else f"{name} {sub}"
                for name, target in COMMANDS.items()
                for sub in ((None,) if isinstance(target, str) else target[1])}
    assert {path for path, _ in commands} == declared - {"record"}  # every command the table names (record STEP: below)
    assert {"audit checkpoint", "audit verify", "user add"} <= declared
    for path, command in commands:
        callback = command.callback
        assert callback is not None, path
        assert callback.__module__.startswith("guanai.core.commands."), path
        assert "<locals>" not in callback.__qualname__, path  # not a closure inside build_cli
    assert COMMANDS["due"] == "engine:due_command" and COMMANDS["explain"] == "explain:explain_command"
    from guanai.core.commands.records import record_group

    ctx = click.Context(record_group)
    assert record_group.list_commands(ctx)[:3] == ["import", "activity", "archive"]
    for name in ("import", "talk"):
        assert record_group.get_command(ctx, name).callback.__module__ == "guanai.core.commands.records"


def test_options_are_gathered_in_one_dataclass():
    """A command's options reach its logic as one dataclass, so the demo (and a test) can ask for
    one option by name instead of ten positional arguments."""
    from dataclasses import fields

    from guanai.core.commands.engine import ComplianceOptions, DueOptions
    from guanai.core.commands.explain import ExplainOptions

    for options, command in ((DueOptions, "due_command"), (ComplianceOptions, "compliance_command")):
        from guanai.core.commands import engine

        params = [p.name for p in getattr(engine, command).params if p.name != "xlsx"]
        assert params == [f.name for f in fields(options)]  # click's names are the dataclass's fields
    assert [f.name for f in fields(ExplainOptions)] == ["duty", "child_id", "school", "staff_id", "class_name",
                                                        "when", "known_at", "as_json", "as_csv"]


PROBE = """
import contextlib, json, sys
from guanai.core.cli import main
with contextlib.suppress(SystemExit):  # --help exits once it has printed
    main(json.loads(sys.argv[1]))
heavy = ("sqlalchemy", "pydantic", "openpyxl", "guanai.core.registry")
print(json.dumps({"heavy": sorted(m for m in heavy if m in sys.modules),
                  "commands": sorted(m for m in sys.modules if m.startswith("guanai.core.commands."))}))
"""


def _imported(args: list[str]) -> dict[str, list[str]]:
    """The heavy libraries and the command modules a fresh `guanai ARGS` imported."""
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.splitlines()[-1])


def test_help_imports_no_database_or_model_library():
    """`guanai --help` and a command's --help load neither SQLAlchemy, pydantic nor the plugins —
    `--help` lists the plugins' commands from the cache its first run fills (the installed
    plugins are its key); `due --help` imports the module of `due` and no other command's."""
    _imported(["--help"])  # the first run after an install loads the plugins once, to list their commands
    assert _imported(["--help"]) == {"heavy": [], "commands": ["guanai.core.commands.options"]}
    due = _imported(["due", "--help"])
    assert due == {"heavy": [], "commands": ["guanai.core.commands.engine", "guanai.core.commands.options"]}
    assert _imported(["--lang", "en", "explain", "--help"])["heavy"] == []


def test_the_root_lists_every_built_in_once():
    """Built-ins are found lazily (a plugin's `due` is still refused: tests/test_activity_plugins.py)."""
    root = build_cli()
    names = root.list_commands(click.Context(root))
    assert names == sorted(set(names)) and set(COMMANDS) <= set(names)


def test_explain_renders_one_view_as_text_json_and_csv(demo):
    run, _ = demo
    args = ("explain", "--duty", "weekly-talk", "--child", "G5107222201101200151", "--as-of", "2025-10-27")
    rows = json.loads(run(*args, "--json").stdout)
    assert len(rows) == 36 and rows[0]["window"] == "2025-W38" and rows[0]["start"] == "2025-09-15"
    assert [r["status"] for r in rows[:7]] == ["met", "overdue", "met", "met", "met", "due", "due"]
    table = list(csv.DictReader(io.StringIO(run(*args, "--csv").stdout)))
    assert [r["window"] for r in table] == [r["window"] for r in rows]
    assert [r["status"] for r in table] == [r["status"] for r in rows]
    text = run(*args).stdout
    met = sum(r["status"] == "met" for r in rows)
    overdue = sum(r["status"] == "overdue" for r in rows)
    assert f"共 {len(rows)} 个周期：按时完成 {met} 个，逾期 {overdue} 个。" in text
    for r in rows:
        assert f"{r['start']} — {r['due']}" in text


def test_due_renders_one_view_as_text_json_and_csv(demo):
    run, _ = demo
    args = ("due", "--staff", "T008", "--as-of", "2025-10-27")
    rows = json.loads(run(*args, "--json").stdout)
    table = list(csv.DictReader(io.StringIO(run(*args, "--csv").stdout)))
    assert len(rows) == len(table) == 58
    assert [(r["duty"], r["subject"], r["due"]) for r in rows] == [(r["duty"], r["subject"], r["due"]) for r in table]
    overdue = sum(r["status"] == "overdue" for r in rows)
    assert overdue == 20
    assert f"共 58 项：逾期 {overdue} 项" in run(*args).stdout


def test_the_help_listing_is_each_commands_own_help(cli):
    """`guanai --help` lists commands from the catalogue without importing them: each line must be
    the command's own help, in either language."""
    from guanai.core.cli import listing_keys
    from guanai.core.i18n import set_lang, t

    root = build_cli()
    ctx = click.Context(root)
    assert sorted(listing_keys()) == root.list_commands(ctx)
    for lang in ("en", "zh"):
        set_lang(lang)
        for name, key in listing_keys().items():
            assert t(key) == root.get_command(ctx, name).help, (lang, name)
    listed = cli("--help").stdout
    assert "  due         到期和逾期的事项，逾期的在前：给一位教师、一个班或一个单位\n" in listed
    assert "  programme   实施方案：检查、查看、校历、发布\n" in listed
    assert "  explain     Every window of a duty for one subject" in cli("--lang", "en", "--help").stdout
