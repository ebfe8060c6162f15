"""Published versions (issue 26 item 4): the same content from another path is the same version;
`programme versions` lists what is published where, from when, by whom."""

from __future__ import annotations

import json
import shutil

from tests.conftest import FACTS, PROGRAMMES


def test_the_same_file_from_another_folder_is_the_same_version_and_versions_lists_it(db, tmp_path):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PROGRAMMES / "xibei.yaml"), "--to", "S001")
    copy = tmp_path / "elsewhere" / "西北.yaml"
    copy.parent.mkdir()
    shutil.copy(PROGRAMMES / "xibei.yaml", copy)
    again = db.run("programme", "publish", str(copy), "--to", "S002", "--from", "2025-10-01")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.splitlines() == ['方案 xibei-tongai 第 1 版已发布过，内容相同：西北中学关爱农村留守儿童"同爱行动"实施方案',
                                         "自 2025-10-01 起适用于 1 个单位：S002"]
    changed = tmp_path / "changed.yaml"
    changed.write_text((PROGRAMMES / "xibei.yaml").read_text("utf-8").replace("title: ", "title: 修订 ", 1),
                       encoding="utf-8")
    refused = db.run("programme", "publish", str(changed))
    assert (refused.exit_code, refused.stderr) == (
        2, "方案 xibei-tongai 第 1 版已发布过，但内容不同：修改后请把 version 加 1 再发布\n")
    rows = json.loads(db.ok("programme", "versions", "--json"))
    assert [(r["programme"], r["version"], r["org"], r["effective_from"]) for r in rows] == [
        ("xibei-tongai", 1, "S001", "2025-09-01"), ("xibei-tongai", 1, "S002", "2025-10-01")]
    assert db.count("programme_version") == 1
    mine = json.loads(db.ok("programme", "versions", "--org", "T02", "--json"))
    assert mine == []  # 河口乡 holds S003 only: nothing bound there or above it
    text = db.ok("programme", "versions", "--org", "S002").splitlines()
    assert text[-1] == "共 1 条。" and "示例镇中心小学（S002）" in text[2] and "2025-10-01" in text[2]


def test_publishing_what_is_already_in_force_asks_nothing_and_adds_nothing(db, tmp_path):
    """The same version published again (another folder, all schools, its first term's start) is
    in force there already: no question about the past, no new binding; a school that had none
    from that day gets one."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PROGRAMMES / "xibei.yaml"), "--to", "T01")
    copy = tmp_path / "xibei.yaml"
    shutil.copy(PROGRAMMES / "xibei.yaml", copy)
    again = db.run("programme", "publish", str(copy))
    assert (again.exit_code, again.stderr) == (0, "")
    assert again.stdout.splitlines()[1:] == ["自 2025-09-01 起适用于 1 个单位：S003",
                                             "另有 2 个单位自 2025-09-01 起已在使用这一版。"]
    assert [(r["org"], r["effective_from"]) for r in json.loads(db.ok("programme", "versions", "--json"))] == [
        ("S003", "2025-09-01"), ("T01", "2025-09-01")]


def test_a_publication_nothing_was_recorded_under_can_be_withdrawn_and_known_at_still_sees_it(db, tmp_path):
    """issue 26 item 4: next year's version, published before its calendar was checked, is taken
    back: versions shows it withdrawn, the school returns to version 1 (its 2026-autumn term is
    gone), --known-at before the withdrawal still sees it, publishing it again binds it again; a
    version with records under it cannot be withdrawn, nor one that is not bound there."""
    from datetime import datetime

    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PROGRAMMES / "xibei.yaml"), "--to", "S001")
    nxt = tmp_path / "xibei-2026.yaml"
    db.ok("programme", "next", str(PROGRAMMES / "xibei.yaml"), "-o", str(nxt))
    db.ok("programme", "publish", str(nxt), "--to", "S001", "--from", "2026-09-01")
    db.execute("UPDATE programme_binding SET bound_at = :at", at=datetime(2026, 8, 1))
    assert [(r["version"], r["effective_from"], r["withdrawn_at"]) for r in
            json.loads(db.ok("programme", "versions", "--json"))] == [(1, "2025-09-01", None), (2, "2026-09-01", None)]
    done = db.ok("programme", "withdraw", "xibei-tongai", "2", "--org", "S001")
    assert done == "已撤回 xibei-tongai 第 2 版对 示例镇中学（S001）自 2026-09-01 起的适用：1 所学校改回此前的方案。\n"
    rows = json.loads(db.ok("programme", "versions", "--json"))
    assert rows[1]["withdrawn_at"] is not None
    assert f"2026-09-01（{rows[1]['withdrawn_at'][:10]} 已撤回）" in db.ok("programme", "versions")
    # the engine: version 1 again from 2026-09-01 (no term then: nothing due); known before: version 2's terms
    before = db.run("compliance", "--org", "S001", "--term", "2026-autumn", "--as-of", "2026-12-31",
                    "--known-at", "2026-08-15", "--json")
    after = db.run("compliance", "--org", "S001", "--term", "2026-autumn", "--as-of", "2026-12-31", "--json")
    assert before.exit_code == 0, before.stderr  # version 2 was in force as known then: its term exists
    assert after.exit_code == 2 and "2026-autumn" in after.stderr  # withdrawn: no such term now
    again = db.run("programme", "withdraw", "xibei-tongai", "2", "--org", "S001")
    assert (again.exit_code, again.stderr) == (
        2, "xibei-tongai 第 2 版没有对 S001 的有效发布：未作任何改动（guanai programme versions 可查）\n")
    db.ok("programme", "publish", str(nxt), "--to", "S001", "--from", "2026-09-01")
    # bound again beside the withdrawn binding, which stays as it was (--known-at between the two)
    assert [(r["version"], r["withdrawn_at"] is None) for r in json.loads(db.ok("programme", "versions", "--json"))] == [
        (1, True), (2, False), (2, True)]
    db.ok("roster", "import", str(FACTS / "roster_s001_gbk.csv"), "--school", "S001", "--effective", "2025-09-01",
          "--yes")
    db.ok("staff", "import", str(FACTS / "staff_s001.csv"), "--school", "S001")
    db.ok("record", "meeting", "--school", "S001", "--at", "2025-09-05 10:00", "--set", "notes=部署")
    used = db.run("programme", "withdraw", "xibei-tongai", "1", "--org", "S001")
    assert (used.exit_code, used.stderr) == (
        2, "自 2025-09-01 起已在这次发布之下录入了 1 条记录，它的统计已经算过：不能撤回；请发布新的一版代替\n")
    assert db.count("programme_binding") == 3
