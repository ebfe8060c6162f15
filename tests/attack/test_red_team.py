"""Attacks a red-team session found against the first version of the hardened access (each was
seen to succeed, then defended): contacts read and the audit rolled back, a pupil pulled on the
strength of a leaving dated in the future or with no start day, a left pupil taken by another
county, a session time zone widening a teacher's pairing, a programme of another county bound
to read it, JSON deep enough to crash every reader, a hidden audit row confirmed by hashing a
guess, group roles two databases could share, and a table lock that hung every command."""

from __future__ import annotations

import json
import time

import pytest


def test_contacts_cannot_be_read_with_the_audit_rolled_back(county):
    s = county.schema
    with pytest.raises(Exception, match="guanai:access.contacts_unaudited"):  # asked and read in one transaction
        county.sql("county_c01", f"SELECT {s}.guanai_contacts_request('child', ARRAY['K1'], 'x', 'psql', NULL)",
                   f"SELECT * FROM {s}.guanai_contacts((SELECT max(id) FROM {s}.audit_log))")
    n = county.owner_sql(f"SELECT count(*) FROM {s}.audit_log WHERE action = 'show_contacts'")[0][0]
    [(request,)] = county.sql("county_c01", f"SELECT {s}.guanai_contacts_request('child', ARRAY['K1'], 'x', 'psql', NULL)")
    from sqlalchemy import create_engine, text

    engine = create_engine(county.users["county_c01"].url)
    with engine.connect() as conn:  # read, then roll back: the request stays in the audit
        found = conn.execute(text(f"SELECT field, value FROM {s}.guanai_contacts(:r)"), {"r": request}).all()
        conn.rollback()
    engine.dispose()
    assert ("guardian_phone", "13900001111") in [tuple(r) for r in found]
    assert county.owner_sql(f"SELECT count(*) FROM {s}.audit_log WHERE action = 'show_contacts'")[0][0] == n + 1
    with pytest.raises(Exception, match="guanai:access.contacts_unaudited"):  # another user's request serves nobody
        county.sql("school_s001", f"SELECT * FROM {s}.guanai_contacts({request})")


def test_a_leaving_dated_in_the_future_or_no_start_moves_nobody(county, tmp_path):
    s = county.schema
    future = tmp_path / "future.csv"
    future.write_text("学籍号,姓名,离校\nK4,周小,2099-07-01\n", encoding="utf-8")
    assert county.guanai("school_s002", "roster", "import", str(future), "--school", "S002").exit_code == 0
    for start in ("DATE '2099-07-01'", "NULL"):
        with pytest.raises(Exception, match="guanai:transfer.still_enrolled|guanai:access.bad_request"):
            county.sql("school_s001", f"SELECT {s}.guanai_transfer('child', 'K4', 'S001', {start}, 'x')")
    with pytest.raises(Exception, match="guanai:access.bad_request"):
        county.sql("school_s001", f"SELECT {s}.guanai_transfer('staff', 'P001', 'S001', NULL, 'x')")
    assert county.owner_sql(f"SELECT id, school FROM {s}.child WHERE id = 'K4'") == [("K4", "S002")]
    assert county.owner_sql(f"SELECT school FROM {s}.staff WHERE id = 'P001'") == [("S002",)]


def test_a_pupil_who_left_is_taken_in_by_the_same_county_only(county, tmp_path):
    s = county.schema
    left = tmp_path / "left.csv"
    left.write_text("学籍号,姓名,离校\nK4,周小,2025-11-01\n", encoding="utf-8")
    assert county.guanai("school_s002", "roster", "import", str(left), "--school", "S002", "--yes").exit_code == 0
    with pytest.raises(Exception, match="guanai:transfer.still_enrolled"):
        county.sql("admin_c02", f"SELECT {s}.guanai_transfer('child', 'K4', 'S004', DATE '2025-11-03', 'x')")
    county.sql("school_s001", f"SELECT {s}.guanai_transfer('child', 'K4', 'S001', DATE '2025-11-03', 'x')")
    assert county.owner_sql(f"SELECT school FROM {s}.child WHERE id = 'K4'") == [("S001",)]


def test_a_session_time_zone_does_not_widen_a_teachers_pairing(county):
    s = county.schema
    county.db.execute(f"UPDATE {s}.pairing SET \"end\" = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 "
                      "WHERE child = 'K1'")
    for zone in ("Asia/Shanghai", "Etc/GMT+12", "Etc/GMT-14"):
        [(request,)] = county.sql("teacher_s001", f"SET TimeZone = '{zone}'",
                                  f"SELECT {s}.guanai_contacts_request('child', ARRAY['K1'], 'x', 'x', NULL)")
        assert county.sql("teacher_s001", f"SET TimeZone = '{zone}'",
                          f"SELECT * FROM {s}.guanai_contacts({request})") == [], zone


def test_a_county_cannot_bind_a_programme_it_cannot_see(county):
    s = county.schema
    [(version,)] = county.owner_sql(f"SELECT min(id) FROM {s}.programme_version")
    with pytest.raises(Exception, match="row-level security"):
        county.sql("county_c02", f"INSERT INTO {s}.programme_binding (version_id, org, effective_from, bound_at) "
                                 f"VALUES ({version}, 'S004', '2025-09-01', now())")
    assert county.sql("county_c02", f"SELECT count(*) FROM {s}.programme_version") == [(0,)]


def test_json_deep_enough_to_crash_a_reader_is_refused(county):
    s = county.schema
    deep = "[" * 3000 + "]" * 3000
    entry = json.dumps([{"action": "note", "table_name": "x", "row_key": "deep"}])[:-2] + f', "after": {deep}}}]'
    with pytest.raises(Exception, match="guanai:audit.bad_entries"):
        county.sql("teacher_s001", f"SELECT * FROM {s}.guanai_audit_append(CAST(:e AS jsonb), 'psql')", e=entry)
    with pytest.raises(Exception, match="guanai_payload_shallow"):
        county.sql("teacher_s001", f"INSERT INTO {s}.record (step, subject_kind, subject, school, by_staff, occurred_at, "
                                   "payload, recorded_at, recorded_by, source, digest) VALUES ('talk', 'child', 'K1', "
                                   f"'S001', 'T001', '2025-10-20 02:00', CAST(:p AS json), now(), session_user, 'x', 'd')",
                   p='{"notes": ' + deep + "}")
    with pytest.raises(Exception, match="guanai_profile_shallow"):
        county.sql("school_s001", f"UPDATE {s}.child SET profile = CAST(:p AS json) WHERE id = 'K1'",
                   p='{"x": ' + deep + "}")
    assert county.db.ok("audit", "verify").startswith("审计日志完整")


def test_a_hidden_audit_row_cannot_be_confirmed_by_hashing_a_guess(county):
    """Links give every row's hashes; its content (even guessed exactly) hashes to something else
    without the row's nonce, which only those who may read the row see."""
    from guanai.core.store.auditlog import COLUMNS, row_hash

    s = county.schema
    cols = ", ".join(f'"{c}"::text' if c in ("before", "after") else f'"{c}"' for c in COLUMNS)
    hidden = dict(zip(COLUMNS, county.owner_sql(f"SELECT {cols} FROM {s}.audit_log WHERE org = 'S004' "
                                                 "ORDER BY id DESC LIMIT 1")[0], strict=True))
    links = {r[0]: r for r in county.sql("teacher_s001", f"SELECT id, prev_hash, hash FROM {s}.guanai_audit_links()")}
    assert county.sql("teacher_s001", f"SELECT count(*) FROM {s}.audit_log WHERE id = {hidden['id']}") == [(0,)]
    _, prev, digest = links[hidden["id"]]
    assert row_hash(prev, hidden) == digest  # the true content, with its nonce: the chain holds
    assert row_hash(prev, {**hidden, "nonce": None}) != digest  # a perfect guess without it confirms nothing


def test_two_installations_never_share_group_roles():
    from guanai.core.store.access import group_names

    names = [group_names("guanai_redteam", "public"), group_names("GUANAI_REDTEAM", "public"),
             group_names("guanai", "redteam"), group_names("guanai_redteam", "x")]
    schools = [n["school"] for n in names]
    assert len(set(schools)) == len(schools)
    assert all(len(n.encode()) <= 63 and n.startswith("guanai_") for g in names for n in g.values())


def test_a_stranger_cannot_hold_the_audit_lock(county):
    import uuid

    from guanai.core.store.access import group_names

    s = county.schema
    database = county.owner_sql("SELECT current_database()")[0][0]
    name = f"nobody_{uuid.uuid4().hex[:6]}"
    county.db.execute(f"CREATE ROLE {name} LOGIN IN ROLE {group_names(database, s)['school']}")
    try:
        with pytest.raises(Exception, match="guanai:access.stranger"):
            county.sql(name, f"SELECT {s}.guanai_audit_lock()")
    finally:
        county.db.execute(f"DROP ROLE {name}")


def test_a_table_locked_by_a_user_makes_guanai_say_so_not_hang(county):
    from sqlalchemy import create_engine, text

    s = county.schema
    holder = create_engine(county.users["school_s002"].url)
    with holder.connect() as conn:
        conn.execute(text(f"LOCK TABLE {s}.contact IN ACCESS EXCLUSIVE MODE"))  # it may: it deletes contacts
        victim = county.url_as(county.users["county_c01"].name, lock_timeout="1s")
        started = time.monotonic()
        result = county.db._cli("--db", victim, "children", "list", "--org", "S001", "--show-contacts")
        assert time.monotonic() - started < 20
        assert result.exit_code == 2 and "被别的会话锁住" in result.stderr
        conn.rollback()
    holder.dispose()


def test_the_ids_a_user_can_draw_are_64_bit_and_no_others_are_drawn(county):
    """A teacher drew record_id_seq up to 2,147,483,647 by hand (nextval), and every record write
    of the county failed after. The ids of rows users insert are 64-bit now; the other sequences
    are not theirs to draw at all."""
    s = county.schema
    assert county.owner_sql(f"SELECT data_type FROM information_schema.columns WHERE table_schema = '{s}' "
                            "AND table_name = 'record' AND column_name = 'id'") == [("bigint",)]
    [(drawn,)] = county.sql("teacher_s001", f"SELECT nextval('{s}.record_id_seq')")
    assert drawn < 2**31
    for sequence in ("audit_log_id_seq", "past_enrolment_id_seq", "past_staff_id_seq"):
        with pytest.raises(Exception, match="permission denied"):
            county.sql("teacher_s001", f"SELECT nextval('{s}.{sequence}')")
    county.db.execute(f"SELECT setval('{s}.record_id_seq', 2147483647)")  # what the teacher reached
    done = county.guanai("teacher_s001", "record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-21 16:00")
    assert done.exit_code == 0, done.stderr
    assert county.owner_sql(f"SELECT max(id) FROM {s}.record") == [(2147483648,)]
