"""The audit log is append-only (triggers refuse UPDATE and DELETE) and hash-chained: `guanai audit
verify` finds a row edited, deleted or inserted afterwards, even by the database's superuser with
the triggers switched off. The actor is the database role, never an environment variable."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FACTS

ENGINE = FACTS.parent / "engine"


@pytest.fixture
def logged(db):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(ENGINE / "term.yaml"), "--to", "S001")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001")
    db.ok("children", "list", "--org", "S001", "--show-contacts")
    return db


def _superuser(db, sql: str) -> None:
    """What someone with the database's superuser could do: switch the guard off, then write."""
    if db.url.startswith("sqlite"):
        db.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        db.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        db.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
    db.execute(sql)


def _summary(n: int, total: int) -> str:
    return f"审计日志有 {n} 处断开（共 {total} 条）：有人绕过 guanai 在数据库里改过它。请保存这段输出，报告县教育局。\n"


def test_the_chain_holds_and_names_the_actor(logged):
    n = logged.count("audit_log")
    assert logged.ok("audit", "verify") == f"审计日志完整：{n} 条，哈希链逐条相连，没有改动、删除或事后插入的痕迹。\n"
    actors = {a for (a,) in logged.query("SELECT DISTINCT actor FROM audit_log")}
    if logged.url.startswith("sqlite"):
        import getpass

        assert actors == {f"{getpass.getuser()} (os user, unauthenticated)"}
    else:
        assert actors == {"postgres"}  # session_user: the role that logged in
    shown = json.loads(logged.ok("audit", "list", "--org", "S001", "--action", "show_contacts", "--json"))
    assert [(r["action"], r["org"], r["row_key"]) for r in shown] == [("show_contacts", "S001", "org=S001")]
    children = json.loads(logged.ok("audit", "list", "--org", "T01", "--action", "insert", "--json"))
    assert sorted(r["row_key"] for r in children if r["table_name"] == "child") == ["K1", "K2", "K3"]


def test_update_and_delete_are_refused(logged):
    for sql in ("UPDATE audit_log SET actor = 'nobody' WHERE id = 2", "DELETE FROM audit_log WHERE id = 2"):
        with pytest.raises(Exception, match="append-only"):
            logged.execute(sql)
    assert logged.run("audit", "verify").exit_code == 0


def test_verify_finds_an_edited_row(logged):
    _superuser(logged, "UPDATE audit_log SET actor = 'someone else' WHERE id = 4")
    result = logged.run("audit", "verify")
    n = logged.count("audit_log")
    assert (result.exit_code, result.stderr) == (
        1, f"审计日志在第 4 条断开：这一条的内容在写入后被改动过。\n{_summary(1, n)}")


def test_verify_finds_a_deleted_row(logged):
    _superuser(logged, "DELETE FROM audit_log WHERE id = 5")
    result = logged.run("audit", "verify")
    n = logged.count("audit_log")
    assert (result.exit_code, result.stderr) == (
        1, f"审计日志在第 6 条断开：它前面的记录被删除或调换过。\n{_summary(1, n)}")


def test_verify_finds_a_row_inserted_afterwards(logged):
    last, prev = logged.query("SELECT id, prev_hash FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    _superuser(logged, "INSERT INTO audit_log (id, at, actor, action, table_name, row_key, source, prev_hash, hash) "
                       f"VALUES ({last + 1}, '2020-01-01 00:00:00', 'x', 'insert', 'child', 'K9', 'sql', "
                       f"'{prev}', 'ff')")
    result = logged.run("audit", "verify")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"审计日志在第 {last + 1} 条断开：这一条是事后插入的，没有接在链上")


def test_the_upgrade_chains_rows_written_before_it(db_url, cli):
    from guanai.core.store.db import Store
    from sqlalchemy import text

    store = Store(db_url)
    store.init("0003")
    with store.engine.begin() as conn:
        for i in range(1, 4):
            conn.execute(text("INSERT INTO audit_log (id, at, actor, action, table_name, row_key, source) "
                              "VALUES (:i, :at, 'old', 'insert', 'child', :k, 'before the chain')"),
                         {"i": i, "at": f"2025-09-0{i} 08:00:00", "k": f"K{i}"})
    store.engine.dispose()
    assert cli("--db", db_url, "init").stdout == f"数据库 {db_url} 已从 0003 升级到 0011。\n"
    assert cli("--db", db_url, "audit", "verify").stdout == (
        "审计日志完整：3 条，哈希链逐条相连，没有改动、删除或事后插入的痕迹。\n")



def _json_values():
    from hypothesis import strategies as st

    text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
    leaf = st.none() | st.booleans() | st.integers(-10**15, 10**15) | text | st.floats(
        allow_nan=False, allow_infinity=False, width=64)
    return st.recursive(leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                        max_leaves=12)


def test_the_databases_hash_and_pythons_agree(db):
    """Rule 2 lives twice — guanai_audit_hash() in PL/pgSQL (PostgreSQL hashes every row it
    appends) and auditlog.row_hash in Python (SQLite's appends, and `audit verify` everywhere):
    on random JSON they give the same hash, and a row stored by the database verifies in Python."""
    if not db.url.startswith("postgresql"):
        pytest.skip("the PL/pgSQL half of the rule is PostgreSQL's")
    import json as _json
    from datetime import datetime

    from guanai.core.store.auditlog import row_hash
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from sqlalchemy import create_engine, text

    engine = create_engine(db.url)

    @settings(max_examples=150, deadline=None)
    @given(before=_json_values(), after=_json_values(), key=st.text(max_size=20).filter(lambda s: "\x00" not in s),
           micro=st.integers(0, 999_999))
    def agree(before, after, key, micro):
        at = datetime(2025, 10, 20, 8, 30, 15, micro)
        with engine.connect() as conn:
            ours = conn.execute(text(
                "SELECT guanai_audit_hash(:prev, 7, :at, 'u', 'insert', 'child', :key, CAST(:b AS jsonb), "
                "CAST(:a AS jsonb), 'cli', 'S001', :nonce)"),
                {"prev": "ab" * 32, "at": at, "key": key, "b": _json.dumps(before), "a": _json.dumps(after),
                 "nonce": key[::-1]}).scalar()
        row = {"id": 7, "at": at, "actor": "u", "action": "insert", "table_name": "child", "row_key": key,
               "before": _json.dumps(before), "after": _json.dumps(after), "source": "cli", "org": "S001", "rule": 2,
               "nonce": key[::-1]}
        assert row_hash("ab" * 32, row) == ours

    try:
        agree()
    finally:
        engine.dispose()
