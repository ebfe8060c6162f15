"""Listings of the facts: children, staff, records. Contacts masked unless --show-contacts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import (
    as_of_option,
    contacts_option,
    json_option,
    limit_option,
    org_option,
)
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, output_options, table

if TYPE_CHECKING:
    from guanai.core.services.children import ChildView

CHILD_COLUMNS = ("id", "name", "gender", "birth_date", "school", "class_name", "category", "guardian_type",
                 "guardian_name", "guardian_relation", "guardian_phone", "father_name", "father_phone",
                 "father_workplace", "mother_name", "mother_phone", "mother_workplace", "away_since",
                 "address", "enrolled_on", "left_on", "profile", "proxy_parent", "proxy_parent_name")
STAFF_COLUMNS = ("id", "name", "school", "kind", "roles", "head_of_class", "party_member", "phone", "left_on")
RECORD_COLUMNS = ("id", "key", "step", "step_name", "subject_kind", "subject", "school", "by_staff", "occurred_at",
                  "details", "purpose", "payload",
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


def _row_key(filters: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in filters.items() if v) or "*"


@dataclass(frozen=True)
class ChildrenOptions:
    org: str | None = None
    cls: str | None = None
    category: str | None = None
    include_left: bool = False
    show_contacts: bool = False
    as_json: bool = False
    as_csv: bool = False


@click.command("list", help="cli.children_list.help", epilog="cli.children_list.example")
@org_option
@click.option("--class", "cls", metavar="NAME", help="cli.opt.class")
@click.option("--category", help="cli.opt.category")
@click.option("--include-left", is_flag=True, help="cli.opt.include_left")
@contacts_option
@output_options
@click.pass_context
def children_list_command(ctx: click.Context, **options: Any) -> None:
    """The children of an org unit with their proxy parent today; contacts masked unless asked."""
    list_children(ctx, ChildrenOptions(**options))


def list_children(ctx: click.Context, opts: ChildrenOptions) -> None:
    from guanai.core.commands.options import parse_cli_choice
    from guanai.core.privacy import masked
    from guanai.core.store import contacts, listings
    from guanai.core.store.orgs import resolve_schools
    from guanai.core.subjects import CATEGORY_SPELLINGS

    category = parse_cli_choice(opts.category, CATEGORY_SPELLINGS, "--category")  # 留守 or left_behind
    store, org, cls, show_contacts = app_of(ctx).store, opts.org, opts.cls, opts.show_contacts
    with store.write() if show_contacts else store.read() as conn:
        schools = resolve_schools(conn, org)
        found = listings.children(conn, schools, cls, category, opts.include_left, app_of(ctx).today())
        rows = contacts.shown(conn, "child", found, show_contacts,
                              _row_key({"org": org, "class": cls, "category": category}), org, "cli")
        rows = [masked(r, show_contacts) for r in rows]
        if opts.include_left and not category:
            rows += _moved_away(conn, schools, cls, {(r["id"], r["school"]) for r in rows})
        proxies = _proxy_parents(conn, sorted({r["school"] for r in rows}), app_of(ctx).today())
    for r in rows:  # the proxy parent in force today (一人一档 starts here)
        r["proxy_parent"], r["proxy_parent_name"] = proxies.get(r["id"], (None, None))
    headers = [t(f"col.child.{c}") for c in ("id", "name", "gender", "class_name", "category", "guardian_type",
                                             "proxy_parent", "guardian_name", "guardian_phone", "father_phone",
                                             "mother_phone", "address")]

    def cells(r: dict[str, Any]) -> list[Any]:
        return [r["id"], r["name"], r["gender"], r["class_name"],
                t(f"category.{r['category']}") if r["category"] else t("list.transferred_out"),
                t(f"guardian.{r['guardian_type']}") if r["guardian_type"] else "", r["proxy_parent_name"] or "",
                r["guardian_name"], r["guardian_phone"], r["father_phone"], r["mother_phone"], r["address"]]

    if opts.as_csv:  # a sheet people read (and roster import reads back): 留守, 祖辈监护, not their codes
        rows = [{**r, "category": t(f"category.{r['category']}") if r["category"] else "",
                 "guardian_type": t(f"guardian.{r['guardian_type']}") if r["guardian_type"] else ""} for r in rows]
    _emit(rows, CHILD_COLUMNS, opts.as_json, opts.as_csv, headers, cells, t("list.children_title"), "child")


def _moved_away(conn: Any, schools: list[str] | None, cls: str | None,
                shown: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """The pupils who transferred out of these schools (转出), from the spans each school keeps:
    the name, class and days they had there, never where they went or anything since."""
    from guanai.core.store import listings

    blank = dict.fromkeys(listings.child_columns())
    return [{**blank, "id": r.child, "name": r.name or "—", "school": r.school, "class_name": r.class_name,
             "enrolled_on": r.start, "left_on": r.end, "category": None, "profile": {}, "transferred_out": True}
            for r in listings.moved_away(conn, schools, cls) if (r.child, r.school) not in shown]


def _proxy_parents(conn: Any, schools: list[str], day: Any) -> dict[str, tuple[str, str]]:
    """child → (staff id, name) of its proxy parent in force on `day` (stats' pairing rule)."""
    from guanai.core.store.stats import PROXY_ROLE, pairings

    return {p["child"]: (p["staff"], p["staff_name"]) for p in pairings(conn, schools, day, PROXY_ROLE)
            if p["staff"]} if schools else {}


@dataclass(frozen=True)
class StaffOptions:
    org: str | None = None
    role: str | None = None
    show_contacts: bool = False
    as_json: bool = False
    as_csv: bool = False


@click.command("list", help="cli.staff_list.help", epilog="cli.staff_list.example")
@org_option
@click.option("--role", help="cli.opt.staff_role")
@contacts_option
@output_options
@click.pass_context
def staff_list_command(ctx: click.Context, **options: Any) -> None:
    """The staff of an org unit, with their roles; contacts masked unless asked."""
    list_staff(ctx, StaffOptions(**options))


def list_staff(ctx: click.Context, opts: StaffOptions) -> None:
    from guanai.core.privacy import masked
    from guanai.core.store import contacts
    from guanai.core.store.listings import staff_rows
    from guanai.core.store.orgs import resolve_schools

    store, org, role, show_contacts = app_of(ctx).store, opts.org, opts.role, opts.show_contacts
    with store.write() if show_contacts else store.read() as conn:
        schools = resolve_schools(conn, org)
        rows = staff_rows(conn, schools)
        rows = contacts.shown(conn, "staff", [r for r in rows if not role or role in r["roles"]], show_contacts,
                              _row_key({"org": org, "role": role}), org, "cli")
    rows = [masked(r, show_contacts) for r in rows]
    headers = [t(f"col.staff.{c}") for c in ("id", "name", "school", "kind", "roles", "head_of_class", "party_member",
                                             "phone")]

    def cells(r: dict[str, Any]) -> list[Any]:
        return [r["id"], r["name"], r["school"], r["kind"], t("list.sep").join(r["roles"]), r["head_of_class"],
                t("bool.yes") if r["party_member"] else "", r["phone"]]

    _emit(rows, STAFF_COLUMNS, opts.as_json, opts.as_csv, headers, cells, t("list.staff_title"), "staff")


@dataclass(frozen=True)
class RecordsOptions:
    org: str | None = None
    child_id: str | None = None
    by: str | None = None
    step: str | None = None
    start: str | None = None
    end: str | None = None
    limit: int = 1000
    as_json: bool = False
    as_csv: bool = False


@click.command("list", help="cli.records_list.help", epilog="cli.records_list.example")
@org_option
@click.option("--child", "child_id", metavar="ID", help="cli.opt.child")
@click.option("--by", metavar="STAFF", help="cli.opt.by")
@click.option("--step", help="cli.opt.step")
@click.option("--from", "start", metavar="DATE", help="cli.opt.from")
@click.option("--to", "end", metavar="DATE", help="cli.opt.to")
@limit_option(1000)
@output_options
@click.pass_context
def records_list_command(ctx: click.Context, **options: Any) -> None:
    """Records, newest first, by org, child, teacher, step and period."""
    list_records(ctx, RecordsOptions(**options))


def list_records(ctx: click.Context, opts: RecordsOptions) -> None:
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from guanai.core.commands.options import parse_cli_date
    from guanai.core.privacy import mask_payload
    from guanai.core.store import listings
    from guanai.core.store.orgs import resolve_schools
    from guanai.core.store.programmes import DEFAULT_TIMEZONE, timezone_of

    store = app_of(ctx).store
    first, last = parse_cli_date(opts.start, "--from"), parse_cli_date(opts.end, "--to")
    with store.read() as conn:
        schools = resolve_schools(conn, opts.org)
        # --from/--to are local days; a county keeps one time zone, taken from its first school.
        zone = ZoneInfo(timezone_of(conn, schools[0], app_of(ctx).today()) if schools else DEFAULT_TIMEZONE)
        after = _utc(datetime.combine(first, time()), zone) if first else None
        before = _utc(datetime.combine(last + timedelta(days=1), time()), zone) if last else None
        rows = listings.records(conn, schools, opts.child_id, opts.by, opts.step, after, before, opts.limit)
        zones = {s: ZoneInfo(timezone_of(conn, s, app_of(ctx).today())) for s in {r["school"] for r in rows}}
    steps = app_of(ctx).registry.steps
    for r in rows:  # notes are free text: a phone or an ID number written into one is shown masked
        r["payload"] = mask_payload(r["payload"] or {})
        kind = steps.get(r["step"])  # in words beside the codes: 成长日记, 情绪：开心（CSV and JSON keep both）
        r["step_name"] = kind.title if kind else r["step"]
        r["details"] = kind.describe(r["payload"]) if kind else " ".join(f"{k}={v}" for k, v in r["payload"].items())
    utc = ZoneInfo("UTC")
    for r in rows:
        r["occurred_at"] = r["occurred_at"].replace(tzinfo=utc).astimezone(zones[r["school"]])
        r["recorded_at"] = r["recorded_at"].replace(tzinfo=utc)
    headers = [t(f"col.record.{c}") for c in ("occurred_at", "step_name", "subject", "by_staff", "details", "key")]

    def cells(r: dict[str, Any]) -> list[Any]:
        return [r["occurred_at"].strftime("%Y-%m-%d %H:%M"), r["step_name"], r["subject"], r["by_staff"], r["details"],
                r["key"]]

    _emit(rows, RECORD_COLUMNS, opts.as_json, opts.as_csv, headers, cells, t("list.records_title"), "record")


def _utc(local: Any, zone: Any) -> Any:
    from zoneinfo import ZoneInfo

    return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


@dataclass(frozen=True)
class ChildOptions:
    child_id: str
    when: str | None = None
    show_contacts: bool = False
    as_json: bool = False


@click.command("show", help="cli.children_show.help", epilog="cli.children_show.example")
@click.argument("child_id", metavar="ID")
@as_of_option
@contacts_option
@json_option
@click.pass_context
def children_show_command(ctx: click.Context, **options: Any) -> None:
    """A child's file (一人一档): profile, pairings, records, open items, follow-ups."""
    show_child(ctx, ChildOptions(**options))


def show_child(ctx: click.Context, opts: ChildOptions) -> None:
    view = child_view(ctx, opts)
    if opts.as_json:
        dump_json(view.public)
    else:
        _child_text(view)


def child_view(ctx: click.Context, opts: ChildOptions) -> ChildView:
    """The child's file for the command's options (the service: services/children.py)."""
    from guanai.core.commands.engine import say_missing_plugins
    from guanai.core.commands.options import parse_when
    from guanai.core.services.children import child_view as view_of

    view = view_of(app_of(ctx), opts.child_id, parse_when(opts.when, "--as-of"), opts.show_contacts)
    say_missing_plugins(view.context.missing_plugins)
    return view


def _child_text(view: ChildView) -> None:
    from guanai.core.obligations import OVERDUE
    from guanai.core.render import key_text, long_date
    from guanai.core.services.engine import local as _local

    found, kid, open_items, c = view.file, view.child, view.open, view.context
    out = console()
    school = c.orgs[kid["school"]]["name"]
    out.print(t("child.title", name=kid["name"], id=kid["id"], school=school, cls=kid["class_name"] or "—",
                category=t(f"category.{kid['category']}"), when=long_date(c.asof.day)), markup=False)
    if kid.get("guardian_type"):
        kid = {**kid, "guardian_type": t(f"guardian.{kid['guardian_type']}")}
    facts = [(t(f"col.child.{k}"), kid.get(k)) for k in ("gender", "birth_date", "guardian_type", "guardian_name",
                                                         "guardian_relation", "guardian_phone", "father_name",
                                                         "father_phone", "father_workplace", "mother_name",
                                                         "mother_phone", "mother_workplace", "away_since", "address",
                                                         "enrolled_on", "left_on")]
    facts += list((kid.get("profile") or {}).items())
    out.print(table(t("child.profile"), [t("child.col.item"), t("child.col.value")],
                    [(k, v) for k, v in facts if v not in (None, "")]))
    if len(found["history"]) > 1:  # a child who changed school or class: where it was, and when
        out.print(table(t("child.history"), [t("stats.col.school"), t("col.class"), t("col.start"), t("col.end")],
                        [(h["school_name"], h["class"] or "—", h["start"], h["last"] or "—") for h in found["history"]]))
    out.print(table(t("child.pairings"), [t("col.role"), t("assign.col.partner"), t("col.start"), t("col.end")],
                    [(key_text("role", p["role"], c.orgs), p["staff_name"] or p["buddy_name"], p["start"], p["end"] or "—")
                     for p in found["pairings"]]))
    out.print(table(t("child.open"), [t("due.col.status"), t("due.col.due"), t("due.col.duty"), t("due.col.responsible"),
                                      t("due.col.progress")],
                    [(t(f"status.{r['status']}"), r["due"].replace("T", " "), r["name"],
                      view.staff_names.get(r["responsible"], r["responsible"]) or t("due.unassigned"),
                      f"{r['done']}/{r['required']}") for r in open_items]))
    registry = c.registry
    out.print(table(t("child.records"), [t("ledger.col.when"), t("col.record.step"), t("col.record.by_staff"),
                                         t("ledger.col.details")],
                    [(_local(r["occurred_at"], c.zone).strftime("%Y-%m-%d %H:%M"),
                      registry.steps[r["step"]].title if r["step"] in registry.steps else r["step"],
                      view.staff_names.get(r["by_staff"], r["by_staff"]) or "",
                      registry.steps[r["step"]].describe(r["payload"] or {}) if r["step"] in registry.steps else "")
                     for r in found["records"]]))
    if found["follow_ups"]:
        out.print(table(t("child.follow_ups"), [t("col.name"), t("col.due")],
                        [(f["name"], _local(f["deadline"], c.zone).strftime("%Y-%m-%d %H:%M"))
                         for f in found["follow_ups"]]))
    out.print(t("child.summary", records=len(found["records"]), open=len(open_items),
                overdue=sum(r["status"] == OVERDUE for r in open_items)))


@click.command("list", help="cli.org_list.help", epilog="cli.org_list.example")
@output_options
@click.pass_context
def org_list_command(ctx: click.Context, as_json: bool, as_csv: bool) -> None:
    """The org units this user sees, the county first, each township with its schools under it."""
    from guanai.core.store.orgs import all_orgs

    with app_of(ctx).store.read() as conn:
        orgs = all_orgs(conn)
    children: dict[str | None, list[str]] = {}
    for code, o in sorted(orgs.items()):
        parent = o["parent"] if o["parent"] in orgs else None
        children.setdefault(parent, []).append(code)
    rows: list[dict[str, Any]] = []

    def walk(parent: str | None, depth: int) -> None:
        for code in children.get(parent, []):
            o = orgs[code]
            rows.append({"code": code, "name": o["name"], "kind": o["kind"], "parent": o["parent"], "depth": depth})
            walk(code, depth + 1)

    walk(None, 0)
    headers = [t("org.col.code"), t("org.col.name"), t("org.col.kind"), t("org.col.parent")]

    def cells(r: dict[str, Any]) -> list[Any]:
        return [r["code"], "　" * r["depth"] + r["name"], t(f"org.kind.{r['kind']}"), r["parent"] or ""]

    _emit(rows, ("code", "name", "kind", "parent"), as_json, as_csv, headers, cells, t("org.list_title"), "org")
