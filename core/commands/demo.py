"""`guanai demo`: build the demo school, then show a teacher's due list and the compliance table."""

from __future__ import annotations

from pathlib import Path

import click
from guanai.core.commands import app_of
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t


@click.command("demo", help="cli.demo.help", epilog="cli.demo.example")
@click.option("--db", "target", default="guanai-demo.db", show_default=True, metavar="PATH", help="cli.opt.demo_db")
@click.pass_context
def demo_command(ctx: click.Context, target: str) -> None:
    """Build the demo school, then show a teacher's due list, compliance and the term's documents."""
    run_demo(ctx, target)


def run_demo(ctx: click.Context, target: str) -> None:
    from guanai.core.commands.engine import (
        ComplianceOptions,
        DueOptions,
        IndicatorsOptions,
        compliance,
        due,
        indicators,
    )
    from guanai.core.commands.reports import ReportOptions, ledger, summary
    from guanai.core.store.db import Store
    from guanai.core.store.demo import build, is_demo

    url = target if "://" in target else f"sqlite:///{target}"
    store = Store(url)
    if store.revision() is not None:
        if not is_demo(store):
            raise Refusal("demo.not_demo", url=url)
        if store.dialect != "sqlite":
            raise Refusal("demo.sqlite_only", url=url)
        store.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{store.engine.url.database}{suffix}").unlink(missing_ok=True)
        store = Store(url)
    store.init()
    made = build(store)
    store.engine.dispose()
    click.echo(t("demo.built", url=url, children=made.children, cared=made.left_behind, staff=made.staff,
                 records=made.records))
    click.echo()
    app_of(ctx).use_db(url)
    day = made.as_of.isoformat()
    due(ctx, DueOptions(staff_id=made.teacher, when=day, limit=12))
    click.echo()
    compliance(ctx, ComplianceOptions(org=made.school, when=day))
    click.echo()
    indicators(ctx, IndicatorsOptions(org=made.school, when=day))
    click.echo()
    folder = Path(url.removeprefix("sqlite:///")).parent if url.startswith("sqlite:///") else Path()
    summary(ctx, ReportOptions(made.school, str(folder / "demo-总结.docx"), when=day, force=True))  # the demo's own
    ledger(ctx, ReportOptions(made.school, str(folder / "demo-台账.xlsx"), when=day, force=True))
    click.echo()
    click.echo(t("demo.next", db=target, teacher=made.teacher, day=day, child=made.child))
