"""`guanai export --child ID` and `guanai purge --left-before DATE`: a guardian's request and the
deletion PIPL asks for; both audited."""

from __future__ import annotations

import json
from pathlib import Path

import click
from guanai.core.app import app_of
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t


def export_child(ctx: click.Context, child_id: str, output: str) -> None:
    from guanai.core.output import _default
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
        target = Path(output)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps({"guanai_export": 1, **found}, ensure_ascii=False, indent=2, default=_default),
                       encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(target)
    click.echo(t("export.written", path=output, child=child_id, records=len(found["records"]),
                 pairings=len(found["pairings"])))


def purge(ctx: click.Context, left_before: str, dry_run: bool, yes: bool) -> None:
    from guanai.core.commands.programme import parse_cli_date
    from guanai.core.store.db import audit
    from guanai.core.store.pipl import purge as do_purge

    day = parse_cli_date(left_before, "--left-before")
    assert day is not None
    store = app_of(ctx).store
    with store.read() as conn:
        would = do_purge(conn, day, dry_run=True)
    click.echo(t("purge.plan", n=len(would.children), day=day.isoformat(), **would.counts))
    if dry_run or not would.children:
        if dry_run:
            click.echo(t("purge.dry_run"))
        return
    if not yes and not click.confirm(t("purge.confirm"), default=False):
        raise Refusal("purge.aborted")
    with store.write() as conn:
        done = do_purge(conn, day, dry_run=False)
        audit(conn, [{"action": "purge", "table_name": "child", "row_key": f"left_before={day.isoformat()}",
                      "after": {"children": len(done.children), **done.counts}}], "cli")
    click.echo(t("purge.done", n=len(done.children), **done.counts))
