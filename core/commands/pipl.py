"""`guanai export --child ID` and `guanai purge --left-before DATE`: a guardian's request and the
deletion PIPL asks for; both audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t


@click.command("export", help="cli.export.help", epilog="cli.export.example")
@click.option("--child", "child_id", required=True, metavar="ID", help="cli.opt.child")
@click.option("-o", "--output", required=True, metavar="FILE.json", type=click.Path(dir_okay=False),
              help="cli.opt.report_output")
@click.pass_context
def export_command(ctx: click.Context, child_id: str, output: str) -> None:
    """Everything held about one child, as JSON (a guardian's request under PIPL); audited."""
    export_child(ctx, child_id, output)


def export_child(ctx: click.Context, child_id: str, output: str) -> None:
    from guanai.core.files import write_private
    from guanai.core.output import json_default
    from guanai.core.store import contacts
    from guanai.core.store.db import audit
    from guanai.core.store.pipl import child_file

    if Path(output).suffix.lower() != ".json":
        raise Refusal("report.bad_suffix", path=output, allowed=".json")
    store = app_of(ctx).store
    with store.write() as conn:
        found = child_file(conn, child_id)
        if found is None:
            raise Refusal("record.child_unknown", value=child_id)
        school = found["child"]["school"]  # everything held: contacts in full too, as this session may see them
        found["child"] = contacts.shown(conn, "child", [found["child"]], True, f"export child={child_id}", school,
                                        "export")[0]
        audit(conn, [{"action": "export_child", "table_name": "child", "row_key": child_id,
                      "org": found["child"]["school"], "after": {"file": Path(output).name,
                                                                "records": len(found["records"])}}], "cli")
        write_private(output, json.dumps({"guanai_export": 1, **found}, ensure_ascii=False, indent=2,
                                         default=json_default))
    click.echo(t("export.written", path=output, child=child_id, records=len(found["records"]),
                 pairings=len(found["pairings"])))


@dataclass(frozen=True)
class PurgeOptions:
    left_before: str
    dry_run: bool = False
    yes: bool = False


@click.command("purge", help="cli.purge.help", epilog="cli.purge.example")
@click.option("--left-before", required=True, metavar="DATE", help="cli.opt.left_before")
@click.option("--dry-run", is_flag=True, help="cli.opt.purge_dry_run")
@click.option("--yes", is_flag=True, help="cli.opt.yes")
@click.pass_context
def purge_command(ctx: click.Context, **options: Any) -> None:
    """Delete the children who left before a date, with everything held about them; audited."""
    purge(ctx, PurgeOptions(**options))


def purge(ctx: click.Context, opts: PurgeOptions) -> None:
    from guanai.core.commands.options import parse_cli_date
    from guanai.core.store.db import audit
    from guanai.core.store.pipl import purge as do_purge

    dry_run = opts.dry_run
    day = parse_cli_date(opts.left_before, "--left-before")
    assert day is not None
    store = app_of(ctx).store
    with store.read() as conn:
        would = do_purge(conn, day, dry_run=True)
    click.echo(t("purge.plan", n=len(would.children), day=day.isoformat(), **would.counts))
    if dry_run or not would.children:
        if dry_run:
            click.echo(t("purge.dry_run"))
        return
    if not opts.yes and not click.confirm(t("purge.confirm"), default=False):
        raise Refusal("purge.aborted")
    with store.write() as conn:
        done = do_purge(conn, day, dry_run=False)
        audit(conn, [{"action": "purge", "table_name": "child", "row_key": f"left_before={day.isoformat()}",
                      "after": {"children": len(done.children), **done.counts}}], "cli")
    click.echo(t("purge.done", n=len(done.children), **done.counts))
