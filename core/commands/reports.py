"""`guanai report summary | ledger | county`: the documents a school hands in and a bureau files."""

from __future__ import annotations

from pathlib import Path

import click
from guanai.core.app import app_of
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t


def _suffix(path: str, allowed: tuple[str, ...]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise Refusal("report.bad_suffix", path=path, allowed="、".join(allowed))
    return suffix


def summary(ctx: click.Context, org: str, term_id: str | None, start: str | None, end: str | None,
            when: str | None, output: str, template: str | None) -> None:
    from guanai.core.commands.engine import prepare
    from guanai.core.commands.programme import parse_cli_date
    from guanai.core.reports import render
    from guanai.core.reports.summary import build, resolve_period

    _suffix(output, render.SUFFIXES)
    if template is not None and (Path(output).suffix.lower() != ".docx" or not Path(template).is_file()):
        raise Refusal("report.bad_template", template=template)
    first, last = parse_cli_date(start, "--from"), parse_cli_date(end, "--to")
    c = prepare(ctx, org, when)
    period = resolve_period(c, term_id, first, last)
    doc = build(c, period, app_of(ctx).registry)
    try:
        render.write(doc, output, template)
    except Exception as exc:  # a county's template with a mistake in its tags: say which file
        if template is None:
            raise
        raise Refusal("report.template_failed", template=template, error=f"{type(exc).__name__}: {exc}") from exc
    click.echo(t("report.written", path=output, title=doc.title))


def ledger(ctx: click.Context, org: str, term_id: str | None, start: str | None, end: str | None,
           when: str | None, output: str, show_contacts: bool) -> None:
    from guanai.core import spreadsheet
    from guanai.core.commands.engine import prepare
    from guanai.core.commands.programme import parse_cli_date
    from guanai.core.reports import ledger as build_ledger
    from guanai.core.reports.summary import resolve_period
    from guanai.core.store.db import audit

    _suffix(output, (".xlsx",))
    first, last = parse_cli_date(start, "--from"), parse_cli_date(end, "--to")
    c = prepare(ctx, org, when)
    period = resolve_period(c, term_id, first, last)
    sheets = build_ledger.build(c, period, app_of(ctx).registry, show_contacts)
    spreadsheet.write(output, sheets)
    with c.store.write() as conn:  # children's names (and, when asked for, contacts) leave the database
        audit(conn, [{"action": "export_ledger", "table_name": "child", "row_key": f"org={org}", "org": org,
                      "after": {"file": Path(output).name, "show_contacts": show_contacts,
                                "from": period.first.isoformat(), "to": period.last.isoformat(),
                                "sheets": len(sheets)}}], "cli")
    click.echo(t("ledger.written", path=output, n=len(sheets), names="、".join(s.name for s in sheets)))


def county(ctx: click.Context, org: str, term_id: str | None, start: str | None, end: str | None,
           when: str | None, output: str) -> None:
    from guanai.core import spreadsheet
    from guanai.core.commands.engine import prepare
    from guanai.core.commands.programme import parse_cli_date
    from guanai.core.reports import county as build_county
    from guanai.core.reports.summary import resolve_period

    suffix = _suffix(output, (".xlsx", ".html"))
    first, last = parse_cli_date(start, "--from"), parse_cli_date(end, "--to")
    c = prepare(ctx, org, when)
    period = resolve_period(c, term_id, first, last)
    report = build_county.build(c, period, app_of(ctx).registry)
    if suffix == ".xlsx":
        spreadsheet.write(output, build_county.sheets(report))
    else:
        target = Path(output)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(build_county.to_html(report), encoding="utf-8")
        tmp.replace(target)
    click.echo(t("report.written", path=output, title=report.title))
