"""`guanai demo`: build the demo school, then show a teacher's due list and the compliance table."""

from __future__ import annotations

from pathlib import Path

import click
from guanai.core.app import app_of
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t


def run_demo(ctx: click.Context, target: str) -> None:
    from guanai.core.commands.engine import compliance, due, indicators
    from guanai.core.demo import build, is_demo
    from guanai.core.store.db import Store

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
    due(ctx, None, made.teacher, None, day, None, 12, False, False)
    click.echo()
    compliance(ctx, made.school, "duty", None, (), day, None, "key", False, False)
    click.echo()
    indicators(ctx, made.school, day, None, False, False)
    click.echo()
    from guanai.core.commands.reports import ledger, summary

    folder = Path(url.removeprefix("sqlite:///")).parent if url.startswith("sqlite:///") else Path()
    summary(ctx, made.school, None, None, None, day, str(folder / "demo-总结.docx"), None)
    ledger(ctx, made.school, None, None, None, day, str(folder / "demo-台账.xlsx"), False)
    click.echo()
    click.echo(t("demo.next", db=target, teacher=made.teacher, day=day, child=made.child))
