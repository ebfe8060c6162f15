"""Shared fixtures: a CLI runner in Chinese by default, paths to test data and programmes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from guanai.core.i18n import set_lang

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PROGRAMMES = ROOT / "programmes"


@pytest.fixture(autouse=True)
def _chinese(monkeypatch):
    monkeypatch.setenv("GUANAI_LANG", "zh")
    monkeypatch.delenv("GUANAI_DISABLE_PLUGINS", raising=False)
    set_lang(None)
    yield
    set_lang(None)


@pytest.fixture
def cli():
    """Run `guanai ARGS…`; returns click's Result (exit_code, stdout, stderr)."""
    from guanai.core.cli import build_cli

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(build_cli(), list(args), input=input, catch_exceptions=False)

    return run
