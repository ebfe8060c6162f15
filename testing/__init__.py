"""guanai.testing: pytest fixtures for plugin authors (a pytest plugin, entry point ``pytest11``).

A plugin's test is then a few lines::

    def test_a_positive_screening_obliges_counselling(guanai_school):
        school = guanai_school("tests/programme.yaml")
        school.record("psych_screening", child="K1", at="2025-10-09 10:00", score=72)
        assert [r["duty"] for r in school.due("2025-10-20")] == ["psych-counselling"]

``guanai_school(programme)`` is a fresh SQLite database with a county (C01), a township (T01) and
one school (S001: staff T001 王芳, head of 七(1)班, and T002; children K1 and K2 cared for, K3 not;
K1 paired with T001 and K2 with T002 from 2025-09-01), the programme published to it.
``guanai_cli(*args)`` runs ``guanai`` in-process. Nothing here touches the user's files.

A school is built once per test session for each programme file (as it reads when first asked)
and copied for every test that asks for it: a test changes its own copy only.
``guanai_templates`` does the same for databases of your own::

    def test_something(guanai_templates, tmp_path):
        path = guanai_templates.copy("big school", tmp_path / "x.db", build=my_builder)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class Result:
    """What a guanai run gave: its exit code and its output."""

    exit_code: int
    stdout: str
    stderr: str


def run(*args: str, input: str | None = None) -> Result:
    """Run ``guanai ARGS…`` in-process (Chinese messages, like a user's terminal)."""
    from click.testing import CliRunner
    from guanai.core.cli import build_cli

    result = CliRunner().invoke(build_cli(), list(args), input=input, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


class Refused(AssertionError):
    """guanai refused a record a test meant to store: its message is guanai's."""


@dataclass
class School:
    """A database with one school and a published programme; helpers ask what a user would."""

    url: str

    def run(self, *args: str) -> Result:
        return run("--db", self.url, *args)

    def ok(self, *args: str) -> str:
        """Run and insist it succeeded; returns stdout."""
        result = self.run(*args)
        assert result.exit_code == 0, result.stdout + result.stderr
        return result.stdout

    def record(self, step: str, child: str | None = None, school: str | None = None, by: str | None = "T001",
               at: str = "2025-10-09 10:00", key: str | None = None, **fields: Any) -> Result:
        """``guanai record STEP``; the payload fields as keyword arguments (``score=72``). A record
        guanai refuses raises ``Refused`` with guanai's message: a test never goes on as if it
        were stored (``refusal(…)`` is for testing the refusal itself)."""
        result = self.run(*self._record_args(step, child, school, by, at, key, fields))
        if result.exit_code != 0:
            raise Refused(result.stderr.strip() or result.stdout.strip())
        return result

    def refusal(self, step: str, child: str | None = None, school: str | None = None, by: str | None = "T001",
                at: str = "2025-10-09 10:00", key: str | None = None, **fields: Any) -> str:
        """The message guanai refuses the record with; fails the test when the record is stored."""
        result = self.run(*self._record_args(step, child, school, by, at, key, fields))
        assert result.exit_code != 0, f"the record was stored: {result.stdout}"
        return result.stderr.strip()

    @staticmethod
    def _record_args(step: str, child: str | None, school: str | None, by: str | None, at: str, key: str | None,
                     fields: dict[str, Any]) -> list[str]:
        args = ["record", step, "--at", at]
        args += ["--child", child] if child else ["--school", school or "S001"]
        args += ["--by", by] if by else []
        args += ["--id", key] if key else []
        for name, value in fields.items():
            args += ["--set", f"{name.rstrip('_')}={value}"]
        return args

    def due(self, as_of: str, staff: str | None = None) -> list[dict[str, Any]]:
        """``guanai due --json`` for the school (or one teacher) on ``as_of``."""
        return json.loads(self.ok("due", "--org", "S001", "--as-of", as_of, "--json",
                                  *(["--staff", staff] if staff else [])))

    def compliance(self, as_of: str, by: str = "duty") -> list[dict[str, Any]]:
        """``guanai compliance --json`` rows for the school on ``as_of``."""
        return json.loads(self.ok("compliance", "--org", "S001", "--by", by, "--as-of", as_of, "--json"))["rows"]

    def indicators(self, as_of: str) -> dict[str, dict[str, Any]]:
        """``guanai indicators --json`` for the school on ``as_of``, by indicator id."""
        return {r["id"]: r for r in json.loads(self.ok("indicators", "--org", "S001", "--as-of", as_of, "--json"))}


def make_school(folder: Path, programme: str | Path) -> School:
    """Build the school of ``guanai_school`` in ``folder`` with ``programme`` published."""
    school = School(f"sqlite:///{folder / 'guanai.db'}")
    school.ok("init")
    school.ok("org", "import", str(DATA / "org.csv"))
    school.ok("programme", "publish", str(programme))
    school.ok("staff", "import", str(DATA / "staff.csv"), "--school", "S001")
    school.ok("roster", "import", str(DATA / "roster.csv"), "--school", "S001")
    school.ok("assign", "import", str(DATA / "pairs.csv"), "--role", "proxy_parent")
    return school


def copy_sqlite(source: Path, target: Path) -> Path:
    """A consistent copy of the SQLite database ``source`` at ``target`` (its write-ahead log folded
    in, readable by its owner only, like every file guanai writes)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    os.chmod(target, 0o600)
    return target


class Templates:
    """Databases built once (per key) in ``folder`` and copied on demand."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._built: dict[Any, Path] = {}

    def copy(self, key: Any, target: Path, build: Callable[[Path], object]) -> Path:
        """Copy the database built for ``key`` to ``target``, building it first with
        ``build(path)`` the first time ``key`` is asked for."""
        source = self._built.get(key)
        if source is None:
            source = Path(tempfile.mkdtemp(prefix="template-", dir=self.folder)) / "guanai.db"
            build(source)
            self._built[key] = source
        return copy_sqlite(source, target)


@pytest.fixture(scope="session")
def guanai_templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    """Databases built once per test session and copied for each test (see ``Templates.copy``)."""
    return Templates(tmp_path_factory.mktemp("guanai-templates"))


@pytest.fixture
def guanai_cli() -> Any:
    """``guanai_cli(*args)`` runs guanai in-process: a ``Result`` (exit_code, stdout, stderr)."""
    return run


@pytest.fixture
def guanai_school(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, guanai_templates: Templates) -> Any:
    """``guanai_school(programme)``: a database of its own with one school and ``programme`` published
    (built once per session for each programme text, then copied)."""
    monkeypatch.setenv("GUANAI_LANG", "zh")
    monkeypatch.setenv("GUANAI_CACHE_DIR", str(tmp_path / "cache"))

    def build(programme: str | Path) -> School:
        key = ("school", hashlib.sha256(Path(programme).read_bytes()).hexdigest())
        target = guanai_templates.copy(key, tmp_path / "guanai.db", lambda path: make_school(path.parent, programme))
        return School(f"sqlite:///{target}")

    return build


class Plugins:
    """Plugin modules for one test, loaded as guanai loads a plugins folder (GUANAI_PLUGINS_DIR):
    ``add(name, source)`` writes ``name.py``; the next guanai run sees exactly these, beside the
    installed ones — for testing how a plugin behaves next to others (clashes, failures)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def add(self, name: str, source: str) -> Path:
        """Write plugin module ``name`` (its source, dedented); returns its path."""
        import textwrap

        from guanai.core import plugins

        path = self.folder / f"{name}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        plugins._registries.clear()  # as a new process would see the folder
        return path


@pytest.fixture
def guanai_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A plugins folder of this test's own (GUANAI_PLUGINS_DIR), like pytest's ``pytester``:
    ``guanai_plugins.add("nutrition", SOURCE)``, then run guanai."""
    from guanai.core import plugins

    folder = tmp_path / "guanai-plugins"
    folder.mkdir()
    monkeypatch.setenv("GUANAI_PLUGINS_DIR", str(folder))
    plugins._registries.clear()
    yield Plugins(folder)
    plugins._registries.clear()
