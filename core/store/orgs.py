"""Org units: county (县), township (乡镇), school (学校); their tree and their import."""

from __future__ import annotations

from typing import Any

from guanai.core.diagnostics import InputError, Refusal
from guanai.core.store.db import Store
from guanai.core.store.schema import org_unit
from guanai.core.store.sync import Changes, apply, diff
from sqlalchemy import Connection, func, select

ALLOWED_PARENTS: dict[str, set[str | None]] = {"county": {None}, "township": {"county"}, "school": {"township", "county"}}
KIND_ORDER = {"county": 0, "township": 1, "school": 2}


def all_orgs(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every org unit this session sees, by code (a county has a few hundred: one query, kept in
    memory). On PostgreSQL a user sees its own unit, those under it and those above it; `mine`
    tells the units it acts for (its own and those under it) from those merely above."""
    if conn.dialect.name != "postgresql":
        return {r.code: {**r._mapping, "mine": True} for r in conn.execute(select(org_unit))}
    mine = org_unit.c.code.in_(select(func.guanai_orgs_under())).label("mine")
    return {r.code: dict(r._mapping) for r in conn.execute(select(org_unit, mine))}


def schools_under(orgs: dict[str, dict[str, Any]], code: str) -> list[str]:
    """The schools in the subtree of `code` (itself if it is a school)."""
    children: dict[str | None, list[str]] = {}
    for c, o in orgs.items():
        children.setdefault(o["parent"], []).append(c)
    out, stack, seen = [], [code], set()
    while stack:
        c = stack.pop()
        if c in seen:
            continue
        seen.add(c)
        if orgs[c]["kind"] == "school":
            out.append(c)
        stack.extend(children.get(c, ()))
    return sorted(out)


def schools_in(orgs: dict[str, dict[str, Any]], code: str | None) -> list[str]:
    """The schools an --org option means: under `code`, or every school; an unknown code is refused."""
    if code is None:
        return sorted(c for c, o in orgs.items() if o["kind"] == "school")
    if code not in orgs:
        raise Refusal("org.unknown", code=code)
    if not orgs[code].get("mine", True):  # a unit above the user's own: its figures would be partial
        own = sorted(c for c, o in orgs.items() if o.get("mine") and (o["parent"] not in orgs
                                                                      or not orgs[o["parent"]].get("mine")))
        raise Refusal("org.outside_scope", code=code, mine="、".join(own) or "—")
    return schools_under(orgs, code)


def resolve_schools(conn: Connection, code: str | None) -> list[str] | None:
    """Schools an --org/--school filter means; None for no filter. An unknown code is refused."""
    return None if code is None else schools_in(all_orgs(conn), code)


def require_school(conn: Connection, code: str) -> dict[str, Any]:
    row = conn.execute(select(org_unit).where(org_unit.c.code == code)).mappings().first()
    if row is None:
        raise Refusal("org.unknown", code=code)
    if row["kind"] != "school":
        raise Refusal("org.not_school", code=code, name=row["name"])
    return dict(row)


def org_columns() -> tuple[Any, ...]:
    """The org file's columns (built on use: the engine's commands never read files)."""
    from guanai.core.subjects import ORG_KIND_SPELLINGS
    from guanai.core.tabular import Column

    return (
        Column("code", ("代码", "编码", "单位代码", "code"), "id", required=True, limit=32),
        Column("name", ("名称", "单位名称", "name"), "name", required=True),
        Column("kind", ("类型", "级别", "kind"), "choice", required=True, choices=ORG_KIND_SPELLINGS),
        Column("parent", ("上级", "上级代码", "parent"), "id", limit=32),
    )


def import_orgs(store: Store, path: str, dry_run: bool = False) -> Changes:
    from guanai.core.store.importing import parse_rows
    from guanai.core.tabular import read_table

    columns = org_columns()
    table = read_table(path, columns)
    parsed = parse_rows(table, columns)
    with store.write() as conn:
        stored = {code: {k: v for k, v in o.items() if k != "mine"} for code, o in all_orgs(conn).items()}
        in_file = {r.values["code"]: r for r in parsed.rows if "code" in r.values}
        seen: dict[str, int] = {}
        for row in parsed.rows:
            code, kind, parent = (row.values.get(k) for k in ("code", "kind", "parent"))
            if code is None or kind is None:
                continue
            if code in seen:
                parsed.problem(row.number, "code", "import.duplicate_id", value=code, row=seen[code])
                continue
            seen[code] = row.number
            if parent is not None and parent not in in_file and parent not in stored:
                parsed.problem(row.number, "parent", "org.parent_unknown", parent=parent)
                continue
            parent_kind = None
            if parent is not None:
                prow = in_file.get(parent)
                parent_kind = prow.values.get("kind") if prow else stored[parent]["kind"]
            if parent_kind not in ALLOWED_PARENTS[kind]:
                parsed.problem(row.number, "parent", "org.parent_kind", kind=kind, parent=parent or "—",
                               parent_kind=parent_kind or "—")
        if parsed.problems:
            raise InputError(parsed.problems)
        rows = sorted((r.values for r in parsed.rows), key=lambda v: KIND_ORDER[v["kind"]])
        rows = [{"parent": None, **v} for v in rows]
        changes = diff(org_unit, rows, list(stored.values()), key=lambda r: r["code"])
        if not dry_run:
            apply(conn, changes, path)
    return changes
