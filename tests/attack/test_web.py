"""The teachers' page on PostgreSQL (issue 30): each signed-in user sees through their own login, so
row-level security decides what the page shows, exactly as through psql. A teacher sees exactly
`due --staff`, records one, and the item moves and `compliance` changes; a teacher of another
school finds nothing of the first school by the page, the API or a guessed id.

The county and its users: tests/attack/conftest.py. The test server trusts every local login (no
password is checked there), so these tests build the page on it as `guanai serve --insecure-trust`
does; tests/test_web.py proves serve refuses such a server without the flag.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

pytest.importorskip("starlette", reason="the web extra (pip install 'guanai[web]') is in the test extra")

AS_OF = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)  # 2025-11-20 10:00 in 示例县 (Asia/Shanghai)


def client(county, clock=AS_OF):
    from guanai.core.web.sessions import Backend
    from guanai.core.web.views import make_app
    from starlette.testclient import TestClient

    return TestClient(make_app(Backend(county.db.url, "postgresql"), clock=lambda: clock),
                      base_url="http://127.0.0.1:8000")


def signed_in(county, who: str, web=None):
    web = web or client(county)
    r = web.post("/login", data={"username": county.users[who].name if who in county.users else who,
                                 "password": "any"}, headers={"accept": "application/json"})
    assert r.status_code == 200, r.text
    return web, r.json()["csrf"]


def cli_json(county, who: str, *args: str):
    result = county.guanai(who, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_teacher_sees_exactly_due_staff_records_a_talk_and_the_figures_change(county):
    web, csrf = signed_in(county, "teacher_s001")
    due = web.get("/api/due").json()
    assert due == cli_json(county, "teacher_s001", "due", "--staff", "T001", "--as-of", "2025-11-20 10:00")
    talk = [i for i in due if i["duty"] == "weekly-talk" and i["subject"] == "K1"]
    assert [(i["window_start"], i["due"], i["status"]) for i in talk][-1] == ("2025-11-17", "2025-11-23", "due")
    assert {i["school"] for i in due} == {"S001"}

    page = web.get("/tasks")
    assert page.status_code == 200
    assert "刘小明" in page.text and "一周一谈心" in page.text and "本周" in page.text
    handle = re.search(r'href="/tasks/([0-9a-f]{20})"[^>]*>记录谈心', page.text)
    assert handle, page.text
    form = web.get(f"/tasks/{handle.group(1)}")
    assert 'value="2025-11-20T10:00"' in form.text  # now, inside the window
    assert "时长（分钟）" in form.text

    before = cli_json(county, "county_c01", "compliance", "--org", "S001", "--as-of", "2025-11-26")
    bad = web.post(f"/tasks/{handle.group(1)}", data={"csrf": csrf, "at": "2025-11-20T10:00", "minutes": "九十",
                                                       "key": "k-1"})
    assert bad.status_code == 422
    assert re.search(r'id="minutes".*?\n?.*?<p class="error">', bad.text, re.S), "the problem is beside its field"
    ok = web.post(f"/tasks/{handle.group(1)}", data={"csrf": csrf, "at": "2025-11-20T10:00", "minutes": "20",
                                                      "topic": "学习", "key": "k-1"})
    assert ok.status_code == 200 and str(ok.url).endswith("/tasks?saved=1")
    assert "已记录：谈心 · 刘小明" in ok.text and "已完成" in ok.text

    after_due = web.get("/api/due").json()
    assert not [i for i in after_due if i["duty"] == "weekly-talk" and i["subject"] == "K1"
                and i["window_start"] == "2025-11-17"]
    after = cli_json(county, "county_c01", "compliance", "--org", "S001", "--as-of", "2025-11-26")
    row = {r["key"]["duty"]: r for r in after["rows"]}["weekly-talk"]
    was = {r["key"]["duty"]: r for r in before["rows"]}["weekly-talk"]
    assert row["met"] == was["met"] + 1 and row["expected"] == was["expected"], (was, row)
    audit = county.owner_sql("SELECT actor, source FROM audit_log WHERE action = 'insert' AND table_name = 'record' "
                             "ORDER BY id DESC LIMIT 1")
    assert audit == [(county.users["teacher_s001"].name, "web")]


def test_the_api_records_as_record_step_does_and_refuses_what_it_refuses(county):
    web, csrf = signed_in(county, "teacher_s001")
    no_token = web.post("/api/records", json={"step": "talk", "child": "K1", "at": "2025-11-19 16:00"})
    assert no_token.status_code == 403
    bad = web.post("/api/records", headers={"x-csrf-token": csrf},
                   json={"step": "talk", "child": "K1", "at": "2025-11-19 16:00", "set": {"minutes": 0}})
    assert bad.status_code == 422
    assert [(e["file"], e["code"]) for e in bad.json()["errors"]] == [("minutes", "pyd.greater_than_equal")]
    ok = web.post("/api/records", headers={"x-csrf-token": csrf},
                  json={"step": "talk", "child": "K1", "at": "2025-11-19 16:00", "set": {"时长": 15}, "id": "w-1"})
    assert ok.status_code == 201 and ok.json() == {"saved": 1, "existing": 0}
    again = web.post("/api/records", headers={"x-csrf-token": csrf},
                     json={"step": "talk", "child": "K1", "at": "2025-11-19 16:00", "set": {"时长": 15}, "id": "w-1"})
    assert again.json() == {"saved": 0, "existing": 1}
    shown = cli_json(county, "school_s001", "records", "list", "--child", "K1")
    assert [(r["by_staff"], r["payload"]) for r in shown if r["key"] == "w-1"] == [("T001", {"minutes": 15})]
    # another school's child: refused by the same check as `record talk --child K4`
    other = web.post("/api/records", headers={"x-csrf-token": csrf},
                     json={"step": "talk", "child": "K4", "at": "2025-11-19 16:00"})
    cli = county.guanai("teacher_s001", "record", "talk", "--child", "K4", "--by", "T001", "--at", "2025-11-19 16:00")
    assert other.status_code == 422 and cli.exit_code == 2
    assert other.json()["errors"][0]["message"] in cli.stderr


def test_a_teacher_of_another_school_finds_nothing_of_the_first(county):
    county.db.ok("user", "add", "web_p001", "--org", "S002", "--role", "teacher", "--staff", "P001")
    try:
        first, _ = signed_in(county, "teacher_s001")
        k1 = re.search(r'href="/children/([0-9a-f]{16})"', first.get("/tasks").text).group(1)
        web, _ = signed_in(county, "web_p001")
        due = web.get("/api/due").json()
        assert all(i["school"] == "S002" for i in due)
        page = web.get("/tasks").text
        assert "刘小明" not in page and "示例镇中学" not in page
        assert web.get("/api/children/K1").status_code == 404  # as `children show K1` for this user
        assert web.get(f"/children/{k1}").status_code == 404  # the first teacher's handle means nothing here
        assert web.get("/school").status_code == 400 and web.get("/county").status_code == 403
    finally:
        county.db.run("user", "remove", "web_p001")


def test_my_children_and_a_childs_file_with_the_phone_shown_through_the_audit(county):
    web, csrf = signed_in(county, "teacher_s001")
    mine = web.get("/children")
    assert "刘小明" in mine.text and "陈小红" not in mine.text  # K1 is paired with T001; K2 is not
    handle = re.search(r'href="/children/([0-9a-f]{16})"', mine.text).group(1)
    page = web.get(f"/children/{handle}")
    assert "139****1111" in page.text and "13900001111" not in page.text
    assert web.get("/api/children/K1").json()["child"]["guardian_phone"] == "139****1111"
    shown = web.post(f"/children/{handle}", data={"csrf": csrf})
    assert "13900001111" in shown.text
    rows = county.owner_sql("SELECT actor, source FROM audit_log WHERE action = 'show_contacts' ORDER BY id DESC LIMIT 1")
    assert rows == [(county.users["teacher_s001"].name, "web")]
    assert web.post(f"/children/{handle}", data={"csrf": "forged"}).status_code == 403


def test_a_school_sees_its_classes_and_teachers_and_a_county_its_report(county):
    web, _ = signed_in(county, "school_s001")
    page = web.get("/school")
    assert page.status_code == 200 and "王芳" in page.text and "七(1)班" in page.text
    rows = cli_json(county, "school_s001", "compliance", "--by", "staff", "--as-of", "2025-11-20 10:00")
    wang = next(r for r in rows["rows"] if r["key"]["staff"] == "T001")
    assert f"{wang['met']}/{wang['expected']}" in page.text
    county_page, _ = signed_in(county, "county_c01")
    report = county_page.get("/county")
    assert report.status_code == 200 and "示例镇中学" in report.text and "河口乡小学" in report.text
    assert "'unsafe-inline'" in report.headers["content-security-policy"]
    assert "script-src" not in report.headers["content-security-policy"]


def test_a_login_of_another_database_or_none_gets_no_session(county):
    web = client(county)
    stranger = web.post("/login", data={"username": county.users["stranger"].name, "password": "x"})
    assert stranger.status_code == 401 and "用户名或口令不对" in stranger.text
    nobody = web.post("/login", data={"username": "pg_read_all_data", "password": "x"})
    assert nobody.status_code == 401
    assert web.get("/api/due").status_code == 401
