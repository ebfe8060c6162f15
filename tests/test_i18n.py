"""The message catalogue: every language has every message."""

from __future__ import annotations

import tomllib
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "core" / "locale"


def test_every_language_has_the_same_keys():
    zh = tomllib.loads((LOCALE / "zh.toml").read_text(encoding="utf-8"))
    en = tomllib.loads((LOCALE / "en.toml").read_text(encoding="utf-8"))
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_english_errors_on_request(cli, tmp_path):
    result = cli("--lang", "en", "--db", f"sqlite:///{tmp_path / 'x.db'}", "children", "list")
    assert result.exit_code == 2
    assert result.stderr == f"database sqlite:///{tmp_path / 'x.db'} is not initialised: run guanai init first\n"


def test_every_command_says_what_it_does_in_chinese():
    """Built-in and plugins' commands alike (health import once read in English)."""
    import re

    import click
    from guanai.core.cli import build_cli

    root = build_cli()
    root._load_plugin_commands()  # type: ignore[attr-defined]
    english, seen = [], []

    def walk(command: click.Command, path: str) -> None:  # through click's lazy-loading contract
        seen.append(path)
        if not re.search(r"[\u4e00-\u9fff]", command.help or ""):
            english.append(path)
        english.extend(f"{path} {p.opts[0]}" for p in command.params
                       if isinstance(p, click.Option) and p.help and p.help.startswith("cli."))  # a key left as is
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                found = command.get_command(ctx, name)
                assert found is not None, f"{path} {name}"
                walk(found, f"{path} {name}".strip())

    walk(root, "")
    assert english == []
    for path in ("due", "explain", "programme simulate", "report ledger", "record talk", "health import",
                 "children show", "assign check"):
        assert path in seen


def test_help_follows_the_language_of_each_run(cli):
    """Commands are built once per process; their help is put into the language of the run."""
    chinese = cli("due", "--help").stdout
    assert "用法： guanai due" in chinese and "  --org CODE             县、乡镇或学校代码\n" in chinese
    assert "  -h, --help             显示本帮助并退出。\n" in chinese  # click's own words too
    english = cli("--lang", "en", "due", "--help").stdout
    assert english.startswith("Usage: guanai due [OPTIONS]\n\n  What is due and overdue, overdue first")
    assert "  --org CODE             county, township or school code\n" in english
    assert "县、乡镇或学校代码" not in english and "示例" not in english
    assert "到期和逾期的事项" in cli("--lang", "zh", "due", "--help").stdout
    assert "count only what was entered by this time" in cli("--lang", "en", "explain", "--help").stdout


def test_clicks_own_errors_speak_the_language_of_the_run(cli):
    """A stranger's mistyped option got click's English ("Error: Invalid value for …") in a Chinese
    run: click's messages go through the catalogue."""
    zh = cli("due", "--limit", "0")
    assert (zh.exit_code, zh.stderr.splitlines()[-1]) == (2, "错误：'--limit' 的值不对：0 不在 x>=1 范围内。")
    assert zh.stderr.splitlines()[1] == "用 “guanai due --help” 查看帮助。"
    assert cli("nosuch").stderr.splitlines()[-1] == "错误：没有 'nosuch' 这个命令。"
    en = cli("--lang", "en", "due", "--limit", "0")
    assert en.stderr.splitlines()[-1] == "Error: Invalid value for '--limit': 0 is not in the range x>=1."
