"""Contacts and identifiers in full (PIPL): one rule for what is kept apart, one way to read it back.

A child's or staff member's row holds its phones, address and identifier-like roster cells masked
(138****5678) — what listings, indicators ("is it filled?"), plugins and the audit's snapshots see.
The full values live in `contact`, one row per field, and are read only through `reveal`, which
appends the audit row. On PostgreSQL no guanai user may select a contact's value at all (the owner
alone may): `reveal` asks guanai_contacts_request(), which appends the audit row and is committed
on its own, then reads through guanai_contacts() — SECURITY DEFINER functions that give a teacher
only the children paired with them (migration 0007). The same table and the same split serve
SQLite, where the file's owner reads directly, audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from guanai.core.privacy import mask_address, mask_phone, mask_profile_value
from guanai.core.store.schema import contact
from sqlalchemy import Connection, and_, delete, insert, select, text, tuple_

COLUMNS = {"child": ("guardian_phone", "father_phone", "mother_phone", "address"), "staff": ("phone",)}
PROFILE = "profile."  # a roster's extra cell: field "profile.身份证号"


def split(kind: str, row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str | None]]:
    """(the row as stored, masked; {field: full value}) for a row about to be written. Only the
    contact columns and profile cells the row carries are in the second part — a cell that masking
    changes is kept in full, one that it leaves alone (a class, a note without digits) is not."""
    shown, full = dict(row), {}
    for column in COLUMNS[kind]:
        if column in row:
            value = row[column]
            full[column] = value if value not in ("",) else None
            shown[column] = (mask_address if column == "address" else mask_phone)(value)
    if isinstance(row.get("profile"), dict):
        profile = {}
        for key, value in row["profile"].items():
            profile[key] = mask_profile_value(key, value)
            if profile[key] != value:
                full[PROFILE + key] = str(value)
        shown["profile"] = profile
    return shown, full


def write(conn: Connection, kind: str, school: str, values: dict[str, dict[str, str | None]]) -> None:
    """Store the full values split off rows: {id: {field: value}}; a None value removes the field.
    Each field given is deleted, then inserted anew: nothing reads a value back (a school role
    may write its roster's contacts, never select them — an upsert would need to)."""
    rows = [{"kind": kind, "id": key, "field": f, "school": school, "value": v}
            for key, fields in values.items() for f, v in fields.items() if v is not None]
    given = [(kind, key, f) for key, fields in values.items() for f in fields]
    for part in _chunks(given):
        conn.execute(delete(contact).where(tuple_(contact.c.kind, contact.c.id, contact.c.field).in_(part)))
    for part in _chunks(rows):
        conn.execute(insert(contact), part)


def insert_rows(conn: Connection, kind: str, rows: list[dict[str, Any]]) -> None:
    """Insert new children or staff as an import would store them: masked rows, full contacts apart."""
    from guanai.core.store.schema import metadata

    split_rows = [split(kind, r) for r in rows]
    conn.execute(metadata.tables[kind].insert(), [shown for shown, _ in split_rows])
    for school in {r["school"] for r in rows}:
        write(conn, kind, school, {r["id"]: f for r, (_, f) in zip(rows, split_rows, strict=True)
                                   if f and r["school"] == school})


def restricted(conn: Connection) -> bool:
    """Whether this session may not select a contact's value (every guanai user; not the owner)."""
    if conn.dialect.name != "postgresql":
        return False
    return not conn.execute(text("SELECT has_column_privilege('contact', 'value', 'SELECT')")).scalar()


def reveal(conn: Connection, kind: str, ids: list[str], row_key: str, org: str | None,
           source: str) -> dict[str, dict[str, str]]:
    """{id: {field: full value}} for the children or staff `ids` the session may see in full, with
    the audit row (show_contacts, the ids asked for) appended in the caller's write transaction."""
    from guanai.core.store.db import audit

    entry = {"action": "show_contacts", "table_name": kind, "row_key": row_key or "*", "org": org,
             "after": {"ids": list(ids)}}
    out: dict[str, dict[str, str]] = {}
    found: Iterable[Any]
    if restricted(conn):
        # the audit row first, committed in a transaction of its own; then the values, in this one
        with conn.engine.begin() as asking:
            request = asking.execute(
                text("SELECT guanai_contacts_request(:kind, :ids, :row_key, :source, :org)"),
                {"kind": kind, "ids": list(ids), "row_key": (row_key or "*")[:200], "source": source[:300],
                 "org": org}).scalar()
        found = conn.execute(text("SELECT id, field, value FROM guanai_contacts(:request)"), {"request": request})
    else:
        audit(conn, [entry], source)
        found = [r for part in _chunks(list(ids)) for r in conn.execute(
            select(contact.c.id, contact.c.field, contact.c.value).where(contact.c.kind == kind, contact.c.id.in_(part)))]
    for key, field, value in found:
        out.setdefault(key, {})[field] = value
    return out


def merged(row: dict[str, Any], full: dict[str, str] | None) -> dict[str, Any]:
    """A stored row with the full values put back where they were masked."""
    if not full:
        return row
    out = dict(row)
    profile = dict(out.get("profile") or {}) if "profile" in out else None
    for field, value in full.items():
        if field.startswith(PROFILE):
            if profile is not None:
                profile[field.removeprefix(PROFILE)] = value
        elif field in out:
            out[field] = value
    if profile is not None:
        out["profile"] = profile
    return out


def shown(conn: Connection, kind: str, rows: list[dict[str, Any]], show_contacts: bool, row_key: str,
          org: str | None, source: str) -> list[dict[str, Any]]:
    """Rows as a listing shows them: masked, or — asked for — with the full values the session may
    see (audited). Only a write transaction may be passed when `show_contacts`."""
    if not show_contacts or not rows:
        return rows
    full = reveal(conn, kind, [r["id"] for r in rows], row_key, org, source)
    return [merged(r, full.get(r["id"])) for r in rows]


def existing(conn: Connection, kind: str, ids: list[str], source: str) -> dict[str, dict[str, str]]:
    """The full values stored for these ids, for an import to compare with its file (a school role
    reads them through guanai_contacts(), audited as the import's)."""
    if not ids:
        return {}
    if restricted(conn):
        return reveal(conn, kind, ids, "import", None, source)
    return {key: fields for key, fields in _grouped(conn.execute(
        select(contact.c.id, contact.c.field, contact.c.value).where(
            and_(contact.c.kind == kind, contact.c.id.in_(part)))) for part in _chunks(ids)).items()}


def _grouped(results: Iterable[Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for result in results:
        for key, field, value in result:
            out.setdefault(key, {})[field] = value
    return out


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
