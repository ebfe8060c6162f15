"""`guanai plugins list`."""

from __future__ import annotations

import click
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, table


def list_plugins(as_json: bool, as_csv: bool) -> None:
    from guanai.core.plugins import load_registry

    registry = load_registry()
    commands = _commands_by_plugin(registry)
    rows = [{"name": name, "version": version, "steps": [s.name for s in registry.steps_of(name)],
             "indicators": sorted(k.name for k in registry.indicator_kinds.values() if k.plugin == name),
             "commands": commands.get(name, [])}
            for name, version in registry.plugins.items()]
    if as_json:
        dump_json(rows)
    elif as_csv:
        dump_csv(rows, ["name", "version", "steps", "indicators", "commands"])
    else:
        body = [(name, version, step.name, step.title) for name, version in registry.plugins.items()
                for step in registry.steps_of(name)]
        out = console()
        out.print(table(None, [t("plugins.col.plugin"), t("plugins.col.version"), t("plugins.col.step"),
                               t("plugins.col.title")], body))
        for row in rows:
            if row["indicators"] or row["commands"]:
                out.print(t("plugins.extras", plugin=row["name"],
                            commands=t("list.sep").join(f"guanai {c}" for c in row["commands"]) or "—",
                            indicators=t("list.sep").join(row["indicators"]) or "—"))
    for problem in registry.problems:
        click.echo(t(problem.code, plugin=problem.plugin, **problem.params), err=True)
        click.echo(t("plugin.disable_hint", plugin=problem.plugin), err=True)


def _commands_by_plugin(registry: object) -> dict[str, list[str]]:
    """The command names each plugin's register_commands adds, found on a scratch group."""
    out: dict[str, list[str]] = {}
    for impl in registry.pm.hook.register_commands.get_hookimpls():  # type: ignore[attr-defined]
        scratch = click.Group()
        try:
            impl.function(cli=scratch)
        except Exception:  # reported when the command is used; the list must still show
            continue
        out[impl.plugin_name] = sorted(scratch.commands)
    return out
