"""The audit log's hash chain: each row's hash covers the previous row's hash and its own content,
so an edited, deleted or out-of-order row breaks the chain at that row (`guanai audit verify`).

Two rules, told apart by the row's `rule` column. Rule 1 (rows written before migration 0007):
the content as Python's compact, key-sorted JSON. Rule 2 (every row since): the content as
PostgreSQL's jsonb text — on PostgreSQL the database computes it itself
(guanai_audit_hash(), migrations/sql/0007_access.sql), so a client never supplies a hash; on
SQLite `jsonb_text` below writes the same text. A property test proves the two agree."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64  # the previous hash of the first row
COLUMNS = ("id", "at", "actor", "action", "table_name", "row_key", "before", "after", "source", "org", "prev_hash",
           "hash", "rule", "nonce")
RULE = 2  # the rule new rows are hashed by


def _json(value: Any) -> Any:
    """A JSON column as read: parsed already (SQLAlchemy, psycopg) or text (SQLite's raw driver)."""
    return json.loads(value) if isinstance(value, str) else value


def _json_exact(value: Any) -> Any:
    """A JSON column as read, numbers kept as written (1.50 stays 1.50, as jsonb keeps it)."""
    return json.loads(value, parse_float=Decimal) if isinstance(value, str) else value


def _when(value: Any) -> Any:
    """`at` as one text form, from a datetime or SQLite's stored text (with or without microseconds)."""
    if isinstance(value, str):
        if len(value) == 26:  # SQLAlchemy's own form on SQLite: already this one
            return value
        value = datetime.fromisoformat(value)
    return value.isoformat(sep=" ", timespec="microseconds") if isinstance(value, datetime) else value


def row_hash(prev: str, row: dict[str, Any]) -> str:
    """sha256 of the previous hash and the row's content, by the row's rule."""
    if row.get("rule") == 2:
        content = {"id": row["id"], "at": _when(row["at"]), "actor": row["actor"], "action": row["action"],
                   "table_name": row["table_name"], "row_key": row["row_key"],
                   "before": _json_exact(row.get("before")), "after": _json_exact(row.get("after")),
                   "source": row["source"], "org": row.get("org"), "nonce": row.get("nonce"), "rule": 2}
        return hashlib.sha256(f"{prev}\n{jsonb_text(content)}".encode()).hexdigest()
    content = {"id": row["id"], "at": _when(row["at"]), "actor": row["actor"], "action": row["action"],
               "table_name": row["table_name"], "row_key": row["row_key"], "before": _json(row.get("before")),
               "after": _json(row.get("after")), "source": row["source"], "org": row.get("org")}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()


def jsonb_text(value: Any) -> str:
    """`value` as PostgreSQL prints it as jsonb: object keys ordered by length, then by their
    bytes; ", " and ": " between items; numbers in plain decimal notation (no exponent);
    non-ASCII as itself, control characters escaped as JSON requires."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, Decimal)):
        number = value if isinstance(value, Decimal) else Decimal(repr(value))
        text = format(number, "f")
        return text.lstrip("-") if number == 0 else text
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {jsonb_text(value[k])}" for k in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(jsonb_text(v) for v in value) + "]"
    return jsonb_text(str(value))


@dataclass(frozen=True)
class Break:
    """A row where the chain does not hold, and how."""

    id: int
    kind: str  # edited | missing_before | out_of_order


def verify(rows: Iterable[dict[str, Any]], content: bool = True) -> tuple[int, list[Break]]:
    """Walk the rows in id order: (rows checked, every break).

    A row whose content no longer gives its hash was edited. A row whose previous hash is not the
    row before it: if it names a hash never seen, that row was deleted (or moved); if it names an
    older row, or none, or it is dated before the row before it, it was inserted afterwards. After a
    break the walk goes on from that row's own hash, so a later edit is still found.
    `content=False`: the links alone (id, at, prev_hash, hash), for a user who may not read every
    row — each row names the one before it."""
    prev, n, prev_at = GENESIS, 0, None
    seen: set[str] = set()
    breaks: list[Break] = []
    for row in rows:
        n += 1
        at = _when(row["at"])
        if row["prev_hash"] != prev:
            unknown = row["prev_hash"] is not None and row["prev_hash"] not in seen and row["prev_hash"] != GENESIS
            breaks.append(Break(row["id"], "missing_before" if unknown else "out_of_order"))
        elif content and row_hash(prev, row) != row["hash"]:
            breaks.append(Break(row["id"], "edited"))
        elif prev_at is not None and at < prev_at:
            breaks.append(Break(row["id"], "out_of_order"))
        if row["hash"] is not None:
            seen.add(row["hash"])
        prev, prev_at = row["hash"], at
    return n, breaks


def own_hash_holds(row: dict[str, Any]) -> bool:
    """Whether a row's content still gives its hash, from the previous hash it names."""
    return row["prev_hash"] is not None and row_hash(row["prev_hash"], row) == row["hash"]


def chained(rows: Iterable[dict[str, Any]], prev: str) -> Iterator[tuple[dict[str, Any], str, str]]:
    """(row, its prev_hash, its hash) for rows being chained after `prev`, in order (each row's
    `rule` decides how: the migration chaining old rows gives none, new rows rule 2)."""
    for row in rows:
        digest = row_hash(prev, row)
        yield row, prev, digest
        prev = digest


def recent(conn: Any, columns: Iterable[str], limit: int, orgs: Iterable[str] | None = None,
           action: str | None = None, since: datetime | None = None) -> list[dict[str, Any]]:
    """The newest rows the session may read (at most `limit`): of `orgs`, of one `action`, at or
    after `since` (naive UTC)."""
    from guanai.core.store.schema import audit_log
    from sqlalchemy import select

    query = select(*(audit_log.c[c] for c in columns)).order_by(audit_log.c.id.desc()).limit(limit)
    if orgs is not None:
        query = query.where(audit_log.c.org.in_(sorted(orgs)))
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    return [dict(r._mapping) for r in conn.execute(query)]


def links(conn: Any) -> list[dict[str, Any]]:
    """Every row's place in the chain (id, at, prev_hash, hash): on PostgreSQL past row-level
    security, through guanai_audit_links(), so any user can check the chain is whole."""
    from sqlalchemy import text

    sql = ("SELECT id, at, prev_hash, hash FROM guanai_audit_links()" if conn.dialect.name == "postgresql"
           else "SELECT id, at, prev_hash, hash FROM audit_log ORDER BY id")
    return [dict(r._mapping) for r in conn.execute(text(sql))]


def readable_rows(conn: Any) -> list[dict[str, Any]]:
    """The rows this session may read, every column, JSON as stored (numbers as written)."""
    cast = "::text" if conn.dialect.name == "postgresql" else ""
    columns = ", ".join(f'"{c}"{cast}' if c in ("before", "after") else f'"{c}"' for c in COLUMNS)
    result = conn.execution_options(stream_results=True).exec_driver_sql(
        f"SELECT {columns} FROM audit_log ORDER BY id")  # the driver's own rows: 100,000 are checked in seconds
    return [dict(zip(COLUMNS, r, strict=True)) for r in result]
