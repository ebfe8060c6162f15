"""Access by organisation on a shared PostgreSQL database: users made by `guanai user add` see and
write only the rows of the schools under their org unit — through guanai and through raw SQL, since
PostgreSQL's row-level security enforces it. On SQLite, `user add` says it needs PostgreSQL."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import FACTS

ENGINE = FACTS.parent / "engine"
S002_ROSTER = "学籍号,姓名,班级,留守类型,外出开始,入学\nK4,周小,三年级1班,留守,2020-01,2024-09-01\n"


def test_user_add_on_sqlite_says_it_needs_postgresql(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    cli("--db", url, "init")
    result = cli("--db", url, "user", "add", "head", "--org", "S001", "--role", "school")
    assert result.exit_code == 2 and result.stderr.startswith("按单位分权限需要 PostgreSQL")


@pytest.fixture
def county(db, tmp_path):
    if not db.url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's (the SQLite case is tested above)")
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(ENGINE / "term.yaml"))
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(ENGINE / "roster.csv"), "--school", "S001")
    db.ok("staff", "import", str(FACTS / "staff_s002.csv"), "--school", "S002")
    (tmp_path / "s002.csv").write_text(S002_ROSTER, encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "s002.csv"), "--school", "S002")
    suffix = uuid.uuid4().hex[:8]
    names = {kind: f"u_{kind}_{suffix}" for kind in ("s001", "s002", "t01", "c01")}
    db.ok("user", "add", names["s001"], "--org", "S001", "--role", "school")
    db.run("user", "add", names["s002"], "--org", "S002", "--role", "school", "--password-stdin",
           input="a-long-password\n")
    db.ok("user", "add", names["t01"], "--org", "T01", "--role", "township")
    db.ok("user", "add", names["c01"], "--org", "C01", "--role", "county")
    yield db, names
    for name in names.values():
        db.run("user", "remove", name)


def _as(db, name: str) -> str:
    return db.url.replace("postgres@", f"{name}@", 1)


def _guanai(db, name: str, *args: str):
    return db._cli("--db", _as(db, name), *args)


def _sql(db, name: str, sql: str) -> list[tuple]:
    from sqlalchemy import create_engine, text

    engine = create_engine(_as(db, name))
    try:
        with engine.begin() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_each_user_sees_the_schools_under_its_org_only(county):
    db, names = county
    seen = {kind: sorted(r["id"] for r in json.loads(_guanai(db, name, "children", "list", "--json").stdout))
            for kind, name in names.items()}
    assert seen == {"s001": ["K1", "K2", "K3"], "s002": ["K4"], "t01": ["K1", "K2", "K3", "K4"],
                    "c01": ["K1", "K2", "K3", "K4"]}
    assert _sql(db, names["s002"], "SELECT id FROM child") == [("K4",)]  # any client, not only guanai
    assert _sql(db, names["s002"], "SELECT count(*) FROM staff") == [(1,)]
    listed = json.loads(db.ok("user", "list", "--json"))
    assert {(u["name"], u["org"], u["role"]) for u in listed} >= {(names["s001"], "S001", "school"),
                                                                   (names["t01"], "T01", "township")}


def test_a_user_cannot_write_another_schools_rows(county):
    from sqlalchemy.exc import ProgrammingError

    db, names = county
    result = _guanai(db, names["s002"], "record", "talk", "--child", "K1", "--by", "P001", "--at", "2025-10-20 10:00")
    assert (result.exit_code, result.stderr) == (2, "--child: 没有学籍号为 “K1” 的学生\n")
    with pytest.raises(ProgrammingError, match="row-level security"):
        _sql(db, names["s002"], "INSERT INTO record (step, subject_kind, subject, school, occurred_at, payload, "
                                "recorded_at, recorded_by, source, digest) VALUES ('talk', 'child', 'K1', 'S001', "
                                "'2025-10-20 02:00', '{}', now(), 'x', 'sql', 'd')")
    with pytest.raises(ProgrammingError, match="permission denied"):
        _sql(db, names["s002"], "DELETE FROM audit_log")
    assert _guanai(db, names["s001"], "record", "talk", "--child", "K1", "--by", "T001",
                   "--at", "2025-10-20 10:00").exit_code == 0
    assert db.ok("audit", "verify").startswith("审计日志完整")  # appends by users keep one chain
    actors = {a for (a,) in db.query("SELECT actor FROM audit_log WHERE table_name = 'record'")}
    assert actors == {names["s001"]}


def test_a_school_user_gets_the_county_users_figures_for_its_school(county):
    db, names = county
    _guanai(db, names["s001"], "record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-20 10:00")
    for command in (("compliance", "--org", "S001", "--by", "duty", "--as-of", "2025-11-20", "--json"),
                    ("indicators", "--org", "S001", "--as-of", "2025-11-20", "--json"),
                    ("stats", "--org", "S001", "--as-of", "2025-11-20", "--json"),
                    ("due", "--org", "S001", "--as-of", "2025-11-20", "--json")):
        mine = _guanai(db, names["s001"], *command)
        assert mine.exit_code == 0, mine.stderr
        assert mine.stdout == _guanai(db, names["c01"], *command).stdout, command


def _contact_rows(db, name: str, *args: str) -> dict[str, dict]:
    out = _guanai(db, name, "children", "list", "--org", "S001", *args, "--json")
    assert out.exit_code == 0, out.stderr
    return {r["id"]: r for r in json.loads(out.stdout)}


def test_contacts_are_read_only_through_the_audited_function(county, tmp_path):
    from sqlalchemy.exc import ProgrammingError

    db, names = county
    (tmp_path / "phones.csv").write_text("学籍号,姓名,监护人电话\nK1,刘小明,13900001111\nK2,陈小红,13900002222\n",
                                         encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "phones.csv"), "--school", "S001")
    (tmp_path / "pairs.csv").write_text("学籍号,工号,开始\nK1,T001,2025-09-01\n", encoding="utf-8")
    db.ok("assign", "import", str(tmp_path / "pairs.csv"), "--role", "proxy_parent")
    teacher = f"{names['s001']}_t"
    db.ok("user", "add", teacher, "--org", "S001", "--role", "teacher", "--staff", "T001")
    try:
        # a school user: the rows hold contacts masked; the values themselves are not selectable
        assert _sql(db, names["s001"], "SELECT guardian_phone FROM child WHERE id = 'K1'") == [("139****1111",)]
        with pytest.raises(ProgrammingError, match="permission denied"):
            _sql(db, names["s001"], "SELECT value FROM contact")
        # through the function from psql too: never a read without its audit row, hashed by the database
        [(request,)] = _sql(db, names["s001"], "SELECT guanai_contacts_request('child', ARRAY['K1'], 'by hand', 'psql', NULL)")
        assert _sql(db, names["s001"], f"SELECT value FROM guanai_contacts({request}) WHERE field = 'guardian_phone'") == [
            ("13900001111",)]
        plain = _contact_rows(db, names["s001"])
        assert (plain["K1"]["guardian_phone"], plain["K2"]["guardian_phone"]) == ("139****1111", "139****2222")
        full = _contact_rows(db, names["s001"], "--show-contacts")
        assert (full["K1"]["guardian_phone"], full["K2"]["guardian_phone"]) == ("13900001111", "13900002222")
        # a teacher: in full only the children paired with them
        mine = _contact_rows(db, teacher, "--show-contacts")
        assert (mine["K1"]["guardian_phone"], mine["K2"]["guardian_phone"]) == ("13900001111", "139****2222")
        # another school: not even through the function
        assert _guanai(db, names["s002"], "children", "show", "K1").exit_code == 2
        # the county and township read directly, audited by guanai all the same
        assert _contact_rows(db, names["c01"], "--show-contacts")["K2"]["guardian_phone"] == "13900002222"
        asked = db.query("SELECT actor, after FROM audit_log WHERE action = 'show_contacts' ORDER BY id")
        assert [(actor, after["ids"]) for actor, after in asked] == [
            (names["s001"], ["K1"]), (names["s001"], ["K1", "K2", "K3"]), (teacher, ["K1", "K2", "K3"]),
            (names["c01"], ["K1", "K2", "K3"])]
        assert db.ok("audit", "verify").startswith("审计日志完整")
    finally:
        db.run("user", "remove", teacher)


def test_a_school_takes_in_a_pupil_who_left_and_a_township_moves_a_teacher(county, tmp_path):
    db, names = county
    (tmp_path / "pairs.csv").write_text("学籍号,工号,开始\nK1,T001,2025-09-01\n", encoding="utf-8")
    db.ok("assign", "import", str(tmp_path / "pairs.csv"), "--role", "proxy_parent")
    db.ok("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-09 16:00")
    move = tmp_path / "move.csv"
    move.write_text("学籍号,姓名,班级,留守类型,外出开始,入学,监护人电话\n"
                    "K1,刘小明,三年级1班,留守,2020-01,2025-11-03,13900009999\n", encoding="utf-8")
    # a pupil still at S001: S002 learns only that the id is taken, not where, with or without --transfer
    for extra in ((), ("--transfer",)):
        refused = _guanai(db, names["s002"], "roster", "import", str(move), "--school", "S002", *extra)
        assert (refused.exit_code, refused.stderr) == (
            2, f"{move}:2:学籍号: 这个学籍号（K1）在本县另一所学校在读：请原学校办理离校，或由乡镇/县里办理转学\n")
    assert db.query("SELECT school FROM child WHERE id = 'K1'") == [("S001",)]
    # S001 records the leaving; then S002 takes the pupil in
    left = tmp_path / "left.csv"
    left.write_text("学籍号,姓名,离校\nK1,刘小明,2025-10-31\n", encoding="utf-8")
    gone = _guanai(db, names["s001"], "roster", "import", str(left), "--school", "S001", "--yes")  # a 离校 day gone by
    assert gone.exit_code == 0, gone.stderr
    done = _guanai(db, names["s002"], "roster", "import", str(move), "--school", "S002", "--transfer")
    assert done.exit_code == 0, done.stderr
    assert db.query("SELECT school, class_name, enrolled_on::text FROM child WHERE id = 'K1'") == [
        ("S002", "三年级1班", "2025-11-03")]
    assert db.query("SELECT school, value FROM contact WHERE id = 'K1' AND field = 'guardian_phone'") == [
        ("S002", "13900009999")]  # a new phone with the transfer: read and written in one import
    assert db.query("SELECT school, class_name, start::text, \"end\"::text FROM past_enrolment WHERE child = 'K1'") == [
        ("S001", "七(1)班", "2024-09-01", "2025-10-31")]
    # the pairing ended with the leaving (first day away 10-31), before the transfer could end it
    assert db.query("SELECT staff, \"end\"::text FROM pairing WHERE child = 'K1'") == [("T001", "2025-10-30")]
    # the receiving school sees its pupil, not the old school's records or spans
    assert _sql(db, names["s002"], "SELECT count(*) FROM record WHERE subject = 'K1'") == [(0,)]
    assert _sql(db, names["s002"], "SELECT count(*) FROM past_enrolment") == [(0,)]
    assert _sql(db, names["s001"], "SELECT count(*) FROM record WHERE subject = 'K1'") == [(1,)]
    # the old school sees its transfer out: its span of the pupil and the audit row
    assert _sql(db, names["s001"], "SELECT school, \"end\"::text FROM past_enrolment WHERE child = 'K1'") == [
        ("S001", "2025-10-31")]
    out = json.loads(_guanai(db, names["s001"], "audit", "list", "--action", "transfer_out", "--json").stdout)
    assert [(r["row_key"], r["org"], r["actor"]) for r in out] == [("K1", "S001", names["s002"])]
    listed = json.loads(_guanai(db, names["s001"], "children", "list", "--include-left", "--json").stdout)
    assert [(r["id"], r["name"], r["class_name"], r["left_on"]) for r in listed if r.get("transferred_out")] == [
        ("K1", "刘小明", "七(1)班", "2025-10-31")]
    assert "K1" not in {r["id"] for r in json.loads(_guanai(db, names["s001"], "children", "list", "--json").stdout)}
    # a teacher still at S001 is moved by the township above both schools, not by S002
    staff = tmp_path / "staff.csv"
    staff.write_text("工号,姓名,职务,调入,入职\nT001,王芳,语文教师,是,2025-11-10\n", encoding="utf-8")
    refused = _guanai(db, names["s002"], "staff", "import", str(staff), "--school", "S002")
    assert (refused.exit_code, refused.stderr) == (
        2, f"{staff}:2:工号: 这个工号（T001）在本县另一所学校在职：请原学校办理离职，或由乡镇/县里办理调动\n")
    moved = _guanai(db, names["t01"], "staff", "import", str(staff), "--school", "S002")
    assert moved.exit_code == 0, moved.stderr
    assert db.query("SELECT school, head_of_class, start::text, \"end\"::text FROM past_staff WHERE staff = 'T001'") == [
        ("S001", "七(1)班", None, "2025-11-10")]
    assert db.query("SELECT actor, action, row_key, org, after FROM audit_log WHERE action LIKE 'transfer%' ORDER BY id") == [
        (names["s002"], "transfer", "K1", "S002", {"from": "S001", "to": "S002", "start": "2025-11-03"}),
        (names["s002"], "transfer_out", "K1", "S001", {"from": "S001", "to": "S002", "start": "2025-11-03"}),
        (names["t01"], "transfer", "T001", "S002", {"from": "S001", "to": "S002", "start": "2025-11-10"}),
        (names["t01"], "transfer_out", "T001", "S001", {"from": "S001", "to": "S002", "start": "2025-11-10"})]
    assert db.ok("audit", "verify").startswith("审计日志完整")
