"""The audit log's hash chain: each row's hash covers the previous row's hash and its own content,
so an edited, deleted or out-of-order row breaks the chain at that row (`guanai audit verify`).
One rule, used by the writer (db.audit), the migration that chains rows written before it, and the
verifier."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64  # the previous hash of the first row
COLUMNS = ("id", "at", "actor", "action", "table_name", "row_key", "before", "after", "source", "org", "prev_hash",
           "hash")


def _json(value: Any) -> Any:
    """A JSON column as read: parsed already (SQLAlchemy, psycopg) or text (SQLite's raw driver)."""
    return json.loads(value) if isinstance(value, str) else value


def _when(value: Any) -> Any:
    """`at` as one text form, from a datetime or SQLite's stored text (with or without microseconds)."""
    if isinstance(value, str):
        if len(value) == 26:  # SQLAlchemy's own form on SQLite: already this one
            return value
        value = datetime.fromisoformat(value)
    return value.isoformat(sep=" ", timespec="microseconds") if isinstance(value, datetime) else value


def row_hash(prev: str, row: dict[str, Any]) -> str:
    """sha256 of the previous hash and the row's content as canonical JSON."""
    content = {"id": row["id"], "at": _when(row["at"]), "actor": row["actor"], "action": row["action"],
               "table_name": row["table_name"], "row_key": row["row_key"], "before": _json(row.get("before")),
               "after": _json(row.get("after")), "source": row["source"], "org": row.get("org")}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev}\n{text}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first row where the chain does not hold, and how."""

    id: int
    kind: str  # edited | missing_before | out_of_order


def verify(rows: Iterable[dict[str, Any]]) -> tuple[int, Break | None]:
    """Walk the rows in id order: (rows checked, the first break or None).

    A row whose content no longer gives its hash was edited. A row whose previous hash is not the
    row before it: if it names a hash never seen, that row was deleted (or moved); if it names an
    older row, or none, or it is dated before the row before it, it was inserted afterwards."""
    prev, n, prev_at = GENESIS, 0, None
    seen: set[str] = set()
    for row in rows:
        n += 1
        if row["prev_hash"] != prev:
            unknown = row["prev_hash"] is not None and row["prev_hash"] not in seen and row["prev_hash"] != GENESIS
            return n, Break(row["id"], "missing_before" if unknown else "out_of_order")
        if row_hash(prev, row) != row["hash"]:
            return n, Break(row["id"], "edited")
        at = _when(row["at"])
        if prev_at is not None and at < prev_at:
            return n, Break(row["id"], "out_of_order")
        seen.add(row["hash"])
        prev, prev_at = row["hash"], at
    return n, None


def chained(rows: Iterable[dict[str, Any]], prev: str) -> Iterator[tuple[dict[str, Any], str, str]]:
    """(row, its prev_hash, its hash) for rows being chained after `prev`, in order."""
    for row in rows:
        digest = row_hash(prev, row)
        yield row, prev, digest
        prev = digest
