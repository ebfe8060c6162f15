"""The teacher's page (server-rendered, no script) and the JSON API under it, on Starlette: what
every view shares (the server's state, headers, sign-in checks). The views: core/web/views.py.

Every answer comes from the services the commands use: 我的任务 is `due --staff` (services.engine.
due_items, due_label, due_summary), a record is `record STEP` (store.records.draft_of, save_records),
a child's file is `children show` (services.children), 本校 is `compliance --by class` and
`--by staff`, the county's page is `report county` as HTML. The page adds no rule of its own.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from guanai.core.app import App
from guanai.core.diagnostics import Diagnostic, InputError, Refusal
from guanai.core.i18n import t
from guanai.core.web.sessions import Backend, Limiter, Session, Sessions
from jinja2 import Environment
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

HERE = Path(__file__).parent
COOKIE = "guanai_session"
log = logging.getLogger("guanai.web")

# No script anywhere: forms and links only. Styles from our own file; the county report's own page
# carries its inline style (report county --html is one self-contained file) and only that page.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
CSP_REPORT = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
HEADERS = {"content-security-policy": CSP, "x-content-type-options": "nosniff", "referrer-policy": "same-origin",
           "x-frame-options": "DENY", "cross-origin-opener-policy": "same-origin",
           "permissions-policy": "camera=(), microphone=(), geolocation=()"}


class SecureHeaders:
    """Every answer with the headers above; pages with data are never cached; HSTS behind TLS."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in HEADERS.items():
                    headers.setdefault(key, value)
                if not scope["path"].startswith("/static/"):
                    headers["cache-control"] = "no-store"
                if scope.get("scheme") == "https":
                    headers["strict-transport-security"] = "max-age=31536000"
                took = (time.perf_counter() - started) * 1000
                headers["server-timing"] = f"app;dur={took:.1f}"  # the server's time, for bench/web.py
                log.info("%s %s %s %.0fms", scope["method"], log_path(scope["path"]), message["status"], took)
            await send(message)

        await self.app(scope, receive, sending)


def log_path(path: str) -> str:
    """A path as the log may keep it: a child's id (学籍号 may hold an ID number) never."""
    return re.sub(r"^/api/children/[^/]+", "/api/children/{id}", path)


@dataclass
class Web:
    """The server's state: where sign-ins go, the sessions, the sign-in limits, the templates."""

    backend: Backend
    sessions: Sessions
    limiter: Limiter
    pages: Environment
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests set the moment the page lives at

    def app_of(self, session: Session) -> App:
        """A request's App: the session's store, this moment (one request, one "now")."""
        return App(session.store.url, started=self.clock(), _store=session.store, quiet_plugins=True)

    def page(self, request: Request, name: str, session: Session | None, status: int = 200, **values: Any) -> Response:
        body = self.pages.get_template(name).render(session=session, t=t, path=request.url.path, **values)
        return HTMLResponse(body, status_code=status)


# —— what every view does first ——

def signed_in(web: Web, request: Request) -> Session | None:
    return web.sessions.get(request.cookies.get(COOKIE))


def same_origin(request: Request) -> bool:
    """A write comes from our own page: its Origin (or Referer) is this host, when the browser says.
    (Referrer-Policy is same-origin, not no-referrer: under no-referrer a browser sends "Origin: null"
    even from our own form.)"""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # not a browser's cross-site request (those carry Origin); the CSRF token still decides
    host = request.headers.get("host", "")
    return re.match(rf"^https?://{re.escape(host)}(/|$)", origin) is not None


def csrf_ok(session: Session, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), session.csrf.encode())


def new_cookie(response: Response, request: Request, value: str, max_age: int | None) -> None:
    response.set_cookie(COOKIE, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def problem_page(web: Web, request: Request, session: Session | None, message: str, status: int) -> Response:
    return web.page(request, "problem.html", session, status=status, message=message)


def refused_json(exc: Refusal, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=status)


def errors_json(exc: InputError) -> JSONResponse:
    return JSONResponse({"error": "invalid", "errors": [d.as_json() for d in exc.diagnostics]}, status_code=422)


def by_field(diagnostics: list[Diagnostic]) -> dict[str, list[str]]:
    """Problems of a form, by the field they are about (beside it on the page)."""
    out: dict[str, list[str]] = {}
    for d in diagnostics:
        out.setdefault(d.file, []).append(d.message)
    return out


def fresh_key() -> str:
    """A record's key for one form: sent twice (a double tap), it is stored once."""
    return f"web-{secrets.token_urlsafe(12)}"
