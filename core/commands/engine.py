"""`due`, `compliance`, `indicators` and `explain`: the engine's answers, for people and scripts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import (
    as_of_option,
    class_option,
    known_at_option,
    limit_option,
    org_option,
    parse_when,
)
from guanai.core.diagnostics import Diagnostic, InputError, Refusal
from guanai.core.i18n import t
from guanai.core.obligations import OVERDUE
from guanai.core.output import console, dump_csv, dump_json, output_options, plain_table, table
from guanai.core.render import (
    indicator_value,
    long_date,
    percent_of,
    responsible_text,
    shares_text,
    short_date,
)
from guanai.core.services.engine import (
    DUE_COLUMNS,
    DueItem,
    DueList,
    Scope,
    TriggeredItem,
    due_items,
    due_label,
    due_summary,
    indicator_rows,
    local,
    school_year,
    scope,
    total,
)
from guanai.core.services.engine import (
    compliance as compliance_of,
)

GROUP_KEYS = ("duty", "staff", "class", "school", "township", "org", "month", "week")


def prepare(ctx: click.Context, org: str | None, when: str | None, known_at: str | None = None,
            also: tuple[str, ...] = ()) -> Scope:
    """The service's scope for the options of a command (bad input is reported before any
    database work); a programme naming a plugin that is not installed is said on stderr."""
    moment = parse_when(when, "--as-of")
    known = parse_when(known_at, "--known-at")
    found = scope(app_of(ctx), org, moment, known, also)
    say_missing_plugins(found.missing_plugins)
    return found


def say_vacation(c: Scope) -> None:
    """Why a list is empty when the day is in no term: which term ended, which comes (or that next
    year's programme is not published yet)."""
    from guanai.core.services.engine import vacation

    found = vacation(c)
    if found is None:
        return
    ended = t("due.ended", name=found.ended.name, end=found.ended.end.isoformat()) if found.ended else ""
    coming = (t("due.next_term", name=found.next.name, start=found.next.start.isoformat()) if found.next
              else t("due.no_next_term"))
    click.echo(t("due.vacation", day=c.asof.day.isoformat(), ended=ended, coming=coming))


def say_missing_plugins(missing: list[tuple[str, str]]) -> None:
    """On stderr: each plugin a programme in force names that is not installed."""
    for programme, plugin in missing:
        click.echo(t("engine.plugin_missing", programme=programme, plugin=plugin), err=True)


# —— due ——

@dataclass(frozen=True)
class DueOptions:
    org: str | None = None
    staff_id: str | None = None
    class_name: str | None = None
    when: str | None = None
    known_at: str | None = None
    start: str | None = None
    end: str | None = None
    limit: int = 200
    ics: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("due", help="cli.due.help", epilog="cli.due.example")
@org_option
@click.option("--staff", "staff_id", metavar="ID", help="cli.opt.due_staff")
@class_option
@as_of_option
@known_at_option
@click.option("--from", "start", metavar="DATE", help="cli.opt.due_from")
@click.option("--to", "end", metavar="DATE", help="cli.opt.due_to")
@limit_option(200)
@click.option("--ics", metavar="FILE", type=click.Path(dir_okay=False), help="cli.opt.ics")
@output_options
@click.pass_context
def due_command(ctx: click.Context, **options: Any) -> None:
    """What is due and overdue on as_of, for an org unit, a teacher or a class, overdue first."""
    due(ctx, DueOptions(**options))


def due(ctx: click.Context, opts: DueOptions) -> None:
    view = due_view(ctx, opts)
    if opts.ics is not None:
        write_ics(view, opts.ics)
    elif opts.as_json:
        dump_json(view.public)
    elif opts.as_csv:
        dump_csv(view.public, DUE_COLUMNS)
    else:
        _print_due(view, opts.org, opts.limit, opts.class_name)


def due_view(ctx: click.Context, opts: DueOptions) -> DueList:
    period = period_option(opts.start, opts.end)  # bad dates are refused before any database work
    c = prepare(ctx, opts.org, opts.when, opts.known_at)
    return due_items(c, opts.staff_id, opts.class_name, period or school_year(c.asof.day))


def write_ics(view: DueList, path: str) -> None:
    """The open items as an iCalendar file (RFC 5545, by the icalendar library): one all-day event
    per item on its due date — an overdue one on the day asked about, marked 逾期, so that it
    shows where the teacher looks — naming the duty and the child. UIDs are stable (duty, subject,
    window), so importing a newer file updates events rather than doubling them. Children's names
    leave the database: the export is audited."""
    from pathlib import Path

    from guanai.core.files import write_private_bytes
    from guanai.core.store.db import audit
    from icalendar import Calendar, Event

    c, person = view.scope, view.person
    cal = Calendar()
    cal.add("prodid", "-//guanai//关爱//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", t("ics.calendar", who=person["name"] if person else t("due.everywhere")))
    stamp = c.app.started  # when the file was made
    for item, r in zip(view.items, view.public, strict=True):
        event = Event()
        overdue = item.status == OVERDUE
        who = item.subject_name or item.subject
        event.add("uid", f"{item.duty}.{item.subject}.{r['window_start']}@guanai")
        event.add("dtstamp", stamp)
        event.add("dtstart", c.asof.day if overdue else _day_of(item))
        event.add("summary", t("ics.summary_overdue" if overdue else "ics.summary", duty=item.name, who=who))
        event.add("description", t("ics.description", duty=item.name, who=who, cls=item.class_name or "—",
                                   start=r["window_start"].replace("T", " "), due=r["due"].replace("T", " "),
                                   done=item.done, required=item.required))
        cal.add_component(event)
    write_private_bytes(path, cal.to_ical())
    with c.store.write() as conn:
        audit(conn, [{"action": "export_ics", "table_name": "obligation",
                      "org": c.org or (person or {}).get("school"), "row_key": f"staff={person['id']}" if person else f"org={c.org or '*'}",
                      "after": {"events": len(view.items), "file": Path(path).name}}], "cli")
    click.echo(t("ics.written", path=path, n=len(view.items)))


def _day_of(item: DueItem) -> date:
    return item.due.date() if isinstance(item, TriggeredItem) else item.due


def _print_due(view: DueList, org: str | None, limit: int, class_name: str | None = None) -> None:
    c, items, person = view.scope, view.items, view.person
    when = long_date(c.asof.day)
    if person is not None:
        school = c.orgs[person["school"]]["name"]
        click.echo(t("due.title_staff", name=person["name"], id=person["id"], school=school, when=when))
    else:
        place = c.orgs[org]["name"] if org else t("due.everywhere")
        if class_name:  # the class's school(s), named: 西北中学 七(1)班
            schools = sorted({c.orgs[i.school]["name"] for i in items}) or [place]
            place = f"{t('list.sep').join(schools)} {class_name}"
        click.echo(t("due.title_org", place=place, when=when))
    if not items:
        click.echo(t("due.nothing"))
        say_vacation(c)
        return
    headers = [t("due.col.status"), t("due.col.due"), t("due.col.duty"), t("due.col.subject")]
    if person is None:
        headers.append(t("due.col.responsible"))
    headers.append(t("due.col.progress"))
    body, styles = [], []
    for n, item in enumerate(items):
        label, style = due_label(item, c.asof.day)
        if n >= limit:
            continue
        due_text = short_date(_day_of(item)) + (f" {item.due:%H:%M}" if isinstance(item, TriggeredItem) else "")
        # a child and its class (刘小明 七(1)班); a class once, not as its name and its class
        subject = " ".join(dict.fromkeys(x for x in (item.subject_name or item.subject, item.class_name) if x))
        cells = [label, due_text, item.name, subject]
        if person is None:
            cells.append(responsible_text(view.staff_names.get(item.responsible or "", item.responsible), item.by))
        cells.append(f"{item.done}/{item.required}")
        body.append(cells)
        styles.append(style or None)
    click.echo(plain_table(headers, body, right=(len(headers) - 1,), styles=styles))
    if len(items) > limit:
        click.echo(t("due.more", n=len(items) - limit))
    click.echo(due_summary(items, c.asof.day))
    hint = next_step(items, person, local(c.asof.instant_utc, c.zone))
    if hint is not None:
        click.echo(hint)


def next_step(items: list[DueItem], person: Any, now: datetime) -> str | None:
    """The "下一步" line: the command that records the first item a record can still close — with
    the duty's `match` fields and an `--at` inside its window. An overdue window of a recurring duty
    cannot be closed any more (a record after its due date counts for the next window, SPEC §2), so
    the hint goes to the next item that can; a triggered or one-off item closes late (met_late)."""
    item = next((i for i in items if i.recordable), None)
    if item is None:
        return None
    at = item.record_at(now)
    option = {"child": "--child", "school": "--school", "staff": "--staff", "class": "--class"}[item.scope]
    doer = person["id"] if person is not None else item.responsible
    parts = [f"guanai record {item.step} {option} {item.subject}"]
    if item.scope == "class":
        parts.append(f"--school {item.school}")
    parts += [f"--set {key}={value}" for key, value in item.match]
    if doer:
        parts.append(f"--by {doer}")
    # a day's end (an --as-of date, a window's last day) as the day itself; a time-limited item to the minute
    day_only = not isinstance(item, TriggeredItem) and at.time() >= datetime.max.time().replace(second=0, microsecond=0)
    parts.append(f"--at {at:%Y-%m-%d}" if day_only else f"--at \"{at:%Y-%m-%d %H:%M}\"")
    return t("due.hint", duty=item.name, command=" ".join(parts))


# —— compliance ——

@dataclass(frozen=True)
class ComplianceOptions:
    org: str | None = None
    by: str = "duty"
    group: str | None = None
    duties: tuple[str, ...] = ()
    sort: str = "key"
    start: str | None = None
    end: str | None = None
    term: str | None = None
    compare: str | None = None
    when: str | None = None
    known_at: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("compliance", help="cli.compliance.help", epilog="cli.compliance.example")
@org_option
@click.option("--by", default="duty", show_default=True, metavar="KEYS", help="cli.opt.compliance_by")
@click.option("--group", help="cli.opt.group")
@click.option("--duty", "duties", multiple=True, metavar="ID", help="cli.opt.duty")
@click.option("--sort", type=click.Choice(["key", "rate"]), default="key", help="cli.opt.sort")
@click.option("--from", "start", metavar="DATE", help="cli.opt.period_from")
@click.option("--to", "end", metavar="DATE", help="cli.opt.period_to")
@click.option("--term", metavar="ID", help="cli.opt.compliance_term")
@click.option("--compare", metavar="ID,ID", help="cli.opt.compliance_compare")
@as_of_option
@known_at_option
@output_options
@click.pass_context
def compliance_command(ctx: click.Context, **options: Any) -> None:
    """Expected, met and met late per duty (or staff, class, school, month, week …) up to as_of."""
    compliance(ctx, ComplianceOptions(**options))


def compliance(ctx: click.Context, opts: ComplianceOptions) -> None:
    by, group = opts.by, opts.group
    keys = tuple(k.strip() for k in by.split(",") if k.strip()) if by else ()
    for k in keys:
        if k not in GROUP_KEYS:
            raise InputError([Diagnostic("--by", 0, 0, "", "compliance.bad_key", (("key", k),
                                                                                ("keys", "|".join(GROUP_KEYS))))])
    if opts.term is not None and (opts.start is not None or opts.end is not None):
        raise InputError([Diagnostic("--term", 0, 0, "", "compliance.term_and_period")])
    if opts.compare is not None:
        if opts.term is not None or opts.start is not None or opts.end is not None:
            raise InputError([Diagnostic("--compare", 0, 0, "", "compliance.compare_and_period")])
        ids = [x.strip() for x in opts.compare.split(",") if x.strip()]
        if len(ids) != 2 or ids[0] == ids[1]:
            raise InputError([Diagnostic("--compare", 0, 0, "", "compliance.compare_two", (("value", opts.compare),))])
        compare(ctx, opts, keys, ids)
        return
    period = period_option(opts.start, opts.end)
    c = prepare(ctx, opts.org, opts.when, opts.known_at)
    if opts.term is not None:
        period = term_period(c, opts.term)
    span = _period_text(c, opts.term, period)
    rows, names = compliance_of(c, keys, group, set(opts.duties) or None, period)
    summed = total(rows)
    if opts.sort == "rate":
        rows.sort(key=lambda r: (r["rate"] is None, r["rate"] if r["rate"] is not None else 0))
    if opts.as_json:
        dump_json({"as_of": c.as_of_text(), "rows": rows, "total": summed})
        return
    if opts.as_csv:
        flat = [{**r["key"], **{k: r[k] for k in ("expected", "met", "met_late", "rate")}} for r in rows]
        dump_csv(flat, [*keys, "expected", "met", "met_late", "rate"])
        return
    _print_compliance(c, keys, rows, summed, names, group, span)


def _period_text(c: Scope, term_id: str | None, period: tuple[date, date] | None) -> str:
    """What the figures cover, for the title: the term, the days asked for, or since the first
    programme's first day (SPEC: compliance counts every window due by as_of unless asked)."""
    if term_id is not None:
        names = {term.id: term.name for seg in c.segs for term in seg.programme.calendar.terms}
        return names[term_id]
    if period is not None:
        first, last = period
        if last.year >= 9998:
            return t("compliance.period_from", first=first.isoformat())
        if first.year <= 1970:
            return t("compliance.period_to", last=last.isoformat())
        return t("compliance.period", first=first.isoformat(), last=last.isoformat())
    return t("compliance.since", first=min(seg.start for seg in c.segs).isoformat())


def compare(ctx: click.Context, opts: ComplianceOptions, keys: tuple[str, ...], ids: list[str]) -> None:
    """`compliance --compare A,B`: the same grouping for two terms side by side (2025 autumn against
    2026 autumn), each counted with the facts and the programme of its own days, and the change in
    the on-time rate in percentage points."""
    c = prepare(ctx, opts.org, opts.when, opts.known_at)
    counted = [compliance_of(c, keys, opts.group, set(opts.duties) or None, term_period(c, term))
               for term in ids]
    names = {k: {**counted[0][1].get(k, {}), **counted[1][1].get(k, {})} for k in keys}
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for term, (rows, _) in zip(ids, counted, strict=True):
        for r in rows:
            key = tuple(r["key"][k] for k in keys)
            merged.setdefault(key, {"key": r["key"]})[term] = {k: r[k] for k in ("expected", "met", "met_late", "rate")}
    empty = {"expected": 0, "met": 0, "met_late": 0, "rate": None}
    rows = []
    for key in merged:  # in the order compliance gives each term (by duty, class order …), the earlier term first
        row = merged[key]
        for term in ids:
            row.setdefault(term, dict(empty))
        row["change"] = _change(row[ids[0]]["rate"], row[ids[1]]["rate"])
        rows.append(row)
    totals = {term: total(found) for term, (found, _) in zip(ids, counted, strict=True)}
    summed = {**totals, "change": _change(totals[ids[0]]["rate"], totals[ids[1]]["rate"])}
    if opts.as_json:
        dump_json({"as_of": c.as_of_text(), "compare": ids, "rows": rows, "total": summed})
        return
    if opts.as_csv:
        flat = [{**r["key"], **{f"{term}_{k}": r[term][k] for term in ids for k in ("expected", "met", "rate")},
                 "change": r["change"]} for r in rows]
        dump_csv(flat, [*keys, *(f"{term}_{k}" for term in ids for k in ("expected", "met", "rate")), "change"])
        return
    out = console()
    place = c.orgs[c.org]["name"] if c.org else t("due.everywhere")
    out.print(" · ".join(x for x in (place, opts.group, t("compliance.as_of", when=long_date(c.asof.day))) if x))
    headers = [t(f"compliance.col.{k}") for k in keys]
    term_names = {term.id: term.name for seg in c.segs for term in seg.programme.calendar.terms}
    for term in ids:
        headers += [t("compliance.col.term_expected", term=term_names.get(term, term)),
                    t("compliance.col.term_rate", term=term_names.get(term, term))]
    headers.append(t("compliance.col.change"))
    body = []
    for r in [*rows, {"key": None, **summed}]:
        cells = [t("compliance.total")] + [""] * (len(keys) - 1) if r["key"] is None else [
            names.get(k, {}).get(r["key"][k], r["key"][k]) if r["key"][k] else t("due.unassigned") for k in keys]
        for term in ids:
            cells += [f"{r[term]['expected']:,}", percent_of(r[term]["met"], r[term]["expected"])]
        body.append([*cells, _change_text(r["change"])])
    out.print(table(None, headers, body, justify=["left"] * len(keys) + ["right"] * (2 * len(ids) + 1)))


def _change(before: float | None, after: float | None) -> float | None:
    """The change of a rate, in percentage points (None when either is unknown)."""
    return None if before is None or after is None else round(float((after - before) * 100), 1)


def _change_text(points: float | None) -> str:
    return "—" if points is None else t("compliance.points", n=f"{points:+.1f}")


def term_period(c: Scope, term_id: str) -> tuple[date, date]:
    """The first and last day of the term `term_id` of a programme in force in the scope."""
    terms = {term.id: term for seg in c.segs for term in seg.programme.calendar.terms}
    if term_id not in terms:
        raise Refusal("compliance.unknown_term", term=term_id, known="、".join(sorted(terms)))
    return terms[term_id].start, terms[term_id].end


def period_option(start: str | None, end: str | None) -> tuple[date, date] | None:
    """--from/--to as a period of local days (either may be left open)."""
    from guanai.core.commands.options import parse_cli_date

    first, last = parse_cli_date(start, "--from"), parse_cli_date(end, "--to")
    if first is None and last is None:
        return None
    if first and last and last < first:
        raise Refusal("period.reversed", start=first.isoformat(), end=last.isoformat())
    return first or date(1970, 1, 2), last or date(9998, 12, 30)


def _print_compliance(c: Scope, keys: tuple[str, ...], rows: list[dict[str, Any]], total: dict[str, Any],
                      names: dict[str, dict[str, str]], group: str | None, span: str = "") -> None:
    out = console()
    place = c.orgs[c.org]["name"] if c.org else t("due.everywhere")
    title = " · ".join(x for x in (place, group, span, t("compliance.as_of", when=long_date(c.asof.day))) if x)
    out.print(title)
    headers = [t(f"compliance.col.{k}") for k in keys]
    headers += [t("compliance.col.expected"), t("compliance.col.met"), t("compliance.col.met_late"),
                t("compliance.col.rate")]
    body = []
    for r in rows:
        cells = []
        for k in keys:
            value = r["key"][k]
            shown = names.get(k, {}).get(value, value) if value else t("due.unassigned")
            cells.append(f"{shown}（{value}）" if k == "staff" and value and shown != value else shown)
        body.append([*cells, f"{r['expected']:,}", f"{r['met']:,}", f"{r['met_late']:,}", percent_of(r["met"], r["expected"])])
    if keys:
        body.append([t("compliance.total")] + [""] * (len(keys) - 1) + [
            f"{total['expected']:,}", f"{total['met']:,}", f"{total['met_late']:,}",
            percent_of(total["met"], total["expected"])])
    else:
        body.append([f"{total['expected']:,}", f"{total['met']:,}", f"{total['met_late']:,}",
                     percent_of(total["met"], total["expected"])])
    out.print(table(None, headers, body, justify=["left"] * len(keys) + ["right"] * 4))


# —— indicators ——

@dataclass(frozen=True)
class IndicatorsOptions:
    org: str | None = None
    when: str | None = None
    known_at: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("indicators", help="cli.indicators.help", epilog="cli.indicators.example")
@org_option
@as_of_option
@known_at_option
@output_options
@click.pass_context
def indicators_command(ctx: click.Context, **options: Any) -> None:
    """The programme's targets (建档率, 结对率 …) on as_of: value, target, met or not."""
    indicators(ctx, IndicatorsOptions(**options))


def indicators(ctx: click.Context, opts: IndicatorsOptions) -> None:
    c = prepare(ctx, opts.org, opts.when, opts.known_at)
    start = c.before_start()
    if start is not None:  # no duty yet, so no target to measure: said, never an error
        if opts.as_json or opts.as_csv:
            dump_json([]) if opts.as_json else dump_csv([], ["id", "name", "org", "value", "target", "ok"])
        else:
            click.echo(t("asof.before_programme", day=c.asof.day.isoformat(), start=start.isoformat()))
        return
    rows = indicator_rows(c)
    code = c.code
    for r in rows:
        if r["error"] is not None:
            plugin, _, error = r["error"].partition(": ")
            click.echo(t("indicators.plugin_failed", name=r["name"], plugin=plugin, error=error), err=True)
    if opts.as_json:
        dump_json(rows)
        return
    if opts.as_csv:
        dump_csv(rows, ["id", "name", "org", "value", "target", "ok", "kind", "numerator", "denominator", "error"])
        return
    out = console()
    out.print(t("indicators.title", place=c.orgs[code]["name"], when=long_date(c.asof.day)))
    body = [[r["name"], indicator_value(r["value"], r["unit"], r["target"], r["numerator"], r["denominator"]),
             indicator_value(r["target"], r["unit"]),
             "—" if r["error"] else  # no figures for what could not be computed
             f"{r['numerator']:,}/{r['denominator']:,}" if r["unit"] == "share" else
             t("indicators.records", n=r["denominator"]) if r["unit"] == "mean" else
             shares_text(r["shares"]) if r.get("shares") else "—",
             t("indicators.failed") if r["error"] else t("indicators.ok") if r["ok"] else
             t("indicators.no_data") if r["value"] is None else t("indicators.not_ok")]
            for r in rows]
    out.print(table(None, [t("indicators.col.name"), t("indicators.col.value"), t("indicators.col.target"),
                           t("indicators.col.count"), t("indicators.col.ok")], body,
                    justify=["left", "right", "right", "right", "left"]))
