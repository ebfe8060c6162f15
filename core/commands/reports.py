"""`guanai report summary | ledger | county`: the documents a school hands in and a bureau files."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import as_of_option, contacts_option, known_at_option
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t


@dataclass(frozen=True)
class ReportOptions:
    """What every report takes: the org, the period (--term, or --from/--to), as_of and the file;
    then what one report adds (a .docx template for the summary, contacts for the ledger)."""

    org: str
    output: str
    term_id: str | None = None
    start: str | None = None
    end: str | None = None
    when: str | None = None
    known_at: str | None = None
    template: str | None = None
    show_contacts: bool = False
    name_staff: bool = False
    force: bool = False
    evidence: str | None = None
    strict: bool = False


def report_command(name: str, *extra: Callable[[Any], Any]) -> Callable[[Any], click.Command]:
    """`report NAME --org … [--term | --from --to] [--as-of] [--known-at] -o FILE` with `extra` options."""

    def wrap(func: Any) -> click.Command:
        for option in reversed((click.option("--org", required=True, metavar="CODE", help="cli.opt.org"),
                                click.option("--term", "term_id", metavar="ID", help="cli.opt.term"),
                                click.option("--from", "start", metavar="DATE", help="cli.opt.report_from"),
                                click.option("--to", "end", metavar="DATE", help="cli.opt.report_to"),
                                as_of_option,
                                known_at_option,
                                click.option("-o", "--output", required=True, metavar="FILE",
                                             type=click.Path(dir_okay=False), help="cli.opt.report_output"),
                                click.option("--force", is_flag=True, help="cli.opt.report_force"),
                                click.option("--strict", is_flag=True, help="cli.opt.report_strict"),
                                *extra)):
            func = option(func)
        return click.command(name, help=f"cli.report_{name}.help", epilog=f"cli.report_{name}.example")(
            click.pass_context(func))

    return wrap


EVIDENCE = click.option("--evidence", metavar="FILE.json", type=click.Path(dir_okay=False), help="cli.opt.evidence")


@report_command("summary", click.option("--template", metavar="FILE.docx", help="cli.opt.report_template"),
                click.option("--name-staff", is_flag=True, help="cli.opt.name_staff"), EVIDENCE)
def summary_command(ctx: click.Context, **options: Any) -> None:
    """The term's 总结 (.docx/.md/.html): figures from the engine, prose a school edits."""
    summary(ctx, ReportOptions(**options))


@report_command("ledger", contacts_option)
def ledger_command(ctx: click.Context, **options: Any) -> None:
    """The school's 台账 workbook: one sheet per register; audited, contacts masked unless asked."""
    ledger(ctx, ReportOptions(**options))


@report_command("county", EVIDENCE)
def county_command(ctx: click.Context, **options: Any) -> None:
    """The bureau's assessment of its schools (.xlsx/.html)."""
    county(ctx, ReportOptions(**options))


@click.command("template", help="cli.report_template.help", epilog="cli.report_template.example")
@click.option("-o", "--output", required=True, metavar="FILE.docx", type=click.Path(dir_okay=False),
              help="cli.opt.report_output")
@click.option("--force", is_flag=True, help="cli.opt.report_force")
def template_command(output: str, force: bool) -> None:
    """The default 工作总结 template, to start a county's own from: every section and variable in
    place, laid out after GB/T 9704; edit it in Word, then `report summary --template FILE.docx`."""
    from guanai.core.files import write_private_bytes
    from guanai.core.reports.render import default_template

    _suffix(output, (".docx",), force)
    write_private_bytes(output, default_template().read_bytes())
    click.echo(t("report.template_written", path=output))


def _failed_sections(failures: list[tuple[str, str]], written: bool = True) -> None:
    """A plugin's section that failed: named on stderr with why, and exit 1 — the document was
    written with the section marked 未生成, or (--strict) not written at all (exit 2)."""
    if not failures:
        return
    for plugin, error in failures:
        click.echo(t("report.plugin_failed", plugin=plugin, error=error), err=True)
    if not written:
        raise Refusal("report.strict_not_written")
    sys.exit(1)


def _suffix(path: str, allowed: tuple[str, ...], force: bool = False) -> str:
    """The format `path` asks for (its suffix, any case); refused before anything is computed when
    it is none of `allowed`, or when the file is there already and --force was not given (a 总结 a
    head teacher has edited by hand is never overwritten silently)."""
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise Refusal("report.bad_suffix", path=path, allowed="、".join(allowed))
    if Path(path).is_file() and not force:
        raise Refusal("report.exists", path=path)
    return suffix


def evidence_path(opts: ReportOptions) -> Path:
    """Where the evidence goes: --evidence FILE, else beside the document (总结.docx → 总结.evidence.json)."""
    out = Path(opts.output)
    return Path(opts.evidence) if opts.evidence else out.with_name(f"{out.stem}.evidence.json")


def write_evidence(c: Any, opts: ReportOptions, period: Any, title: str, figures: dict[str, Any],
                   items: list[dict[str, Any]]) -> Path:
    """The evidence file: the document, when and as of when it was made, its period, and each
    sentence (or table) with its figures and the engine call and command that give them."""
    import json
    from datetime import datetime
    from importlib.metadata import version

    from guanai.core.celltext import json_default
    from guanai.core.files import write_private
    from guanai.core.reports.render import tight

    path = evidence_path(opts)
    known = c.asof.known_at_utc
    data = {"document": Path(opts.output).name, "title": title, "org": c.org, "guanai": version("guanai"),
            "made_at": datetime.now().astimezone().isoformat(timespec="seconds"), "as_of": c.as_of_text(),
            "known_at": known.isoformat(timespec="seconds") if known is not None else None,
            "period": {"name": period.name, "first": period.first, "last": period.last},
            "figures": figures,
            "items": [{**item, "text": tight(item["text"])} if "text" in item else item for item in items]}
    write_private(path, json.dumps(data, ensure_ascii=False, indent=2, default=json_default) + "\n")
    return path


def _period(ctx: click.Context, opts: ReportOptions) -> tuple[Any, Any]:
    """The engine's context for the org and the report's period (the term holding as_of by default)."""
    from guanai.core.commands.engine import prepare
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.reports.summary import resolve_period

    first, last = parse_cli_date(opts.start, "--from"), parse_cli_date(opts.end, "--to")
    c = prepare(ctx, opts.org, opts.when, opts.known_at)
    start = c.before_start()
    if start is not None and first is None and opts.term_id is None:  # a report of a time with no programme yet
        raise Refusal("report.before_programme", day=c.asof.day.isoformat(), start=start.isoformat())
    return c, resolve_period(c, opts.term_id, first, last)


def summary(ctx: click.Context, opts: ReportOptions) -> None:
    from guanai.core.reports import render
    from guanai.core.reports.summary import build

    output, template = opts.output, opts.template
    _suffix(output, render.SUFFIXES, opts.force)
    if template is not None and (Path(output).suffix.lower() != ".docx" or not Path(template).is_file()):
        raise Refusal("report.bad_template", template=template)
    c, period = _period(ctx, opts)
    doc = build(c, period, app_of(ctx).registry, name_staff=opts.name_staff)
    if doc.failures and opts.strict:
        _failed_sections(doc.failures, written=False)
    try:
        render.write(doc, output, template)
    except Refusal:
        raise
    except Exception as exc:  # a county's template with a mistake in its tags: say which file
        if template is None:
            raise
        raise Refusal("report.template_failed", template=template, error=f"{type(exc).__name__}: {exc}") from exc
    proof = write_evidence(c, opts, period, doc.title, doc.figures, doc.evidence)
    click.echo(t("report.written", path=output, title=doc.title))
    click.echo(t("report.evidence_written", path=str(proof)))
    _failed_sections(doc.failures)


def ledger(ctx: click.Context, opts: ReportOptions) -> None:
    from guanai.core import spreadsheet
    from guanai.core.reports import ledger as build_ledger
    from guanai.core.store.db import audit

    org, output, show_contacts = opts.org, opts.output, opts.show_contacts
    _suffix(output, (".xlsx",), opts.force)
    c, period = _period(ctx, opts)
    failures: list[tuple[str, str]] = []
    sheets = build_ledger.build(c, period, app_of(ctx).registry, show_contacts, failures)
    if failures and opts.strict:
        _failed_sections(failures, written=False)
    spreadsheet.write(output, sheets)
    with c.store.write() as conn:  # children's names (and, when asked for, contacts) leave the database
        audit(conn, [{"action": "export_ledger", "table_name": "child", "row_key": f"org={org}", "org": org,
                      "after": {"file": Path(output).name, "show_contacts": show_contacts,
                                "from": period.first.isoformat(), "to": period.last.isoformat(),
                                "sheets": len(sheets)}}], "cli")
    click.echo(t("ledger.written", path=output, n=len(sheets), names="、".join(s.name for s in sheets)))
    _failed_sections(failures)


def county(ctx: click.Context, opts: ReportOptions) -> None:
    from guanai.core import spreadsheet
    from guanai.core.files import write_private
    from guanai.core.reports import county as build_county

    output = opts.output
    suffix = _suffix(output, (".xlsx", ".html"), opts.force)
    c, period = _period(ctx, opts)
    report = build_county.build(c, period, app_of(ctx).registry)
    if suffix == ".xlsx":
        spreadsheet.write(output, build_county.sheets(report))
    else:
        write_private(output, build_county.to_html(report))
    proof = write_evidence(c, opts, period, report.title, report.figures, build_county.evidence(c, report))
    click.echo(t("report.written", path=output, title=report.title))
    click.echo(t("report.evidence_written", path=str(proof)))
