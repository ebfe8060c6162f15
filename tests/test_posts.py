"""Duties held by a post (岗位: 视频室, 亲情之家, 医务室 …), issue 17 item 2: `by: {post: …}`
names whoever the staff file gives that post; `assign check` says when nobody holds one."""

from __future__ import annotations

import json

from tests.conftest import FACTS

PROGRAMME = """id: posts
title: 岗位职责
calendar:
  terms:
    - {id: autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
  public_holidays: none
duties:
  - {id: video-room, name: 亲情视频室每周开放, scope: school, by: {post: 视频室}, step: home_open, every: week}
  - {id: home-visit, name: 亲情之家每月家访, scope: child, by: {post: 亲情之家}, step: home_visit, every: month}
  - {id: clinic, name: 医务室每月巡诊, scope: school, by: {post: 医务室}, step: activity, every: month}
"""


def test_a_post_holds_its_duties_and_a_post_nobody_holds_is_reported(db, tmp_path):
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "p.yaml").write_text(PROGRAMME, encoding="utf-8")
    assert db.run("programme", "check", str(tmp_path / "p.yaml")).exit_code == 0
    shown = db.ok("programme", "show", str(tmp_path / "p.yaml"))
    assert "亲情视频室每周开放" in shown and "视频室" in shown.split("亲情视频室每周开放")[1].splitlines()[0]
    db.ok("programme", "publish", str(tmp_path / "p.yaml"))
    (tmp_path / "staff.csv").write_text("工号,姓名,岗位\nY1,杨治军,视频室\nD1,杜成华,亲情之家;班主任\nT9,王芳,语文教师\n",
                                        encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(FACTS / "roster_s001_gbk.csv"), "--school", "S001")
    rows = json.loads(db.ok("compliance", "--org", "S001", "--by", "duty,staff", "--from", "2025-10-01",
                            "--to", "2025-10-31", "--as-of", "2025-11-10", "--json"))["rows"]
    found = {(r["key"]["duty"], r["key"]["staff"]): r["expected"] for r in rows}
    # October: 4 weeks due in it (10-05 … 10-26) for the video room; one visit per cared-for child (4);
    # the clinic's month with nobody holding 医务室
    assert found == {("video-room", "Y1"): 4, ("home-visit", "D1"): 4, ("clinic", None): 1}
    mine = json.loads(db.ok("due", "--staff", "Y1", "--as-of", "2025-11-05", "--json"))
    assert {r["duty"] for r in mine} == {"video-room"}
    check = db.run("assign", "check", "--org", "S001", "--as-of", "2025-11-05")
    assert "S001 · 岗位“医务室”无人担任：“医务室每月巡诊”等职责将无人负责（请在教职工名单的“岗位”列写明谁担任）" in check.stdout
    assert check.exit_code == 1


MEETINGS = """id: meetings
title: 会议
calendar:
  terms:
    - {id: autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
duties:
  - {id: class-meeting, name: 主题班会, scope: school, step: meeting, every: month, match: {kind: 主题班会}}
  - {id: safety, name: 安全法制教育, scope: school, by: {post: 副组长}, step: meeting, every: month,
     match: {kind: 安全法制教育}}
"""


def test_a_record_needs_its_doer_only_where_it_closes_a_duty_with_a_responsible(db, tmp_path):
    """小港中学: 安全法制教育 belongs to the 副组长, 主题班会 to nobody in particular — a 主题班会 without
    --by is recorded, a 安全法制教育 without it is refused; from a file, the same, positioned."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "p.yaml").write_text(MEETINGS, encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "p.yaml"))
    (tmp_path / "s.csv").write_text("工号,姓名,岗位\nF1,副组长甲,副组长\n", encoding="utf-8")
    db.ok("staff", "import", str(tmp_path / "s.csv"), "--school", "S001")
    said = db.ok("record", "meeting", "--school", "S001", "--at", "2025-10-10 15:00", "--set", "kind=主题班会")
    assert said == "已记录：会议 · S001\n"
    refused = db.run("record", "meeting", "--school", "S001", "--at", "2025-10-11 15:00", "--set", "kind=安全法制教育")
    assert (refused.exit_code, refused.stderr) == (
        2, "--by: “安全法制教育”有负责人，meeting 记录须写明是谁做的：请给出工号（--by 或“工号”列）\n")
    (tmp_path / "r.csv").write_text("类型,学校,工号,时间,kind\nmeeting,S001,,2025-10-12 15:00,主题班会\n"
                                    "meeting,S001,,2025-10-13 15:00,安全法制教育\n", encoding="utf-8")
    result = db.run("record", "import", str(tmp_path / "r.csv"))
    assert (result.exit_code, result.stderr) == (
        2, f"{tmp_path / 'r.csv'}:3:工号: “安全法制教育”有负责人，meeting 记录须写明是谁做的：请给出工号（--by 或“工号”列）\n")
    assert db.count("record") == 1
