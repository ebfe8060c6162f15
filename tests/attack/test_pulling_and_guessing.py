"""Attacks: pulling another school's pupil into one's own (转学 by the receiving school alone),
guessing 学籍号 to learn where a child is, and acting without a row in this database's app_user."""

from __future__ import annotations

import pytest

from tests.attack.conftest import ATTACKERS

OWN_SCHOOL = {"teacher_s001": "S001", "school_s002": "S002", "township_t02": "S003", "county_c02": "S004",
              "admin_c02": "S004", "stranger": "S001"}


def _where(county) -> list[tuple]:
    s = county.schema
    return county.owner_sql(f"SELECT id, school, class_name, left_on::text FROM {s}.child ORDER BY id")


@pytest.mark.parametrize("who", ATTACKERS)
def test_nobody_pulls_a_pupil_still_at_another_school(shared_county, who):
    s = shared_county.schema
    before, audit = _where(shared_county), shared_county.owner_sql(f"SELECT count(*) FROM {s}.audit_log")
    target = "K4" if who == "teacher_s001" else "K1"  # a pupil of a school the attacker does not act for
    with pytest.raises(Exception, match="guanai:transfer|permission denied"):
        shared_county.sql(who, f"SELECT {s}.guanai_transfer('child', :id, :school, DATE '2025-11-03', 'psql')",
                   id=target, school=OWN_SCHOOL[who])
    assert _where(shared_county) == before
    assert shared_county.owner_sql(f"SELECT count(*) FROM {s}.audit_log") == audit


def test_a_school_pulling_by_import_is_told_only_that_the_id_is_taken(county, tmp_path):
    roster = tmp_path / "pull.csv"
    roster.write_text("学籍号,姓名,班级,留守类型,外出开始,入学,转入\nK1,刘小明,三年级1班,留守,2020-01,2025-11-03,是\n",
                      encoding="utf-8")
    result = county.guanai("school_s002", "roster", "import", str(roster), "--school", "S002", "--transfer")
    assert (result.exit_code, result.stderr) == (
        2, f"{roster}:2:学籍号: 这个学籍号（K1）在本县另一所学校在读：请原学校办理离校，或由乡镇/县里办理转学\n")
    assert "S001" not in result.stderr and "七(1)班" not in result.stderr
    s = county.schema
    asked = county.owner_sql(f"SELECT actor, org, after FROM {s}.audit_log WHERE action = 'lookup' ORDER BY id")
    assert asked[-1] == (county.users["school_s002"].name, "S002", {"ids": ["K1"], "found": 1})
    assert _where(county)[0] == ("K1", "S001", "七(1)班", None)


@pytest.mark.parametrize("who", ["school_s002", "township_t02", "county_c02"])
def test_guessing_ids_tells_no_school_and_is_audited(shared_county, who):
    s = shared_county.schema
    guesses = [f"K{i}" for i in range(1, 50)]
    found = shared_county.sql(who, f"SELECT * FROM {s}.guanai_enrolment('child', :ids, 'psql')", ids=guesses)
    assert all(len(row) == 2 and row[1] in ("enrolled", "left") for row in found)  # id and status: never where
    with pytest.raises(Exception, match="does not exist|permission denied"):  # the old oracle is gone
        shared_county.sql(who, f"SELECT * FROM {s}.guanai_whereabouts('child', ARRAY['K1'])")
    asked = shared_county.owner_sql(f"SELECT actor, after FROM {s}.audit_log WHERE action = 'lookup' ORDER BY id")
    assert asked[-1] == (shared_county.users[who].name, {"ids": guesses, "found": len(found)})


@pytest.mark.parametrize("who", ["teacher_s001", "stranger"])
def test_teachers_and_strangers_cannot_even_ask(shared_county, who):
    with pytest.raises(Exception, match="guanai:access|permission denied"):
        shared_county.sql(who, f"SELECT * FROM {shared_county.schema}.guanai_enrolment('child', ARRAY['K4'], 'psql')")


def test_a_login_without_a_row_here_is_a_stranger_not_the_owner(county):
    """A role made by hand and put into this database's school group, but with no app_user row:
    the functions once took "no row" for the owner; now it can do nothing."""
    import uuid

    from guanai.core.store.access import group_names

    s = county.schema
    database = county.owner_sql("SELECT current_database()")[0][0]
    name = f"nobody_{uuid.uuid4().hex[:6]}"
    county.db.execute(f"CREATE ROLE {name} LOGIN IN ROLE {group_names(database, county.schema)['school']}")
    try:
        assert county.sql(name, f"SELECT count(*) FROM {s}.child") == [(0,)]
        for call in (f"SELECT {s}.guanai_transfer('child', 'K1', 'S002', DATE '2025-11-03', 'x')",
                     f"SELECT * FROM {s}.guanai_contacts_request('child', ARRAY['K1'], 'x', 'x', NULL)",
                     f"SELECT * FROM {s}.guanai_audit_append('[{{\"action\": \"x\", \"table_name\": \"x\"}}]', 'x')",
                     f"SELECT * FROM {s}.guanai_audit_links()"):
            with pytest.raises(Exception, match="guanai:access.stranger|guanai:transfer.not_allowed"):
                county.sql(name, call)
        assert _where(county)[0] == ("K1", "S001", "七(1)班", None)
    finally:
        county.db.execute(f"DROP ROLE {name}")


def test_a_stranger_from_another_database_holds_no_privilege_here(shared_county):
    s = shared_county.schema
    for statement in (f"SELECT count(*) FROM {s}.child", f"SELECT count(*) FROM {s}.audit_log",
                      f"SELECT {s}.guanai_audit_lock()", f"INSERT INTO {s}.record (step) VALUES ('x')"):
        with pytest.raises(Exception, match="permission denied"):
            shared_county.sql("stranger", statement)
    result = shared_county.guanai("stranger", "children", "list")
    assert result.exit_code == 2
