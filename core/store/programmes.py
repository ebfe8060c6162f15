"""Published programme versions and which org units they bind, from which day."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

from guanai.core.diagnostics import Refusal
from guanai.core.store.db import Store, actor, audit, new_id, utcnow
from guanai.core.store.orgs import all_orgs
from guanai.core.store.schema import programme_binding, programme_version
from sqlalchemy import Connection, insert, select

DEFAULT_TIMEZONE = "Asia/Shanghai"


def publish(store: Store, loaded: Any, orgs: tuple[str, ...], effective_from: date,
            by: str | None = None) -> dict[str, Any]:
    """Store the programme (once per version) and bind it to `orgs` (default: every school)."""
    programme = loaded.programme
    files = {name: Path(name).read_text(encoding="utf-8") for name in loaded.files}
    main_text = files[loaded.files[0]]
    digest = hashlib.sha256(json.dumps(files, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    data = programme.model_dump(mode="json", by_alias=True)
    with store.write() as conn:
        known = all_orgs(conn)
        for code in orgs:
            if code not in known:
                raise Refusal("org.unknown", code=code)
        targets = list(orgs) or sorted(c for c, o in known.items() if o["kind"] == "school")
        if not targets:
            raise Refusal("publish.no_schools")
        row = conn.execute(select(programme_version).where(
            programme_version.c.programme == programme.id,
            programme_version.c.version == programme.version)).mappings().first()
        if row is not None and row["sha256"] != digest:
            raise Refusal("publish.version_changed", programme=programme.id, version=programme.version)
        entries: list[dict[str, Any]] = []
        if row is None:
            values = {"programme": programme.id, "version": programme.version, "title": programme.title,
                      "timezone": programme.calendar.timezone, "text": main_text, "files": files,
                      "data": data, "sha256": digest, "published_at": utcnow(), "published_by": by or actor(conn)}
            version_id = new_id(conn.execute(insert(programme_version).values(values)))
            entries.append({"action": "insert", "table_name": "programme_version",
                            "row_key": f"{programme.id}@{programme.version}",
                            "after": {k: v for k, v in values.items() if k not in ("text", "files", "data")}})
            new_version = True
        else:
            version_id, new_version = row["id"], False
        bound = set(conn.execute(select(programme_binding.c.org).where(
            programme_binding.c.version_id == version_id,
            programme_binding.c.effective_from == effective_from)).scalars())
        rows = [{"version_id": version_id, "org": code, "effective_from": effective_from, "bound_at": utcnow()}
                for code in targets if code not in bound]
        if rows:
            conn.execute(insert(programme_binding), rows)
        entries += [{"action": "insert", "table_name": "programme_binding",
                     "row_key": f"{r['org']}@{effective_from}", "after": r, "org": r["org"]} for r in rows]
        audit(conn, entries, loaded.file)
    return {"programme": programme.id, "version": programme.version, "new_version": new_version,
            "bound": [r["org"] for r in rows], "already": sorted(bound & set(targets))}


def bindings_for(conn: Connection, school: str, orgs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Versions bound to the school or any org above it, latest effective date first. `orgs`:
    all_orgs, when the caller already holds it (a batch asks for every school)."""
    orgs = orgs if orgs is not None else all_orgs(conn)
    chain, code = [], school
    while code is not None and code in orgs and code not in chain:
        chain.append(code)
        code = orgs[code]["parent"]
    query = (
        select(programme_binding.c.org, programme_binding.c.effective_from, programme_binding.c.bound_at,
               programme_version.c.id, programme_version.c.programme, programme_version.c.version,
               programme_version.c.timezone)
        .join(programme_version, programme_version.c.id == programme_binding.c.version_id)
        .where(programme_binding.c.org.in_(chain))
    )
    rows = [dict(r._mapping) for r in conn.execute(query)]
    # Nearest org wins over a county-wide binding of the same day; later binding wins a tie.
    depth = {code: i for i, code in enumerate(chain)}
    return sorted(rows, key=lambda r: (r["effective_from"], -depth[r["org"]], r["bound_at"]), reverse=True)


def in_force(conn: Connection, school: str, day: date) -> dict[str, Any] | None:
    """The binding in force for the school on `day`, or None when nothing was published for it."""
    for row in bindings_for(conn, school):
        if row["effective_from"] <= day:
            return row
    return None


def timezone_of(conn: Connection, school: str, day: date) -> str:
    row = in_force(conn, school, day)
    return row["timezone"] if row else DEFAULT_TIMEZONE


def load_version(conn: Connection, version_id: int) -> Any:
    """The Programme model of a stored version (validated again from its stored data)."""
    from guanai.core.programme import Programme

    data = conn.execute(select(programme_version.c.data).where(programme_version.c.id == version_id)).scalar_one()
    return Programme.model_validate(data)


