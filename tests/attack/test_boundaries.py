"""Attacks on the boundary itself: org units re-parented to take a school in, and rows written under
one's own school that point at another school's child, teacher or contact — which once changed the
county's figures for that school and planted a phone in its exports."""

from __future__ import annotations

import contextlib

import pytest

from tests.attack.conftest import ATTACKERS


@pytest.mark.parametrize("who", ATTACKERS)
def test_nobody_re_parents_a_school_to_take_it_in(shared_county, who):
    s = shared_county.schema
    for statement in (f"UPDATE {s}.org_unit SET parent = 'T03' WHERE code = 'S001'",
                      f"UPDATE {s}.org_unit SET parent = 'C02' WHERE code = 'T01'",
                      f"INSERT INTO {s}.org_unit (code, name, kind, parent) VALUES ('S009', 'x', 'school', 'T01')",
                      f"DELETE FROM {s}.org_unit WHERE code = 'S003'"):
        with contextlib.suppress(Exception):  # refused outright, or nothing it could reach: what follows checks
            shared_county.sql(who, statement)
    assert shared_county.owner_sql(f"SELECT code, parent FROM {s}.org_unit WHERE code IN ('S001', 'T01', 'S003', 'S009') "
                            "ORDER BY code") == [("S001", "T01"), ("S003", "T02"), ("T01", "C01")]
    assert {c for (c,) in shared_county.sql(who, f"SELECT code FROM {s}.guanai_schools() AS code")} \
        == shared_county.users[who].schools if who != "stranger" else True


def test_a_user_sees_its_own_units_and_those_above_only(shared_county):
    s = shared_county.schema
    seen = {who: sorted(c for (c,) in shared_county.sql(who, f"SELECT code FROM {s}.org_unit"))
            for who in ("teacher_s001", "school_s002", "township_t02", "county_c02")}
    assert seen == {"teacher_s001": ["C01", "S001", "T01"], "school_s002": ["C01", "S002", "T01"],
                    "township_t02": ["C01", "S003", "T02"], "county_c02": ["C02", "S004", "T03"]}
    assert shared_county.sql("county_c02", f"SELECT count(*) FROM {s}.programme_binding") == [(0,)]
    assert shared_county.sql("county_c02", f"SELECT count(*) FROM {s}.programme_version") == [(0,)]
    assert shared_county.sql("school_s002", f"SELECT count(*) FROM {s}.programme_version") == [(1,)]


def test_an_admin_changes_units_under_its_own_county_only(county):
    s = county.schema
    county.sql("admin_c02", f"INSERT INTO {s}.org_unit (code, name, kind, parent) VALUES ('S005', '新校', 'school', 'T03')")
    with pytest.raises(Exception, match="row-level security"):
        county.sql("admin_c02", f"INSERT INTO {s}.org_unit (code, name, kind, parent) VALUES ('S006', 'x', 'school', 'T01')")
    assert county.owner_sql(f"SELECT code, parent FROM {s}.org_unit WHERE code LIKE 'S00_' AND code > 'S004'") == [
        ("S005", "T03")]


PLANTED = {  # rows written under the attacker's own school, pointing into S001
    "record": "INSERT INTO {s}.record (step, subject_kind, subject, school, by_staff, occurred_at, payload, "
              "recorded_at, recorded_by, source, digest) VALUES ('talk', 'child', 'K1', 'S002', 'T001', "
              "'2025-10-20 02:00', '{{}}', now(), session_user, 'psql', 'd')",
    "record signed by another's teacher": "INSERT INTO {s}.record (step, subject_kind, subject, school, by_staff, "
              "occurred_at, payload, recorded_at, recorded_by, source, digest) VALUES ('talk', 'child', 'K4', 'S002', "
              "'T001', '2025-10-20 02:00', '{{}}', now(), session_user, 'psql', 'd')",
    "pairing": "INSERT INTO {s}.pairing (role, child, staff, start) VALUES ('proxy_parent', 'K4', 'T001', '2025-09-01')",
    "contact": "INSERT INTO {s}.contact (kind, id, field, school, value) VALUES ('child', 'K1', 'profile.备用电话', "
               "'S002', '13812345678')",
    "class change": "INSERT INTO {s}.fact_history (kind, subject, school, field, value, valid_from, valid_to) "
                    "VALUES ('child', 'K1', 'S002', 'class_name', '=三年级1班', '2024-09-01', '2025-01-01')",
    "head teacher change": "INSERT INTO {s}.fact_history (kind, subject, school, field, value, valid_to) "
                           "VALUES ('staff', 'T001', 'S002', 'head_of_class', '=三年级1班', '2025-01-01')",
    "enrolment span": "INSERT INTO {s}.past_enrolment (child, school, class_name, start, \"end\") VALUES "
                      "('K1', 'S002', '三年级1班', '2024-09-01', '2025-01-01')",
}


@pytest.mark.parametrize("what", sorted(PLANTED))
@pytest.mark.parametrize("who", ["school_s002", "township_t01", "county_c01", "owner"])
def test_rows_pointing_across_the_boundary_are_refused(shared_county, who, what):
    """Even by those who see both schools, and by the owner: a reference stays inside its school."""
    s = shared_county.schema
    if who == "owner" and what == "enrolment span":
        return  # the owner writes a transfer's span (guanai_transfer() is its function); users may not at all
    before = shared_county.figures()
    statement = PLANTED[what].format(s=s)
    with pytest.raises(Exception, match="guanai:boundary|permission denied|row-level security"):
        if who == "owner":
            shared_county.db.execute(statement)
        else:
            shared_county.sql(who, statement)
    assert shared_county.figures() == before
    shown = shared_county.guanai("county_c01", "children", "show", "K1", "--show-contacts")
    assert "13812345678" not in shown.stdout


@pytest.mark.parametrize("who", ATTACKERS)
def test_nobody_outside_a_school_nor_its_teacher_turns_its_staff_into_volunteers(shared_county, who):
    """staff.kind (issue 27) decides who counts as 教职工 and 党员: a teacher, another school, a
    township or county elsewhere, with psql, cannot change it at S001 (only S001's writers can)."""
    s = shared_county.schema
    with contextlib.suppress(Exception):  # refused outright, or no row it could reach: what follows checks
        shared_county.sql(who, f"UPDATE {s}.staff SET kind = '志愿者' WHERE id = 'T001'")
    assert shared_county.owner_sql(f"SELECT kind FROM {s}.staff WHERE id = 'T001'") == [("教职工",)]


def test_the_schools_own_writer_may_say_who_is_a_volunteer(county):
    """The control of the attack above: the statement works for S001's own writer (the grant on
    the new column is there), so the attackers were refused, not mistaken."""
    s = county.schema
    county.sql("school_s001", f"UPDATE {s}.staff SET kind = '志愿者' WHERE id = 'T002'")
    assert county.owner_sql(f"SELECT kind FROM {s}.staff WHERE id = 'T002'") == [("志愿者",)]
