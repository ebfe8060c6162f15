"""Access on a shared PostgreSQL database: this database's group roles, what its definer functions
refuse in words, and passwords that never reach the server in clear.

The group roles a guanai user belongs to are this database's own (`guanai_<database>_<hash>_school`
…, the hash of the database's and the schema's names): a user of another
guanai database on the same server holds no privilege here. The functions and policies are in
migrations/sql/0007_access.sql; docs/security.md says what each defends against.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from guanai.core.diagnostics import Refusal

ROLES = ("teacher", "school", "township", "county", "admin")
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
RESERVED = ("public", "none", "current_user", "session_user", "current_role", "user", "all")


def group_names(database: str, schema: str) -> dict[str, str]:
    """{role: the group role of this database}: guanai_<database>[_<schema>]_<role>, lowercase
    letters, digits and underscores, shortened with a hash to fit PostgreSQL's 63 bytes."""
    place = database if schema == "public" else f"{database}_{schema}"
    readable = re.sub(r"[^a-z0-9_]", "_", place.lower())[:24]
    # the hash tells apart what the readable part would confuse (Guanai and guanai; database
    # guanai_x and schema x of database guanai)
    digest = hashlib.sha256(f"{database}\0{schema}".encode()).hexdigest()[:8]
    return {role: f"guanai_{readable}_{digest}_{role}" for role in ROLES}


def bad_user_name(name: str) -> bool:
    """A name guanai will not give a login: not a plain lowercase identifier, or one PostgreSQL
    reserves (pg_…, public, none …), or one of guanai's own group roles."""
    return not NAME.match(name) or name.startswith(("pg_", "guanai_")) or name in RESERVED


def verifier(conn: Any, name: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of `password` for `name`, computed by libpq on this side
    (PQencryptPasswordConn): the server stores it as given and never sees the password."""
    raw = conn.connection.dbapi_connection
    return bytes(raw.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256")).decode()


def refusal(exc: BaseException) -> Refusal | None:
    """A definer function's refusal (`guanai:CODE`, DETAIL the one value it names) as a Refusal in
    the user's words; None for any other database error."""
    orig = getattr(exc, "orig", exc)
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    if not first.startswith("guanai:"):
        return None
    code = first.removeprefix("guanai:").strip()
    diag = getattr(orig, "diag", None)
    detail = getattr(diag, "message_detail", None) or ""
    return Refusal(f"pg.{code}", value=detail)


def role_exists(conn: Any, name: str) -> bool:
    """Whether the server has a role (user or group) called `name`."""
    from sqlalchemy import text

    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first() is not None


def add_user(conn: Any, name: str, password: str, org: str, role: str, staff: str | None) -> None:
    """A login for `name` in `org` with `role` (teacher: `staff`'s). The password is encrypted
    here (SCRAM): the server, its logs and guanai_user_add() never see it."""
    from sqlalchemy import text

    conn.execute(text("SELECT guanai_user_add(:n, :v, :org, :role, :staff)"),
                 {"n": name, "v": verifier(conn, name, password), "org": org, "role": role, "staff": staff})


def users(conn: Any) -> list[dict[str, Any]]:
    """The logins guanai made that the session may see, with their org's name, by org and name."""
    from guanai.core.store.schema import app_user, org_unit
    from sqlalchemy import select

    return [dict(r._mapping) for r in conn.execute(
        select(app_user.c.name, app_user.c.org, org_unit.c.name.label("org_name"), app_user.c.role,
               app_user.c.staff, app_user.c.created_at)
        .join(org_unit, org_unit.c.code == app_user.c.org).order_by(app_user.c.org, app_user.c.name))]


def remove_user(conn: Any, name: str) -> bool:
    """Remove the login `name`; False when guanai made no such login (or the session cannot see it)."""
    from guanai.core.store.schema import app_user
    from sqlalchemy import select, text

    if conn.execute(select(app_user.c.org).where(app_user.c.name == name)).scalar() is None:
        return False
    conn.execute(text("SELECT guanai_user_remove(:n)"), {"n": name})
    return True


def me(conn: Any) -> dict[str, Any] | None:
    """The session's own app_user row in this database (role, org, staff) — each user may read
    their own row (policy `own`) — or None: a login guanai did not make here (the owner, a
    superuser, another database's user)."""
    from guanai.core.store.schema import app_user
    from sqlalchemy import func, select
    from sqlalchemy.exc import ProgrammingError

    try:  # a login of another guanai database may not even see this one's tables
        with conn.begin_nested():
            row = conn.execute(select(app_user.c.role, app_user.c.org, app_user.c.staff)
                               .where(app_user.c.name == func.session_user())).first()
    except ProgrammingError:
        return None
    return dict(row._mapping) if row is not None else None
