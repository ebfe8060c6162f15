"""Opening the database: SQLite (default, embedded) or PostgreSQL, and creating/migrating it.

SQLite is opened in WAL mode with foreign keys on and a busy timeout, and every write
transaction begins IMMEDIATE: the write lock is taken up front, so a transaction that reads and
then writes never fails half-way with "database is locked" — it waits its turn instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from guanai.core.diagnostics import Refusal
from guanai.core.store.schema import KNOWN_REVISIONS, SCHEMA_REVISION, audit_log
from sqlalchemy import Connection, Engine, create_engine, event, insert, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, ProgrammingError

BUSY_TIMEOUT_S = 60


def actor(conn: Connection | None = None) -> str:
    """Who is acting, for the audit log: on PostgreSQL the database role that logged in
    (session_user — not anything the client says); on SQLite the operating-system user, marked
    unauthenticated (a file has no logins)."""
    if conn is not None and conn.dialect.name == "postgresql":
        return str(conn.execute(text("SELECT session_user")).scalar())
    import getpass  # only when writing (start-up time)

    try:
        name = getpass.getuser()
    except Exception:  # no login name (some containers): still audit
        name = "unknown"
    return f"{name}{UNAUTHENTICATED}"


UNAUTHENTICATED = " (os user, unauthenticated)"


def utcnow() -> datetime:
    """Now as naive UTC, the form every time is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)


class Store:
    """One database. `read()` and `write()` give a connection inside a transaction."""

    def __init__(self, url: str, password: str | None = None, pool_size: int | None = None):
        """`password` (PostgreSQL): given to libpq when connecting, never part of the URL this
        store shows in messages (a web session's login); `pool_size`: the connections kept open
        (SQLAlchemy's default when None)."""
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise Refusal("db.bad_url", url=url) from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise Refusal("db.unsupported", url=url)
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(url, parsed.database)
        else:
            try:
                # hide_parameters: an error never prints a row's values (phones, names)
                connect: dict[str, Any] = {"application_name": "guanai"}
                if password is not None:  # a web session's login, whose connection lives on:
                    connect["password"] = password
                    # psycopg prepares a statement run five times, and after five more PostgreSQL may
                    # plan it generically — for the engine's statements a worse plan (one teacher's
                    # list went from 128 to 154 ms at its tenth request, 2,000 children). Planned for
                    # its own values each time, as in a command's fresh connection: flat at 130 ms.
                    connect["prepare_threshold"] = None
                sizes: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 0} if pool_size else {}
                self.engine = create_engine(url, connect_args=connect, json_serializer=_json,
                                            hide_parameters=True, pool_pre_ping=password is not None, **sizes)
                event.listen(self.engine, "connect", _bounded_waits)
            except ModuleNotFoundError as exc:
                raise Refusal("db.no_driver", url=url) from exc
        self._writer = self.engine.execution_options(guanai_write=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._connect(self.engine) as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self, discard: bool = False) -> Iterator[Connection]:
        """A write transaction. `discard`: close the connection afterwards rather than pool it
        (with whatever temporary tables it holds)."""
        with self._connect(self._writer) as conn:
            try:
                with conn.begin():
                    yield conn
            finally:
                if discard:
                    conn.invalidate()

    @contextmanager
    def _connect(self, engine: Engine) -> Iterator[Connection]:
        try:
            conn = engine.connect()
        except DatabaseError as exc:
            raise explain(exc, self.url) or Refusal("db.cannot_open", url=self.url,
                                                    error=str(exc.orig).strip()) from exc
        with conn:
            yield conn

    def revision(self) -> str | None:
        """The migration the database is at; None when it was never initialised."""
        with self.read() as conn:
            try:
                with conn.begin_nested():
                    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except (OperationalError, ProgrammingError):
                return None

    def ready(self) -> Store:
        """Refuse to work on a database that `guanai init` has not created or upgraded."""
        path = sqlite_path(self.engine.url.database) if self.dialect == "sqlite" else None
        if path is not None and not path.exists():  # asking never creates an empty database file
            raise Refusal("db.not_initialised", url=self.url)
        current = self.revision()
        if current is None:
            self._refuse_unstamped()
            raise Refusal("db.not_initialised", url=self.url)
        if current not in KNOWN_REVISIONS:
            raise Refusal("db.newer", url=self.url, current=current, head=SCHEMA_REVISION)
        if current != SCHEMA_REVISION:
            raise Refusal("db.needs_upgrade", url=self.url, current=current, head=SCHEMA_REVISION)
        return self

    def _refuse_unstamped(self) -> None:
        """guanai's tables without a migration stamp (a copy made by hand, a failed restore): init
        would try to create them again; nobody can tell which version they are."""
        with self.read() as conn:
            found = set(inspect(conn).get_table_names()) & {"child", "staff", "record", "org_unit"}
        if found:
            raise Refusal("db.unstamped", url=self.url, tables="、".join(sorted(found)))

    def _private_file(self) -> None:
        """A new SQLite file is created readable and writable by its owner only (children's data on
        a shared or lost laptop); SQLite gives its -wal and -shm files the same mode."""
        path = sqlite_path(self.engine.url.database) if self.dialect == "sqlite" else None
        if path is not None and not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))

    def init(self, revision: str = "head") -> tuple[str | None, str]:
        """Create or upgrade the schema (to the latest unless `revision`); returns (before, after)."""
        import guanai.core.store.migrations as migrations
        from alembic import command
        from alembic.config import Config

        self._private_file()
        before = self.revision()
        if before is None:
            self._refuse_unstamped()
        elif before not in KNOWN_REVISIONS:
            raise Refusal("db.newer", url=self.url, current=before, head=SCHEMA_REVISION)
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
        with self._connect(self._writer) as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
        return before, self.revision() or ""


# What the database says, as the user can act on it (SQLite's words, then PostgreSQL's SQLSTATE).
_KNOWN_FAILURES = (
    ("file is not a database", "db.not_database"),
    ("database or disk is full", "db.disk_full"),
    ("no space left on device", "db.disk_full"),
    ("could not extend file", "db.disk_full"),
    ("attempt to write a readonly database", "db.read_only"),
    ("read-only transaction", "db.read_only"),
    ("permission denied for function", "pg.access.not_allowed"),
    ("canceling statement due to lock timeout", "db.locked"),  # a guanai function this role is not given
    ("permission denied", "db.read_only"),
    ("unable to open database file", "db.cannot_write_folder"),
)


def explain(exc: BaseException, url: str) -> Refusal | None:
    """A database failure a user can act on (not a database, disk full, read-only …) as a
    Refusal; None when it is none of those (then it is an internal error)."""
    from guanai.core.store.access import refusal

    refused = refusal(exc)  # a definer function or a trigger of guanai's said no, in its words
    if refused is not None:
        return refused
    orig = getattr(exc, "orig", exc)
    words = str(orig).lower()
    for needle, code in _KNOWN_FAILURES:
        if needle in words:
            return Refusal(code, url=url)
    return None


def _json(value: Any) -> str:
    """JSON as people can read it in the database: Chinese stays Chinese."""
    import json

    return json.dumps(value, ensure_ascii=False)


def _bounded_waits(dbapi_conn: Any, _record: Any) -> None:
    """A PostgreSQL session of guanai waits at most a minute for a lock another session holds (a
    user who locked a table and walked away): it then says so rather than hanging."""
    with dbapi_conn.cursor() as cur:
        cur.execute("SHOW lock_timeout")
        if cur.fetchone()[0] == "0":  # not set by the connection's own options (a test sets a second)
            cur.execute("SET lock_timeout = '60s'")
    dbapi_conn.commit()


def sqlite_path(database: str | None) -> Path | None:
    """The file a SQLite database name means — a path, or a `file:` URI (file:x.db?mode=rwc,
    file:///abs/x.db) — or None for an in-memory database."""
    if not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        from urllib.parse import unquote, urlparse

        parsed = urlparse(database)
        if "mode=memory" in parsed.query or not parsed.path:
            return None
        return Path(unquote(parsed.path)).expanduser()
    return Path(database).expanduser()


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):  # file:…?mode=ro: a URI
        folder = Path(database).expanduser().resolve().parent
        if not folder.is_dir():
            raise Refusal("db.no_folder", url=url, folder=str(folder))
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, json_serializer=_json,
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("guanai_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def new_id(result: Any) -> int:
    """The primary key an INSERT of one row just made."""
    key = result.inserted_primary_key
    assert key is not None  # SQLAlchemy gives one for every single-row INSERT
    return int(key[0])


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    """A row as JSON-ready values (dates as ISO text), for the audit log."""
    out = {}
    for key, value in row.items():
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[key] = value
    return out


def audit(conn: Connection, entries: list[dict[str, Any]], source: str) -> None:
    """Append audit entries — each {action, table_name, row_key, before, after, org} — to the hash
    chain (core/store/auditlog.py). On PostgreSQL the database numbers, dates, signs (the actor is
    the login) and hashes them itself, under a lock no user may take (guanai_audit_append()); on
    SQLite the write transaction orders appends and the same rule is applied here."""
    for start in range(0, len(entries), AUDIT_BATCH):  # a whole county's roster: a batch at a time
        part = entries[start:start + AUDIT_BATCH]
        if conn.dialect.name == "postgresql":
            payload = [{"action": e["action"], "table_name": e["table_name"], "row_key": str(e["row_key"]),
                        "before": jsonable(e["before"]) if e.get("before") is not None else None,
                        "after": jsonable(e["after"]) if e.get("after") is not None else None,
                        "org": e.get("org")} for e in part]
            conn.execute(text("SELECT guanai_audit_append(CAST(:entries AS jsonb), :source)"),
                         {"entries": _json(payload), "source": source[:300]})
        else:
            conn.execute(insert(audit_log), chain_rows(conn, part, source))


AUDIT_BATCH = 2000


def lock_audit(conn: Connection) -> None:
    """Take the lock that orders appends to the audit chain now rather than at the first append:
    record writes use it to serialise themselves (PostgreSQL; a SQLite write transaction already
    is). Users cannot take it directly; a caller waiting too long is told who holds it."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT guanai_audit_lock()"))


def chain_rows(conn: Connection, entries: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """The audit rows for `entries` on SQLite, numbered and hashed (rule 2) after the chain's tail,
    read inside the caller's write transaction (SQLite's write lock orders appends)."""
    from guanai.core.store.auditlog import GENESIS, RULE, chained
    from sqlalchemy import select

    who, now = actor(conn), utcnow()
    last = conn.execute(select(audit_log.c.id, audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).first()
    first_id = (last.id if last is not None else 0) + 1
    prev = (last.hash or "") if last is not None else GENESIS
    rows = [
        {
            "id": first_id + i,
            "at": now,
            "actor": who[:100],
            "source": source[:300],
            "action": e["action"][:16],
            "table_name": e["table_name"][:32],
            "row_key": str(e["row_key"])[:200],
            "before": jsonable(e["before"]) if e.get("before") is not None else None,
            "after": jsonable(e["after"]) if e.get("after") is not None else None,
            "org": e.get("org"),
            "rule": RULE,
            "nonce": str(uuid.uuid4()),
        }
        for i, e in enumerate(entries)
    ]
    return [{**row, "prev_hash": p, "hash": h} for row, p, h in chained(rows, prev)]


def login(url: str, name: str, password: str, pool_size: int = 2) -> Store:
    """A store of `url` connected as the PostgreSQL user `name` with `password`, which the server
    checks (the first connection is made here): the web page's session, in which row-level security
    and the audit see that user (session_user), exactly as through psql. A refused login is
    `web.bad_login` whatever the reason (no such user, wrong password): the page tells no more."""
    parsed = make_url(url).set(username=name, password=None)
    store = Store(parsed.render_as_string(hide_password=False), password=password, pool_size=pool_size)
    try:
        store.engine.connect().close()  # the server checks the password now, not at the first page
    except OperationalError as exc:
        store.engine.dispose()
        if getattr(exc.orig, "sqlstate", None) in ("28P01", "28000"):
            raise Refusal("web.bad_login") from None
        raise explain(exc, url) or Refusal("db.cannot_open", url=url, error=str(exc.orig).strip()) from None
    return store


def checks_passwords(url: str) -> str | None:
    """None when the server of `url` asks a login for its password (it refuses a made-up user with
    a wrong one: SQLSTATE 28P01); else what it said instead — a `trust` line in pg_hba.conf lets
    anyone in as anyone, and a web page signing people in there would check nothing."""
    import secrets

    probe = f"guanai_probe_{secrets.token_hex(6)}"
    engine = create_engine(make_url(url).set(username=probe, password=None),
                           connect_args={"password": secrets.token_urlsafe(12), "application_name": "guanai"})
    try:
        with engine.connect():
            return "connected"
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "28P01":
            return None
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
