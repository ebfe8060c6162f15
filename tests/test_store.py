"""The database itself: init and migrations, both backends, SQLite's locking set-up."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from tests.conftest import BACKENDS


def test_init_creates_then_reports_current(db_url, cli):
    first = cli("--db", db_url, "init")
    assert first.exit_code == 0
    assert first.stdout == f"已创建数据库 {db_url}（结构版本 0011）。\n"
    again = cli("--db", db_url, "init")
    assert again.stdout == f"数据库 {db_url} 已是最新结构（0011），无需改动。\n"


def test_commands_refuse_an_uninitialised_database(db_url, cli):
    result = cli("--db", db_url, "children", "list")
    assert result.exit_code == 2
    assert result.stderr == f"数据库 {db_url} 尚未初始化：请先运行 guanai init\n"


def test_migrations_build_exactly_the_declared_schema(db):
    """Alembic's autogenerate finds nothing to add: migration 0001 == core/store/schema.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from guanai.core.store.schema import metadata

    engine = create_engine(db.url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diffs == []


def test_schema_revision_constant_is_the_alembic_head():
    from pathlib import Path

    import guanai.core.store.migrations as migrations
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from guanai.core.store.schema import SCHEMA_REVISION

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_REVISION


@pytest.mark.skipif("sqlite" not in BACKENDS, reason="SQLite settings")
def test_sqlite_is_wal_with_foreign_keys_and_immediate_writes(tmp_path):
    from guanai.core.store.db import Store
    from sqlalchemy import text

    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    store.init()
    with store.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 60000
    # A write transaction holds the write lock from BEGIN: a second writer cannot start.
    import sqlite3

    with store.write():
        other = sqlite3.connect(tmp_path / "x.db", timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_bad_database_urls_are_refused(cli, tmp_path):
    result = cli("--db", "mysql://x@y/z", "init")
    assert result.exit_code == 2
    assert "不支持的数据库 “mysql://x@y/z”" in result.stderr
    missing = tmp_path / "nope" / "g.db"
    result = cli("--db", f"sqlite:///{missing}", "init")
    assert result.exit_code == 2
    assert result.stderr == f"数据库所在文件夹 {missing.parent} 不存在\n"


def test_init_upgrades_an_older_database_and_commands_ask_for_it(db_url, cli):
    from guanai.core.store.db import Store

    store = Store(db_url)
    assert store.init("0001") == (None, "0001")
    store.engine.dispose()
    result = cli("--db", db_url, "children", "list")
    assert (result.exit_code, result.stderr) == (
        2, f"数据库 {db_url} 的结构是旧版本（0001，最新 0011）：请运行 guanai init 升级\n")
    assert cli("--db", db_url, "init").stdout == f"数据库 {db_url} 已从 0001 升级到 0011。\n"
    assert cli("--db", db_url, "children", "list").exit_code == 0
