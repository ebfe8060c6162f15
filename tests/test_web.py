"""The teachers' page as a security reviewer tries it (issue 30), on a SQLite county served to its
owner: what `guanai serve` refuses to start, sign-in limits, cookies, headers, CSRF, escaping and
log lines. The same page on PostgreSQL, as teachers of two schools: tests/attack/test_web.py."""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime

import pytest

pytest.importorskip("starlette", reason="the web extra (pip install 'guanai[web]') is in the test extra")

from tests.attack.conftest import ENGINE, ORG  # noqa: E402

AS_OF = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)  # 2025-11-20 10:00 in Asia/Shanghai
ROSTER = """学籍号,姓名,班级,留守类型,外出开始,入学,监护人电话,身份证号
G510722201203150022,<script>alert(1)</script>,七(1)班,留守,2020-01,2024-09-01,13900001111,510722201203150022
K2,陈小红,七(1)班,留守,2020-01,2024-09-01,13900002222,
"""


@pytest.fixture
def county_file(cli, tmp_path):
    """A SQLite county: S001 with a child whose name is markup and whose 学籍号 holds an ID number."""
    url = f"sqlite:///{tmp_path / 'g.db'}"

    def ok(*args: str) -> None:
        result = cli("--db", url, *args)
        assert result.exit_code == 0, result.output

    ok("init")
    (tmp_path / "org.csv").write_text(ORG, encoding="utf-8")
    ok("org", "import", str(tmp_path / "org.csv"))
    ok("programme", "publish", str(ENGINE / "term.yaml"), "--to", "C01", "--yes")
    ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001", "--yes")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    ok("roster", "import", str(tmp_path / "roster.csv"), "--school", "S001", "--yes")
    (tmp_path / "pairs.csv").write_text("学籍号,工号,开始\nG510722201203150022,T001,2025-09-01\n", encoding="utf-8")
    ok("assign", "import", str(tmp_path / "pairs.csv"), "--role", "proxy_parent")
    return url


def web_of(url: str, base: str = "http://127.0.0.1:8000", raise_server_exceptions: bool = True):
    from guanai.core.app import App
    from guanai.core.web.sessions import Backend
    from guanai.core.web.views import make_app
    from starlette.testclient import TestClient

    store = App(url).store
    return TestClient(make_app(Backend(store.url, "sqlite", "owner", "right-password", store), clock=lambda: AS_OF),
                      base_url=base, raise_server_exceptions=raise_server_exceptions)


def sign_in(web) -> str:
    r = web.post("/login", data={"username": "owner", "password": "right-password"},
                 headers={"accept": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()["csrf"]


def test_serve_refuses_to_offer_a_sqlite_file_beyond_this_machine(cli, county_file):
    result = cli("--db", county_file, "serve", "--host", "0.0.0.0")
    assert result.exit_code == 2
    assert "SQLite 数据库只在本机提供：--host 只能是 127.0.0.1" in result.stderr


@pytest.mark.skipif(not os.environ.get("GUANAI_TEST_PG"), reason="asks a PostgreSQL server (GUANAI_TEST_PG)")
def test_serve_refuses_a_server_that_checks_no_passwords(cli):
    from tests.conftest import pg_schema

    with pg_schema() as url:
        assert cli("--db", url, "init").exit_code == 0
        result = cli("--db", url, "serve", "--port", "8765")
    assert result.exit_code == 2
    assert "数据库服务器不核对口令" in result.stderr and "--insecure-trust" in result.stderr


def test_sign_in_is_limited_per_user_and_the_cookie_is_strict(county_file):
    web = web_of(county_file)
    for _ in range(5):
        assert web.post("/login", data={"username": "owner", "password": "guess"}).status_code == 401
    blocked = web.post("/login", data={"username": "owner", "password": "right-password"})
    assert blocked.status_code == 429 and "登录失败次数太多，请 15 分钟后再试" in blocked.text
    other = web_of(county_file)  # a new server: the limit is the server's memory
    r = other.post("/login", data={"username": "owner", "password": "right-password"})
    cookie = r.history[0].headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    behind_tls = web_of(county_file, "https://guanai.county.lan")
    r = behind_tls.post("/login", data={"username": "owner", "password": "right-password"})
    assert "Secure" in r.history[0].headers["set-cookie"]
    assert r.headers["strict-transport-security"] == "max-age=31536000"


def test_every_page_forbids_scripts_and_framing_and_is_not_cached(county_file):
    web = web_of(county_file)
    sign_in(web)
    for path in ("/login", "/tasks", "/school", "/children", "/api/due"):
        r = web.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
        if r.headers["content-type"].startswith("text/html"):  # JSON is data (nosniff): names as they are
            assert "<script" not in r.text


def test_writes_need_the_sessions_token_and_our_own_origin(county_file):
    web = web_of(county_file)
    csrf = sign_in(web)
    assert web.post("/logout", data={}).status_code == 403
    forged = web.post("/api/records", headers={"x-csrf-token": "x"}, json={"step": "talk"})
    assert forged.status_code == 403
    cross = web.post("/api/records", headers={"x-csrf-token": csrf, "origin": "https://evil.example"},
                     json={"step": "talk"})
    assert cross.status_code == 403
    cross_login = web_of(county_file).post("/login", headers={"origin": "https://evil.example"},
                                           data={"username": "owner", "password": "right-password"})
    assert cross_login.status_code == 403
    assert web.post("/logout", data={"csrf": csrf}).status_code == 200
    assert web.get("/api/due").status_code == 401  # the session ended with the sign-out


def test_names_are_escaped_and_no_id_reaches_a_url_or_a_log_line(county_file, caplog):
    web = web_of(county_file)
    sign_in(web)
    with caplog.at_level(logging.INFO, logger="guanai.web"):
        page = web.get("/tasks")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
        links = re.findall(r'href="([^"]+)"', page.text)
        assert links and not [link for link in links if "G5107" in link or "510722" in link]
        child = web.get(re.search(r'href="(/children/[0-9a-f]{16})"', page.text).group(1))
        assert "139****1111" in child.text and "13900001111" not in child.text
        api = web.get("/api/children/G510722201203150022")
        assert api.json()["child"]["guardian_phone"] == "139****1111"
    lines = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /api/children/{id} 200" in lines
    assert "510722" not in lines and "1390000" not in lines


def test_the_owner_records_from_the_form_and_sees_it_done(cli, county_file):
    web = web_of(county_file)
    csrf = sign_in(web)
    page = web.get("/tasks").text
    handle = re.search(r'href="/tasks/([0-9a-f]{20})"[^>]*>记录电话联系', page).group(1)
    form = web.get(f"/tasks/{handle}").text
    assert "通话对象：<strong>父母</strong>" in form  # the duty's match, shown, not asked
    assert 'name="channel" value="电话"' in form  # choices as buttons
    saved = web.post(f"/tasks/{handle}", data={"csrf": csrf, "at": "2025-11-20T09:30", "channel": "视频",
                                                "minutes": "15", "key": "f-1"})
    assert "已记录：电话联系 · &lt;script&gt;" in saved.text
    shown = cli("--db", county_file, "records", "list", "--step", "phone_call", "--json")
    rows = [r for r in __import__("json").loads(shown.stdout) if r["key"] == "f-1"]
    assert [(r["payload"], r["purpose"], r["by_staff"], r["source"]) for r in rows] == [
        ({"with": "parents", "minutes": 15, "channel": "视频"}, "monthly-call", "T001", "web")]
    again = web.post(f"/tasks/{handle}", data={"csrf": csrf, "at": "2025-11-20T09:30", "key": "f-2"})
    assert again.status_code == 404 and "没有找到这一项" in again.text  # done: no longer open


def test_a_body_too_large_is_refused_unread_and_a_failure_is_a_calm_page(county_file, monkeypatch, caplog):
    web = web_of(county_file, raise_server_exceptions=False)
    csrf = sign_in(web)

    def chunks():
        for _ in range(100):
            yield b"x" * 1024  # 100 KB, chunked: no Content-Length to trust

    big = web.post("/api/records", headers={"x-csrf-token": csrf, "content-type": "application/json"}, content=chunks())
    assert big.status_code == 413
    from guanai.core.web import views

    def broken(*_args):
        raise RuntimeError("connection lost to 13900001111")

    monkeypatch.setattr(views, "due_list", broken)
    with caplog.at_level(logging.INFO, logger="guanai.web"):
        page = web.get("/tasks")
    assert page.status_code == 500 and "出错了，这次没有完成" in page.text and "Traceback" not in page.text
    failed = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert failed == ["GET /tasks failed: RuntimeError: connection lost to 139****1111"]


def test_an_idle_session_ends_and_its_connections_close(monkeypatch):
    from guanai.core.web import sessions

    disposed: list[str] = []

    class Engine:
        def dispose(self) -> None:
            disposed.append("closed")

    class Store:
        engine = Engine()

    found = sessions.Sessions(owned_store=False)
    first = found.add("t1", "teacher", "S001", "T001", Store())
    assert found.get(first.id) is first and found.get("guessed") is None
    monkeypatch.setattr(sessions, "IDLE_S", -1)  # every session is now past its idle time
    assert found.get(first.id) is None and disposed == ["closed"] and len(found) == 0


def test_sign_in_is_limited_per_address_across_user_names():
    from guanai.core.web.sessions import Limiter

    limiter = Limiter()
    for i in range(19):
        limiter.failed(f"user{i}", "10.0.0.9")
    assert limiter.wait_s("another", "10.0.0.9") == 0
    limiter.failed("user19", "10.0.0.9")
    assert 899 <= limiter.wait_s("another", "10.0.0.9") <= 901  # the 21st attempt: 15 minutes
    assert limiter.wait_s("another", "10.0.0.8") == 0  # another address is not held up
    limiter.succeeded("user3")
    assert limiter.wait_s("user3", "10.0.0.8") == 0
