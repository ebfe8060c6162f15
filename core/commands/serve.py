"""`guanai serve`: the teachers' web page (core/web), on this database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t

LOCAL = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    insecure_trust: bool = False


@click.command("serve", help="cli.serve.help", epilog="cli.serve.example")
@click.option("--host", default="127.0.0.1", show_default=True, help="cli.opt.serve_host")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="cli.opt.serve_port")
@click.option("--insecure-trust", is_flag=True, help="cli.opt.serve_trust")
@click.pass_context
def serve_command(ctx: click.Context, **options: Any) -> None:
    """Serve the teachers' page until stopped (Ctrl-C)."""
    serve(ctx, ServeOptions(**options))


def backend_of(ctx: click.Context, opts: ServeOptions) -> Any:
    """Where the page's sign-ins go, after the checks that keep it safe: a SQLite file is served to
    its owner on this machine only; a PostgreSQL server must check passwords."""
    import secrets

    from guanai.core.store.db import checks_passwords, sqlite_path
    from guanai.core.web.sessions import Backend

    app = app_of(ctx)
    store = app.raw_store
    if store.dialect == "sqlite":
        if opts.host not in LOCAL:
            raise Refusal("serve.sqlite_local")
        store = app.store
        path = sqlite_path(store.engine.url.database)
        if path is not None and hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
            raise Refusal("serve.sqlite_not_owner", path=str(path))
        import getpass

        return Backend(store.url, "sqlite", getpass.getuser(), secrets.token_urlsafe(12), store)
    if not opts.insecure_trust:
        said = checks_passwords(store.url)
        if said is not None:
            raise Refusal("serve.no_password_check", said=said)
    return Backend(store.url, "postgresql")


def serve(ctx: click.Context, opts: ServeOptions) -> None:
    try:
        import uvicorn
        from guanai.core.web.views import make_app
    except ImportError as exc:
        raise Refusal("serve.needs_web") from exc
    import logging

    backend = backend_of(ctx, opts)
    app_of(ctx).registry  # the plugins' problems, said once at start  # noqa: B018
    if backend.dialect == "sqlite":
        click.echo(t("serve.started_sqlite", host=opts.host, port=opts.port, user=backend.owner,
                     password=backend.owner_password))
    else:
        click.echo(t("serve.started", host=opts.host, port=opts.port))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # uvicorn's own access log would print every path; ours (core/web/app.py) masks children's ids
    uvicorn.run(make_app(backend), host=opts.host, port=opts.port, access_log=False, proxy_headers=True,
                forwarded_allow_ips="127.0.0.1", log_level="warning", server_header=False)
