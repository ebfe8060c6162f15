"""`guanai programme simulate` and `guanai programme diff`: a draft's workload on today's rosters,
before anything is published (core/services/simulate.py counts it with the engine's own derivation)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.diagnostics import Diagnostic, InputError, Refusal
from guanai.core.i18n import t
from guanai.core.output import dump_csv, dump_json, output_options, plain_table


@dataclass(frozen=True)
class Scope:
    """Where and when a draft is tried: the org's schools over a period."""

    org: str | None
    first: date
    last: date
    schools: list[str]
    orgs: dict[str, Any]


def _scope(ctx: click.Context, programme: Any, org: str | None, start: str | None, end: str | None) -> Scope:
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.services.simulate import default_period
    from guanai.core.store.orgs import all_orgs, schools_in

    first, last = parse_cli_date(start, "--from"), parse_cli_date(end, "--to")
    if first is None or last is None:
        term_first, term_last = default_period(programme, app_of(ctx).today())
        first, last = first or term_first, last or term_last
    if last < first:
        raise InputError([Diagnostic("--to", 0, 0, "", "simulate.bad_period", (("first", first.isoformat()),
                                                                               ("last", last.isoformat())))])
    with app_of(ctx).store.read() as conn:
        orgs = all_orgs(conn)
        if org is not None and org not in orgs:
            raise Refusal("org.unknown", code=org)
        schools = schools_in(orgs, org)
    if not schools:
        raise Refusal("publish.no_schools")
    return Scope(org, first, last, schools, orgs)


def load_of(ctx: click.Context, loaded: Any, scope: Scope, keys: tuple[str, ...]) -> Any:
    from guanai.core.services.simulate import draft_segment, simulate

    seg = draft_segment(loaded.data, loaded.programme, scope.schools)
    with app_of(ctx).store.read() as conn:
        return simulate(conn, [seg], scope.schools, scope.orgs, scope.first, scope.last, keys,
                        loaded.programme.limits.per_staff_per_week)


def parse_keys(by: str) -> tuple[str, ...]:
    from guanai.core.services.simulate import KEYS

    keys = tuple(dict.fromkeys(k.strip() for k in by.split(",") if k.strip()))
    for k in keys:
        if k not in KEYS:
            raise InputError([Diagnostic("--by", 0, 0, "", "compliance.bad_key", (("key", k), ("keys", "|".join(KEYS))))])
    return keys or ("staff", "week")


@dataclass(frozen=True)
class SimulateOptions:
    file: str
    org: str | None = None
    start: str | None = None
    end: str | None = None
    by: str = "staff,week"
    as_json: bool = False
    as_csv: bool = False


@click.command("simulate", help="cli.simulate.help", epilog="cli.simulate.example")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--org", metavar="CODE", help="cli.opt.org")
@click.option("--from", "start", metavar="DATE", help="cli.opt.simulate_from")
@click.option("--to", "end", metavar="DATE", help="cli.opt.simulate_to")
@click.option("--by", default="staff,week", show_default=True, metavar="KEYS", help="cli.opt.simulate_by")
@output_options
@click.pass_context
def simulate_command(ctx: click.Context, **options: Any) -> None:
    """A draft programme's workload on today's rosters and pairings, per teacher and week."""
    simulate(ctx, SimulateOptions(**options))


def simulate(ctx: click.Context, opts: SimulateOptions) -> None:
    from guanai.core.commands.programme import load_or_fail
    from guanai.core.output import XLSX

    keys = parse_keys(opts.by)
    loaded = load_or_fail(opts.file, app_of(ctx).registry)
    scope = _scope(ctx, loaded.programme, opts.org, opts.start, opts.end)
    load = load_of(ctx, loaded, scope, keys)
    if opts.as_json:
        dump_json(load.as_json())
    elif XLSX.get() is not None:
        write_workbook(XLSX.get() or "", loaded.programme, scope, load)
    elif opts.as_csv:
        dump_csv([{**r["key"], "obligations": r["obligations"]} for r in load.rows], [*keys, "obligations"])
    else:
        print_load(loaded.programme, scope, load)


def _title(programme: Any, scope: Scope, load: Any) -> str:
    place = scope.orgs[scope.org]["name"] if scope.org else t("due.everywhere")
    return t("simulate.title", place=place, title=programme.title, first=load.first.isoformat(),
             last=load.last.isoformat(), weeks=len(load.weeks))


def print_load(programme: Any, scope: Scope, load: Any) -> None:
    from guanai.core.services.simulate import sparkline, staff_weeks

    click.echo(_title(programme, scope, load))
    if set(load.keys) == {"staff", "week"}:
        people = staff_weeks(load)
        top = max((max(p["weeks"], default=0) for p in people if p["staff"]), default=0)  # the teachers' scale
        body = [[f"{p['name']}（{p['staff']}）" if p["staff"] else _shown(load, "staff", p["staff"]), f"{p['total']:,}",
                 f"{p['total'] / max(1, len(load.weeks)):.1f}", f"{p['peak']}（{p['peak_week']}）",
                 sparkline(p["weeks"], top)] for p in people]
        click.echo(plain_table([t("simulate.col.staff"), t("simulate.col.total"), t("simulate.col.mean"),
                                t("simulate.col.peak"), t("simulate.col.weeks", first=load.weeks[0] if load.weeks
                                                          else "", last=load.weeks[-1] if load.weeks else "")],
                               body, right=(1, 2)))
    else:
        headers = [t(f"compliance.col.{k}") for k in load.keys] + [t("simulate.col.total")]
        body = [[_shown(load, k, r["key"][k]) for k in load.keys] + [f"{r['obligations']:,}"] for r in load.rows]
        click.echo(plain_table(headers, body, right=(len(headers) - 1,)))
    click.echo(t("simulate.summary", n=load.total, unassigned=load.unassigned))
    if load.limit is not None:
        if load.over:
            shown = "；".join(t("simulate.over_item", name=o["name"], staff=o["staff"], week=o["week"],
                                n=o["obligations"]) for o in load.over[:10])
            more = t("simulate.over_more", n=len(load.over) - 10) if len(load.over) > 10 else ""
            click.echo(t("simulate.over", limit=load.limit, n=len(load.over),
                         people=len({o["staff"] for o in load.over}), items=shown) + more)
        else:
            click.echo(t("simulate.under", limit=load.limit))
    if load.unassigned_children:
        kids = load.unassigned_children
        click.echo(t("simulate.unassigned_children", n=len(kids), items="、".join(
            f"{k['name']}（{k['child']}）" for k in kids[:10]) + ("……" if len(kids) > 10 else "")))
    for post in load.vacant_posts:  # a post nobody holds: its duties have no one
        click.echo(t("simulate.vacant_post", post=post["post"], duties="、".join(post["duties"]),
                     n=post["obligations"]))
    for item in load.unassigned_other:
        click.echo(t("simulate.unassigned_other", scope=t(f"simulate.kind.{item['scope']}"), subject=item["subject"],
                     duties="、".join(item["duties"]), n=item["obligations"]))


def _shown(load: Any, key: str, value: Any) -> str:
    if value is None:
        return t("simulate.nobody") if key == "staff" else "—"
    if value == "" and key == "staff":
        return t("simulate.no_role")
    if key in ("staff", "duty", "school"):
        name = load.names.get(key, {}).get(value)
        return f"{name}（{value}）" if name and key != "duty" else name or str(value)
    return str(value)


def write_workbook(path: str, programme: Any, scope: Scope, load: Any) -> None:
    """The load as a workbook: the rows asked for, and — by staff and week — a sheet of the weekly
    load per teacher (weeks down, the heaviest teachers across) with a native line chart."""
    from guanai.core import spreadsheet
    from guanai.core.services.simulate import staff_weeks

    title = _title(programme, scope, load)
    sheets = [spreadsheet.Sheet(t("simulate.sheet.rows"), [t(f"compliance.col.{k}") for k in load.keys] +
                                [t("simulate.col.total")],
                                [[_shown(load, k, r["key"][k]) for k in load.keys] + [r["obligations"]]
                                 for r in load.rows], title=title)]
    if set(load.keys) == {"staff", "week"}:
        people = [p for p in staff_weeks(load) if p["staff"]][:10]  # teachers, not the school's own or nobody
        headers = [t("compliance.col.week")] + [f"{p['name']}（{p['staff']}）" for p in people]
        rows = [[week] + [p["weeks"][i] for p in people] for i, week in enumerate(load.weeks)]
        chart = spreadsheet.Chart("line", t("simulate.chart"), 1, 0, len(rows), series=len(people), percent=False)
        sheets.insert(0, spreadsheet.Sheet(t("simulate.sheet.weekly"), headers, rows, title=title,
                                           charts=(chart,) if people and rows else ()))
    spreadsheet.write(path, sheets)
    click.echo(t("xlsx.written", path=path, n=len(load.rows)))


@dataclass(frozen=True)
class DiffOptions:
    old: str
    new: str
    org: str | None = None
    start: str | None = None
    end: str | None = None
    as_json: bool = False


@click.command("diff", help="cli.diff.help", epilog="cli.diff.example")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--org", metavar="CODE", help="cli.opt.org")
@click.option("--from", "start", metavar="DATE", help="cli.opt.simulate_from")
@click.option("--to", "end", metavar="DATE", help="cli.opt.simulate_to")
@click.option("--json", "as_json", is_flag=True, help="JSON")
@click.pass_context
def diff_command(ctx: click.Context, **options: Any) -> None:
    """What a revision changes: items field by field, windows that move, load per teacher and week."""
    diff(ctx, DiffOptions(**options))


def diff(ctx: click.Context, opts: DiffOptions) -> None:
    from guanai.core.commands.programme import load_or_fail
    from guanai.core.services.simulate import diff_items, diff_load, diff_windows

    before, after = load_or_fail(opts.old, app_of(ctx).registry), load_or_fail(opts.new, app_of(ctx).registry)
    scope = _scope(ctx, after.programme, opts.org, opts.start, opts.end)
    with _moved_on(ctx, before, after) as (compared, years):
        items = diff_items(compared.programme, after.programme)
        moved = diff_windows(compared.programme, after.programme)
        old_load, new_load = (load_of(ctx, loaded, scope, ("staff", "week")) for loaded in (compared, after))
    load = diff_load(old_load, new_load)
    if opts.as_json:
        dump_json({"items": items, "windows": moved, "load": load, "moved_on_years": years})
        return
    click.echo(t("diff.title", old=before.programme.title, new=after.programme.title))
    if years:
        click.echo(t("diff.across_years", years=years))
    for item in items:
        head = t(f"diff.{item['change']}", section=t(f"diff.section.{item['section']}"), name=item["name"],
                 id=item["id"])
        click.echo(head)
        for f in item["fields"]:
            click.echo(t("diff.field", label=f["label"], old=_value(f["old"]), new=_value(f["new"])))
    for w in moved:
        parts = [t("diff.window_moved", window=m["window"], old="…".join(m["old"]), new="…".join(m["new"]))
                 for m in w["moved"][:5]]
        if len(w["moved"]) > 5:
            parts.append(t("diff.more", n=len(w["moved"]) - 5))
        if w["added"]:
            parts.append(t("diff.windows_added", n=len(w["added"]), labels="、".join(w["added"][:5])))
        if w["removed"]:
            parts.append(t("diff.windows_removed", n=len(w["removed"]), labels="、".join(w["removed"][:5])))
        click.echo(t("diff.windows", name=w["name"], parts="；".join(parts)))
    if not items and not moved:
        click.echo(t("diff.same"))
    _print_load_change(scope, load, new_load)


@contextmanager
def _moved_on(ctx: click.Context, before: Any, after: Any) -> Iterator[tuple[Any, int]]:
    """Two programmes of different school years (no term in common, the new one later) compare
    like with like: the old one moved on by the years between them (`programme next`'s rule), so
    its 2025-autumn meets the new 2026-autumn and only what a county changed shows. A file that
    extends another is compared as it is (its parent cannot be moved with it)."""
    import tempfile
    from pathlib import Path

    from guanai.core.commands.programme import load_or_fail
    from guanai.core.nextyear import next_year

    old_terms = sorted(before.programme.calendar.terms, key=lambda term: term.start)
    new_terms = sorted(after.programme.calendar.terms, key=lambda term: term.start)
    years = new_terms[0].start.year - old_terms[0].start.year
    common = {term.id for term in old_terms} & {term.id for term in new_terms}
    if common or years <= 0 or new_terms[0].start <= old_terms[-1].end or len(before.files) != 1:
        yield before, 0
        return
    with tempfile.TemporaryDirectory() as folder:
        moved = Path(folder) / Path(before.files[0]).name
        moved.write_text(next_year(Path(before.files[0]).read_text("utf-8"), years).text, encoding="utf-8")
        yield load_or_fail(str(moved), app_of(ctx).registry), years


def _value(value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _print_load_change(scope: Scope, load: dict[str, Any], new_load: Any) -> None:
    totals = load["totals"]
    place = scope.orgs[scope.org]["name"] if scope.org else t("due.everywhere")
    click.echo(t("diff.load_title", place=place, first=load["from"], last=load["to"]))
    per_staff: dict[Any, list[Any]] = {}
    for r in load["rows"]:
        acc = per_staff.setdefault(r["key"]["staff"], [0, 0, 0, ""])
        acc[0] += r["old"]
        acc[1] += r["new"]
        if abs(r["change"]) > abs(acc[2]):
            acc[2], acc[3] = r["change"], r["key"]["week"]
    if per_staff:
        body = []
        for who, (old, new, step, week) in sorted(per_staff.items(), key=lambda kv: (-abs(kv[1][1] - kv[1][0]),
                                                                                 str(kv[0] or ""))):
            name = new_load.names["staff"].get(who) if who else None
            label = f"{name}（{who}）" if name else _shown(new_load, "staff", who)
            body.append([label, f"{new - old:+,}", f"{step:+,}（{week}）"])
        click.echo(plain_table([t("simulate.col.staff"), t("diff.col.change"), t("diff.col.week_change")],
                               body[:20], right=(1, 2)))
    click.echo(t("diff.load_summary", old=totals["old"], new=totals["new"], change=totals["change"],
                 unassigned_old=totals["unassigned_old"], unassigned_new=totals["unassigned_new"]))
