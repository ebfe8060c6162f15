"""Inputs that once ended in "guanai 内部错误": each is now a clear error at its place, with the exit
code of SPEC §3, and nothing written."""

from __future__ import annotations

import time

import pytest

LIU = "G510722201203150022"
HEAD = """id: t
title: 测试方案
calendar:
  terms:
    - {id: 2025-autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
"""


def _programme(tmp_path, text, name="p.yaml"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


@pytest.mark.parametrize(("target", "message"), [
    ("missing.yaml", "找不到基础方案 missing.yaml"),
    ("/tmp", "基础方案 /tmp 不是一个文件"),
    ("/dev/zero", "基础方案 /dev/zero 不是一个文件"),
])
def test_extends_to_what_is_not_a_programme_file_is_an_error_at_extends(cli, tmp_path, target, message):
    f = _programme(tmp_path, f"extends: {target}\n{HEAD}")
    result = cli("programme", "check", str(f))
    assert (result.exit_code, result.stderr) == (1, f"{f}:1:10: extends: {message}\n发现 1 处错误。\n")


def test_a_device_given_as_the_programme_is_not_read_forever(cli):
    result = cli("programme", "check", "/dev/zero")
    assert (result.exit_code, result.stderr) == (1, "/dev/zero: 不是一个文件\n发现 1 处错误。\n")


def test_a_version_of_5000_digits_is_an_error_at_version(cli, tmp_path):
    f = _programme(tmp_path, HEAD.replace("title:", f"version: {'9' * 5000}\ntitle:"))
    result = cli("programme", "check", str(f))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{f}:2:10: version: “999")
    assert result.stderr.endswith("…(5000)” 位数太多，不是可用的整数\n发现 1 处错误。\n")


def test_a_share_target_above_one_is_an_error(cli, tmp_path):
    f = _programme(tmp_path, HEAD + "indicators:\n  - {id: a, name: 建档率, kind: profile_complete, fields: [name], "
                   "target: 1.5}\n")
    result = cli("programme", "check", str(f))
    assert (result.exit_code, result.stderr) == (
        1, f"{f}:7:72: indicators[0].target: 目标 1.5 是比例，应在 0 到 1 之间（1.0 即 100%，1.5 即 150%）\n发现 1 处错误。\n")


@pytest.mark.parametrize(("start", "end", "message"), [
    ("1900-09-01", "1901-01-16", "5:49: calendar.terms[0].start: 日期 1900-09-01 不在 2000—2099 年之间：年份是否写错了？"),
    ("2025-09-01", "9999-01-16", "5:66: calendar.terms[0].end: 日期 9999-01-16 不在 2000—2099 年之间：年份是否写错了？"),
    ("2025-09-01", "2045-01-16", "5:66: calendar.terms[0].end: 学期从 2025-09-01 排到 2045-01-16，超过 10 年：一个方案最多覆盖 10 年"),
])
def test_terms_in_implausible_years_are_one_error_found_quickly(cli, tmp_path, start, end, message):
    f = _programme(tmp_path, HEAD.replace("2025-09-01", start).replace("2026-01-16", end)
                   + "duties:\n  - {id: d, name: 谈心, scope: child, step: talk, every: week}\n")
    began = time.monotonic()
    result = cli("programme", "check", str(f))
    assert (result.exit_code, result.stderr) == (1, f"{f}:{message}\n发现 1 处错误。\n")
    assert time.monotonic() - began < 5  # it took 27 s to show such a programme
    show = cli("programme", "show", str(f))
    assert show.exit_code == 2 and show.stderr.startswith(f"{f}:{message}\n")


def test_ten_thousand_plain_duties_are_not_an_alias_bomb(cli, tmp_path):
    duties = "".join(f"  - {{id: d{i}, name: 谈心, scope: child, step: talk, every: week}}\n" for i in range(10_000))
    f = _programme(tmp_path, HEAD + "duties:\n" + duties)
    result = cli("programme", "check", str(f))
    assert result.exit_code == 0, result.stderr


def test_a_plain_file_meets_the_size_limit_before_the_node_limit(cli, tmp_path):
    """Nodes are counted once each (an alias: the nodes it repeats), so only aliases can pass the
    node limit within the size limit; a plain file that is too big is told so."""
    f = _programme(tmp_path, "x: [" + ",".join(["1"] * 499_000) + "]\n")
    result = cli("programme", "check", str(f))
    assert result.exit_code == 1 and "节点" not in result.stderr
    f = _programme(tmp_path, "x: [" + ",".join(["1"] * 500_001) + "]\n")
    result = cli("programme", "check", str(f))
    assert (result.exit_code, result.stderr) == (1, f"{f}:1:1: 文件太大（1000007 字节），上限 1000000 字节\n发现 1 处错误。\n")


def test_more_nodes_than_the_limit_names_the_real_limit(cli, tmp_path, monkeypatch):
    from guanai.core import yamlsafe

    monkeypatch.setattr(yamlsafe, "MAX_BYTES", 2_000_000)  # were the files allowed to be larger
    f = _programme(tmp_path, "x: [" + ",".join(["1"] * 500_001) + "]\n")
    result = cli("programme", "check", str(f))
    assert (result.exit_code, result.stderr) == (
        1, f"{f}:1:1000003: 方案超过 500000 个节点（列表项、键和值），已拒绝：请拆成几个用 extends 连接的文件\n发现 1 处错误。\n")


@pytest.mark.parametrize(("args", "message"), [
    (("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-22T16:00+99:00"),
     "--at: 时区偏移 +99:00 不存在：应在 -12:00 到 +14:00 之间，例如 +08:00"),
    (("record", "talk", "--child", LIU, "--by", "T001", "--at", "0001-01-01 08:00"),
     "--at: 日期 0001-01-01 不在 2000—2099 年之间：年份是否写错了？"),
    (("due", "--as-of", "9999-12-31"), "--as-of: 日期 9999-12-31 不在 2000—2099 年之间：年份是否写错了？"),
    (("compliance", "--as-of", "9999-12-31 10:00"), "--as-of: 日期 9999-12-31 不在 2000—2099 年之间：年份是否写错了？"),
    (("records", "list", "--to", "9999-12-31"), "--to: 日期 9999-12-31 不在 2000—2099 年之间：年份是否写错了？"),
])
def test_times_out_of_any_plausible_range_are_refused_at_their_option(school, args, message):
    result = school.run(*args)
    assert (result.exit_code, result.stderr) == (2, message + "\n")
    assert school.count("record") == 0


def test_calendar_to_year_9999_is_refused(cli):
    from tests.conftest import PROGRAMMES

    result = cli("programme", "calendar", str(PROGRAMMES / "xibei.yaml"), "--to", "9999-12-31")
    assert (result.exit_code, result.stderr) == (2, "--to: 日期 9999-12-31 不在 2000—2099 年之间：年份是否写错了？\n")


@pytest.mark.parametrize("command", [("due",), ("init",)])
def test_a_file_that_is_not_a_database(cli, tmp_path, command):
    f = tmp_path / "notes.db"
    f.write_text("这不是数据库\n" * 100, encoding="utf-8")
    result = cli("--db", f"sqlite:///{f}", *command)
    assert (result.exit_code, result.stderr) == (2, f"sqlite:///{f} 不是数据库文件（可能是别的文件或已损坏）：未作任何改动，请检查 --db\n")
    assert f.read_text(encoding="utf-8") == "这不是数据库\n" * 100


def test_a_read_only_database_refuses_a_write_clearly(school):
    if not school.url.startswith("sqlite"):
        pytest.skip("SQLite's read-only open mode; PostgreSQL: test_a_read_only_transaction_on_postgresql")
    path = school.url.removeprefix("sqlite:///")
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    result = school._cli("--db", url, "record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-22 16:00")
    assert (result.exit_code, result.stderr) == (2, f"数据库 {url} 是只读的（或没有写权限）：这次的内容没有写入\n")
    assert school.count("record") == 0
    assert school._cli("--db", url, "due", "--org", "S001", "--as-of", "2025-10-22").exit_code == 0  # reading works


def test_a_read_only_transaction_on_postgresql(school):
    if not school.url.startswith("postgresql"):
        pytest.skip("PostgreSQL's read-only transactions; SQLite: test_a_read_only_database_refuses_a_write_clearly")
    url = school.url.replace("options=-csearch_path", "options=-cdefault_transaction_read_only%3Don%20-csearch_path")
    result = school._cli("--db", url, "record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-22 16:00")
    assert result.exit_code == 2
    assert result.stderr.endswith("是只读的（或没有写权限）：这次的内容没有写入\n")
    assert school.count("record") == 0


def test_a_full_disk_is_said_and_nothing_is_stored(school, tmp_path, monkeypatch):
    if not school.url.startswith("sqlite"):
        pytest.skip("SQLite's page limit stands in for a full disk")
    from guanai.core.store import db as dbmod
    from sqlalchemy import event

    made = dbmod._sqlite_engine

    def small(url, database):
        engine = made(url, database)

        @event.listens_for(engine, "connect")
        def _full(dbapi_conn, _record):  # the file may not grow: as when the disk is full
            dbapi_conn.execute("PRAGMA max_page_count = 1")

        return engine

    monkeypatch.setattr(dbmod, "_sqlite_engine", small)
    rows = "".join(f"talk,{LIU},T001,2025-10-{d:02d} 16:00,K{d},{'说' * 2000}\n" for d in range(1, 29))
    f = tmp_path / "big.csv"
    f.write_text("类型,学籍号,工号,时间,编号,topic\n" + rows, encoding="utf-8")
    result = school.run("record", "import", str(f))
    assert (result.exit_code, result.stderr) == (2, f"磁盘已满，数据库 {school.url} 写不进去：这次的内容没有写入，请腾出空间后重试\n")
    monkeypatch.undo()
    assert school.count("record") == 0


def test_a_database_stamped_by_a_newer_guanai(school):
    school.execute("UPDATE alembic_version SET version_num = '0099'")
    for command in (("due",), ("init",)):
        result = school.run(*command)
        assert result.exit_code == 2
        assert "由更新版本的 guanai 建立（结构版本 0099，本程序只认识到 0011）" in result.stderr
    assert school.query("SELECT version_num FROM alembic_version") == [("0099",)]


def test_tables_without_a_version_stamp_are_not_created_again(school):
    school.execute("DELETE FROM alembic_version")
    for command in (("due",), ("init",)):
        result = school.run(*command)
        assert result.exit_code == 2
        assert "里已有 guanai 的表（child、org_unit、record、staff），却没有结构版本记录" in result.stderr
    assert school.count("child") == 5
