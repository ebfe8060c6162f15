"""PIPL duties: a guardian's request (everything held about one child, audited) and deleting
the pupils who left before a day with all that is theirs (shown first, confirmed, audited)."""

from __future__ import annotations

import json
import stat

import pytest

from tests.conftest import FACTS

ENGINE = FACTS.parent / "engine"
ROSTER = """学籍号,姓名,班级,留守类型,外出开始,入学,离校,监护人电话
K1,刘小明,七(1)班,留守,2020-01,2024-09-01,,13900001111
K2,陈小红,七(1)班,留守,2020-01,2025-10-15,,
K3,孙悦,七(1)班,留守,2020-01,2024-09-01,2025-10-01,13900003333
"""


@pytest.fixture
def left(db, tmp_path):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(ENGINE / "term.yaml"), "--to", "S001")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    db.ok("roster", "import", str(tmp_path / "roster.csv"), "--school", "S001")
    (tmp_path / "pairs.csv").write_text("学籍号,工号,开始,结束\nK1,T001,2025-09-01,\nK3,T001,2025-09-01,2025-09-30\n",
                                       encoding="utf-8")
    db.ok("assign", "import", str(tmp_path / "pairs.csv"), "--role", "proxy_parent")
    for kid, day in (("K1", "2025-09-10"), ("K3", "2025-09-11"), ("K3", "2025-09-18")):
        db.ok("record", "talk", "--child", kid, "--by", "T001", "--at", f"{day} 16:00")
    return db


def test_export_writes_everything_about_one_child_and_audits_it(left, tmp_path):
    target = tmp_path / "k1.json"
    assert left.ok("export", "--child", "K1", "-o", str(target)) == (
        f"已写入 {target}：学生 K1 的全部信息（1 条记录、1 条结对）；此次导出已记入审计日志。\n")
    found = json.loads(target.read_text("utf-8"))
    assert found["child"]["guardian_phone"] == "13900001111"  # the guardian's own data, unmasked
    assert [(p["role"], p["staff"], p["staff_name"]) for p in found["pairings"]] == [("proxy_parent", "T001", "王芳")]
    assert [r["step"] for r in found["records"]] == ["talk"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert left.query("SELECT action, row_key, org FROM audit_log WHERE action = 'export_child'") == [
        ("export_child", "K1", "S001")]
    result = left.run("export", "--child", "K9", "-o", str(tmp_path / "k9.json"))
    assert (result.exit_code, result.stderr) == (2, "没有学籍号为 “K9” 的学生\n")


def test_purge_shows_first_asks_and_deletes_only_who_left(left):
    plan = ("2025-11-01 以前离校的学生 1 人；将删除：学生 1 条、记录 2 条、跟进 0 条、结对 1 条、转学经历 0 条、"
            "事实变化 0 条、联系方式 1 条。\n")
    assert left.ok("purge", "--left-before", "2025-11-01", "--dry-run") == plan + "（试运行，未删除任何数据。）\n"
    assert left.count("child") == 3
    refused = left.run("purge", "--left-before", "2025-11-01", input="n\n")
    assert refused.exit_code == 2 and "已取消，未删除任何数据。" in refused.stderr and left.count("child") == 3
    done = left.ok("purge", "--left-before", "2025-11-01", "--yes")
    assert done == plan + "已删除离校学生 1 人及其记录 2 条、跟进 0 条、结对 1 条；此次删除已记入审计日志。\n"
    assert [r for (r,) in left.query("SELECT id FROM child ORDER BY id")] == ["K1", "K2"]
    assert left.query("SELECT subject FROM record") == [("K1",)]
    purged = left.query("SELECT after FROM audit_log WHERE action = 'purge'")[0][0]
    after = json.loads(purged) if isinstance(purged, str) else purged
    assert after == {"children": 1, "follow_up": 0, "record": 2, "pairing": 1, "past_enrolment": 0,
                     "fact_history": 0, "contact": 1, "child": 1}  # counts, never the children's data
    assert left.query("SELECT id, value FROM contact WHERE kind = 'child'") == [("K1", "13900001111")]
    assert left.run("audit", "verify").exit_code == 0
    assert left.ok("purge", "--left-before", "2025-09-01", "--yes").startswith("2025-09-01 以前离校的学生 0 人")


def test_a_new_sqlite_file_is_its_owners_only(cli, tmp_path):
    path = tmp_path / "new.db"
    assert cli("--db", f"sqlite:///{path}", "init").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cli("--db", f"sqlite:///{path}", "org", "import", str(FACTS / "org.csv")).exit_code == 0
    for extra in ("-wal", "-shm"):
        other = tmp_path / f"new.db{extra}"
        if other.exists():
            assert stat.S_IMODE(other.stat().st_mode) & 0o077 == 0, extra


def test_the_upgrade_keeps_contacts_apart_and_masks_the_rows_and_a_downgrade_puts_them_back(db_url, cli):
    from guanai.core.store.db import Store
    from sqlalchemy import text

    store = Store(db_url)
    store.init("0005")
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO org_unit (code, name, kind) VALUES ('S001', '一中', 'school')"))
        conn.execute(text(
            "INSERT INTO child (id, school, name, category, guardian_phone, address, enrolled_on, profile) "
            "VALUES ('K1', 'S001', '刘小明', 'left_behind', '13900001111', '四川省南充市仪陇县光明村3组', '2024-09-01', "
            "'{\"身份证号\": \"510722201203150022\", \"爱好\": \"篮球\"}')"))
        conn.execute(text("INSERT INTO staff (id, school, name, roles, party_member, phone) "
                          "VALUES ('T001', 'S001', '王芳', '[]', false, '0817-7221234')"))
    store.engine.dispose()
    assert cli("--db", db_url, "init").exit_code == 0
    stored = "SELECT guardian_phone, address, profile FROM child"
    with Store(db_url).engine.connect() as conn:
        phone, address, profile = conn.execute(text(stored)).one()
        assert (phone, address) == ("139****1111", "四川省南充市****")
        assert (profile if isinstance(profile, dict) else json.loads(profile)) == {"身份证号": "510*************22",
                                                                                  "爱好": "篮球"}
        assert sorted(tuple(r) for r in conn.execute(text("SELECT kind, id, field, value FROM contact"))) == [
            ("child", "K1", "address", "四川省南充市仪陇县光明村3组"), ("child", "K1", "guardian_phone", "13900001111"),
            ("child", "K1", "profile.身份证号", "510722201203150022"), ("staff", "T001", "phone", "0817-7221234")]
    _downgrade(db_url, "0005")  # the rows hold the full values again
    with Store(db_url).engine.connect() as conn:
        phone, address, profile = conn.execute(text(stored)).one()
        assert (phone, address) == ("13900001111", "四川省南充市仪陇县光明村3组")
        assert (profile if isinstance(profile, dict) else json.loads(profile))["身份证号"] == "510722201203150022"


def _downgrade(url: str, revision: str) -> None:
    from pathlib import Path

    import guanai.core.store.migrations as migrations
    from alembic import command
    from alembic.config import Config
    from guanai.core.store.db import Store

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    store = Store(url)
    with store.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()
