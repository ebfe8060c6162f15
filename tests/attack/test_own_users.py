"""What the boundary once did to its own users (issue: access that holds), each now a test: a school
could not import a new pupil with a phone; audit rows of records, pairings and transfers were
invisible to every user; --org of a unit above one's own gave partial figures; bad user names,
huge titles and spreadsheet cells that are no names or ids gave internal errors."""

from __future__ import annotations

import json

import pytest

from tests.attack.conftest import ATTACKERS  # noqa: F401 — the county fixture's module
from tests.conftest import FACTS

ENGINE = FACTS.parent / "engine"


def test_a_school_imports_a_new_pupil_with_a_phone_and_sees_its_audit(county, tmp_path):
    roster = tmp_path / "new.csv"
    roster.write_text("学籍号,姓名,班级,留守类型,外出开始,入学,监护人电话\nK5,李新,七(1)班,留守,2020-01,2025-09-01,13600005555\n",
                      encoding="utf-8")
    result = county.guanai("school_s001", "roster", "import", str(roster), "--school", "S001", "--yes")  # 入学 on days already recorded
    assert result.exit_code == 0, result.stderr
    s = county.schema
    assert county.owner_sql(f"SELECT value FROM {s}.contact WHERE id = 'K5'") == [("13600005555",)]
    again = tmp_path / "again.csv"
    again.write_text("学籍号,姓名,监护人电话\nK5,李新,13600006666\n", encoding="utf-8")
    assert county.guanai("school_s001", "roster", "import", str(again), "--school", "S001").exit_code == 0
    assert county.owner_sql(f"SELECT value FROM {s}.contact WHERE id = 'K5'") == [("13600006666",)]
    seen = json.loads(county.guanai("school_s001", "audit", "list", "--json").stdout)
    assert {(r["action"], r["table_name"]) for r in seen} >= {("insert", "child"), ("insert", "record"),
                                                               ("insert", "pairing"), ("contacts", "child")}
    assert all(r["org"] == "S001" for r in seen)


def test_org_above_ones_own_is_refused_not_partial(county):
    result = county.guanai("school_s001", "compliance", "--org", "T01", "--as-of", "2025-11-20")
    assert (result.exit_code, result.stderr) == (
        2, "T01 不在你的范围内：你的用户属于 S001，只能查看它及其下属单位\n")
    hidden = county.guanai("school_s001", "compliance", "--org", "S002", "--as-of", "2025-11-20")
    assert hidden.exit_code == 2 and hidden.stderr.startswith("没有")  # another school: not even known
    assert county.guanai("township_t01", "compliance", "--org", "S002", "--as-of", "2025-11-20").exit_code == 0


@pytest.mark.parametrize("name", ["pg_x", "public", "none", "guanai_test_school", "Bad-Name", "current_user"])
def test_names_postgresql_reserves_are_refused_in_words(county, name):
    result = county.db.run("user", "add", name, "--org", "S001", "--role", "school")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"用户名 “{name}” 不可用")


def test_an_admin_adds_and_removes_users_of_its_county_only(county):
    made = f"{county.users['admin_c02'].name}_x"
    assert county.guanai("admin_c02", "user", "add", made, "--org", "S004", "--role", "school").exit_code == 0
    try:
        outside = county.guanai("admin_c02", "user", "add", f"{made}y", "--org", "S001", "--role", "school")
        assert (outside.exit_code, outside.stderr) == (2, "没有代码为 “S001” 的单位：请先用 guanai org import 导入\n")
        school = county.guanai("school_s001", "user", "add", f"{made}z", "--org", "S001", "--role", "school")
        assert school.exit_code == 2 and school.stderr.startswith("你的角色不能做这件事")
    finally:
        assert county.guanai("admin_c02", "user", "remove", made).exit_code == 0
    assert county.db.query("SELECT count(*) FROM pg_roles WHERE rolname = :n", n=made) == [(0,)]


def test_a_huge_title_is_told_at_its_place(county, tmp_path):
    text = (ENGINE / "term.yaml").read_text("utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if row.startswith("title:"))
    huge = tmp_path / "huge.yaml"
    huge.write_text("\n".join(f"title: {'关' * 300_000}" if row.startswith("title:") else row
                              for row in text.splitlines()), encoding="utf-8")
    result = county.guanai("county_c01", "programme", "publish", str(huge))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{huge}:{line}:8: title: 太长：最多 300 个字符")


def test_a_county_user_publishes_to_its_own_schools_only(county):
    xibei = FACTS.parent.parent.parent / "programmes" / "xibei.yaml"
    # S001 has had a programme since 2025-09-01: replacing it from then rewrites the past (asked first)
    asked = county.guanai("county_c01", "programme", "publish", str(xibei), "--to", "S001")
    assert asked.exit_code == 2 and asked.stderr.startswith("自 2025-09-01 起改用这一版，会按新方案重算 1 所学校（S001）")
    done = county.guanai("county_c01", "programme", "publish", str(xibei), "--to", "S001", "--yes")
    assert done.exit_code == 0, done.stderr
    s = county.schema
    assert county.owner_sql(f"SELECT v.published_by, b.org FROM {s}.programme_version AS v JOIN "
                            f"{s}.programme_binding AS b ON b.version_id = v.id WHERE v.programme = 'xibei-tongai'") == [
        (county.users["county_c01"].name, "S001")]
    elsewhere = county.guanai("county_c02", "programme", "publish", str(xibei), "--to", "S001", "--yes")
    assert elsewhere.exit_code == 2 and elsewhere.stderr.startswith("没有代码为 “S001” 的单位")
