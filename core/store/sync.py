"""Upserting imported rows: new rows are inserted, changed rows updated, unchanged rows left
alone, and every insert and update is written to the audit log with its before and after."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from guanai.core.store.db import audit
from sqlalchemy import Connection, Table, and_, insert, select, update

CHUNK = 500


@dataclass
class Changes:
    """What an import would do to one table."""

    table: Table
    key: Callable[[dict[str, Any]], Any]
    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (before, after)
    same: int = 0

    @property
    def count(self) -> int:
        return len(self.new) + len(self.changed)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def fetch_by(conn: Connection, table: Table, column: str, values: Iterable[Any]) -> list[dict[str, Any]]:
    """Rows whose `column` is one of `values`, in chunks so no statement grows unbounded."""
    values = list(dict.fromkeys(values))
    out: list[dict[str, Any]] = []
    for part in chunks(values):
        out.extend(dict(r._mapping) for r in conn.execute(select(table).where(table.c[column].in_(part))))
    return out


def diff(table: Table, rows: list[dict[str, Any]], existing: list[dict[str, Any]],
         key: Callable[[dict[str, Any]], Any]) -> Changes:
    """Compare rows to be written with the stored ones; only the columns a row carries count."""
    stored = {key(r): r for r in existing}
    changes = Changes(table, key)
    for row in rows:
        old = stored.get(key(row))
        if old is None:
            changes.new.append(row)
        elif any(old.get(k) != v for k, v in row.items()):
            changes.changed.append((old, {**old, **row}))
        else:
            changes.same += 1
    return changes


def apply(conn: Connection, changes: Changes, source: str,
          org: Callable[[dict[str, Any]], str | None] | None = None) -> None:
    """Write the changes and their audit entries in the caller's transaction. `org`: the org unit
    a row concerns, where the row does not name it (a pairing: its child's school)."""
    org = org or _org
    table = changes.table
    pk = list(table.primary_key.columns)
    entries = []
    if changes.new:
        conn.execute(insert(table), changes.new)
        entries += [{"action": "insert", "table_name": table.name, "row_key": _show(changes.key(row)),
                     "before": None, "after": row, "org": org(row)} for row in changes.new]
    for before, after in changes.changed:
        where = and_(*(c == before[c.name] for c in pk))
        # only what changed: a role may update some columns and not others (a school never sets a
        # pupil's school: a transfer does, on PostgreSQL through guanai_transfer())
        values = {k: v for k, v in after.items() if k not in table.primary_key.columns and before.get(k, v) != v
                  or k not in before}
        if values:
            conn.execute(update(table).where(where).values(values))
        entries.append({"action": "update", "table_name": table.name, "row_key": _show(changes.key(before)),
                        "before": before, "after": after, "org": org(after)})
    audit(conn, entries, source)


def _org(row: dict[str, Any]) -> str | None:
    """The org unit a written row concerns: its school (children, staff), else its own code."""
    return row.get("school") or row.get("code")


def _show(key: Any) -> str:
    return "/".join("" if k is None else str(k) for k in key) if isinstance(key, tuple) else str(key)
