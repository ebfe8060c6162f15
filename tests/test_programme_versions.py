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
