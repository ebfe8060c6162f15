"""Shared fixtures: a CLI runner in Chinese by default, paths to test data and programmes."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from guanai.core.i18n import set_lang

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PROGRAMMES = ROOT / "programmes"


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory):
    """Keep guanai's window cache out of the tester's home."""
    os.environ["GUANAI_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True)
def _chinese(monkeypatch):
    from guanai.core import plugins

    monkeypatch.setenv("GUANAI_LANG", "zh")
    monkeypatch.delenv("GUANAI_DISABLE_PLUGINS", raising=False)
    plugins._registries.clear()  # a process builds its registry once; tests install plugins between runs
    set_lang(None)
    yield
    set_lang(None)
    plugins._registries.clear()


@pytest.fixture
def cli():
    """Run `guanai ARGS…`; returns click's Result (exit_code, stdout, stderr)."""
    from guanai.core.cli import build_cli

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(build_cli(), list(args), input=input, catch_exceptions=False)

    return run


# —— databases: SQLite always; PostgreSQL too when GUANAI_TEST_PG is set (.ci/run sets it) ——
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("GUANAI_TEST_PG") else [])
FACTS = DATA / "facts"


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A fresh, empty database URL: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'guanai.db'}"
        return
    with pg_schema() as url:
        yield url


@contextmanager
def pg_schema(prefix: str = "t"):
    """A PostgreSQL schema of its own on GUANAI_TEST_PG, as a URL; dropped afterwards with the
    group roles guanai made for it."""
    from sqlalchemy import create_engine, text

    base = os.environ["GUANAI_TEST_PG"]
    tag = uuid.uuid4().hex[:12]
    # a letter mid-name: 12 random hex digits can all be decimal, and guanai masks a run of digits
    # that long in what it prints (it could be a phone or an ID) — the URL in a message would differ
    schema = f"{prefix}_{tag[:6]}g{tag[6:]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        drop_schema(admin, schema)
        admin.dispose()


def drop_schema(admin, schema: str) -> None:
    """Drop a test schema and the group roles guanai made for it (roles are the server's, not the
    schema's: left behind, every run would add five)."""
    from guanai.core.store.access import group_names
    from sqlalchemy import text

    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        database = conn.execute(text("SELECT current_database()")).scalar()
        for role in group_names(database, schema).values():
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                conn.execute(text(f"DROP OWNED BY {role}"))
                conn.execute(text(f"DROP ROLE {role}"))


class Db:
    """An initialised database and a way to run `guanai --db URL …` against it."""

    def __init__(self, url: str, cli):
        self.url, self._cli = url, cli

    def run(self, *args: str, input: str | None = None):
        return self._cli("--db", self.url, *args, input=input)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, result.output + result.stderr
        return result.stdout

    def query(self, sql: str, **params):
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql), params)]
        finally:
            engine.dispose()

    def execute(self, sql: str, **params) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                conn.execute(text(sql), params)
        finally:
            engine.dispose()

    def rows(self, table: str, *columns: str, order: str = "", **where):
        """Typed rows of a guanai table (dates as dates on both backends)."""
        from guanai.core.store import schema
        from sqlalchemy import create_engine, select

        tab = getattr(schema, table)
        query = select(*(tab.c[c] for c in columns)).where(*(tab.c[k] == v for k, v in where.items()))
        query = query.order_by(*(tab.c[c] for c in (order or columns[0]).split(",")))
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(query)]
        finally:
            engine.dispose()

    def count(self, table: str) -> int:
        return self.query(f"SELECT count(*) FROM {table}")[0][0]


# SQLite databases are built once per session (guanai.testing's templates) and copied for each test;
# PostgreSQL schemas are built for each test (a copy would need the schema's group roles too).

def _sqlite_file(url: str) -> Path | None:
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def _facts(database: Db) -> None:
    database.ok("org", "import", str(FACTS / "org.csv"))
    database.ok("programme", "publish", str(PROGRAMMES / "xibei.yaml"))
    database.ok("staff", "import", str(FACTS / "staff_s001.csv"), "--school", "S001")
    database.ok("roster", "import", str(FACTS / "roster_s001_gbk.csv"), "--school", "S001")


@pytest.fixture
def db(db_url, cli, guanai_templates):
    """An initialised, empty database."""
    database = Db(db_url, cli)
    path = _sqlite_file(db_url)
    if path is None:
        database.ok("init")
    else:
        guanai_templates.copy("init", path, lambda built: Db(f"sqlite:///{built}", cli).ok("init"))
    return database


@pytest.fixture
def school(db, cli, guanai_templates):
    """示例县 with its schools, the 西北 programme published, S001's staff and roster."""
    path = _sqlite_file(db.url)
    if path is None:
        _facts(db)
    else:
        def build(built: Path) -> None:
            fresh = Db(f"sqlite:///{built}", cli)
            fresh.ok("init")
            _facts(fresh)

        guanai_templates.copy("school", path, build)
    return db


def _build_demo(path: Path) -> None:
    from click.testing import CliRunner
    from guanai.core.cli import build_cli

    result = CliRunner().invoke(build_cli(), ["demo", "--db", str(path)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def demo_db(tmp_path, guanai_templates) -> Path:
    """A copy of the demo database (`guanai demo`, built once per session) of this test's own."""
    return guanai_templates.copy("demo", tmp_path / "demo.db", _build_demo)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, guanai_templates):
    """The demo school, one copy per test module: (run `guanai --db DEMO …`, its folder)."""
    from click.testing import CliRunner
    from guanai.core.cli import build_cli

    folder = tmp_path_factory.mktemp("demo")
    guanai_templates.copy("demo", folder / "demo.db", _build_demo)

    def run(*args: str):
        return CliRunner().invoke(build_cli(), ["--db", f"sqlite:///{folder / 'demo.db'}", *args],
                                  catch_exceptions=False)

    return run, folder
