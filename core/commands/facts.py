"""Commands that fill and change the facts: init, publish, the org/roster/staff/assign imports,
and pairing (assign auto, assign check)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import import_command, limit_option, org_option, school_option
from guanai.core.i18n import t
from guanai.core.output import output_options

role_option = click.option("--role", required=True, metavar="ROLE", help="cli.opt.role")
mark_left_option = click.option("--mark-left", is_flag=True, help="cli.opt.mark_left")


@click.command("init", help="cli.init.help", epilog="cli.init.example")
@click.pass_context
def init_command(ctx: click.Context) -> None:
    """Create the database, or bring it to the current schema revision."""
    init_db(ctx)


def init_db(ctx: click.Context) -> None:
    store = app_of(ctx).raw_store
    before, after = store.init()
    if before is None:
        click.echo(t("init.created", url=store.url, revision=after))
    elif before == after:
        click.echo(t("init.current", url=store.url, revision=after))
    else:
        click.echo(t("init.upgraded", url=store.url, before=before, revision=after))


@dataclass(frozen=True)
class PublishOptions:
    file: str
    orgs: tuple[str, ...] = ()
    start: str | None = None
    yes: bool = False


@click.command("publish", help="cli.publish.help", epilog="cli.publish.example")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--to", "orgs", multiple=True, metavar="ORG", help="cli.opt.publish_to")
@click.option("--from", "start", metavar="DATE", help="cli.opt.publish_from")
@click.option("--yes", is_flag=True, help="cli.opt.publish_yes")
@click.pass_context
def publish_command(ctx: click.Context, **options: Any) -> None:
    """Store a programme version and bind it to org units from a date."""
    publish(ctx, PublishOptions(**options))


def publish(ctx: click.Context, opts: PublishOptions) -> None:
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.commands.programme import load_or_fail
    from guanai.core.store.programmes import publish as do_publish

    store = app_of(ctx).store
    loaded = load_or_fail(opts.file, app_of(ctx).registry)
    programme = loaded.programme
    effective = parse_cli_date(opts.start, "--from") or programme.calendar.terms[0].start
    result = do_publish(store, loaded, opts.orgs, effective, today=None if opts.yes else app_of(ctx).today())
    key = "publish.new" if result["new_version"] else "publish.same"
    click.echo(t(key, programme=programme.id, version=programme.version, title=programme.title))
    if result["bound"]:
        click.echo(t("publish.bound", n=len(result["bound"]), orgs="、".join(result["bound"][:10])
                     + ("…" if len(result["bound"]) > 10 else ""), start=effective.isoformat()))
    if result["already"]:  # "另有" only beside units bound now
        click.echo(t("publish.already" if result["bound"] else "publish.already_all", n=len(result["already"]),
                     orgs="、".join(result["already"][:10]), start=effective.isoformat()))
    from guanai.core.commands.programme import say_rule_gaps

    for org in result["bound"]:  # published all the same: a warning, with the counts
        say_rule_gaps(ctx, programme, org, max(effective, min(t.start for t in programme.calendar.terms)))


VERSION_COLUMNS = ["programme", "version", "title", "org", "org_name", "effective_from", "bound_at", "withdrawn_at",
                   "published_at",
                   "published_by"]


@click.command("versions", help="cli.versions.help", epilog="cli.versions.example")
@org_option
@output_options
@click.pass_context
def versions_command(ctx: click.Context, org: str | None, as_json: bool, as_csv: bool) -> None:
    """The published programme versions: where each is bound, from when, published when and by whom."""
    from zoneinfo import ZoneInfo

    from guanai.core.diagnostics import Refusal
    from guanai.core.output import console, dump_csv, dump_json, table
    from guanai.core.store.orgs import all_orgs
    from guanai.core.store.programmes import DEFAULT_TIMEZONE, chain_of, versions

    with app_of(ctx).store.read() as conn:
        orgs = all_orgs(conn)
        if org is not None and org not in orgs:
            raise Refusal("org.unknown", code=org)
        # an org's versions: bound to it, to the units under it, or to the units above it
        wanted = None if org is None else sorted(
            {code for code in orgs if org in chain_of(orgs, code)} | set(chain_of(orgs, org)))
        rows = versions(conn, wanted)
    zone, utc = ZoneInfo(DEFAULT_TIMEZONE), ZoneInfo("UTC")
    for r in rows:  # stored in UTC; shown in the county's time
        for key in ("bound_at", "published_at", "withdrawn_at"):
            if r[key] is not None:
                r[key] = r[key].replace(tzinfo=utc).astimezone(zone).replace(tzinfo=None, microsecond=0)
    if as_json:
        dump_json(rows)
        return
    if as_csv:
        dump_csv(rows, VERSION_COLUMNS)
        return
    out = console()
    out.print(table(None, [t("versions.col.programme"), t("versions.col.title"), t("versions.col.org"),
                           t("versions.col.from"), t("versions.col.published")],
                    [(f"{r['programme']} v{r['version']}", r["title"], f"{r['org_name']}（{r['org']}）",
                      r["effective_from"].isoformat() if r["withdrawn_at"] is None else
                      t("versions.withdrawn", start=r["effective_from"].isoformat(), at=f"{r['withdrawn_at']:%Y-%m-%d}"),
                      f"{r['published_at']:%Y-%m-%d %H:%M} {r['published_by']}")
                     for r in rows]))
    out.print(t("list.count", n=len(rows)))


@click.command("withdraw", help="cli.withdraw.help", epilog="cli.withdraw.example")
@click.argument("programme")
@click.argument("version", type=int)
@click.option("--org", required=True, metavar="CODE", help="cli.opt.withdraw_org")
@click.option("--from", "start", metavar="DATE", help="cli.opt.withdraw_from")
@click.pass_context
def withdraw_command(ctx: click.Context, programme: str, version: int, org: str, start: str | None) -> None:
    """Take back a publication nothing was recorded under: the unit returns to the version before."""
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.store.orgs import all_orgs
    from guanai.core.store.programmes import withdraw

    effective = parse_cli_date(start, "--from")
    with app_of(ctx).store.write() as conn:
        orgs = all_orgs(conn)
        if org not in orgs:
            from guanai.core.diagnostics import Refusal

            raise Refusal("org.unknown", code=org)
        done = withdraw(conn, programme, version, org, effective)
    click.echo(t("withdraw.done", programme=programme, version=version, org=orgs[org]["name"], code=org,
                 start=done["effective_from"].isoformat(), n=len(done["schools"])))


@import_command("cli.org_import")
def org_import_command(ctx: click.Context, file: str, dry_run: bool) -> None:
    """Import the county's org units (county, townships, schools)."""
    import_orgs(ctx, file, dry_run)


def import_orgs(ctx: click.Context, file: str, dry_run: bool) -> None:
    from guanai.core.store.orgs import import_orgs as do_import

    changes = do_import(app_of(ctx).store, file, dry_run)
    _summary("org", len(changes.new) + len(changes.changed) + changes.same, changes, dry_run)


def _summary(kind: str, total: int, changes: Any, dry_run: bool) -> None:
    key = "import.summary_dry" if dry_run else "import.summary"
    click.echo(t(key, what=t(f"import.what.{kind}"), total=total, new=len(changes.new),
                 changed=len(changes.changed), same=changes.same))


@dataclass(frozen=True)
class PeopleImport:
    """A roster or staff file for one school."""

    file: str
    school: str
    mark_left: bool = False
    transfer: bool = False
    effective: str | None = None
    yes: bool = False
    dry_run: bool = False


effective_option = click.option("--effective", metavar="DATE", help="cli.opt.effective")
past_option = click.option("--yes", is_flag=True, help="cli.opt.import_yes")


@import_command("cli.roster_import", school_option, mark_left_option, effective_option, past_option,
                click.option("--transfer", is_flag=True, help="cli.opt.transfer"))
def roster_import_command(ctx: click.Context, **options: Any) -> None:
    """Import a school's roster of children (学籍): new, changed, left, transferred."""
    import_people(ctx, "child", PeopleImport(**options))


@import_command("cli.staff_import", school_option, mark_left_option,
                click.option("--effective", metavar="DATE", help="cli.opt.effective_staff"),
                click.option("--yes", is_flag=True, help="cli.opt.import_yes_staff"),
                click.option("--transfer", is_flag=True, help="cli.opt.staff_transfer"))
def staff_import_command(ctx: click.Context, **options: Any) -> None:
    """Import a school's staff (教职工): roles, posts, party members."""
    import_people(ctx, "staff", PeopleImport(**options))


@click.command("promote", help="cli.promote.help", epilog="cli.promote.example")
@click.option("--school", required=True, metavar="CODE", help="cli.opt.school")
@click.option("--effective", metavar="DATE", help="cli.opt.promote_effective")
@click.option("--graduate-on", "graduate_on", metavar="DATE", help="cli.opt.promote_graduate")
@click.option("--yes", is_flag=True, help="cli.opt.import_yes")
@click.option("--dry-run", is_flag=True, help="cli.opt.dry_run")
@click.pass_context
def roster_promote_command(ctx: click.Context, school: str, effective: str | None, graduate_on: str | None,
                           yes: bool, dry_run: bool) -> None:
    """A new school year's roster from the stored one: every class a grade up, the top grade leaving."""
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.store.people import effective_day, last_term_end, promotion

    store, today = app_of(ctx).store, app_of(ctx).today()
    start = parse_cli_date(effective, "--effective") or effective_day(store, school, today)
    leave = parse_cli_date(graduate_on, "--graduate-on") or last_term_end(store, school, start)
    table, counts = promotion(store, school, leave)
    click.echo(t("promote.plan", promoted=counts["promoted"], graduating=counts["graduating"],
                 start=start.isoformat(), leave=leave.isoformat()))
    if counts["unknown"]:
        click.echo(t("promote.unknown", n=counts["unknown"]))
    import_people(ctx, "child", PeopleImport(table.file, school, effective=start.isoformat(), yes=yes,
                                             dry_run=dry_run), table=table)


def import_people(ctx: click.Context, kind: str, opts: PeopleImport, table: Any = None) -> None:
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.store.people import effective_day, import_roster, import_staff

    store, mark_left, dry_run = app_of(ctx).store, opts.mark_left, opts.dry_run
    run = import_roster if kind == "child" else import_staff
    effective = parse_cli_date(opts.effective, "--effective") or effective_day(store, opts.school, app_of(ctx).today())
    made: dict[str, Any] = {"table": table} if table is not None else {}  # a roster made by guanai (roster promote)
    result = run(store, opts.file, opts.school, mark_left=mark_left, dry_run=dry_run, transfer=opts.transfer,
                 today=effective, asked_on=None if opts.yes else app_of(ctx).today(), **made)
    changes = result.changes
    if result.facts:  # what the engine will judge differently, from which day
        parts = t("list.sep").join(t(f"import.fact.{kind}.{name}", n=n) for name, n in result.facts.items())
        start = result.start or effective  # an earlier 离校 in the file: from then
        click.echo(t("import.facts_dry" if dry_run else "import.facts", parts=parts, start=effective.isoformat()))
        if dry_run and not opts.yes and start < app_of(ctx).today():  # the real run will ask
            click.echo(t("import.dry_needs_yes", start=start.isoformat()))
    for label, known in result.near:
        click.echo(t("import.near_header", label=label, known=known), err=True)
    for row, code, params in result.outside_target[:10]:  # the first ten: one glance, not a page
        words = {"category": t(f"category.{params['category']}")} if "category" in params else {}  # 单亲, not single_parent
        click.echo(t(code, id=row["id"], name=row["name"], **{**params, **words}))
    if len(result.outside_target) > 10:
        click.echo(t("roster.outside_more", n=len(result.outside_target) - 10))
    if result.outside_target:
        click.echo(t("roster.outside_summary_dry" if dry_run else "roster.outside_summary", n=len(result.outside_target)))
    if result.missing:
        names = "、".join(f"{m['name']}（{m['id']}）" for m in result.missing[:10])
        more = t("list.more", n=len(result.missing) - 10) if len(result.missing) > 10 else ""
        if result.marked_left:
            click.echo(t(f"import.marked_left.{kind}", n=result.marked_left, names=names + more, day=effective.isoformat()))
        elif dry_run and mark_left:
            click.echo(t(f"import.would_mark_left.{kind}", n=len(result.missing), names=names + more))
        else:
            click.echo(t(f"import.missing.{kind}", n=len(result.missing), names=names + more))
    _summary(kind, len(changes.new) + len(changes.changed) + changes.same, changes, dry_run)


@import_command("cli.assign_import", role_option, click.option("--effective", metavar="DATE",
                                                                 help="cli.opt.assign_effective"))
def assign_import_command(ctx: click.Context, file: str, role: str, dry_run: bool, effective: str | None) -> None:
    """Import pairings of one role (proxy parent …) from a file."""
    import_pairings(ctx, file, role, dry_run, effective)


def import_pairings(ctx: click.Context, file: str, role: str, dry_run: bool, effective: str | None = None) -> None:
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.render import role as render_role
    from guanai.core.store.pairings import crowded
    from guanai.core.store.pairings import import_pairings as do_import

    days: dict[str, date] = {}
    changes = do_import(app_of(ctx).store, file, role, dry_run, today=app_of(ctx).today(),
                        effective=parse_cli_date(effective, "--effective"), days=days)
    for school, day in sorted(days.items()):  # rows without 开始: from which day, said once per school
        click.echo(t("assign.start_used", school=school, start=day.isoformat()))
    found = crowded(app_of(ctx).store, role, changes.new)
    for c in found[:10]:
        others = t("list.sep").join(f"{o['name']}（{o['staff']}，{o['start'].isoformat()} 起）" for o in c["others"])
        click.echo(t("assign.crowded", name=c["name"], child=c["child"], role=render_role(role), n=len(c["others"]) + 1,
                     need=c["need"], others=others, staff=c["staff"]), err=True)
    if len(found) > 10:
        click.echo(t("assign.crowded_more", n=len(found) - 10), err=True)
    _summary("pairing", len(changes.new) + len(changes.changed) + changes.same, changes, dry_run)


@dataclass(frozen=True)
class AutoOptions:
    school: str
    role: str
    start: str | None = None
    dry_run: bool = False


@click.command("auto", help="cli.assign_auto.help", epilog="cli.assign_auto.example")
@school_option
@role_option
@click.option("--from", "start", metavar="DATE", help="cli.opt.assign_from")
@click.option("--dry-run", is_flag=True, help="cli.opt.dry_run")
@click.pass_context
def assign_auto_command(ctx: click.Context, **options: Any) -> None:
    """Pair every child without a partner of the role, by the programme's pairing rules."""
    auto_pairings(ctx, AutoOptions(**options))


def auto_pairings(ctx: click.Context, opts: AutoOptions) -> None:
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.render import role as render_role
    from guanai.core.store.pairings import auto_assign

    school, role, dry_run = opts.school, opts.role, opts.dry_run
    # pairings for a school year start on its first day (--from), not on the day they are made
    day = parse_cli_date(opts.start, "--from") or app_of(ctx).today()
    made = auto_assign(app_of(ctx).store, school, role, day=day, dry_run=dry_run, until=app_of(ctx).today())
    partners = {p["staff"] or p["buddy"] for p in made}  # a teacher, or a classmate (partner: classmate)
    key = "assign.auto_dry" if dry_run else "assign.auto_done"
    classmates = made[0]["staff"] is None if made else role == "buddy"  # nothing made: buddies are pupils
    whom = t("assign.whom.classmates" if classmates else "assign.whom.staff", n=len(partners))
    click.echo(t(key, n=len(made), whom=whom, school=school, role=render_role(role)))
    _say_limit(ctx, school, role, day)


def _say_limit(ctx: click.Context, school: str, role: str, day: Any) -> None:
    """Under a programme limit: how many children a teacher may hold, and who holds more."""
    from collections import Counter

    from guanai.core.render import role as render_role
    from guanai.core.store.hooks import Programmes
    from guanai.core.store.pairings import children_within_limit, holding

    with app_of(ctx).store.read() as conn:
        programme = Programmes(conn).at(school, day)
        cap = children_within_limit(programme, role)
        if cap is None:
            return
        held = Counter(p["staff"] for p in holding(conn, school, role, day) if p["staff"])
    over = sorted(s for s, n in held.items() if n > cap)
    click.echo(t("assign.limit", limit=programme.limits.per_staff_per_week, cap=cap, role=render_role(role),
                 over=len(over)))


def _unassigned(ctx: click.Context, org: str | None, day: Any, first: Any) -> list[Any]:
    """Duties left without a responsible from `first` (default: the start of the term holding the
    day) to the day checked — the engine's count of `unassigned` obligations."""
    from guanai.core.commands.engine import prepare
    from guanai.core.diagnostics import Refusal
    from guanai.core.store.pairings import unassigned_duties

    try:
        c = prepare(ctx, org, day.isoformat())
    except Refusal:
        return []  # no programme in force: nothing is due, nothing is unassigned
    if first is None:
        starts = [t.start for seg in c.segs for t in seg.programme.calendar.terms if t.start <= day <= t.end]
        first = min(starts) if starts else day
    if first > day:
        return []
    with c.store.read() as conn:
        found = unassigned_duties(conn, c.segs, c.asof, first, c.orgs)
        return found + _over_limit(conn, c, first, day)


def _over_limit(conn: Any, c: Any, first: Any, day: Any) -> list[Any]:
    """Teachers over the programme's limits.per_staff_per_week in a week of the term checked (its
    whole term, weeks to come included: the load the pairings make), by the simulation's count."""
    from guanai.core.services.simulate import simulate
    from guanai.core.store.facts import staff_schools
    from guanai.core.store.pairings import Violation

    out = []
    for seg in c.segs:
        limit = seg.programme.limits.per_staff_per_week
        if limit is None or not (seg.start <= day <= seg.end):
            continue
        ends = [t.end for t in seg.programme.calendar.terms if t.start <= day <= t.end]
        load = simulate(conn, [seg], [s for s in seg.schools if s in c.schools], c.orgs, first,
                        max(ends) if ends else day, ("staff", "week"), limit)
        schools = staff_schools(conn, [o["staff"] for o in load.over])
        out += [Violation(schools.get(o["staff"], ""), "", "staff_over_limit", o["staff"], o["name"], o["obligations"],
                          limit, period=o["week"]) for o in load.over]
    return out


@dataclass(frozen=True)
class CheckOptions:
    org: str | None = None
    as_of: str | None = None
    start: str | None = None
    limit: int = 50
    as_json: bool = False
    as_csv: bool = False


@click.command("check", help="cli.assign_check.help", epilog="cli.assign_check.example")
@org_option
@click.option("--as-of", metavar="DATE", help="cli.opt.as_of")
@click.option("--from", "start", metavar="DATE", help="cli.opt.check_from")
@limit_option(50, help="cli.opt.check_limit")
@output_options
@click.pass_context
def assign_check_command(ctx: click.Context, **options: Any) -> None:
    """Check pairings against the programme's rules; exit 1 when something is wrong."""
    sys.exit(check_pairings(ctx, CheckOptions(**options)))


def check_pairings(ctx: click.Context, opts: CheckOptions) -> int:
    from dataclasses import asdict

    from guanai.core.commands.options import parse_cli_date
    from guanai.core.output import dump_csv, dump_json
    from guanai.core.render import role
    from guanai.core.store.orgs import all_orgs, schools_in
    from guanai.core.store.pairings import check_pairings as do_check

    store, limit = app_of(ctx).store, opts.limit
    with store.read() as conn:
        schools = schools_in(all_orgs(conn), opts.org)
    if not schools:
        from guanai.core.diagnostics import Refusal

        raise Refusal("publish.no_schools")
    day = parse_cli_date(opts.as_of, "--as-of") or app_of(ctx).today()
    first = parse_cli_date(opts.start, "--from")
    found = do_check(store, schools, day)
    found += _unassigned(ctx, opts.org, day, first)
    rows = [asdict(v) for v in found]
    if opts.as_json:
        dump_json(rows)
    elif opts.as_csv:
        dump_csv(rows, ["school", "role", "kind", "subject", "name", "class_name", "have", "need", "period", "partner",
                        "left_on"])
    else:
        for v in found[:limit]:
            click.echo(t(f"assign.violation.{v.kind}", school=v.school, role=role(v.role), id=v.subject, name=v.name,
                         cls=v.class_name or "", have=v.have, need=v.need, period=v.period or "",
                         partner=v.partner or "", left_on=v.left_on or ""))
        if len(found) > limit:
            click.echo(t("assign.check_more", n=len(found) - limit))
        kinds: dict[str, int] = {}
        for v in found:
            kinds[v.kind] = kinds.get(v.kind, 0) + 1
        parts = t("list.sep").join(f"{t(f'assign.kind.{k}')} {n:,}" for k, n in kinds.items())
        click.echo(t("assign.check_found", n=len(found), parts=parts) if found else
                   t("assign.check_ok", n=len(schools)))
    return 1 if found else 0

