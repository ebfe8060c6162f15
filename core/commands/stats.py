"""`guanai stats` and `guanai assign list`: the figures of a 工作总结's 基本情况 and the 帮扶档案."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click
from guanai.core.commands.options import as_of_option, class_option, known_at_option, org_option
from guanai.core.diagnostics import Diagnostic, InputError
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, output_options, table
from guanai.core.render import key_text, others_text


def parse_keys(by: str | None, allowed: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in by.split(",") if k.strip()) if by else default
    for k in keys:
        if k not in allowed:
            raise InputError([Diagnostic("--by", 0, 0, "", "compliance.bad_key",
                                         (("key", k), ("keys", "|".join(allowed))))])
    return keys


def percent(n: int, d: int) -> str:
    from guanai.core.render import percent_of

    return percent_of(n, d)


@dataclass(frozen=True)
class StatsOptions:
    org: str | None = None
    by: str | None = None
    when: str | None = None
    known_at: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("stats", help="cli.stats.help", epilog="cli.stats.example")
@org_option
@click.option("--by", metavar="KEYS", help="cli.opt.stats_by")
@as_of_option
@known_at_option
@output_options
@click.pass_context
def stats_command(ctx: click.Context, **options: Any) -> None:
    """Who is there on a day: pupils, children cared for, pairings, by category, class, school …"""
    stats(ctx, StatsOptions(**options))


def stats(ctx: click.Context, opts: StatsOptions) -> None:
    from guanai.core.commands.engine import prepare
    from guanai.core.services.stats import stats as counted
    from guanai.core.store.stats import STAT_KEYS, grouped

    org, by, as_json, as_csv = opts.org, opts.by, opts.as_json, opts.as_csv
    keys = parse_keys(by, STAT_KEYS, ("category",))
    c = prepare(ctx, org, opts.when, opts.known_at)
    found = counted(c, keys)
    if as_json:
        dump_json({"as_of": c.as_of_text(), "org": org, "rows": found["rows"], "totals": found["totals"]})
        return
    if as_csv:
        dump_csv([{**r["key"], **r} for r in found["rows"]], [*keys, "pupils", "cared_for", "share", "of_cared"])
        return
    totals = found["totals"]
    out = console()
    from guanai.core.render import long_date

    place = c.orgs[org]["name"] if org else t("due.everywhere")
    out.print(t("stats.title", org=place, day=long_date(c.asof.day)))
    out.print(t("stats.people", pupils=totals["pupils"], cared=totals["cared_for"],
                share=percent(totals["cared_for"], totals["pupils"]), staff=totals["staff"],
                party=totals["party_staff"]))
    if totals["others_by_kind"]:
        out.print(t("stats.others", parts=others_text(totals["others_by_kind"])))
    roles = t("list.sep").join(f"{key_text('role', r, c.orgs)} {n:,}" for r, n in totals["pairs_by_role"].items())
    lacking = t("list.sep").join(t("stats.unpaired_role", role=key_text("role", r, c.orgs), n=n)
                                 for r, n in totals["unpaired_by_role"].items())
    out.print(t("stats.pairs", pairs=totals["pairs"], roles=roles or "—", unpaired=lacking or t("stats.no_pair_rules")))
    shown = [keys] if by else [("category",), ("guardian_type",)]
    for ks in shown:
        rows = found["rows"] if ks == keys else grouped(found["cells"], ks, c.orgs)
        body = [(*[key_text(k, r["key"][k], c.orgs) for k in ks], f"{r['pupils']:,}", f"{r['cared_for']:,}",
                 percent(r["cared_for"], r["pupils"]), percent(r["cared_for"], totals["cared_for"])) for r in rows]
        headers = [*[t(f"stats.col.{k}") for k in ks], t("stats.col.pupils"), t("stats.col.cared_for"),
                   t("stats.col.share"), t("stats.col.of_cared")]
        out.print(table(None, headers, body, justify=["left"] * len(ks) + ["right"] * 4))


PAIRING_COLUMNS = ["child", "child_name", "class", "school", "staff", "staff_name", "staff_kind", "party_member", "role", "start",
                   "end", "buddy", "buddy_name"]


@dataclass(frozen=True)
class PairingsOptions:
    org: str | None = None
    role: str | None = None
    staff_id: str | None = None
    class_name: str | None = None
    as_of: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("list", help="cli.assign_list.help", epilog="cli.assign_list.example")
@org_option
@click.option("--role", metavar="ROLE", help="cli.opt.list_role")
@click.option("--staff", "staff_id", metavar="ID", help="cli.opt.list_staff")
@class_option
@click.option("--as-of", metavar="DATE", help="cli.opt.as_of")
@output_options
@click.pass_context
def assign_list_command(ctx: click.Context, **options: Any) -> None:
    """Pairings in force on a day, grouped by partner (proxy parent, buddy …)."""
    assign_list(ctx, PairingsOptions(**options))


def assign_list(ctx: click.Context, opts: PairingsOptions) -> None:
    from guanai.core.commands import app_of
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.render import class_order, long_date
    from guanai.core.services.stats import pairings

    org = opts.org
    day = parse_cli_date(opts.as_of, "--as-of") or app_of(ctx).today()
    orgs, rows = pairings(app_of(ctx), org, day, opts.role, opts.staff_id, opts.class_name)
    if opts.as_json:
        dump_json(rows)
        return
    if opts.as_csv:
        dump_csv(rows, PAIRING_COLUMNS)
        return
    out = console()
    place = orgs[org]["name"] if org else t("due.everywhere")
    out.print(t("assign.list_title", org=place, day=long_date(day)))
    by_partner: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        partner = (r["school"], r["staff"] or r["buddy"], r["role"])
        by_partner.setdefault(partner, []).append(r)
    body = []
    for (_school, _who, the_role), kids in by_partner.items():
        first = kids[0]
        name = (f"{first['staff_name']}（{first['staff']}）" if first["staff"] else
                f"{first['buddy_name']}（{first['buddy']}）")
        party = t("assign.party") if first["party_member"] else ""
        classes: dict[str, list[str]] = {}
        for k in kids:
            classes.setdefault(k["class"] or "—", []).append(k["child_name"])
        children = t("assign.classes_sep").join(f"{c}：{t('list.sep').join(classes[c])}"
                                                 for c in sorted(classes, key=class_order))
        body.append((name, party, key_text("role", the_role, orgs), str(len(kids)), children))
    if body:
        out.print(table(None, [t("assign.col.partner"), t("assign.col.party"), t("assign.col.role"),
                               t("assign.col.n"), t("assign.col.children")], body,
                        justify=["left", "left", "left", "right", "left"]))
    from guanai.core.subjects import STAFF_KIND

    teachers = {r["staff"] for r in rows if r["staff"] and r["staff_kind"] == STAFF_KIND}
    others = {r["staff"] for r in rows if r["staff"] and r["staff_kind"] != STAFF_KIND}
    out.print(t("assign.list_count", pairs=len(rows), teachers=len(teachers),
                party=len({r["staff"] for r in rows if r["party_member"] and r["staff_kind"] == STAFF_KIND}))
              + (t("assign.list_others", n=len(others)) if others else ""))
