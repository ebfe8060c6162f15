"""Attacks on what a new school year adds (issue 26): the list of programme versions, and pairings
that end when people leave — each user sees and ends only what is under their org unit."""

from __future__ import annotations

import json

import pytest

from tests.attack.conftest import ENGINE


def test_versions_show_a_school_only_the_bindings_it_lives_under(county, tmp_path):
    v2 = tmp_path / "term-v2.yaml"
    v2.write_text((ENGINE / "term.yaml").read_text("utf-8").replace("version: 1", "version: 2"), encoding="utf-8")
    county.db.ok("programme", "publish", str(v2), "--to", "S001", "--from", "2099-09-01")  # S001's next year
    own = json.loads(county.guanai("school_s001", "programme", "versions", "--json").stdout)
    assert [(r["org"], r["version"]) for r in own] == [("C01", 1), ("S001", 2)]
    other = county.guanai("school_s002", "programme", "versions", "--json")
    assert other.exit_code == 0, other.stderr
    assert [(r["org"], r["version"]) for r in json.loads(other.stdout)] == [("C01", 1)]  # not S001's binding
    asked = county.guanai("school_s002", "programme", "versions", "--org", "S001")
    assert asked.exit_code == 2 and "S001" in asked.stderr  # another school's code is not one it knows


def test_a_leaving_ends_pairings_as_the_school_user_and_only_its_own(county, tmp_path):
    """school_s001 marks T001 as left: K1's pairing ends the day before, audited at S001; school_s002
    neither sees that audit row nor can end S001's pairings by naming T001 in its own staff file."""
    s = county.schema
    staff = tmp_path / "staff.csv"
    staff.write_text("工号,姓名,离职\nT001,王芳,2025-10-20\n", encoding="utf-8")
    stranger = county.guanai("school_s002", "staff", "import", str(staff), "--school", "S002", "--yes")
    assert stranger.exit_code == 2
    assert county.owner_sql(f"SELECT \"end\"::text FROM {s}.pairing WHERE child = 'K1'") == [(None,)]
    done = county.guanai("school_s001", "staff", "import", str(staff), "--school", "S001", "--yes")  # 离职 gone by
    assert done.exit_code == 0, done.stderr
    assert county.owner_sql(f"SELECT \"end\"::text FROM {s}.pairing WHERE child = 'K1'") == [("2025-10-19",)]
    assert county.owner_sql(f"SELECT org FROM {s}.audit_log WHERE table_name = 'pairing' AND action = 'update'") == [
        ("S001",)]
    assert county.sql("school_s002", f"SELECT count(*) FROM {s}.audit_log WHERE table_name = 'pairing'") == [(0,)]


def test_only_a_county_withdraws_a_publication_and_the_binding_stays_for_known_at(county, tmp_path):
    """A school cannot take back the county's publication, even one bound to itself (no UPDATE of
    withdrawn_at); the county can, and the binding row stays, marked, for --known-at."""
    s = county.schema
    v2 = tmp_path / "term-v2.yaml"
    v2.write_text((ENGINE / "term.yaml").read_text("utf-8").replace("version: 1", "version: 2"), encoding="utf-8")
    county.db.ok("programme", "publish", str(v2), "--to", "S001", "--from", "2099-09-01")
    school = county.guanai("school_s001", "programme", "withdraw", "engine-test", "2", "--org", "S001")
    assert school.exit_code == 2 and "Traceback" not in school.stderr
    assert county.owner_sql(f"SELECT count(*) FROM {s}.programme_binding WHERE withdrawn_at IS NOT NULL") == [(0,)]
    other = county.guanai("county_c02", "programme", "withdraw", "engine-test", "2", "--org", "S001")
    assert other.exit_code == 2  # another county's school: a code it does not know
    done = county.guanai("county_c01", "programme", "withdraw", "engine-test", "2", "--org", "S001")
    assert done.exit_code == 0, done.stderr
    assert county.owner_sql(f"SELECT org, withdrawn_at IS NOT NULL FROM {s}.programme_binding "
                            f"WHERE effective_from = '2099-09-01'") == [("S001", True)]


def test_a_school_cannot_rewrite_the_history_of_a_pupils_days_at_another_school(county, tmp_path):
    """From an attack: K4 leaves S002 and S001 takes the pupil in; S001 then wrote a history row about
    K4's category on days K4 was at S002, and S002's figures in the county's report changed. A
    history row counts only for the days at the school that kept it; a value that does not read as
    its type is refused (it would stop every report of the county)."""
    s = county.schema
    county.db.execute(f"INSERT INTO {s}.fact_history (kind, subject, school, field, value, valid_from, valid_to) "
                      "VALUES ('child', 'K4', 'S002', 'guardian_type', '=grandparents', '2024-01-01', '2025-10-01')")
    left = tmp_path / "left.csv"
    left.write_text("学籍号,姓名,离校\nK4,周小,2025-11-01\n", encoding="utf-8")
    assert county.guanai("school_s002", "roster", "import", str(left), "--school", "S002", "--yes").exit_code == 0
    county.sql("school_s001", f"SELECT {s}.guanai_transfer('child', 'K4', 'S001', DATE '2025-11-03', 'x')")

    def s002():
        result = county.guanai("county_c01", "compliance", "--org", "S002", "--as-of", "2025-10-31", "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["total"]

    before = s002()  # S002 has a history row of its own: the careful lane runs for it
    county.sql("school_s001", f"INSERT INTO {s}.fact_history (kind, subject, school, field, value, valid_from, "
               "valid_to) VALUES ('child', 'K4', 'S001', 'category', '=none', '2024-01-01', '2026-09-01')")
    assert s002() == before and before["expected"] > 0
    with pytest.raises(Exception, match="date|guanai_value_typed"):
        county.sql("school_s001", f"INSERT INTO {s}.fact_history (kind, subject, school, field, value, valid_from, "
                   "valid_to) VALUES ('child', 'K4', 'S001', 'away_since', '=garbage', '2024-01-01', '2026-09-01')")


def test_a_withdrawal_is_dated_by_the_database_refused_with_records_and_final(county, tmp_path):
    """From an attack: a county backdated withdrawn_at to 2000 on a binding with records under it
    (the CLI's check is the client's) and could clear it again."""
    s = county.schema
    with pytest.raises(Exception, match="guanai:withdraw.recorded_db"):
        county.sql("county_c01", f"UPDATE {s}.programme_binding SET withdrawn_at = '2000-01-01' WHERE org = 'C01'")
    v2 = tmp_path / "term-v2.yaml"
    v2.write_text((ENGINE / "term.yaml").read_text("utf-8").replace("version: 1", "version: 2"), encoding="utf-8")
    county.db.ok("programme", "publish", str(v2), "--to", "S001", "--from", "2099-09-01")
    county.sql("county_c01", f"UPDATE {s}.programme_binding SET withdrawn_at = '2000-01-01' "
               "WHERE effective_from = '2099-09-01'")
    [(year,)] = county.owner_sql(f"SELECT extract(year FROM withdrawn_at)::int FROM {s}.programme_binding "
                                 "WHERE effective_from = '2099-09-01'")
    assert year >= 2026  # the database's clock, not the one asked for
    with pytest.raises(Exception, match="guanai:withdraw.final"):
        county.sql("county_c01", f"UPDATE {s}.programme_binding SET withdrawn_at = NULL "
                   "WHERE effective_from = '2099-09-01'")
    again = county.guanai("county_c01", "programme", "publish", str(v2), "--to", "S001", "--from", "2099-09-01")
    assert again.exit_code == 0, again.stderr  # a new binding beside the withdrawn one
