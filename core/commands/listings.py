"""Listings of the facts: children, staff, records. Contacts masked unless --show-contacts."""

from __future__ import annotations

from typing import Any

import click
from guanai.core.app import app_of
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, table
from sqlalchemy import select

CHILD_COLUMNS = ("id", "name", "gender", "birth_date", "school", "class_name", "category", "guardian_type",
                 "guardian_name", "guardian_relation", "guardian_phone", "father_name", "father_phone",
                 "father_workplace", "mother_name", "mother_phone", "mother_workplace", "away_since",
                 "address", "enrolled_on", "left_on", "profile")
STAFF_COLUMNS = ("id", "name", "school", "roles", "head_of_class", "party_member", "phone", "left_on")
RECORD_COLUMNS = ("id", "key", "step", "subject_kind", "subject", "school", "by_staff", "occurred_at", "payload",
                  "recorded_at", "recorded_by", "source")


def _emit(rows: list[dict[str, Any]], columns: tuple[str, ...], as_json: bool, as_csv: bool,
          headers: list[str], cells: Any, title: str, labels: str) -> None:
    if as_json:
        dump_json(rows)
    elif as_csv:
        dump_csv(rows, columns, labels)
    else:
        out = console()
        out.print(table(title, headers, [cells(r) for r in rows]))
        out.print(t("list.count", n=len(rows)))


def _audit_contacts(store: Any, what: str, filters: dict[str, Any], n: int) -> None:
    from guanai.core.store.db import audit

    with store.write() as conn:
        audit(conn, [{"action": "show_contacts", "table_name": what, "org": filters.get("org"),
                      "row_key": ",".join(f"{k}={v}" for k, v in filters.items() if v) or "*",
                      "after": {"rows": n}}], "cli")


def list_children(ctx: click.Context, org: str | None, cls: str | None, category: str | None,
                  include_left: bool, show_contacts: bool, as_json: bool, as_csv: bool) -> None:

    from guanai.core.privacy import masked
    from guanai.core.store.orgs import resolve_schools
    from guanai.core.store.schema import child

    store = app_of(ctx).store
    with store.read() as conn:
        schools = resolve_schools(conn, org)
        query = select(child).order_by(child.c.school, child.c.class_name, child.c.id)
        if schools is not None:
            query = query.where(child.c.school.in_(schools))
        if cls:
            query = query.where(child.c.class_name == cls)
        if category:
            query = query.where(child.c.category == category)
        if not include_left:
            query = query.where((child.c.left_on.is_(None)) | (child.c.left_on > app_of(ctx).today()))
        rows = [masked(dict(r._mapping), show_contacts) for r in conn.execute(query)]
    if show_contacts:
        _audit_contacts(store, "child", {"org": org, "class": cls, "category": category}, len(rows))
    headers = [t(f"col.child.{c}") for c in ("id", "name", "gender", "class_name", "category", "guardian_type",
                                             "guardian_name", "guardian_phone", "father_phone", "mother_phone",
                                             "address")]

    def cells(r: dict[str, Any]) -> list[Any]:
        return [r["id"], r["name"], r["gender"], r["class_name"], t(f"category.{r['category']}"),
                t(f"guardian.{r['guardian_type']}") if r["guardian_type"] else "", r["guardian_name"],
                r["guardian_phone"], r["father_phone"], r["mother_phone"], r["address"]]

    _emit(rows, CHILD_COLUMNS, as_json, as_csv, headers, cells, t("list.children_title"), "child")


def list_staff(ctx: click.Context, org: str | None, role: str | None, show_contacts: bool,
               as_json: bool, as_csv: bool) -> None:
    from guanai.core.privacy import masked
    from guanai.core.store.orgs import resolve_schools
    from guanai.core.store.schema import staff

    store = app_of(ctx).store
    with store.read() as conn:
        schools = resolve_schools(conn, org)
        query = select(staff).order_by(staff.c.school, staff.c.id)
        if schools is not None:
            query = query.where(staff.c.school.in_(schools))
        rows = [masked(dict(r._mapping), show_contacts) for r in conn.execute(query)]
    if role:
        rows = [r for r in rows if role in r["roles"]]
    if show_contacts:
        _audit_contacts(store, "staff", {"org": org, "role": role}, len(rows))
    headers = [t(f"col.staff.{c}") for c in ("id", "name", "school", "roles", "head_of_class", "party_member",
                                             "phone")]

    def cells(r: dict[str, Any]) -> list[Any]:
        return [r["id"], r["name"], r["school"], t("list.sep").join(r["roles"]), r["head_of_class"],
                t("bool.yes") if r["party_member"] else "", r["phone"]]

    _emit(rows, STAFF_COLUMNS, as_json, as_csv, headers, cells, t("list.staff_title"), "staff")


def list_records(ctx: click.Context, org: str | None, child_id: str | None, by: str | None, step: str | None,
                 start: str | None, end: str | None, limit: int, as_json: bool, as_csv: bool) -> None:
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from guanai.core.commands.programme import parse_cli_date
    from guanai.core.store.orgs import resolve_schools
    from guanai.core.store.programmes import DEFAULT_TIMEZONE, timezone_of
    from guanai.core.store.schema import record

    store = app_of(ctx).store
    first, last = parse_cli_date(start, "--from"), parse_cli_date(end, "--to")
    with store.read() as conn:
        schools = resolve_schools(conn, org)
        query = select(record).order_by(record.c.occurred_at.desc(), record.c.id.desc()).limit(limit)
        if schools is not None:
            query = query.where(record.c.school.in_(schools))
        if child_id:
            query = query.where(record.c.subject_kind == "child", record.c.subject == child_id)
        if by:
            query = query.where(record.c.by_staff == by)
        if step:
            query = query.where(record.c.step == step)
        # --from/--to are local days; a county keeps one time zone, taken from its first school.
        zone = ZoneInfo(timezone_of(conn, schools[0], app_of(ctx).today()) if schools else DEFAULT_TIMEZONE)
        if first:
            query = query.where(record.c.occurred_at >= _utc(datetime.combine(first, time()), zone))
        if last:
            query = query.where(record.c.occurred_at < _utc(datetime.combine(last + timedelta(days=1), time()), zone))
        rows = [dict(r._mapping) for r in conn.execute(query)]
        zones = {s: ZoneInfo(timezone_of(conn, s, app_of(ctx).today())) for s in {r["school"] for r in rows}}
    utc = ZoneInfo("UTC")
    for r in rows:
        r["occurred_at"] = r["occurred_at"].replace(tzinfo=utc).astimezone(zones[r["school"]])
        r["recorded_at"] = r["recorded_at"].replace(tzinfo=utc)
    headers = [t(f"col.record.{c}") for c in ("occurred_at", "step", "subject", "by_staff", "payload", "key")]

    def cells(r: dict[str, Any]) -> list[Any]:
        payload = " ".join(f"{k}={v}" for k, v in r["payload"].items())
        return [r["occurred_at"].strftime("%Y-%m-%d %H:%M"), r["step"], r["subject"], r["by_staff"], payload,
                r["key"]]

    _emit(rows, RECORD_COLUMNS, as_json, as_csv, headers, cells, t("list.records_title"), "record")


def _utc(local: Any, zone: Any) -> Any:
    from zoneinfo import ZoneInfo

    return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
