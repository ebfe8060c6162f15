"""Who is signed in: sessions held in the server's memory, sign-in against the database's own
logins, and limits on guessing.

On PostgreSQL a session is a connection pool of its own, opened with the user's login and password:
the server checks the password, and row-level security and the audit see that user (session_user)
exactly as through psql. The password is kept only by the pool (to reconnect) and forgotten when
the session ends. On SQLite a file has no logins: the server serves the file's owner, who signs in
with the one-time password `guanai serve` printed on their terminal.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from guanai.core.diagnostics import Refusal

IDLE_S = 30 * 60  # a session unused this long ends
LONGEST_S = 12 * 3600  # and any session after a working day
MAX_SESSIONS = 200  # each holds up to two PostgreSQL connections


@dataclass
class Session:
    """One signed-in browser: its id (the cookie), its CSRF token, who it is and its database."""

    id: str
    csrf: str
    user: str
    role: str  # teacher, school, township, county, admin; owner (SQLite, or a trusted login)
    org: str | None
    staff: str | None
    store: Any
    started: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)
    done: list[dict[str, Any]] = field(default_factory=list)  # what was recorded here: 已完成
    children: dict[str, str] = field(default_factory=dict)  # page handle → 学籍号 (no ids in URLs)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, child: str) -> str:
        """The child's handle in this session's URLs: no 学籍号 (it may hold an ID number) in any URL."""
        found = hmac.new(self.csrf.encode(), child.encode(), "sha256").hexdigest()[:16]
        self.children[found] = child
        return found


class Sessions:
    """The signed-in sessions, by cookie; ended after IDLE_S unused or LONGEST_S in all."""

    def __init__(self, owned_store: bool):
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.owned_store = owned_store  # SQLite: one store for every session; not closed with them

    def add(self, user: str, role: str, org: str | None, staff: str | None, store: Any) -> Session:
        with self._lock:
            self._sweep()
            if len(self._by_id) >= MAX_SESSIONS:
                raise Refusal("web.busy")
            found = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), user, role, org, staff, store)
            self._by_id[found.id] = found
            return found

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            self._sweep()  # every request ends the sessions gone idle: their connections close
            found = self._by_id.get(sid)
            if found is None:
                return None
            now = time.monotonic()
            if now - found.seen > IDLE_S or now - found.started > LONGEST_S:
                self._end(found)
                return None
            found.seen = now
            return found

    def end(self, sid: str | None) -> None:
        with self._lock:
            found = self._by_id.get(sid or "")
            if found is not None:
                self._end(found)

    def close(self) -> None:
        with self._lock:
            for found in list(self._by_id.values()):
                self._end(found)

    def __len__(self) -> int:
        return len(self._by_id)

    def _sweep(self) -> None:
        now = time.monotonic()
        for found in [s for s in self._by_id.values() if now - s.seen > IDLE_S or now - s.started > LONGEST_S]:
            self._end(found)

    def _end(self, found: Session) -> None:
        self._by_id.pop(found.id, None)
        if not self.owned_store:
            found.store.engine.dispose()  # the connections close; the password goes with the pool


class Limiter:
    """Sign-in attempts: after `per_user` failures for one user name, or `per_address` from one
    address, within `window_s`, further attempts are refused until the oldest failure ages out."""

    def __init__(self, per_user: int = 5, per_address: int = 20, window_s: float = 15 * 60):
        self.per_user, self.per_address, self.window_s = per_user, per_address, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.setdefault(key, deque())
        while found and now - found[0] > self.window_s:
            found.popleft()
        return found

    def wait_s(self, user: str, address: str) -> int:
        """Seconds until another attempt is allowed (0: now)."""
        now = time.monotonic()
        with self._lock:
            waits = [self.window_s - (now - q[0]) for key, limit in ((f"u:{user}", self.per_user),
                                                                    (f"a:{address}", self.per_address))
                     if len(q := self._recent(key, now)) >= limit]
        return int(max(waits) + 1) if waits else 0

    def failed(self, user: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"u:{user}", f"a:{address}"):
                self._recent(key, now).append(now)

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{user}", None)


@dataclass
class Backend:
    """Where sign-ins go: PostgreSQL logins, or the owner of a SQLite file."""

    url: str
    dialect: str
    owner: str | None = None  # SQLite: the file owner's login name …
    owner_password: str | None = None  # … and the one-time password printed at start
    store: Any = None  # SQLite: the one store

    def sign_in(self, user: str, password: str) -> tuple[str, str | None, str | None, Any]:
        """(role, org, staff, store) of a user whose password is right; Refusal web.bad_login else."""
        if self.dialect == "sqlite":
            assert self.owner is not None and self.owner_password is not None
            right = hmac.compare_digest(user.encode(), self.owner.encode()) & hmac.compare_digest(
                password.encode(), self.owner_password.encode())
            if not right:
                raise Refusal("web.bad_login")
            return "owner", None, None, self.store
        from guanai.core.store import access
        from guanai.core.store.db import login

        if access.bad_user_name(user) or not password:
            raise Refusal("web.bad_login")
        store = login(self.url, user, password)
        try:
            with store.read() as conn:
                me = access.me(conn)
            # a login guanai did not make in this database — another database's user, or the owner,
            # whose password stays offline (docs/security.md) — has no page here
            if me is None:
                raise Refusal("web.bad_login")
            store = store.ready()
        except BaseException:
            store.engine.dispose()
            raise
        return me["role"], me["org"], me["staff"], store
