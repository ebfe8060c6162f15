"""`guanai audit list | verify`: the append-only, hash-chained audit log."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click
from guanai.core.app import app_of
from guanai.core.commands.options import limit_option, org_option
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, output_options, table

COLUMNS = ["id", "at", "actor", "action", "table_name", "row_key", "org", "source"]


@dataclass(frozen=True)
class AuditOptions:
    org: str | None = None
    action: str | None = None
    since: str | None = None
    limit: int = 200
    as_json: bool = False
    as_csv: bool = False


@click.command("list", help="cli.audit_list.help", epilog="cli.audit_list.example")
@org_option
@click.option("--action", metavar="ACTION", help="cli.opt.audit_action")
@click.option("--since", metavar="DATE", help="cli.opt.audit_since")
@limit_option(200)
@output_options
@click.pass_context
def audit_list_command(ctx: click.Context, **options: Any) -> None:
    """The audit log, newest first: who changed or read what, when."""
    list_audit(ctx, AuditOptions(**options))


@click.command("verify", help="cli.audit_verify.help")
@click.pass_context
def audit_verify_command(ctx: click.Context) -> None:
    """Check the audit log's hash chain; exit 1 naming the first row broken."""
    sys.exit(verify_audit(ctx))


def list_audit(ctx: click.Context, opts: AuditOptions) -> None:
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from guanai.core.commands.programme import parse_cli_date
    from guanai.core.store.orgs import all_orgs, schools_under
    from guanai.core.store.programmes import DEFAULT_TIMEZONE
    from guanai.core.store.schema import audit_log
    from sqlalchemy import or_, select

    org, action = opts.org, opts.action
    day = parse_cli_date(opts.since, "--since")
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    query = select(*(audit_log.c[c] for c in COLUMNS)).order_by(audit_log.c.id.desc()).limit(opts.limit)
    with app_of(ctx).store.read() as conn:
        if org is not None:
            orgs = all_orgs(conn)
            if org not in orgs:
                from guanai.core.diagnostics import Refusal

                raise Refusal("org.unknown", code=org)
            under = {org, *schools_under(orgs, org)}
            query = query.where(or_(audit_log.c.org.in_(sorted(under))))
        if action is not None:
            query = query.where(audit_log.c.action == action)
        if day is not None:
            start = datetime.combine(day, time()).replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
            query = query.where(audit_log.c.at >= start)
        rows = [dict(r._mapping) for r in conn.execute(query)]
    for r in rows:  # stored in UTC; shown in the county's time
        r["at"] = r["at"].replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
    if opts.as_json:
        dump_json(rows)
        return
    if opts.as_csv:
        dump_csv(rows, COLUMNS)
        return
    out = console()
    body = [(r["id"], f"{r['at']:%Y-%m-%d %H:%M:%S}", r["actor"], r["action"], r["table_name"], r["row_key"],
             r["org"] or "—") for r in rows]
    out.print(table(None, [t("audit.col.id"), t("audit.col.at"), t("audit.col.actor"), t("audit.col.action"),
                           t("audit.col.table"), t("audit.col.key"), t("audit.col.org")], body))
    out.print(t("list.count", n=len(rows)))


def verify_audit(ctx: click.Context) -> int:
    """0 when the chain holds from the first row to the last; 1 naming the first broken row."""
    from guanai.core.store.auditlog import COLUMNS, verify

    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    with app_of(ctx).store.read() as conn:  # the driver's own rows: 100,000 are checked in seconds
        result = conn.execution_options(stream_results=True).exec_driver_sql(
            f"SELECT {columns} FROM audit_log ORDER BY id")
        checked, broken = verify(dict(zip(COLUMNS, r, strict=True)) for r in result)
    if broken is None:
        click.echo(t("audit.intact", n=checked))
        return 0
    click.echo(t(f"audit.broken.{broken.kind}", id=broken.id, n=checked - 1), err=True)
    return 1


