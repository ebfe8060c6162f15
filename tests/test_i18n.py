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
    english = []

    def walk(command: click.Command, path: str) -> None:
        if not re.search(r"[\u4e00-\u9fff]", command.help or ""):
            english.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    for name, command in root.commands.items():
        walk(command, name)
    assert english == []
