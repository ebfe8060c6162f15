"""One module per command family; imported only when that command runs.

`app_of(ctx)` gives a command the run's App (core/app.py): commands are the one layer that knows
click; services, reports and the store are handed the App or what they need of it."""

from __future__ import annotations

from typing import Any

import click
from guanai.core.app import DEFAULT_DB, App


def app_of(ctx: click.Context | None = None) -> App:
    """The running command's App (from click's root context). Outside a command (guanai used as a
    library) a fresh one for `GUANAI_DB`."""
    import os

    current = ctx or click.get_current_context(silent=True)
    if current is None:
        return App(os.environ.get("GUANAI_DB", DEFAULT_DB))
    root = current.find_root()
    found: Any = root.obj
    if not isinstance(found, App):  # a command invoked without the root group (tests): the defaults
        found = root.obj = App(os.environ.get("GUANAI_DB", DEFAULT_DB))
    return found
