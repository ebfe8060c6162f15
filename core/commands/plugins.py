"""`guanai plugins list | check | show` and `guanai plugin new`: what is installed, and a new one."""

from __future__ import annotations

import sys
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import json_option
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, output_options, table


@click.command("list", help="cli.plugins_list.help", epilog="cli.plugins_list.example")
@output_options
@click.pass_context
def plugins_list_command(ctx: click.Context, as_json: bool, as_csv: bool) -> None:
    """Installed plugins with their steps, indicator kinds and commands."""
    app_of(ctx).quiet_plugins = True
    list_plugins(app_of(ctx).registry, as_json, as_csv)


@click.command("check", help="cli.plugins_check.help", epilog="cli.plugins_check.example")
@click.pass_context
def plugins_check_command(ctx: click.Context) -> None:
    """Every plugin that could not be loaded, and how to go on; exit 1 when any."""
    app = app_of(ctx)
    app.quiet_plugins = True
    builtin = set(getattr(ctx.find_root().command, "lazy", {}))  # the built-in commands' names
    sys.exit(check_plugins(app.registry, app.existing_store(), builtin))


@click.command("show", help="cli.plugins_show.help", epilog="cli.plugins_show.example")
@click.argument("name")
@json_option
@click.pass_context
def plugins_show_command(ctx: click.Context, name: str, as_json: bool) -> None:
    """One plugin: its steps, fields, settings, follow-ups, indicator kinds, commands and hooks."""
    show_plugin(app_of(ctx).registry, name, as_json)


@click.command("new", help="cli.plugin_new.help", epilog="cli.plugin_new.example")
@click.argument("name")
@click.option("--title", default="检查", show_default=True, help="cli.opt.plugin_title")
@click.option("--dir", "parent", default=".", type=click.Path(file_okay=False), help="cli.opt.plugin_dir")
def plugin_new_command(name: str, title: str, parent: str) -> None:
    """A new plugin package with one step, its tests and docs, ready to install."""
    from pathlib import Path

    from guanai.core.scaffold import new_plugin

    folder = new_plugin(name, title, Path(parent))
    click.echo(t("scaffold.done", folder=str(folder), name=name))


def list_plugins(registry: Any, as_json: bool, as_csv: bool) -> None:

    commands = _commands_by_plugin(registry)
    rows = [{"name": name, "version": version, "steps": [s.name for s in registry.steps_of(name)],
             "indicators": sorted(k.name for k in registry.indicator_kinds.values() if k.plugin == name),
             "commands": commands.get(name, []),
             "step_fields": {s.name: [vars(f) for f in s.field_info()] for s in registry.steps_of(name)}}
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
        click.echo(problem.line(), err=True)


def _commands_by_plugin(registry: object) -> dict[str, list[str]]:
    """The command names each plugin's register_commands adds, found on a scratch group."""
    from guanai.core.plugins import Contained, call_plugin, contained, implementing

    out: dict[str, list[str]] = {}
    pm = registry.pm  # type: ignore[attr-defined]
    for plugin in implementing(pm, "register_commands"):
        scratch = click.Group()
        try:
            with contained(plugin, "register"):
                call_plugin(pm, "register_commands", plugin, cli=scratch)
        except Contained:  # reported when the command is used; the list must still show
            continue
        out[plugin] = sorted(scratch.commands)
    return out


def show_plugin(registry: Any, name: str, as_json: bool) -> None:
    """One plugin: its steps (scope, fields, an example), settings, indicator kinds, commands, hooks."""
    from guanai.core.diagnostics import Refusal
    from guanai.core.programme import parse_duration
    from guanai.core.render import within
    from guanai.core.store.context import reads_of

    if name not in registry.plugins:
        raise Refusal("plugins.unknown", plugin=name, plugins="、".join(registry.plugins))
    model = registry.settings_models.get(name)
    plugin = registry.pm.get_plugin(name)
    hooks = sorted(caller.name for caller in (registry.pm.get_hookcallers(plugin) or []))
    defaults = model.model_validate({}) if model is not None and _all_defaulted(model) else None
    data = {
        "name": name, "version": registry.plugins[name],
        "steps": [{"name": s.name, "title": s.title, "description": s.description, "scope": s.scope,
                   "fields": [vars(f) for f in s.field_info()], "example": s.example(),
                   "follow_ups": [{"id": f.id, "name": f.name, "when": f.when, "step": f.step, "group": f.group,
                                   "within": _within(f, defaults)} for f in s.follow_ups]}
                  for s in registry.steps_of(name)],
        "settings": [{"name": n, "description": i.description or "", "default": None if i.is_required() else
                      _jsonable(i.default)} for n, i in (model.model_fields.items() if model else ())],
        "indicators": [{"name": k.name, "title": k.title} for k in registry.indicator_kinds.values() if k.plugin == name],
        "commands": _commands_by_plugin(registry).get(name, []),
        "hooks": hooks,
        "reads": [{"step": step, "title": registry.steps[step].title if step in registry.steps else step,
                   "plugin": registry.steps[step].plugin if step in registry.steps else None}
                  for step in reads_of(registry, name)],  # other plugins' records it declares it reads
        "requires_api": str(getattr(plugin, "REQUIRES_API", "") or "") or None,
    }
    if as_json:
        dump_json(data)
        return
    out = console()
    out.print(t("plugins.show_title", plugin=name, version=data["version"]))
    for step in data["steps"]:
        out.print(t("plugins.show_step", title=step["title"], step=step["name"], description=step["description"]))
        for f in step["fields"]:
            out.print(f"    {f['name']}{t('plugins.required') if f['required'] else ''}：{f['description']}（{f['type']}）",
                      markup=False)
        out.print(f"    {step['example']}", markup=False)
        for f in step["follow_ups"]:
            limit = within(parse_duration(f["within"])) if f["within"] else t("plugins.within_by_settings")
            out.print(t("plugins.show_follow_up", when=f["when"] or step["title"], name=f["name"], id=f["id"],
                        within=limit), markup=False)
    if data["settings"]:
        out.print(t("plugins.show_settings"))
        for s in data["settings"]:
            out.print(f"    {s['name']} = {s['default']}：{s['description']}", markup=False)
    out.print(t("plugins.show_rest", indicators=t("list.sep").join(k["name"] for k in data["indicators"]) or "—",
                commands=t("list.sep").join(f"guanai {c}" for c in data["commands"]) or "—",
                hooks=t("list.sep").join(hooks)))
    out.print(t("plugins.show_reads", steps=t("list.sep").join(f"{r['title']}（{r['step']}）" for r in data["reads"])
                if data["reads"] else t("plugins.reads_own")), markup=False)


def _within(follow: Any, settings: Any) -> str | None:
    """The follow-up's time limit as "14d" (None when it depends on settings without defaults)."""
    from guanai.core.render import duration_code

    try:
        return duration_code(follow.within_for(settings))
    except Exception:  # a plugin's function of settings that needs a value the defaults lack
        return None


def _all_defaulted(model: Any) -> bool:
    return not any(info.is_required() for info in model.model_fields.values())


def _jsonable(value: object) -> object:
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _published_settings_problems(registry: Any, store: Any) -> list[str]:
    """Each published programme version whose settings an installed plugin (after its settings
    migration) no longer accepts: one line naming the programme, the version, the plugin and each
    field's problem in Chinese. Nothing when there is no database."""
    from guanai.core.store.programmes import published_settings
    from guanai.core.views import settings_problems

    if store is None:
        return []
    with store.read() as conn:
        found = published_settings(conn)
    out = []
    for programme, version, settings in found:
        for plugin, raw in settings.items():
            model = registry.settings_models.get(plugin)
            problems = settings_problems(model, raw or {}, f"settings.{plugin}") if model is not None else []
            if problems:
                out.append(t("plugins.settings_stale", programme=programme, version=version, plugin=plugin,
                             installed=registry.plugins.get(plugin, "?"), problems="；".join(problems)))
    return out


def check_plugins(registry: Any, store: Any = None, builtin: set[str] | None = None) -> int:
    """Every installed plugin that could not be loaded, and every command two plugins (or a plugin
    and guanai) both want, with why and how to go on: exit 1 when any."""
    for problem in registry.problems:
        click.echo(problem.line())
    owners: dict[str, list[str]] = {}
    for plugin, names in _commands_by_plugin(registry).items():
        for name in names:
            owners.setdefault(name, []).append(plugin)
    clashes = [(name, who) for name, who in owners.items() if len(who) > 1 or name in (builtin or set())]
    for name, who in clashes:
        click.echo(t("plugin.command_taken", plugin=who[-1], other=who[0], command=name) if len(who) > 1 else
                   t("plugin.command_clash", plugin=who[0], command=name))
    stale = _published_settings_problems(registry, store)
    for line in stale:
        click.echo(line)
    if registry.problems or clashes or stale:
        click.echo(t("plugins.check_failed", n=len(registry.problems) + len(clashes) + len(stale),
                     ok=len(registry.plugins)))
        return 1
    click.echo(t("plugins.check_ok", n=len(registry.plugins), names=t("list.sep").join(registry.plugins)))
    return 0
