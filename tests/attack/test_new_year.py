"""Attacks on what a new school year adds (issue 26): the list of programme versions, and pairings
that end when people leave — each user sees and ends only what is under their org unit."""

from __future__ import annotations

import json

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
    stranger = county.guanai("school_s002", "staff", "import", str(staff), "--school", "S002")
    assert stranger.exit_code == 2
    assert county.owner_sql(f"SELECT \"end\"::text FROM {s}.pairing WHERE child = 'K1'") == [(None,)]
    done = county.guanai("school_s001", "staff", "import", str(staff), "--school", "S001")
    assert done.exit_code == 0, done.stderr
    assert county.owner_sql(f"SELECT \"end\"::text FROM {s}.pairing WHERE child = 'K1'") == [("2025-10-19",)]
    assert county.owner_sql(f"SELECT org FROM {s}.audit_log WHERE table_name = 'pairing' AND action = 'update'") == [
        ("S001",)]
    assert county.sql("school_s002", f"SELECT count(*) FROM {s}.audit_log WHERE table_name = 'pairing'") == [(0,)]
