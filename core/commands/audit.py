"""`guanai audit list | verify`: the append-only, hash-chained audit log."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click
from guanai.core.commands import app_of
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
@click.option("--checkpoint", "checkpoint", metavar="FILE", type=click.Path(dir_okay=False),
              help="cli.opt.audit_checkpoint_in")
@click.pass_context
def audit_verify_command(ctx: click.Context, checkpoint: str | None) -> None:
    """Check the audit log's hash chain (and that it still extends a checkpoint); exit 1 naming
    every row broken."""
    sys.exit(verify_audit(ctx, checkpoint))


@click.command("checkpoint", help="cli.audit_checkpoint.help", epilog="cli.audit_checkpoint.example")
@click.option("-o", "--output", required=True, metavar="FILE", type=click.Path(dir_okay=False),
              help="cli.opt.audit_checkpoint_out")
@click.pass_context
def audit_checkpoint_command(ctx: click.Context, output: str) -> None:
    """Write the chain's head (count, last id, its hash, when) to keep outside the database."""
    write_checkpoint(ctx, output)


def list_audit(ctx: click.Context, opts: AuditOptions) -> None:
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from guanai.core.commands.options import parse_cli_date
    from guanai.core.store.auditlog import recent
    from guanai.core.store.orgs import all_orgs, schools_under
    from guanai.core.store.programmes import DEFAULT_TIMEZONE

    org, action = opts.org, opts.action
    day = parse_cli_date(opts.since, "--since")
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    since = (datetime.combine(day, time()).replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
             if day is not None else None)
    under: set[str] | None = None
    with app_of(ctx).store.read() as conn:
        if org is not None:
            orgs = all_orgs(conn)
            if org not in orgs:
                from guanai.core.diagnostics import Refusal

                raise Refusal("org.unknown", code=org)
            under = {org, *schools_under(orgs, org)}
        rows = recent(conn, COLUMNS, opts.limit, under, action, since)
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


MAX_BREAKS_SHOWN = 20


def verify_audit(ctx: click.Context, checkpoint: str | None = None) -> int:
    """0 when the chain holds from the first row to the last (and extends the checkpoint); 1
    naming every break. A user who may not read every row checks the links of all and the
    content of those it reads, and says so — never a false 篡改."""
    from guanai.core.store import auditlog
    from guanai.core.store.auditlog import Break, own_hash_holds, verify

    with app_of(ctx).store.read() as conn:
        links = auditlog.links(conn)
        rows = auditlog.readable_rows(conn)
    whole = len(rows) == len(links)
    if whole:
        checked, breaks = verify(rows)
    else:
        checked, breaks = verify(links, content=False)
        breaks += [Break(r["id"], "edited") for r in rows if not own_hash_holds(r)]
        breaks.sort(key=lambda b: b.id)
    behind = _against_checkpoint(links, checkpoint) if checkpoint else None
    for b in breaks[:MAX_BREAKS_SHOWN]:
        click.echo(t(f"audit.broken.{b.kind}", id=b.id), err=True)
    if len(breaks) > MAX_BREAKS_SHOWN:
        click.echo(t("audit.more_breaks", n=len(breaks) - MAX_BREAKS_SHOWN), err=True)
    if behind is not None:
        click.echo(behind, err=True)
    if breaks or behind is not None:
        click.echo(t("audit.broken.summary", n=len(breaks) + (behind is not None), total=checked), err=True)
        return 1
    if whole:
        click.echo(t("audit.intact", n=checked))
    else:
        click.echo(t("audit.intact_partly", n=checked, seen=len(rows), unseen=checked - len(rows)))
    if checkpoint:
        click.echo(t("audit.extends_checkpoint", path=checkpoint))
    return 0


def _against_checkpoint(links: list[dict[str, Any]], path: str) -> str | None:
    """What is wrong with the log against a checkpoint written earlier: None when it still extends
    it (the row the checkpoint names has the same hash, with the same number of rows up to it)."""
    import json
    from pathlib import Path

    from guanai.core.diagnostics import Refusal

    try:
        mark = json.loads(Path(path).read_text("utf-8"))
        count, last_id, digest = int(mark["count"]), int(mark["last_id"]), str(mark["hash"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Refusal("audit.bad_checkpoint", path=path) from exc
    upto = [link for link in links if link["id"] <= last_id]
    at = next((link for link in upto if link["id"] == last_id), None)
    if count and at is None:
        return t("audit.checkpoint_cut", path=path, id=last_id, count=count, now=len(links))
    if at is not None and at["hash"] != digest:
        return t("audit.checkpoint_rewritten", path=path, id=last_id)
    if len(upto) != count:
        return t("audit.checkpoint_count", path=path, id=last_id, count=count, now=len(upto))
    return None


def write_checkpoint(ctx: click.Context, output: str) -> None:
    """The head of the chain as JSON: keep it where the database's owner cannot change it."""
    import json

    from guanai.core.files import write_private
    from guanai.core.store import auditlog

    with app_of(ctx).store.read() as conn:
        links = auditlog.links(conn)
    last = links[-1] if links else None
    digest = str(last["hash"]) if last else ""
    mark = {"guanai_audit_checkpoint": 1, "count": len(links), "last_id": last["id"] if last else 0,
            "hash": digest, "at": str(last["at"]) if last else None,
            "written": app_of(ctx).started.isoformat(timespec="seconds")}
    write_private(output, json.dumps(mark, ensure_ascii=False, indent=2) + "\n")
    click.echo(t("audit.checkpoint_written", path=output, n=len(links), id=mark["last_id"], hash=digest[:16]))
