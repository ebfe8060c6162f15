"""Open vocabularies (issue 17, item 3): a meeting's kind and a contest's category are the
programme's own lists (defaults in the plugin's settings model), and phone_call's channel tells
亲情电话 from 亲情视频. A value outside a list names the values allowed, in a record and in a
programme's `match`."""

from __future__ import annotations

import json

from tests.conftest import FACTS

PROGRAMME = """id: words
title: 开放词表
calendar:
  terms:
    - {{id: 2025-autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}}
  public_holidays: none
plugins: [contest]
{settings}
duties:
  - {{id: drowning, name: 防溺水教育, scope: school, step: meeting, every: month, match: {{kind: {kind}}}}}
  - {{id: call, name: 亲情电话, scope: child, by: head_teacher, step: phone_call, every: month, match: {{channel: 电话}}}}
  - {{id: video, name: 亲情视频, scope: child, by: head_teacher, step: phone_call, every: month, match: {{channel: 视频}}}}
"""
COUNTY_WORDS = """settings:
  care_basics: {meeting_kinds: [防溺水教育, 安全法制教育]}
  contest: {categories: [朗诵, 跳绳]}"""


def _programme(tmp_path, settings: str = "", kind: str = "安全法制教育"):
    f = tmp_path / "words.yaml"
    f.write_text(PROGRAMME.format(settings=settings, kind=kind), encoding="utf-8")
    return f


def test_a_match_outside_the_list_names_the_values_allowed_and_the_programme_may_add_its_own(cli, tmp_path):
    result = cli("programme", "check", str(_programme(tmp_path, kind="防溺水教育")))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{tmp_path / 'words.yaml'}:10:91: duties[0].match.kind: 字段 “kind”：“防溺水教育” 不是可选值之一："
        "座谈会、家长会、主题班会、监护人培训、讲座、安全法制教育、心理健康教育"
        "（方案可在 settings.care_basics.meeting_kinds 里列出本县的取值）")
    assert cli("programme", "check", str(_programme(tmp_path, COUNTY_WORDS, "防溺水教育"))).exit_code == 0


def test_records_follow_the_programmes_lists_and_a_video_call_is_not_a_phone_call(db, tmp_path):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(_programme(tmp_path, COUNTY_WORDS, "防溺水教育")))
    db.ok("staff", "import", str(FACTS / "staff_s001.csv"), "--school", "S001")
    db.ok("roster", "import", str(FACTS / "roster_s001_gbk.csv"), "--school", "S001")
    refused = db.run("record", "meeting", "--school", "S001", "--by", "T001", "--at", "2025-10-20 15:00",
                     "--set", "kind=座谈会")  # a default word this county's list left out
    assert (refused.exit_code, refused.stderr) == (2, (
        "--set kind: “座谈会” 不是可选值之一：防溺水教育、安全法制教育（方案可在 settings.care_basics.meeting_kinds "
        "里列出本县的取值）\n"))
    db.ok("record", "meeting", "--school", "S001", "--by", "T001", "--at", "2025-10-20 15:00", "--set", "kind=防溺水教育")
    kid = "G510722201203150022"
    db.ok("record", "phone_call", "--child", kid, "--by", "T001", "--at", "2025-10-21 19:00", "--set", "channel=视频")
    rows = json.loads(db.ok("compliance", "--org", "S001", "--by", "duty", "--from", "2025-10-01", "--to",
                            "2025-10-31", "--as-of", "2025-11-05", "--json"))["rows"]
    met = {r["key"]["duty"]: r["met"] for r in rows}
    assert met == {"drowning": 1, "call": 0, "video": 1}
    wrong = db.run("record", "contest", "--school", "S001", "--by", "T001", "--at", "2025-10-22 15:00",
                   "--set", "name=秋季赛", "--set", "category=歌手赛", "--set", f"participants={kid}")
    assert wrong.exit_code == 2 and "“歌手赛” 不是可选值之一：朗诵、跳绳" in wrong.stderr


RECORDS_PROGRAMME = """id: recs
title: 记录指标
calendar:
  terms:
    - {id: 2025-autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
  public_holidays: none
indicators:
  - {id: video-share, name: 视频通话占比, kind: record_share, step: phone_call, fields: [channel], values: [视频],
     target: 0.5}
  - {id: talk-minutes, name: 谈心平均时长, kind: score_mean, step: talk, fields: [minutes], target: 20}
"""


def test_record_share_and_score_mean_over_the_terms_records(db, tmp_path):
    """Of three calls two were video (2/3); the talks took 20 and 30 minutes (a third gave none):
    a mean of 25.0 over 2 records, shown as such — not as a percentage."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "r.yaml").write_text(RECORDS_PROGRAMME, encoding="utf-8")
    shown = db.ok("programme", "show", str(tmp_path / "r.yaml")).splitlines()  # targets as the command shows values
    assert [line.split()[-1] for line in shown[-2:]] == ["50.0%", "20.0"]
    db.ok("programme", "publish", str(tmp_path / "r.yaml"))
    db.ok("staff", "import", str(FACTS / "staff_s001.csv"), "--school", "S001")
    db.ok("roster", "import", str(FACTS / "roster_s001_gbk.csv"), "--school", "S001")
    kid = "G510722201203150022"
    for channel, day in (("视频", "10-01"), ("视频", "10-08"), ("电话", "10-15")):
        db.ok("record", "phone_call", "--child", kid, "--by", "T001", "--at", f"2025-{day} 19:00",
              "--set", f"channel={channel}")
    for minutes, day in (("20", "10-02"), ("30", "10-09"), (None, "10-16")):
        db.ok("record", "talk", "--child", kid, "--by", "T001", "--at", f"2025-{day} 16:00",
              *(("--set", f"minutes={minutes}") if minutes else ()))
    rows = {r["id"]: r for r in json.loads(db.ok("indicators", "--org", "S001", "--as-of", "2025-10-31", "--json"))}
    assert (rows["video-share"]["numerator"], rows["video-share"]["denominator"], rows["video-share"]["ok"]) == (2, 3, True)
    assert (rows["talk-minutes"]["value"], rows["talk-minutes"]["denominator"], rows["talk-minutes"]["unit"]) == (
        25.0, 2, "mean")
    line = next(ln for ln in db.ok("indicators", "--org", "S001", "--as-of", "2025-10-31").splitlines()
                if ln.startswith("谈心平均时长"))
    assert line.split()[1:] == ["25.0", "20.0", "2", "条记录", "达标"]


COVERAGE_PROGRAMME = """id: coverage
title: 覆盖率
calendar:
  terms:
    - {id: 2025-autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}
  public_holidays: none
indicators:
  - {id: video, name: 本月亲情视频覆盖率, kind: coverage, step: phone_call, match: {channel: 视频}, period: month,
     target: 1.0}
  - {id: any-call, name: 本月亲情电话覆盖率, kind: coverage, step: phone_call, period: month, target: 1.0}
"""


def test_a_coverage_counts_only_the_records_its_match_names(db, tmp_path):
    """小港中学's 本月亲情视频覆盖率: of two children called in October, one by video — 1 covered, not 2;
    a match outside phone_call's channels is refused by `programme check`, positioned."""
    db.ok("org", "import", str(FACTS / "org.csv"))
    (tmp_path / "c.yaml").write_text(COVERAGE_PROGRAMME, encoding="utf-8")
    db.ok("programme", "publish", str(tmp_path / "c.yaml"))
    db.ok("staff", "import", str(FACTS / "staff_s001.csv"), "--school", "S001")
    db.ok("roster", "import", str(FACTS / "roster_s001_gbk.csv"), "--school", "S001")
    for kid, channel in (("G510722201203150022", "视频"), ("G510722201205010031", "电话")):
        db.ok("record", "phone_call", "--child", kid, "--by", "T001", "--at", "2025-10-09 19:00",
              "--set", f"channel={channel}")
    rows = {r["id"]: r for r in json.loads(db.ok("indicators", "--org", "S001", "--as-of", "2025-10-31", "--json"))}
    cared = rows["video"]["denominator"]
    assert (rows["video"]["numerator"], rows["any-call"]["numerator"], rows["any-call"]["denominator"]) == (1, 2, cared)
    assert cared == 4
    (tmp_path / "bad.yaml").write_text(COVERAGE_PROGRAMME.replace("channel: 视频", "channel: 微信"), encoding="utf-8")
    result = db.run("programme", "check", str(tmp_path / "bad.yaml"))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(
        f"{tmp_path / 'bad.yaml'}:8:85: indicators[0].match.channel: 字段 “channel”：“微信” 不是可选值之一：电话, 视频")


