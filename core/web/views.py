"""The pages and the API: each view reads the request, asks a service (in a worker thread: the
database is synchronous) and renders its answer. Nothing here computes what a service computes."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from guanai.core.diagnostics import InputError, Refusal
from guanai.core.i18n import t
from guanai.core.web.app import (
    COOKIE,
    CSP_REPORT,
    HERE,
    SecureHeaders,
    Web,
    by_field,
    csrf_ok,
    errors_json,
    fresh_key,
    log_path,
    new_cookie,
    problem_page,
    refused_json,
    same_origin,
    signed_in,
)
from guanai.core.web.sessions import IDLE_S, Backend, Limiter, Session, Sessions
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

log = logging.getLogger("guanai.web")
Endpoint = Callable[[Request], Awaitable[Response]]
MAX_BODY = 64 * 1024  # a record is a few fields: a larger body is refused unread


def page_view(web: Web, work: Callable[[Request, Session], Response]) -> Endpoint:
    """A page for a signed-in session (else to /login); a write checks origin and CSRF token first."""

    async def endpoint(request: Request) -> Response:
        session = signed_in(web, request)
        if session is None:
            return RedirectResponse("/login", 303)
        if request.method == "POST":
            if not await bounded(request):
                return problem_page(web, request, session, t("web.too_large"), 413)
            form = await request.form()
            if not same_origin(request) or not csrf_ok(session, str(form.get("csrf") or "")):
                return problem_page(web, request, session, t("web.csrf"), 403)
            request.state.form = form
        try:
            return await run_in_threadpool(_locked, session, work, request)
        except Refusal as exc:
            return problem_page(web, request, session, exc.message, 404 if exc.code.endswith("unknown") else 400)

    return endpoint


async def bounded(request: Request) -> bool:
    """Read the body, at most MAX_BODY bytes (whatever Content-Length says, chunked or not); False
    when there is more. The body read is the one request.form() and request.body() then give."""
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        return False
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return False
    request._body = body  # Starlette's cache of the body: form() and body() read it, not the stream
    return True


def _locked(session: Session, work: Callable[[Request, Session], Response], request: Request) -> Response:
    with session.lock:  # one request of a session at a time: its handles and 已完成 list stay whole
        return work(request, session)


def api_view(web: Web, work: Callable[[Request, Session], Response], write: bool = False) -> Endpoint:
    """A JSON answer for a signed-in session (else 401); a write needs the X-CSRF-Token header."""

    async def endpoint(request: Request) -> Response:
        session = signed_in(web, request)
        if session is None:
            return JSONResponse({"error": "signed_out", "message": t("web.signed_out")}, status_code=401)
        if write:
            if not same_origin(request) or not csrf_ok(session, request.headers.get("x-csrf-token")):
                return JSONResponse({"error": "csrf", "message": t("web.csrf")}, status_code=403)
            if not await bounded(request):
                return JSONResponse({"error": "too_large", "message": t("web.too_large")}, status_code=413)
            try:
                request.state.body = json.loads(await request.body())
            except ValueError:
                return JSONResponse({"error": "not_json", "message": t("web.not_json")}, status_code=400)
        try:
            return await run_in_threadpool(_locked, session, work, request)
        except InputError as exc:
            return errors_json(exc)
        except Refusal as exc:
            return refused_json(exc, 404 if exc.code.endswith("unknown") else 400)

    return endpoint


# —— signing in and out ——

def login_page(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if signed_in(web, request) is not None:
            return RedirectResponse("/tasks", 303)
        return web.page(request, "login.html", None, sqlite=web.backend.dialect == "sqlite")

    return endpoint


def login(web: Web) -> Endpoint:
    """POST /login (username, password): a session cookie, or the form again with why not."""

    async def endpoint(request: Request) -> Response:
        if not await bounded(request):
            return problem_page(web, request, None, t("web.too_large"), 413)
        form = await request.form()
        user, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
        address = request.client.host if request.client else "?"
        wants_json = "application/json" in request.headers.get("accept", "")

        def again(message: str, status: int) -> Response:
            if wants_json:
                return JSONResponse({"error": "login", "message": message}, status_code=status)
            return web.page(request, "login.html", None, status=status, message=message, username=user,
                            sqlite=web.backend.dialect == "sqlite")

        if not same_origin(request):
            return again(t("web.csrf"), 403)
        wait = web.limiter.wait_s(user, address)
        if wait:
            log.warning("sign-in refused: too many attempts (user %s)", user[:64])
            return again(t("web.too_many", minutes=(wait + 59) // 60), 429)
        try:
            role, org, staff, store = await run_in_threadpool(web.backend.sign_in, user, password)
        except Refusal as exc:
            if exc.code == "web.bad_login":
                web.limiter.failed(user, address)
                log.warning("sign-in failed (user %s)", user[:64])
            return again(exc.message, 401 if exc.code == "web.bad_login" else 503)
        web.limiter.succeeded(user)
        try:
            session = web.sessions.add(user, role, org, staff, store)
        except Refusal as exc:
            if not web.sessions.owned_store:
                store.engine.dispose()
            return again(exc.message, 503)
        await run_in_threadpool(_audit_sign_in, web, session, address)
        log.info("signed in (user %s, role %s)", user[:64], role)
        response: Response
        if wants_json:
            response = JSONResponse({"user": user, "role": role, "org": org, "staff": staff, "csrf": session.csrf})
        else:
            response = RedirectResponse("/tasks", 303)
        new_cookie(response, request, session.id, IDLE_S)
        return response

    return endpoint


def _audit_sign_in(web: Web, session: Session, address: str) -> None:
    from guanai.core.store.db import audit

    with session.store.write() as conn:
        audit(conn, [{"action": "web_login", "table_name": "app_user", "row_key": session.user[:64],
                      "org": session.org, "after": {"role": session.role, "address": address}}], "web")


def logout(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        session = signed_in(web, request)
        if session is not None:
            form = await request.form()
            if not csrf_ok(session, str(form.get("csrf") or "")):
                return problem_page(web, request, session, t("web.csrf"), 403)
            web.sessions.end(session.id)
        response = RedirectResponse("/login", 303)
        response.delete_cookie(COOKIE, path="/")
        return response

    return endpoint


# —— 我的任务 ——

@dataclass
class Task:
    handle: str
    name: str
    label: str
    tone: str
    due_text: str
    progress: str
    step_title: str
    can_record: bool


@dataclass
class Group:
    title: str
    detail: str
    child: str | None  # the child's handle, for its file
    tasks: list[Task] = field(default_factory=list)

    @property
    def open(self) -> list[Task]:
        """What a record can still close (overdue but late-not-lost, due): shown first."""
        return [task for task in self.tasks if task.can_record]

    @property
    def lost(self) -> list[Task]:
        """Overdue windows no record closes any more (a later record counts for the next window):
        listed as `due` lists them, folded under one line."""
        return [task for task in self.tasks if not task.can_record]


def due_list(web: Web, session: Session) -> Any:
    """The session's due list: `due --staff` for a teacher, `due` for anyone else (what they may see)."""
    from guanai.core.services.engine import due_items, school_year, scope

    s = scope(web.app_of(session), None)
    return due_items(s, session.staff if session.role == "teacher" else None, period=school_year(s.asof.day))


def item_handle(session: Session, item: Any) -> str:
    """An item's handle in URLs: its duty, subject and window, keyed by the session (no id shown)."""
    text = f"{item.duty}|{item.scope}|{item.subject}|{item.school}|{item.window_start}"
    return hmac.new(session.csrf.encode(), text.encode(), "sha256").hexdigest()[:20]


def _groups(view: Any, session: Session, today: date) -> list[Group]:
    from guanai.core.render import short_date
    from guanai.core.services.engine import TriggeredItem, due_label

    registry = view.scope.registry
    groups: dict[tuple[str, str], Group] = {}
    for item in view.items:
        key = (item.scope, item.subject)
        if key not in groups:
            title = item.subject_name or item.subject
            if item.scope == "school":
                title = view.scope.orgs.get(item.subject, {}).get("name", item.subject)
            detail = (item.class_name or "") if item.scope == "child" else t(f"web.scope.{item.scope}")
            groups[key] = Group(title, detail, session.handle(item.subject) if item.scope == "child" else None)
        label, tone = due_label(item, today)
        timed = isinstance(item, TriggeredItem)
        due_day = item.due.date() if timed else item.due
        step = registry.steps.get(item.step)
        groups[key].tasks.append(Task(
            item_handle(session, item), item.name, label, tone,
            short_date(due_day) + (f" {item.due:%H:%M}" if timed else ""), f"{item.done}/{item.required}",
            step.title if step else item.step, step is not None and item.recordable))
    return list(groups.values())


def tasks(web: Web) -> Endpoint:
    def work(request: Request, session: Session) -> Response:
        from guanai.core.render import long_date
        from guanai.core.services.engine import due_summary

        view = due_list(web, session)
        today = view.scope.asof.day
        flash = request.query_params.get("saved")
        return web.page(request, "tasks.html", session, groups=_groups(view, session, today),
                        summary=due_summary(view.items, today) if view.items else t("due.nothing"),
                        when=long_date(today), person=view.person, done=list(reversed(session.done[-20:])),
                        saved=session.done[-1] if flash and session.done else None)

    return page_view(web, work)


def _find(web: Web, session: Session, handle: str) -> tuple[Any, Any]:
    view = due_list(web, session)
    for item in view.items:
        if hmac.compare_digest(item_handle(session, item), handle):
            return view, item
    raise Refusal("web.item_unknown")


def task(web: Web) -> Endpoint:
    """One item's record form (GET), and its saving (POST): the duty's step, its fields from the
    step's model, the duty's fixed fields (`match`) shown, not asked."""

    def work(request: Request, session: Session) -> Response:
        from guanai.core.services.engine import local

        view, item = _find(web, session, request.path_params["handle"])
        step = view.scope.registry.steps.get(item.step)
        if step is None:
            raise Refusal("web.item_unknown")
        fixed, form = dict(item.match), {f.name: f for f in step.form()}
        fields = [f for f in sorted(form.values(), key=lambda f: f.name == "notes") if f.name not in fixed]
        fixed_text = [(form[k].label, dict(form[k].choices).get(str(v), str(v))) if k in form else (k, str(v))
                      for k, v in fixed.items()]
        now = local(view.scope.asof.instant_utc, view.scope.zone)
        start, end = item.window
        values: dict[str, Any] = {"at": item.record_at(now).strftime("%Y-%m-%dT%H:%M"), "key": fresh_key()}
        errors: dict[str, list[str]] = {}
        if request.method == "POST":
            form = request.state.form
            values = {f.name: (form.getlist(f.name) if f.kind == "multi" else str(form.get(f.name) or "").strip())
                      for f in fields}
            values["at"], values["key"] = str(form.get("at") or ""), str(form.get("key") or fresh_key())
            saved, errors = _save(web, session, view, item, step, fields, values)
            if saved:
                return RedirectResponse("/tasks?saved=1", 303)
        subject = item.subject_name or item.subject
        return web.page(request, "record.html", session, status=422 if errors else 200, item=item, step=step,
                        fields=fields, fixed=fixed_text, values=values, errors=errors, subject=subject,
                        window=(start, end), handle=request.path_params["handle"])

    return page_view(web, work)


def _save(web: Web, session: Session, view: Any, item: Any, step: Any, fields: list[Any],
          values: dict[str, Any]) -> tuple[bool, dict[str, list[str]]]:
    """Save the form's record through `record STEP`'s own reading and check; (saved, problems by field)."""
    from guanai.core.store.records import API_NAMES, draft_of, save_records

    pairs: list[tuple[str, Any]] = [(k, str(v)) for k, v in item.match]
    for f in fields:
        value = values.get(f.name)
        if f.kind == "multi" and value:
            pairs.append((f.name, ",".join(value)))
        elif value not in (None, "", []):
            pairs.append((f.name, value))
    given = {item.scope: item.subject, "by": session.staff if session.role == "teacher" else item.responsible,
             "at": values["at"].replace("T", " ") if values["at"] else None, "key": values["key"],
             "for_item": item.duty}
    if item.scope == "class":
        given["school"] = item.school
    try:
        draft = draft_of(view.scope.registry, item.step, given, pairs, API_NAMES, "")
        if not values["at"]:
            raise InputError([draft.problem("at", "cell.required")])
        saved = save_records(session.store, view.scope.registry, [draft], "web")
    except InputError as exc:
        return False, by_field(exc.diagnostics)
    session.done.append({"step": step.title, "subject": item.subject_name or item.subject, "duty": item.name,
                         "at": values["at"].replace("T", " "), "again": bool(saved.existing)})
    return True, {}


# —— 我的结对 and a child's file ——

def my_children(web: Web) -> Endpoint:
    def work(request: Request, session: Session) -> Response:
        from zoneinfo import ZoneInfo

        from guanai.core.render import key_text
        from guanai.core.services.stats import pairings
        from guanai.core.store.programmes import DEFAULT_TIMEZONE

        orgs: dict[str, Any] = {}
        rows: list[dict[str, Any]] = []
        if session.role == "teacher":  # 结对 is a teacher's own; a school sees its pairings in `assign list`
            app = web.app_of(session)  # today where the schools are, whatever the server's zone
            orgs, rows = pairings(app, None, app.today(ZoneInfo(DEFAULT_TIMEZONE)), staff_id=session.staff)
        children = [{"handle": session.handle(r["child"]), "name": r["child_name"], "class": r["class"],
                     "role": key_text("role", r["role"], orgs), "since": r["start"]} for r in rows]
        return web.page(request, "children.html", session, children=children)

    return page_view(web, work)


def child(web: Web) -> Endpoint:
    """一人一档 (GET, contacts masked); POST: 显示电话 — the full contacts through the audited function."""

    def work(request: Request, session: Session) -> Response:
        from guanai.core.services.children import child_view
        from guanai.core.services.engine import local

        child_id = session.children.get(request.path_params["handle"])
        if child_id is None:
            raise Refusal("web.item_unknown")
        show = request.method == "POST"
        view = child_view(web.app_of(session), child_id, show_contacts=show, source="web")
        registry, zone = view.context.registry, view.context.zone
        records = [{"when": local(r["occurred_at"], zone).strftime("%Y-%m-%d %H:%M"),
                    "step": registry.steps[r["step"]].title if r["step"] in registry.steps else r["step"],
                    "by": view.staff_names.get(r["by_staff"], r["by_staff"]) or "",
                    "details": registry.steps[r["step"]].describe(r["payload"] or {}) if r["step"] in registry.steps
                    else ""} for r in reversed(view.file["records"])]
        kid = view.child
        facts = [(t(f"col.child.{k}"), kid.get(k)) for k in (
            "gender", "birth_date", "guardian_type", "guardian_name", "guardian_relation", "guardian_phone",
            "father_name", "father_phone", "mother_name", "mother_phone", "away_since")]
        if kid.get("guardian_type"):
            facts[2] = (facts[2][0], t(f"guardian.{kid['guardian_type']}"))
        response = web.page(request, "child.html", session, kid=kid, facts=[(k, v) for k, v in facts if v not in (None, "")],
                            school=view.context.orgs[kid["school"]]["name"], category=t(f"category.{kid['category']}"),
                            open=view.open, records=records[:30], names=view.staff_names, shown=show,
                            handle=request.path_params["handle"])
        return response

    return page_view(web, work)


# —— 本校, 县 ——

def school(web: Web) -> Endpoint:
    """本校: compliance by class and by teacher (`compliance --by class`, `--by staff`), the weakest first."""

    def work(request: Request, session: Session) -> Response:
        from guanai.core.render import long_date
        from guanai.core.services.engine import compliance, regroup, scope, total

        if session.role == "teacher":
            raise Refusal("web.not_yours")
        s = scope(web.app_of(session), session.org)
        rows, names = compliance(s, ("class", "staff"))
        classes = regroup(rows, ("class",), names)
        staff = sorted(regroup(rows, ("staff",), names), key=lambda r: (r["rate"] is None, r["rate"] or 0))
        return web.page(request, "school.html", session, classes=classes, staff=staff, names=names,
                        total=total(rows), place=s.orgs[s.code]["name"], when=long_date(s.asof.day))

    return page_view(web, work)


def county(web: Web) -> Endpoint:
    """The county's report (`report county` as HTML), for a township, county or administrator."""

    async def endpoint(request: Request) -> Response:
        session = signed_in(web, request)
        if session is None:
            return RedirectResponse("/login", 303)
        if session.role in ("teacher", "school"):
            return problem_page(web, request, session, t("web.not_yours"), 403)

        def work() -> str:
            from guanai.core.reports import county as report
            from guanai.core.reports.summary import resolve_period
            from guanai.core.services.engine import scope

            s = scope(web.app_of(session), session.org)
            return report.to_html(report.build(s, resolve_period(s, None, None, None), s.registry))

        try:
            body = await run_in_threadpool(work)
        except Refusal as exc:
            return problem_page(web, request, session, exc.message, 400)
        return HTMLResponse(body, headers={"content-security-policy": CSP_REPORT})

    return endpoint


# —— the API ——

def api_me(web: Web) -> Endpoint:
    def work(request: Request, session: Session) -> Response:
        return JSONResponse({"user": session.user, "role": session.role, "org": session.org, "staff": session.staff,
                             "csrf": session.csrf})

    return api_view(web, work)


def api_due(web: Web) -> Endpoint:
    """GET /api/due: `due --json` for the signed-in user (a teacher: `--staff`)."""

    def work(request: Request, session: Session) -> Response:
        return JSONResponse(due_list(web, session).public)

    return api_view(web, work)


def api_records(web: Web) -> Endpoint:
    """POST /api/records: one record as `record STEP` takes it — {"step", "child" | "school" |
    "staff" | "class", "by", "at", "set": {field: value}, "for", "id"} — checked the same way,
    audited with the signed-in user as actor."""

    def work(request: Request, session: Session) -> Response:
        from guanai.core.store.records import API_NAMES, draft_of, save_records

        body = request.state.body
        if not isinstance(body, dict) or not isinstance(body.get("step"), str):
            raise Refusal("web.api_record_shape")
        sets = body.get("set") or {}
        if not isinstance(sets, dict):
            raise Refusal("web.api_record_shape")
        registry = web.app_of(session).registry
        given = {part: _text(body.get(name)) for part, name in (
            ("child", "child"), ("school", "school"), ("staff", "staff"), ("class", "class"), ("by", "by"),
            ("at", "at"), ("key", "id"), ("for_item", "for"))}
        if session.role == "teacher" and given["by"] is None:
            given["by"] = session.staff
        draft = draft_of(registry, body["step"], given, [(k, _text(v)) for k, v in sets.items()], API_NAMES,
                         datetime.now().astimezone().isoformat(timespec="seconds"))
        saved = save_records(session.store, registry, [draft], "web")
        return JSONResponse({"saved": saved.inserted, "existing": saved.existing}, status_code=201)

    return api_view(web, work, write=True)


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def api_child(web: Web) -> Endpoint:
    """GET /api/children/{id}: `children show ID --json` (contacts masked)."""

    def work(request: Request, session: Session) -> Response:
        from guanai.core.celltext import json_default
        from guanai.core.services.children import child_view

        view = child_view(web.app_of(session), request.path_params["id"], source="web")
        return HTMLResponse(json.dumps(view.public, ensure_ascii=False, default=json_default),
                            media_type="application/json")

    return api_view(web, work)


# —— the application ——

def make_app(backend: Backend, clock: Callable[[], datetime] | None = None) -> Starlette:
    """The ASGI application serving `backend`'s users (`clock`: the moment it lives at; now)."""
    pages = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)
    from guanai.core.render import percent_of

    pages.globals["pct"] = percent_of
    web = Web(backend, Sessions(owned_store=backend.dialect == "sqlite"), Limiter(), pages)
    if clock is not None:
        web.clock = clock
    routes = [
        Route("/", lambda request: RedirectResponse("/tasks", 303)),
        Route("/login", login_page(web), methods=["GET"]),
        Route("/login", login(web), methods=["POST"]),
        Route("/logout", logout(web), methods=["POST"]),
        Route("/tasks", tasks(web)),
        Route("/tasks/{handle}", task(web), methods=["GET", "POST"]),
        Route("/children", my_children(web)),
        Route("/children/{handle}", child(web), methods=["GET", "POST"]),
        Route("/school", school(web)),
        Route("/county", county(web)),
        Route("/api/me", api_me(web)),
        Route("/api/due", api_due(web)),
        Route("/api/records", api_records(web), methods=["POST"]),
        Route("/api/children/{id}", api_child(web)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        web.sessions.close()  # every session's connections close with the server

    async def failed(request: Request, exc: Exception) -> Response:
        """What no view expected (a lost database connection …): a calm page, the kind in the log."""
        from guanai.core.privacy import redact

        log.error("%s %s failed: %s: %s", request.method, log_path(request.url.path), type(exc).__name__,
                  redact(str(exc).splitlines()[0] if str(exc) else ""))
        return problem_page(web, request, None, t("web.failed"), 500)

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={Exception: failed})
    app.state.web = web
    app.add_middleware(SecureHeaders)
    return app
