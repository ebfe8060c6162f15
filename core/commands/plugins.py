"""`guanai plugins list`."""

from __future__ import annotations

import click
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, table


def list_plugins(as_json: bool, as_csv: bool) -> None:
    from guanai.core.plugins import load_registry

    registry = load_registry()
    rows = [{"name": name, "version": version, "steps": [s.name for s in registry.steps_of(name)]}
            for name, version in registry.plugins.items()]
    if as_json:
        dump_json(rows)
    elif as_csv:
        dump_csv(rows, ["name", "version", "steps"])
    else:
        body = [(name, version, step.name, step.title) for name, version in registry.plugins.items()
                for step in registry.steps_of(name)]
        console().print(table(None, [t("plugins.col.plugin"), t("plugins.col.version"), t("plugins.col.step"),
                                     t("plugins.col.title")], body))
    for problem in registry.problems:
        click.echo(t(problem.code, plugin=problem.plugin, **problem.params), err=True)
        click.echo(t("plugin.disable_hint", plugin=problem.plugin), err=True)
