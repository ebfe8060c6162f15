"""`record import`'s fast lane (SQLite, .csv): plain rows checked as a set in SQL. It must store
exactly what the careful path stores, take only what it can prove right, and keep the careful
path's key rules; every other row goes the careful way (core/store/record_import.py)."""

from __future__ import annotations

import functools
import json

import pytest
from guanai.core.store import record_import
from guanai.core.store.record_import import _offset

LIU, CHEN = "G510722201203150022", "G510722201205010031"  # S001's children
STORED = ("key", "step", "subject_kind", "subject", "school", "by_staff", "occurred_at", "payload", "digest")
HEADER = "类型,学籍号,学校,工号,时间,编号,时长,通话对象,topic,vision_left,vision_right"


@pytest.fixture
def careful(monkeypatch):
    """The rows the careful path checks, by row number (the fast lane took the others)."""
    seen: list[int] = []
    check = record_import.check_drafts

    def spy(conn, registry, drafts, now, found=None):
        seen.extend(int(d.where("key", "x", {}).line) for d in drafts)
        return check(conn, registry, drafts, now, found)

    monkeypatch.setattr(record_import, "check_drafts", spy)
    return seen


def _stored(school):
    """What a record import stored, by key, with its digest, read as raw text (SQLite)."""
    return school.query(f"SELECT {', '.join(STORED)} FROM record ORDER BY id")


def _careful_only(school, f, monkeypatch):
    """Import `f` again into an emptied record table with the fast lane off; returns the rows."""
    school.execute("DELETE FROM follow_up")
    school.execute("DELETE FROM record")
    with monkeypatch.context() as m:
        m.setattr(record_import, "import_table", functools.partial(record_import.import_table, fast=False))
        school.ok("record", "import", str(f))
    return _stored(school)


def _follow_ups(school):
    return school.query("SELECT r.key, f.rule, f.step, f.deadline, f.plugin FROM follow_up f "
                        "JOIN record r ON r.id = f.record_id ORDER BY r.key, f.rule")


def _audited(school):
    """What the audit log says the last record import inserted."""
    return json.loads(school.query("SELECT after FROM audit_log WHERE table_name = 'record' ORDER BY id DESC")[0][0])


def _sqlite_only(school):
    if not school.url.startswith("sqlite"):
        pytest.skip("the fast lane is SQLite's; PostgreSQL imports take the careful path (tested everywhere)")


def test_plain_rows_take_the_fast_lane_and_are_stored_as_the_careful_path_stores_them(
        school, tmp_path, careful, monkeypatch):
    _sqlite_only(school)
    f = tmp_path / "plain.csv"
    f.write_text(f"{HEADER}\n"
                 f"talk,{LIU},,T001,2025-10-08 16:00,R1,20,,学习,,\n"
                 f"talk,{LIU},S001,T001,2025-10-09 16:05,R2,20,,学习,,\n"
                 f"phone_call,{CHEN},,T002,2025-10-09 19:30,,5,parents,,,\n"
                 f"home_visit,{CHEN},,,2025-10-12 10:00,R4,,,,,\n"
                 f"talk,{LIU},,T001,2025-10-13 00:00,R5,,,“说”\\ 了,,\n", encoding="utf-8")
    assert school.ok("record", "import", str(f)) == "导入 5 条记录：新增 5，已存在 0。\n"
    assert careful == [5]  # every row took the fast lane but the one without 工号: the careful path decides
    fast = _stored(school)
    assert fast[0][:7] == ("R1", "talk", "child", LIU, "S001", "T001", "2025-10-08 08:00:00.000000")
    assert fast[2][0] is None and fast[4][:6] == ("R4", "home_visit", "child", CHEN, "S001", None)  # no 编号; no 工号
    assert sorted(_careful_only(school, f, monkeypatch), key=str) == sorted(fast, key=str)  # byte for byte, digests too


def test_rows_the_lane_cannot_prove_right_take_the_careful_path(school, tmp_path, careful, monkeypatch):
    _sqlite_only(school)
    f = tmp_path / "mixed.csv"
    f.write_text(f"{HEADER}\n"
                 f"talk,{LIU},,T001,2025-10-08 16:00,R1,20,,,,\n"  # 2 plain
                 f"talk,{LIU},,T001,2025/10/9 16:00,R2,20,,,,\n"  # 3 another way of writing the time
                 f"talk,{LIU},,T001,2025-10-10 16:00,\u3000R3,20,,,,\n"  # 4 a full-width space in the key
                 f"talk,{LIU},,T001,2025-10-11 16:00,R4, 20,,,,\n"  # 5 a padded payload cell: trimmed, plain
                 f"health_check,{LIU},,T001,2025-10-12 09:00,R5,,,,5.0,4.8\n"  # 6 a plugin's step
                 f"home_visit,{LIU},,,2025-10-13 16:00,R6,,,,,\n"  # 7 no 工号, for a step that needs none
                 f"talk,{LIU},,T001,2025-10-14 16:00,R7,20,,,,,\n"  # 8 wider than the header
                 f"talk, {LIU},,T001,2025-10-15 16:00,R8,20,,,,\n", encoding="utf-8")  # 9 a padded id
    assert school.ok("record", "import", str(f)) == "导入 8 条记录：新增 8，已存在 0。\n"
    assert sorted(careful) == [3, 4, 7, 8, 9]
    assert _audited(school) == {"count": 8, "steps": {"talk": 6, "health_check": 1, "home_visit": 1}}
    fast = _stored(school)
    assert [row[0] for row in fast] == ["R1", "R4", "R5", "R2", "R3", "R6", "R7", "R8"]  # the fast lane's first
    follow = _follow_ups(school)  # vision 4.8 < 4.9: the plugin asked for a referral within 14 days
    assert follow == [("R5", "health-referral", "referral", "2025-10-26 01:00:00.000000", "health_check")]
    careful.clear()
    again = _careful_only(school, f, monkeypatch)
    assert sorted(careful) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert sorted(again) == sorted(fast)
    assert _follow_ups(school) == follow


def test_a_plugin_refusing_a_row_sends_its_steps_rows_the_careful_way(school, tmp_path, careful):
    _sqlite_only(school)
    f = tmp_path / "refused.csv"
    f.write_text("类型,学籍号,工号,时间,编号,vision_left,amount_yuan,fund\n"
                 f"health_check,{LIU},T001,2025-10-12 09:00,R1,5.0,,\n"
                 f"subsidy,{LIU},T001,2025-10-12 10:00,R2,,100,jiedui-zizhu\n"  # the child is not tagged 贫困
                 f"talk,{LIU},T001,2025-10-12 11:00,R3,,,\n", encoding="utf-8")
    result = school.run("record", "import", str(f))
    assert result.stderr.splitlines() == [
        f"{f}:3:fund: 插件 subsidy 拒绝了这条记录：“团委结对资助”只资助标有 贫困 的孩子"]
    assert sorted(careful) == [2, 3]  # the talk stayed in the lane, and was rolled back with the rest
    assert school.count("record") == 0


def test_keys_in_the_fast_lane_keep_the_careful_paths_rules(school, tmp_path, careful):
    _sqlite_only(school)
    f = tmp_path / "keys.csv"
    f.write_text(f"{HEADER}\n"
                 f"talk,{LIU},,T001,2025-10-08 16:00,K1,20,,,,\n"
                 f"talk,{LIU},,T001,2025-10-08 16:00,K1,20,,,,\n"  # the same record again
                 f"talk,{LIU},,T001,2025-10-09 16:00,K2,20,,,,\n", encoding="utf-8")
    assert school.ok("record", "import", str(f)) == "导入 3 条记录：新增 2，已存在 1。\n"
    assert _audited(school) == {"count": 2, "steps": {"talk": 2}}
    assert school.ok("record", "import", str(f)) == "导入 3 条记录：新增 0，已存在 3。\n"
    assert careful == []
    f.write_text(f"{HEADER}\n"
                 f"talk,{LIU},,T001,2025-10-08 16:00,K1,20,,,,\n"
                 f"talk,{LIU},,T001,2025-10-09 16:00,K2,25,,,,\n"  # K2 stored with other content
                 f"talk,{LIU},,T001,2025-10-10 16:00,K3,20,,,,\n"
                 f"talk,{LIU},,T001,2025-10-11 16:00,K3,30,,,,\n", encoding="utf-8")  # K3 twice, other content
    result = school.run("record", "import", str(f))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"{f}:3:编号: 编号 “K2” 已用于另一条内容不同的记录",
                                          f"{f}:5:编号: 编号 “K3” 已用于另一条内容不同的记录", "发现 2 处错误。"]
    assert school.count("record") == 2  # all or nothing


def test_a_key_shared_with_a_careful_row_sends_all_its_rows_the_careful_way(school, tmp_path, careful):
    _sqlite_only(school)
    f = tmp_path / "shared.csv"
    f.write_text("类型,学籍号,工号,时间,编号,时长,通话对象\n"
                 f"talk,{LIU},T001,2025-10-08 16:00,R2,,parents\n"  # 2 a field talk has not: careful
                 f"phone_call,{LIU},T001,2025-10-08 10:00,R2,,\n", encoding="utf-8")  # 3 plain, same key
    result = school.run("record", "import", str(f))
    assert result.stderr.splitlines() == [f"{f}:2:通话对象: “talk” 类型的记录没有这一项",
                                          f"{f}:3:编号: 编号 “R2” 已用于另一条内容不同的记录", "发现 2 处错误。"]
    assert sorted(careful) == [2, 3]


def test_ids_that_json_must_escape_are_hashed_in_python_with_the_same_digest(school, tmp_path, careful,
                                                                            monkeypatch):
    _sqlite_only(school)
    odd = 'G"1\\2'
    school.execute("INSERT INTO child (id, school, class_name, name, category, enrolled_on, profile) "
                   "VALUES (:id, 'S001', '七(1)班', '测试', '父母均外出', '2024-09-01', '{}')", id=odd)
    f = tmp_path / "odd.csv"
    f.write_text(f"{HEADER}\n"
                 f'talk,"{odd.replace(chr(34), chr(34) * 2)}",,T001,2025-10-08 16:00,R1,20,,,,\n'
                 f"talk,{LIU},,T001,2025-10-08 16:00,R2,20,,,,\n", encoding="utf-8")
    assert school.ok("record", "import", str(f)) == "导入 2 条记录：新增 2，已存在 0。\n"
    assert careful == []
    fast = _stored(school)
    assert fast[0][3] == odd
    assert _careful_only(school, f, monkeypatch) == fast


def test_dry_run_through_the_fast_lane_leaves_nothing(school, tmp_path):
    _sqlite_only(school)
    f = tmp_path / "dry.csv"
    f.write_text(f"{HEADER}\ntalk,{LIU},,T001,2025-10-08 16:00,R1,20,,,,\n", encoding="utf-8")
    assert school.ok("record", "import", str(f), "--dry-run") == "试运行（未写入）：1 条记录全部通过检查，将新增 1，已存在 0。\n"
    assert school.count("record") == 0
    before = school.count("audit_log")
    school.ok("record", "import", str(f), "--dry-run")
    assert school.count("audit_log") == before


def test_only_zones_with_one_offset_take_the_fast_lane():
    assert _offset("Asia/Shanghai") == 480  # China has kept +8 since 1991
    assert _offset("Asia/Urumqi") == 360
    assert _offset("Europe/Berlin") is None  # summer time
    assert _offset("Mars/Olympus") is None


def test_blank_rows_short_rows_and_the_packing_separator(school, tmp_path, careful):
    _sqlite_only(school)
    f = tmp_path / "odd.csv"
    f.write_text(f"{HEADER}\n"
                 f"talk,{LIU},,T001,2025-10-08 16:00,R1,20,,,,\n"  # 2
                 "\n"  # 3 empty: skipped
                 " , ,,,,,,,,,\n"  # 4 blank cells: skipped
                 f"talk,{LIU},,T001,2025-10-09 16:00,R2,20,,a\x1fb,,\n"  # 5 the separator in a cell
                 f"talk,{LIU},,T001,2025-10-10 16:00,R3\n", encoding="utf-8")  # 6 shorter than the header
    result = school.run("record", "import", str(f))
    # the separator is a control character: the careful path names it (it was stored once)
    assert result.stderr == f"{f}:5:topic: 第 2 个字符是看不见的控制字符（U+001F），请删去后重新填写\n"
    assert sorted(careful) == [5, 6]
    careful.clear()
    f.write_text(f.read_text(encoding="utf-8").replace("a\x1fb", "ab"), encoding="utf-8")
    assert school.ok("record", "import", str(f)) == "导入 3 条记录：新增 3，已存在 0。\n"
    assert sorted(careful) == [6]
    assert school.query("SELECT key, payload FROM record ORDER BY key") == [
        ("R1", '{"minutes": 20}'), ("R2", '{"topic": "ab", "minutes": 20}'), ("R3", "{}")]


def test_a_careful_row_of_one_plugin_leaves_another_plugins_rows_in_the_lane(school, tmp_path, careful):
    _sqlite_only(school)
    f = tmp_path / "two.csv"
    f.write_text("类型,学籍号,工号,时间,编号,vision_left,amount_yuan,fund\n"
                 f"subsidy,{LIU},T001,2025/10/12 10:00,R1,,100,liangmian-yibu\n"  # 2 the time written otherwise
                 f"health_check,{LIU},T001,2025-10-12 09:00,R2,4.5,,\n"  # 3 health_check's hook: the lane
                 f"subsidy,{LIU},T001,2025-10-13 10:00,R3,,50,liangmian-yibu\n", encoding="utf-8")  # 4 same hook as 2
    assert school.ok("record", "import", str(f)) == "导入 3 条记录：新增 3，已存在 0。\n"
    assert sorted(careful) == [2, 4]
    assert [row[0] for row in _follow_ups(school)] == ["R2"]


def test_a_cell_the_csv_reader_cannot_take_is_named_by_its_line_and_nothing_is_stored(school, tmp_path):
    f = tmp_path / "quote.csv"
    rows = [f"talk,{LIU},,T001,2025-10-{day:02d} 16:00,Q{day},20,,,," for day in range(1, 21)]
    f.write_text(f"{HEADER}\n" + "\n".join(rows) + f'\ntalk,{LIU},,T001,2025-10-21 16:00,Q21,20,,"{"说" * 140000}\n',
                 encoding="utf-8")
    before = school.query("SELECT count(*) FROM record")
    result = school.run("record", "import", str(f))
    assert result.exit_code == 2
    assert result.stderr == f"{f}:22:0: 这一行有一个单元格超过 131072 个字符：CSV 的引号可能没有配对\n"
    assert school.query("SELECT count(*) FROM record") == before


def test_a_row_without_its_doer_is_refused_where_the_duty_has_a_responsible(school, tmp_path, careful, monkeypatch):
    """SPEC §2: a talk closes 一周一谈心 of the child's proxy parent, so it must say who talked; a
    row without 工号 is refused, positioned, on both paths, and nothing of the file is stored."""
    f = tmp_path / "no_doer.csv"
    f.write_text(f"{HEADER}\n"
                 f"talk,{LIU},,T001,2025-10-08 16:00,R1,20,,,,\n"
                 f"talk,{LIU},,,2025-10-09 16:00,R2,20,,,,\n"
                 f"home_visit,{CHEN},,,2025-10-12 10:00,R3,,,,,\n", encoding="utf-8")
    expected = (2, f"{f}:3:工号: “每一周至少谈心一次”有负责人，talk 记录须写明是谁做的：请给出工号（--by 或“工号”列）\n")
    result = school.run("record", "import", str(f))
    assert (result.exit_code, result.stderr) == expected
    with monkeypatch.context() as m:
        m.setattr(record_import, "import_table", functools.partial(record_import.import_table, fast=False))
        result = school.run("record", "import", str(f))
    assert (result.exit_code, result.stderr) == expected
    assert school.count("record") == 0
    result = school.run("record", "talk", "--child", LIU, "--at", "2025-10-09 16:00")
    assert (result.exit_code, result.stderr) == (
        2, "--by: “每一周至少谈心一次”有负责人，talk 记录须写明是谁做的：请给出工号（--by 或“工号”列）\n")
    assert school.ok("record", "home_visit", "--child", CHEN, "--at", "2025-10-12 10:00").startswith("已记录")


def test_a_value_may_be_given_in_its_words_on_both_paths(school, tmp_path, careful, monkeypatch):
    """A 通话对象 cell of 父母 or 监护人 is phone_call's `parents` or `guardian`, stored as the code and
    byte for byte alike on the fast lane and the careful path; a word the plugin does not give is
    refused, naming each code with its words."""
    f = tmp_path / "words.csv"
    f.write_text(f"{HEADER}\n"
                 f"phone_call,{CHEN},,T002,2025-10-09 19:30,W1,5,父母,,,\n"
                 f"phone_call,{CHEN},,T002,2025-10-10 19:30,W2,5,监护人,,,\n"
                 f"phone_call,{CHEN},,T002,2025-10-11 19:30,W3,5,guardian,,,\n", encoding="utf-8")
    assert school.ok("record", "import", str(f)) == "导入 3 条记录：新增 3，已存在 0。\n"
    stored = _stored(school)
    assert [_payload(r)["with"] for r in stored] == ["parents", "guardian", "guardian"]
    if school.url.startswith("sqlite"):
        assert careful == []  # all three took the fast lane
        assert sorted(_careful_only(school, f, monkeypatch), key=str) == sorted(stored, key=str)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nphone_call,{CHEN},,T002,2025-10-12 19:30,W4,5,父亲,,,\n", encoding="utf-8")
    result = school.run("record", "import", str(bad))
    assert (result.exit_code, result.stderr) == (
        2, f"{bad}:2:通话对象: “父亲” 不是可选值之一：parents（父母）, guardian（监护人）, child（孩子）\n")
    said = school.ok("record", "phone_call", "--child", CHEN, "--by", "T002", "--at", "2025-10-13 19:30",
                     "--set", "with=孩子")
    assert said.startswith("已记录") and _payload(_stored(school)[-1])["with"] == "child"


def _payload(row):
    """A stored row's payload: JSON text on SQLite, a dict from PostgreSQL."""
    return json.loads(row[7]) if isinstance(row[7], str) else row[7]
