"""Attack: temporary tables named like guanai's. PostgreSQL searches a session's temporary schema
first for tables when it is not named; guanai's SECURITY DEFINER functions pin search_path to
pg_catalog, guanai's schema, pg_temp and qualify every name, so a teacher who makes `app_user`
(itself as a county user), `org_unit`, `contact`, `pairing` … of its own sees, reads in full and
writes nothing more than before."""

from __future__ import annotations

import contextlib

import pytest

from tests.attack.conftest import ATTACKERS

SHADOWS = (  # every table a guanai function reads, made by the attacker with rows that would open all
    "CREATE TEMP TABLE app_user (name text, org text, role text, staff text, created_at timestamp)",
    "INSERT INTO app_user VALUES (session_user, 'C01', 'county', NULL, now()), (session_user, 'C02', 'admin', NULL, now())",
    "CREATE TEMP TABLE org_unit (code text, name text, kind text, parent text)",
    "INSERT INTO org_unit VALUES ('C01', 'x', 'county', NULL), ('S001', 'x', 'school', 'C01'), "
    "('S002', 'x', 'school', 'C01'), ('S003', 'x', 'school', 'C01'), ('S004', 'x', 'school', 'C01')",
    "CREATE TEMP TABLE contact (kind text, id text, field text, school text, value text)",
    "CREATE TEMP TABLE pairing (id int, role text, child text, staff text, buddy text, start date, \"end\" date)",
    "INSERT INTO pairing SELECT 1, 'proxy_parent', 'K2', staff, NULL, '2000-01-01', NULL FROM app_user",
    "CREATE TEMP TABLE audit_log (id int, at timestamp, actor text, action text, table_name text, row_key text, "
    "before json, after json, source text, org text, prev_hash text, hash text, rule int)",
    "CREATE TEMP TABLE child (id text, school text, class_name text, left_on date, enrolled_on date)",
    "CREATE TEMP TABLE staff (id text, school text, head_of_class text, left_on date, joined_on date)",
    "CREATE TEMP TABLE past_enrolment (child text, school text)",
    "CREATE TEMP TABLE past_staff (staff text, school text)",
    "CREATE TEMP TABLE school_class (school text, name text)",
)


def _seen(county, who: str, *before: str) -> tuple:
    """What `who` can reach, in one session after `before`: schools, children, staff, records,
    contact rows and the values guanai_contacts() gives it in full (errors count as nothing)."""
    s = county.schema
    out = []
    try:
        [(request,)] = county.sql(who, *before, f"SELECT {s}.guanai_contacts_request('child', ARRAY['K1','K2','K3','K4'], "
                                                 "'x', 'x', NULL)")
    except Exception:  # refused: no request, so no values either
        request = -1
    for query in (f"SELECT code FROM {s}.guanai_schools() AS code ORDER BY 1",
                  f"SELECT id FROM {s}.child ORDER BY 1", f"SELECT id FROM {s}.staff ORDER BY 1",
                  f"SELECT subject FROM {s}.record ORDER BY 1", f"SELECT id, field FROM {s}.contact ORDER BY 1, 2",
                  f"SELECT id, value FROM {s}.guanai_contacts({request}) WHERE field = 'guardian_phone' ORDER BY 1",
                  f"SELECT code FROM {s}.org_unit ORDER BY 1"):
        try:
            out.append(county.sql(who, *before, query))
        except Exception as exc:  # refused: nothing reached
            out.append(type(exc).__name__)
    return tuple(out)


@pytest.mark.parametrize("who", ATTACKERS)
def test_temporary_tables_named_like_guanais_open_nothing(shared_county, who):
    plain = _seen(shared_county, who)
    shadowed = _seen(shared_county, who, *SHADOWS)
    assert shadowed == plain
    mine = shared_county.users[who].schools
    if who == "stranger":
        assert all(isinstance(part, str) for part in plain), plain  # every door shut
        return
    assert {code for (code,) in plain[0]} == mine
    assert {k for (k,) in plain[1]} == {k for k, school in (("K1", "S001"), ("K2", "S001"), ("K3", "S001"),
                                                            ("K4", "S002")) if school in mine}
    if who == "teacher_s001":  # in full: the paired child only, K2 never — even with a forged pairing
        assert plain[5] == [("K1", "13900001111")]


@pytest.mark.parametrize("who", ATTACKERS)
def test_shadowing_writes_nothing_of_another_school(shared_county, who):
    s = shared_county.schema
    before = shared_county.figures()
    for statement in (f"UPDATE {s}.child SET name = '改' WHERE id = 'K1'",
                      f"DELETE FROM {s}.pairing WHERE child = 'K1'",
                      f"UPDATE {s}.staff SET name = '改' WHERE id = 'T001'",
                      f"DELETE FROM {s}.contact WHERE id = 'K1'",
                      f"UPDATE {s}.contact SET value = '13800000000' WHERE id = 'K1'",
                      f"DELETE FROM {s}.record WHERE subject = 'K1'"):
        with contextlib.suppress(Exception):  # refused outright, or nothing it could reach: what follows checks
            shared_county.sql(who, *SHADOWS, statement)
    assert shared_county.figures() == before
    assert shared_county.owner_sql(f"SELECT name FROM {s}.child WHERE id = 'K1'") == [("刘小明",)]
    assert shared_county.owner_sql(f"SELECT value FROM {s}.contact WHERE id = 'K1' AND field = 'guardian_phone'") == [
        ("13900001111",)]


@pytest.mark.parametrize("who", ATTACKERS)
def test_nobody_creates_a_function_where_a_definer_function_would_find_it(shared_county, who):
    """A function in guanai's schema with a closer argument type than pg_catalog's (left(varchar,
    int) beside left(text, int)) would be chosen inside a definer function and run as the owner;
    a function in pg_temp is never looked up for a call that does not name pg_temp."""
    s = shared_county.schema
    with pytest.raises(Exception, match="permission denied"):
        shared_county.sql(who, f"CREATE FUNCTION {s}.left(varchar, integer) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$")
    if who == "stranger":
        return
    org = {"teacher_s001": "S001", "school_s002": "S002", "township_t02": "T02", "county_c02": "C02",
           "admin_c02": "C02"}[who]
    entry = '[{"action": "note", "table_name": "child", "row_key": "K1"}]'
    shared_county.sql(who, "CREATE FUNCTION pg_temp.left(varchar, integer) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$",
               f"SELECT * FROM {s}.guanai_audit_append(CAST(:e AS jsonb), 'psql')", e=entry)
    last = shared_county.owner_sql(f"SELECT actor, action, row_key, org FROM {s}.audit_log ORDER BY id DESC LIMIT 1")[0]
    assert last == (shared_county.users[who].name, "note", "K1", org)  # left() was pg_catalog's, not the caller's
    assert shared_county.db.ok("audit", "verify").startswith("审计日志完整")
