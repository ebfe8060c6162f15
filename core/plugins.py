"""The plugin manager factory: built-ins first, then entry points of group ``guanai``."""

from __future__ import annotations

import importlib
import os
import sys
from importlib import metadata
from typing import Any

import pluggy
from guanai.core import hookspecs
from guanai.core.builtins import BUILTIN_PLUGINS
from guanai.core.registry import (
    DuplicateStep,
    FollowUp,
    PluginProblem,
    Registry,
    indicator_registrar,
    settings_registrar,
    step_registrar,
)

ENTRY_POINT_GROUP = "guanai"


def disabled_plugins() -> set[str]:
    raw = os.environ.get("GUANAI_DISABLE_PLUGINS", "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def get_plugin_manager(load_entrypoints: bool = True) -> tuple[pluggy.PluginManager, list[PluginProblem]]:
    """A fresh plugin manager and the problems met while loading plugins.

    A plugin that fails to import or implements an unknown hook is left out and
    reported; the others keep working.
    """
    pm = pluggy.PluginManager("guanai")
    pm.add_hookspecs(hookspecs)
    problems: list[PluginProblem] = []
    skip = disabled_plugins()
    for name in BUILTIN_PLUGINS:
        if name not in skip:
            pm.register(importlib.import_module(f"guanai.plugins.{name}"), name=name)
    if load_entrypoints:
        # in name order, so which of two plugins registering one step name keeps it is always the same
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
            if ep.name in skip or pm.get_plugin(ep.name) is not None and ep.name not in BUILTIN_PLUGINS:
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not take guanai down
                problems.append(PluginProblem(ep.name, "plugin.import_failed", {"error": _one_line(exc)}))
                continue
            if pm.get_plugin(ep.name) is not None:
                pm.unregister(name=ep.name)  # a county's plugin overrides a built-in of the same name
            pm.register(plugin, name=ep.name)
    while True:  # check_pending raises for the first bad plugin; drop it and look again
        try:
            pm.check_pending()
            break
        except pluggy.PluginValidationError as exc:
            bad_name = pm.get_name(exc.plugin) or str(exc.plugin)
            problems.append(_bad_hook(bad_name, exc))
            pm.unregister(exc.plugin)
    if os.environ.get("GUANAI_TRACE_PLUGINS") == "1":
        pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
        pm.enable_tracing()
    return pm, problems


def build_registry(pm: pluggy.PluginManager, problems: list[PluginProblem] | None = None) -> Registry:
    """Call each plugin's registration hooks, stamping what it registers with its name."""
    registry = Registry(problems=list(problems or []), pm=pm)
    for name, plugin in list(pm.list_name_plugin()):
        others = [p for p in pm.get_plugins() if p is not plugin]
        snapshot = (dict(registry.steps), dict(registry.settings_models), dict(registry.indicator_kinds))
        try:
            pm.subset_hook_caller("register_step_types", others)(register=step_registrar(registry, name))
            pm.subset_hook_caller("register_settings_model", others)(
                register=settings_registrar(registry, name)
            )
            pm.subset_hook_caller("register_indicator_kinds", others)(
                register=indicator_registrar(registry, name)
            )
        except DuplicateStep as dup:
            registry.steps, registry.settings_models, registry.indicator_kinds = snapshot
            registry.problems.append(
                PluginProblem(name, "plugin.duplicate_step", {"step": dup.step, "owner": dup.owner})
            )
            pm.unregister(plugin)  # none of its hooks may run
            continue
        except Exception as exc:
            registry.steps, registry.settings_models, registry.indicator_kinds = snapshot
            registry.problems.append(PluginProblem(name, "plugin.register_failed", {"error": _one_line(exc)}))
            pm.unregister(plugin)
            continue
        registry.plugins[name] = _version_of(plugin)
    _check_follow_ups(registry)
    return registry


def _check_follow_ups(registry: Registry) -> None:
    """Each declared follow-up rule names a registered step and an id no other plugin declares;
    a plugin breaking either is left out (an obligation nobody could meet is worse than none)."""
    seen: dict[str, str] = {}
    for plugin in list(registry.plugins):
        problem = None
        for step in registry.steps_of(plugin):
            for follow in step.follow_ups:
                if not isinstance(follow, FollowUp):
                    problem = PluginProblem(plugin, "plugin.register_failed", {
                        "error": f"TypeError: StepType.follow_ups expects FollowUp, got {type(follow).__name__}"})
                elif follow.step not in registry.steps:
                    problem = PluginProblem(plugin, "plugin.follow_up_unknown", {"id": follow.id, "step": follow.step})
                elif seen.get(follow.id, plugin) != plugin:
                    problem = PluginProblem(plugin, "plugin.follow_up_clash", {"id": follow.id,
                                                                               "owner": seen[follow.id]})
                else:
                    seen[follow.id] = plugin
        if problem is not None:
            registry.problems.append(problem)
            _drop(registry, plugin)


def _drop(registry: Registry, plugin: str) -> None:
    registry.steps = {k: v for k, v in registry.steps.items() if v.plugin != plugin}
    registry.indicator_kinds = {k: v for k, v in registry.indicator_kinds.items() if v.plugin != plugin}
    registry.settings_models.pop(plugin, None)
    registry.plugins.pop(plugin, None)
    if registry.pm is not None and registry.pm.get_plugin(plugin) is not None:
        registry.pm.unregister(name=plugin)


_registries: dict[tuple[bool, frozenset[str]], Registry] = {}


def load_registry(load_entrypoints: bool = True) -> Registry:
    """The registry of the installed plugins, built once per process (and per set of disabled
    plugins): every command and hook of a run sees the same plugins, loaded once."""
    key = (load_entrypoints, frozenset(disabled_plugins()))
    found = _registries.get(key)
    if found is None:
        pm, problems = get_plugin_manager(load_entrypoints)
        found = _registries[key] = build_registry(pm, problems)
    return found


def _version_of(plugin: object) -> str:
    version = getattr(plugin, "__version__", None)
    if version:
        return str(version)
    top = getattr(plugin, "__name__", "").split(".")[0]
    try:
        return metadata.version(top) if top else "0"
    except metadata.PackageNotFoundError:
        return "0"


def _bad_hook(plugin: str, exc: Exception) -> PluginProblem:
    """A hook the specs do not know, with the nearest real one ("on_recrod": 是否想写 on_record？)."""
    import difflib
    import re

    found = re.search(r"unknown hook '([^']+)'", str(exc))
    if found:
        names = [n for n, f in vars(hookspecs).items() if hasattr(f, "guanai_spec")]
        hint = difflib.get_close_matches(found.group(1), names, n=1)
        if hint:
            return PluginProblem(plugin, "plugin.bad_hook_hint", {"hook": found.group(1), "hint": hint[0]})
    return PluginProblem(plugin, "plugin.bad_hook", {"error": _one_line(exc)})


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0] if text else type(exc).__name__


_declared: tuple[Any, ...] = ()


def remember_declared(specs: tuple[Any, ...]) -> None:
    """The record types the command's database declares (App.registry reads them once)."""
    global _declared
    _declared = specs


_merged: dict[tuple[int, tuple[Any, ...]], Registry] = {}


def current_registry() -> Registry:
    """The plugins' registry with the declared record types the running command has read (one
    merged registry per set of them, not one per call)."""
    from guanai.core.declared import with_steps

    base = load_registry()
    key = (id(base), _declared)
    if key not in _merged:
        _merged[key] = with_steps(base, _declared)
    return _merged[key]
