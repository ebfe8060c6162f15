"""Recording: one record from the command line, many from a file; payloads checked by the
step's model, subjects and times checked, ids idempotent, times stored in UTC."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LIU = "G510722201203150022"  # 七(1)班 at S001, enrolled 2024-09-01


def test_record_one_stores_utc_and_payload(school):
    out = school.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-22 16:00",
                    "--set", "minutes=20", "--set", "topic=学习")
    assert out == f"已记录：谈心 · {LIU}\n"
    rows = school.rows("record", "step", "subject_kind", "subject", "school", "by_staff", "occurred_at", "payload",
                       "source")
    # Asia/Shanghai is UTC+8: 16:00 there is 08:00 UTC.
    assert rows == [("talk", "child", LIU, "S001", "T001", datetime(2025, 10, 22, 8, 0),
                     {"topic": "学习", "minutes": 20}, "cli")]


def test_payload_and_subject_errors_all_at_once(school):
    result = school.run("record", "phone_call", "--child", LIU, "--by", "T001", "--at", "2025-10-22 16:00",
                        "--set", "with=grandma", "--set", "minutes=abc", "--set", "minuts=3")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "--set minutes: “abc” 不是整数",
        "--set minuts: “phone_call” 没有字段 “minuts”，是否想写 “minutes”？可用：notes、with、minutes、channel",
        "--set with: “grandma” 不是可选值之一：parents（父母）, guardian（监护人）, child（孩子）",  # each code with its words
        "发现 3 处错误。",
    ]
    result = school.run("record", "tlak", "--child", "G000", "--by", "T001")
    assert result.stderr.splitlines() == ["--child: 没有学籍号为 “G000” 的学生",
                                          "STEP: 没有 “tlak” 这种记录类型，是否想写 “talk”？", "发现 2 处错误。"]
    assert school.count("record") == 0


def test_teacher_of_another_school_future_time_and_before_enrolment(school):
    school.ok("staff", "import", "tests/data/facts/staff_s002.csv", "--school", "S002")
    result = school.run("record", "talk", "--child", LIU, "--by", "P001", "--at", "2025-10-22 16:00")
    assert result.stderr == f"--by: P001 属于 S002，不能为 S001 的 {LIU} 记录\n"
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)  # the programme's time zone
    later = now + timedelta(minutes=30)
    result = school.run("record", "talk", "--child", LIU, "--by", "T001", "--at", f"{later:%Y-%m-%d %H:%M}")
    assert result.stderr == f"--at: 时间 {later:%Y-%m-%d %H:%M} 还没到（最多可提前 10 分钟）\n"
    soon = now + timedelta(minutes=5)
    assert school.run("record", "talk", "--child", LIU, "--by", "T001", "--at", f"{soon:%Y-%m-%d %H:%M}").exit_code == 0
    result = school.run("record", "talk", "--child", LIU, "--by", "T001", "--at", "2024-08-31 18:00")
    assert result.stderr == "--at: 时间 2024-08-31 18:00 早于该生入学日期 2024-09-01\n"
    assert school.count("record") == 1


def test_same_id_twice_is_one_record_and_different_content_is_an_error(school):
    args = ("record", "home_visit", "--child", LIU, "--by", "T001", "--at", "2025-10-23 09:00", "--id", "V-1")
    assert school.ok(*args) == f"已记录：家访 · {LIU}\n"
    assert school.ok(*args) == "编号 V-1 已记录过，内容相同，未重复记录。\n"
    result = school.run(*args[:-4], "--at", "2025-10-23 09:30", "--id", "V-1")
    assert (result.exit_code, result.stderr) == (2, "--id: 编号 “V-1” 已用于另一条内容不同的记录\n")
    assert school.count("record") == 1


def test_school_and_class_subjects(school):
    school.ok("record", "plan", "--school", "S001", "--by", "T004", "--at", "2025-09-03")
    school.ok("record", "meeting", "--class", "七(1)班", "--school", "S001", "--by", "T001",
              "--at", "2025-09-05 15:00", "--set", "kind=主题班会")
    assert school.rows("record", "subject_kind", "subject", "school", order="id") == [
        ("school", "S001", "S001"), ("class", "七(1)班", "S001")]
    result = school.run("record", "meeting", "--class", "九(9)班", "--school", "S001", "--by", "T001")
    assert result.stderr == "--class: 学校 S001 没有班级 “九(9)班”\n"


def test_record_import_with_step_fields_and_ids(school, tmp_path):
    f = tmp_path / "十月记录.csv"
    f.write_text("类型,学籍号,学校,工号,时间,编号,时长,通话对象,topic\n"
                 f"talk,{LIU},,T001,2025-10-08 16:00,R1,20,,学习\n"
                 f"phone_call,{LIU},,T001,2025/10/9 19:30,R2,5,parents,\n"
                 f"home_visit,G510722201205010031,,T001,2025年10月12日 10:00,R3,,,\n"
                 f"plan,,S001,T004,2025-09-03,R4,,,\n", encoding="utf-8-sig")
    out = school.ok("record", "import", str(f))
    assert out == "导入 4 条记录：新增 4，已存在 0。\n"
    assert school.ok("record", "import", str(f)) == "导入 4 条记录：新增 0，已存在 4。\n"
    rows = school.rows("record", "key", "step", "occurred_at", "payload", "source", order="key")
    assert rows[1] == ("R2", "phone_call", datetime(2025, 10, 9, 11, 30), {"with": "parents", "minutes": 5}, str(f))
    assert rows[0][3] == {"topic": "学习", "minutes": 20}


def test_record_import_reports_every_bad_cell(school, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("类型,学籍号,工号,时间,编号,时长,通话对象\n"
                 f"talk,{LIU},T001,2025-10-08 16:00,R1,很久,\n"
                 f"talk,{LIU},T001,2025-10-08 16:00,R2,,parents\n"
                 f"call,{LIU},T001,2025-10-08,R3,,\n"
                 f"phone_call,G000,T001,2025-10-32 10:00,R4,,\n"
                 f"phone_call,{LIU},T001,2025-10-08 10:00,R2,,\n", encoding="utf-8")
    result = school.run("record", "import", str(f))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{f}:2:时长: “很久” 不是整数",
        f"{f}:3:通话对象: “talk” 类型的记录没有这一项",
        f"{f}:4:类型: 没有 “call” 这种记录类型：运行 guanai plugins list 查看",
        f"{f}:5:学籍号: 没有学籍号为 “G000” 的学生",
        f"{f}:6:编号: 编号 “R2” 已用于另一条内容不同的记录",
        "发现 5 处错误。",
    ]
    assert school.count("record") == 0


def test_record_import_dry_run(school, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(f"类型,学籍号,工号,时间\ntalk,{LIU},T001,2025-10-08 16:00\n", encoding="utf-8")
    assert school.ok("record", "import", str(f), "--dry-run") == "试运行（未写入）：1 条记录全部通过检查，将新增 1，已存在 0。\n"
    assert school.count("record") == 0


def test_listings_mask_contacts_unless_asked_and_audit_the_asking(school):
    rows = json.loads(school.ok("children", "list", "--org", "S001", "--json"))
    liu = next(r for r in rows if r["id"] == LIU)
    assert (liu["guardian_phone"], liu["father_phone"], liu["address"]) == (
        "139****1111", "138****2222", "四川省南充市****")
    assert len(rows) == 5
    table = school.ok("children", "list", "--org", "S001")
    assert "139****1111" in table and "13990001111" not in table
    assert school.rows("audit_log", "action", action="show_contacts") == []
    rows = json.loads(school.ok("children", "list", "--org", "S001", "--show-contacts", "--json"))
    assert next(r for r in rows if r["id"] == LIU)["guardian_phone"] == "13990001111"
    assert school.rows("audit_log", "row_key", "after", order="id", action="show_contacts") == [
        ("org=S001", {"ids": [r["id"] for r in rows]})]  # who asked, for whom: the five children listed
    staff = school.ok("staff", "list", "--csv")
    assert staff.splitlines()[1] == "T001,王芳,S001,教职工,班主任;语文教师,七(1)班,True,138****5678,"


def test_records_list_filters_and_local_times(school):
    school.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-01 00:30")
    school.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-09-30 23:30")
    rows = json.loads(school.ok("records", "list", "--from", "2025-10-01", "--json"))
    assert [r["occurred_at"] for r in rows] == ["2025-10-01T00:30:00+08:00"]
    out = school.ok("records", "list", "--by", "T001", "--to", "2025-09-30")
    assert "2025-09-30 23:30" in out and "2025-10-01" not in out


def test_record_import_row_without_type_or_subject(school, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(f"类型,学籍号,工号,时间\n,{LIU},T001,2025-10-08 16:00\ntalk,,T001,2025-10-08 16:00\n",
                 encoding="utf-8")
    result = school.run("record", "import", str(f))
    assert result.stderr.splitlines() == [
        f"{f}:2:类型: 不能为空",
        f"{f}:3:学籍号: 每行只能填一个对象：学籍号、学校、对象工号或班级（班级需同时填学校）",
        "发现 2 处错误。",
    ]


def test_set_takes_a_fields_label_as_a_record_file_does(school):
    """issue 27 item 7: `--set 时长=20` was refused though a record file takes 时长 as its column."""
    school.ok("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-22 16:00", "--set", "时长=20",
              "--set", "谈心主题=学习")
    assert school.rows("record", "payload", order="id") == [({"minutes": 20, "topic": "学习"},)]
    wrong = school.run("record", "talk", "--child", LIU, "--by", "T001", "--at", "2025-10-23 16:00", "--set", "时常=20")
    assert wrong.exit_code == 2 and "时常" in wrong.stderr
