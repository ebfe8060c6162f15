"""Attacks on the audit log: rows appended under another school's name, a hash supplied by the
client, history rewritten with recomputed hashes, a cut tail, a bad row hiding later edits, a
false 篡改 for users who see part of the log, and the lock that orders appends held by a user."""

from __future__ import annotations

import json
import time

import pytest

from tests.attack.conftest import ATTACKERS

SUMMARY = "有人绕过 guanai 在数据库里改过它"


@pytest.mark.parametrize("who", ATTACKERS)
def test_nobody_writes_audit_rows_but_through_the_function_and_about_itself(shared_county, who):
    s = shared_county.schema
    n = shared_county.owner_sql(f"SELECT count(*) FROM {s}.audit_log")
    with pytest.raises(Exception, match="permission denied"):
        shared_county.sql(who, f"INSERT INTO {s}.audit_log (id, at, actor, action, table_name, row_key, source, org, "
                        "prev_hash, hash) VALUES (999, now(), session_user, 'insert', 'child', 'K1', 'x', 'S001', 'a', 'b')")
    forged = json.dumps([{"action": "transfer", "table_name": "child", "row_key": "K1", "org": "S001"}])
    if who != "teacher_s001":  # S001 is the teacher's own school: that row would be its to write
        with pytest.raises(Exception, match="guanai:audit.foreign_org|guanai:access.stranger|permission denied"):
            shared_county.sql(who, f"SELECT * FROM {s}.guanai_audit_append(CAST(:e AS jsonb), 'psql')", e=forged)
    assert shared_county.owner_sql(f"SELECT count(*) FROM {s}.audit_log") == n
    assert shared_county.db.ok("audit", "verify").startswith("审计日志完整")


def test_a_row_appended_by_a_user_is_hashed_by_the_database(county):
    s = county.schema
    mine = json.dumps([{"action": "note", "table_name": "child", "row_key": "K1", "org": "S001",
                        "after": {"分数": 1.50, "x": [1, "二", None]}, "hash": "f" * 64, "id": 1}])
    last_id, last_hash = county.sql("school_s001", f"SELECT * FROM {s}.guanai_audit_append(CAST(:e AS jsonb), 'psql')",
                                    e=mine)[0]
    row = county.owner_sql(f"SELECT id, actor, hash, rule FROM {s}.audit_log ORDER BY id DESC LIMIT 1")[0]
    assert row == (last_id, county.users["school_s001"].name, last_hash, 2)
    assert last_hash != "f" * 64
    assert county.db.ok("audit", "verify").startswith("审计日志完整")


def _rewrite_with_guanais_own_rule(county, from_id: int) -> None:
    """What a superuser (or the table's owner) can do: edit a row and recompute every later hash."""
    from guanai.core.store.auditlog import COLUMNS, row_hash
    from sqlalchemy import create_engine, text

    s = county.schema
    engine = create_engine(county.db.url)
    with engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {s}.audit_log DISABLE TRIGGER USER"))
        conn.execute(text(f"UPDATE {s}.audit_log SET actor = 'someone else' WHERE id = :i"), {"i": from_id})
        cols = ", ".join(f'"{c}"::text' if c in ("before", "after") else f'"{c}"' for c in COLUMNS)
        rows = [dict(zip(COLUMNS, r, strict=True)) for r in conn.execute(
            text(f"SELECT {cols} FROM {s}.audit_log WHERE id >= :i ORDER BY id"), {"i": from_id})]
        prev = conn.execute(text(f"SELECT hash FROM {s}.audit_log WHERE id = :i"), {"i": from_id - 1}).scalar()
        for row in rows:
            digest = row_hash(prev, {**row, "prev_hash": prev})
            conn.execute(text(f"UPDATE {s}.audit_log SET prev_hash = :p, hash = :h WHERE id = :i"),
                         {"p": prev, "h": digest, "i": row["id"]})
            prev = digest
        conn.execute(text(f"ALTER TABLE {s}.audit_log ENABLE TRIGGER USER"))
    engine.dispose()


def test_rewritten_history_passes_verify_alone_but_not_a_checkpoint(county, tmp_path):
    mark = tmp_path / "checkpoint.json"
    assert county.db.ok("audit", "checkpoint", "-o", str(mark)).startswith(f"已写出检查点 {mark}")
    assert oct(mark.stat().st_mode & 0o777) == "0o600"
    _rewrite_with_guanais_own_rule(county, 3)
    assert county.db.run("audit", "verify").exit_code == 0  # the chain alone cannot tell: that is what the mark is for
    result = county.db.run("audit", "verify", "--checkpoint", str(mark))
    last = json.loads(mark.read_text("utf-8"))["last_id"]
    assert result.exit_code == 1
    assert result.stderr.startswith(f"审计日志不再延续检查点 {mark}：第 {last} 条的哈希与检查点不同——此前的历史被改写后重算了哈希。")


def test_a_cut_tail_is_found_against_a_checkpoint(county, tmp_path):
    s = county.schema
    mark = tmp_path / "checkpoint.json"
    county.db.ok("audit", "checkpoint", "-o", str(mark))
    count = json.loads(mark.read_text("utf-8"))["count"]
    county.db.execute(f"ALTER TABLE {s}.audit_log DISABLE TRIGGER USER")
    county.db.execute(f"DELETE FROM {s}.audit_log WHERE id > {count - 2}")
    county.db.execute(f"ALTER TABLE {s}.audit_log ENABLE TRIGGER USER")
    assert county.db.run("audit", "verify").exit_code == 0
    result = county.db.run("audit", "verify", "--checkpoint", str(mark))
    assert result.exit_code == 1
    assert f"如今只剩 {count - 2} 条——末尾被截掉了" in result.stderr


def test_a_bad_row_does_not_hide_a_later_edit(county):
    s = county.schema
    n = county.owner_sql(f"SELECT count(*) FROM {s}.audit_log")[0][0]
    county.db.execute(f"ALTER TABLE {s}.audit_log DISABLE TRIGGER USER")
    county.db.execute(f"UPDATE {s}.audit_log SET hash = repeat('0', 64) WHERE id = 2")
    county.db.execute(f"UPDATE {s}.audit_log SET row_key = 'K9' WHERE id = {n - 1}")
    county.db.execute(f"ALTER TABLE {s}.audit_log ENABLE TRIGGER USER")
    result = county.db.run("audit", "verify")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("审计日志在第 2 条断开")
    assert any(line.startswith(f"审计日志在第 {n - 1} 条断开：这一条的内容在写入后被改动过") for line in lines)


@pytest.mark.parametrize("who", ["teacher_s001", "school_s001", "township_t01", "county_c01", "admin_c02"])
def test_users_who_see_part_of_the_log_are_never_told_of_false_tampering(county, who):
    result = county.guanai(who, "audit", "verify")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("审计日志的链完整") or result.stdout.startswith("审计日志完整")
    s = county.schema
    county.db.execute(f"ALTER TABLE {s}.audit_log DISABLE TRIGGER USER")
    county.db.execute(f"UPDATE {s}.audit_log SET after = '{{\"count\": 99}}' WHERE id = "
                      f"(SELECT max(id) FROM {s}.audit_log WHERE org = 'S001')")
    county.db.execute(f"ALTER TABLE {s}.audit_log ENABLE TRIGGER USER")
    seen = county.guanai(who, "audit", "verify")
    if who == "admin_c02":  # it does not see S001's rows: the chain's links still hold
        assert seen.exit_code == 0
    else:  # an edit in a row the user reads is found by the user too
        assert seen.exit_code == 1 and SUMMARY in seen.stderr


def test_a_teacher_cannot_hold_the_county_by_a_lock(county):
    """The advisory locks guanai used are free to take: a write no longer waits on them. Holding the
    audit chain's own lock needs an open transaction through guanai's function; the others then
    wait a bounded time and are told who holds it."""
    from sqlalchemy import create_engine, text

    s = county.schema
    holder = create_engine(county.users["teacher_s001"].url)
    with holder.connect() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(1735745902), pg_advisory_xact_lock(72707001)"))
        started = time.monotonic()
        done = county.guanai("school_s001", "record", "talk", "--child", "K2", "--by", "T001",
                             "--at", "2025-10-10 16:00")
        assert done.exit_code == 0, done.stderr
        assert time.monotonic() - started < 10
        conn.rollback()
        conn.execute(text(f"SELECT {s}.guanai_audit_lock()"))  # and then sits in its transaction
        victim = county.url_as(county.users["school_s001"].name, **{"guanai.audit_wait": "1s"})
        started = time.monotonic()
        result = county.db._cli("--db", victim, "record", "talk", "--child", "K3", "--by", "T001",
                                "--at", "2025-10-10 16:00")
        assert time.monotonic() - started < 10
        assert result.exit_code == 2
        assert result.stderr.startswith(f"审计日志被 {county.users['teacher_s001'].name} (")
        conn.rollback()
    holder.dispose()
    assert county.owner_sql(f"SELECT count(*) FROM {s}.record WHERE subject = 'K3'") == [(0,)]
