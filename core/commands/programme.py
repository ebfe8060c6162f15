"""`guanai programme check|schema|show|calendar`: reading a programme file, before any database."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import parse_cli_date
from guanai.core.diagnostics import InputError, diag
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, output_options, table
from guanai.core.render import role as render_role


@dataclass(frozen=True)
class CheckOptions:
    files: tuple[str, ...]
    as_json: bool = False
    as_csv: bool = False
    with_facts: bool = False
    org: str | None = None


@click.command("check", help="cli.check.help", epilog="cli.check.example")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("--with-facts", is_flag=True, help="cli.opt.with_facts")
@click.option("--org", metavar="CODE", help="cli.opt.with_facts_org")
@output_options
@click.pass_context
def check_command(ctx: click.Context, **options: Any) -> None:
    """Check programme files: every error at once, by position; exit 1 when there is one. With
    --with-facts, also against the database's rosters and pairing rules (warnings)."""
    opts = CheckOptions(**options)
    code = check_files(app_of(ctx).registry, opts)
    if opts.with_facts and code == 0:
        for file in opts.files:
            loaded = load_or_fail(file, app_of(ctx).registry)
            say_rule_gaps(ctx, loaded.programme, opts.org)
    sys.exit(code)


def say_rule_gaps(ctx: click.Context, programme: Any, org: str | None, day: Any = None) -> int:
    """Warn of duties whose responsible role is given to fewer children than they are for (the
    rosters of `day`: today when it falls in the calendar, else its first day); how many."""
    from guanai.core.store.orgs import all_orgs, schools_in
    from guanai.core.store.pairings import rule_gaps

    app = app_of(ctx)
    if day is None:
        first, last = min(t.start for t in programme.calendar.terms), max(t.end for t in programme.calendar.terms)
        day = app.today() if first <= app.today() <= last else first
    with app.store.read() as conn:
        gaps = rule_gaps(conn, programme, schools_in(all_orgs(conn), org), day)
    for gap in gaps:
        click.echo(t("check.rule_gap", school=gap.school, duty=gap.duty_name, id=gap.duty, targets=gap.targets,
                     role=render_role(gap.role), covered=gap.covered, missing=gap.targets - gap.covered,
                     day=day.isoformat()), err=True)
    return len(gaps)


@click.command("schema", help="cli.schema.help", epilog="cli.schema.example")
@click.option("--builtin-only", is_flag=True, help="cli.opt.builtin_only")
def schema_command(builtin_only: bool) -> None:
    """The JSON schema of programme files, with the installed plugins' steps and settings."""
    from guanai.core.schema import schema_text

    click.echo(schema_text(builtin_only), nl=False)


def check_files(registry: Any, opts: CheckOptions) -> int:
    """Check every file; print all diagnostics sorted by position. 0 clean, 1 errors."""
    from guanai.core.loader import load_programme

    files, as_json, as_csv = opts.files, opts.as_json, opts.as_csv
    diagnostics = []
    for file in files:
        diagnostics.extend(load_programme(file, registry).diagnostics)
    diagnostics.sort(key=lambda d: (d.file, d.line, d.col, d.path))
    errors = [d for d in diagnostics if d.severity == "error"]
    warnings = [d for d in diagnostics if d.severity != "error"]
    if as_json:
        dump_json([d.as_json() for d in diagnostics])
    elif as_csv:
        dump_csv([d.as_json() for d in diagnostics], ["file", "line", "col", "path", "severity", "code", "message"])
    else:
        for d in diagnostics:
            click.echo(d.render(), err=True)
        if errors:
            click.echo(t("diag.summary_errors", n=len(errors)), err=True)
        else:
            for file in files:
                click.echo(t("diag.ok", file=file))
        if warnings:
            click.echo(t("diag.summary_warnings", n=len(warnings)), err=True)
    return 1 if errors else 0


def load_or_fail(file: str, registry: Any = None) -> Any:
    """A valid programme, or InputError with its diagnostics (exit 2 in the CLI)."""
    from guanai.core.loader import load_programme

    loaded = load_programme(file, registry)
    if loaded.errors:
        raise InputError(loaded.errors)
    return loaded


@dataclass
class ProgrammeView:
    """A programme as `programme show` presents it (plain data): the phases, the duties with their
    windows per term, the follow-up rules, the activities and the indicators — for one month when
    asked. One view, three renderings (text, JSON, CSV)."""

    programme: Any
    terms: list[Any]
    month: str | None
    phases: list[Any]
    duties: list[dict[str, Any]]
    follow_ups: list[dict[str, Any]]
    activities: list[Any]
    indicators: list[dict[str, Any]]


def programme_view(programme: Any, month: str | None, registry: Any) -> ProgrammeView:
    from guanai.core.calendar import SchoolCalendar, windows
    from guanai.core.render import timing

    p, cal = programme, SchoolCalendar(programme.calendar)
    duties = []
    for duty in p.duties:
        found = windows(p, cal, duty)
        if month:
            found = [w for w in found if w.start.strftime("%Y-%m") <= month <= w.end.strftime("%Y-%m")]
        per_term = {term.id: 0 for term in cal.terms}
        for w in found:  # a window in a vacation (a festival) counts for the term before it
            per_term[max((tm for tm in cal.terms if tm.start <= w.due), key=lambda tm: tm.start,
                         default=cal.terms[0]).id] += 1
        duties.append({"id": duty.id, "name": duty.name, "group": duty.group, "scope": duty.scope,
                       "by": duty.by, "step": duty.step, "timing": timing(duty), "windows": per_term,
                       "times": duty.times})
    kinds = registry.indicator_kinds
    indicators = [{**i.model_dump(), "unit": "mean" if i.kind == "score_mean" else (i.count or "people")
                   if i.kind == "count" else getattr(kinds.get(i.kind), "unit", "share"),
                   "kind_title": _kind_title(i.kind, kinds)}
                  for i in p.indicators] if not month else []
    return ProgrammeView(
        p, list(cal.terms), month,
        [ph for ph in p.phases if month is None or ph.start.strftime("%Y-%m") <= month <= ph.end.strftime("%Y-%m")],
        duties, follow_up_rules(p, registry), [a for a in p.activities if month is None or a.month == month], indicators)


@dataclass(frozen=True)
class ShowOptions:
    file: str
    month: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("show", help="cli.show.help", epilog="cli.show.example")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--month", metavar="YYYY-MM", help="cli.opt.month")
@output_options
@click.pass_context
def show_command(ctx: click.Context, **options: Any) -> None:
    """A programme as its schools will read it: phases, duties and their windows, follow-ups, targets."""
    show_programme(app_of(ctx).registry, ShowOptions(**options))


def _kind_title(kind: str, kinds: dict[str, Any]) -> str:
    """An indicator kind in words: a plugin's own title (体检率), the catalogue's for guanai's
    (coverage → 覆盖率), else its id."""
    from guanai.core.i18n import has

    if kind in kinds:
        return str(kinds[kind].title)
    return t(f"indicator_kind.{kind}") if has(f"indicator_kind.{kind}") else kind


def show_programme(registry: Any, opts: ShowOptions) -> None:
    loaded = load_or_fail(opts.file, registry)
    month = opts.month
    if month is not None:
        from guanai.core.programme import Month
        from pydantic import TypeAdapter, ValidationError

        try:
            month = TypeAdapter(Month).validate_python(month)
        except ValidationError:
            raise InputError([diag("--month", None, "", "month.format", value=month)]) from None
    view = programme_view(loaded.programme, month, registry)
    if opts.as_json:
        _show_json(view)
    elif opts.as_csv:
        dump_csv(view.duties, ["id", "name", "group", "scope", "by", "step", "timing", "windows"])
    else:
        _show_text(view)
    for w in loaded.warnings:
        click.echo(w.render(), err=True)


def _show_json(view: ProgrammeView) -> None:
    from guanai.core.render import duration_code

    p = view.programme
    dump_json({"id": p.id, "version": p.version, "title": p.title, "issuer": p.issuer,
               "terms": [tm.model_dump() for tm in view.terms],
               "phases": [ph.model_dump() for ph in view.phases], "duties": view.duties,
               "triggers": [tr.model_dump() for tr in p.triggers],
               "follow_ups": [{**r, "within": duration_code(r["within"])} for r in view.follow_ups],
               "activities": [a.model_dump() for a in view.activities],
               "indicators": [i.model_dump() for i in p.indicators]})


def _show_text(view: ProgrammeView) -> None:
    from guanai.core.render import indicator_value, role, scope, within

    p, month = view.programme, view.month
    out = console()
    out.print(f"[bold]{p.title}[/bold]")
    out.print(t("show.meta", id=p.id, version=p.version, issuer=p.issuer or "—"))
    terms = t("list.sep").join(f"{tm.name}（{tm.start:%Y-%m-%d} — {tm.end:%Y-%m-%d}）" for tm in view.terms)
    out.print(t("show.terms", terms=terms))
    rows: list[tuple[Any, ...]]
    if view.phases:
        rows = [(ph.name, f"{ph.start:%Y-%m-%d} — {ph.end:%Y-%m-%d}",
                 t("list.sep").join(f"{tk.name or ph.name}（{_due(tk, ph.end)}）" for tk in ph.tasks) or "—")
                for ph in view.phases]
        out.print(table(t("show.phases"), [t("show.col.phase"), t("show.col.dates"), t("show.col.tasks")], rows))
    if view.duties:
        headers = [t("show.col.duty"), t("show.col.group"), t("show.col.scope"), t("show.col.by"),
                   t("show.col.timing"), *[t("show.col.windows", term=tm.name) for tm in view.terms]]
        rows = [(r["name"], r["group"] or "—", scope(r["scope"]), role(r["by"]), r["timing"],
                 *[r["windows"][tm.id] for tm in view.terms]) for r in view.duties]
        title = t("show.duties_month", month=month) if month else t("show.duties")
        out.print(table(title, headers, rows, justify=["left"] * 5 + ["right"] * len(view.terms)))
    if view.follow_ups:
        rows = [(r["when"], r["name"], within(r["within"]), r["group"] or "—") for r in view.follow_ups]
        out.print(table(t("show.triggers"), [t("show.col.trigger"), t("show.col.followup"), t("show.col.within"),
                                             t("show.col.group")], rows))
    if view.activities:
        rows = [(a.month, a.name, t("list.sep").join(_task_text(tk, a) for tk in a.tasks) or "—")
                for a in view.activities]
        out.print(table(t("show.activities"), [t("show.col.month"), t("show.col.activity"), t("show.col.tasks")], rows))
    if view.indicators:
        rows = [(i["name"], i["kind_title"], indicator_value(i["target"], i["unit"])) for i in view.indicators]
        out.print(table(t("show.indicators"), [t("show.col.indicator"), t("show.col.kind"), t("show.col.target")], rows))


def follow_up_rules(p: Any, registry: Any) -> list[dict[str, Any]]:
    """Every follow-up rule the programme brings: its triggers' and those its plugins declare, with
    the time limit for the programme's settings (体检异常 → 报送上一级医疗部门，14 天内)."""
    from guanai.core.programme import parse_duration
    from guanai.core.views import settings_of

    rows = [{"id": f"{tr.id}.{f.id}", "when": tr.name or tr.id, "name": f.name or f.id, "step": f.step,
             "within": parse_duration(f.within), "group": f.group, "plugin": None}
            for tr in p.triggers for f in tr.then]
    for step in registry.steps.values():
        if step.follow_ups and (step.plugin in p.plugins or step.plugin == "care_basics"):
            settings = settings_of(registry.settings_models, step.plugin, p)
            rows += [{"id": f.id, "when": f.when or step.title, "name": f.name, "step": f.step,
                      "within": f.within_for(settings), "group": f.group, "plugin": step.plugin}
                     for f in step.follow_ups]
    return rows


def _task_text(task: Any, activity: Any) -> str:
    from guanai.core.render import scope, timing

    name = task.name or activity.name
    return f"{name}（{scope(task.scope)}，{timing(task)}）" if task.every else name


def _due(task: Any, default: date) -> str:
    return f"{(task.due or default):%m-%d}"


@dataclass(frozen=True)
class CalendarOptions:
    file: str
    start: str | None = None
    end: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("calendar", help="cli.calendar.help", epilog="cli.calendar.example")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--from", "start", metavar="DATE", help="cli.opt.from")
@click.option("--to", "end", metavar="DATE", help="cli.opt.to")
@output_options
def calendar_command(**options: Any) -> None:
    """Every day of the programme's calendar: school day or not, and why."""
    show_calendar(CalendarOptions(**options))


def show_calendar(opts: CalendarOptions) -> None:
    from guanai.core.calendar import SchoolCalendar, days
    from guanai.core.render import weekday

    loaded = load_or_fail(opts.file)
    cal = SchoolCalendar(loaded.programme.calendar)
    first = parse_cli_date(opts.start, "--from") or cal.first
    last = parse_cli_date(opts.end, "--to") or cal.last
    if last < first:
        raise InputError([diag("--to", None, "", "dates.end_before_start", start=first.isoformat(), end=last.isoformat())])
    rows: list[dict[str, Any]] = []
    for day in days(first, last):
        ok, reason, detail = cal.reason(day)
        text = t(f"calendar.reason.{reason}") + (f"：{detail}" if detail and reason != "school_day" else "")
        rows.append({"date": day, "school_day": ok, "reason": reason, "detail": detail, "text": text})
    if opts.as_json:
        dump_json([{k: r[k] for k in ("date", "school_day", "reason", "detail")} for r in rows])
    elif opts.as_csv:
        dump_csv(rows, ["date", "school_day", "reason", "detail"])
    else:
        out = console()
        body = [(f"{r['date']:%Y-%m-%d}", weekday(r["date"]), "✓" if r["school_day"] else "·", r["text"]) for r in rows]
        out.print(table(None, [t("calendar.col.date"), t("calendar.col.weekday"), t("calendar.col.school_day"),
                               t("calendar.col.reason")], body))
        out.print(t("calendar.summary", n=sum(r["school_day"] for r in rows), total=len(rows)))


def _schema_line(text: str, source: Path, target: Path) -> str:
    """The editor's `# yaml-language-server: $schema=…` line, pointed at the same schema from the
    new file's folder (a relative path meant the old file's)."""
    import os
    import re

    def repoint(m: re.Match[str]) -> str:
        ref = m.group(2)
        if "://" in ref or os.path.isabs(ref):
            return m.group(0)
        schema = (source.resolve().parent / ref).resolve()
        return m.group(1) + os.path.relpath(schema, target.resolve().parent)

    return re.sub(r"^(#\s*yaml-language-server:\s*\$schema=)(\S+)", repoint, text, count=1, flags=re.MULTILINE)


@click.command("next", help="cli.next.help", epilog="cli.next.example")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, metavar="FILE", type=click.Path(dir_okay=False),
              help="cli.opt.next_output")
@click.option("--years", default=1, show_default=True, type=click.IntRange(1, 10), help="cli.opt.next_years")
@click.pass_context
def next_command(ctx: click.Context, file: str, output: str, years: int) -> None:
    """Next school year's programme: this one's text with every date moved on, then checked."""
    from pathlib import Path

    from guanai.core.diagnostics import Refusal
    from guanai.core.loader import load_programme
    from guanai.core.nextyear import next_year
    from guanai.core.render import weekday

    target = Path(output)
    if target.exists():
        raise Refusal("next.exists", path=output)
    moved = next_year(Path(file).read_text("utf-8"), years)
    target.write_text(_schema_line(moved.text, Path(file), target), encoding="utf-8")
    loaded = load_programme(output, app_of(ctx).registry)
    click.echo(t("next.written", path=output, version=moved.version or "—", dates=moved.dates, words=moved.words,
                 years=years))
    for note in moved.clamped:
        click.echo(t("next.clamped", change=note))
    if loaded.programme is not None:
        for term in loaded.programme.calendar.terms:
            click.echo(t("next.term", id=term.id, name=term.name, start=term.start.isoformat(),
                         start_wd=weekday(term.start), end=term.end.isoformat(), end_wd=weekday(term.end)))
    for d in loaded.diagnostics:
        click.echo(d.render(), err=True)
    if loaded.errors:
        click.echo(t("diag.summary_errors", n=len(loaded.errors)), err=True)
        sys.exit(1)
    click.echo(t("next.check_calendar"))
