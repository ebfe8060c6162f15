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
