"""The plugin manager factory: built-ins first, then entry points of group ``guanai``."""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
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


PLUGINS_DIR = "GUANAI_PLUGINS_DIR"  # a folder of plugin modules (NAME.py) to try without packaging


def _candidates() -> list[tuple[str, Callable[[], Any], str]]:
    """The plugins to load besides the built-ins: (name, loader, where from) — the entry points of
    group ``guanai``, then each NAME.py of GUANAI_PLUGINS_DIR (``--plugins-dir``)."""
    out: list[tuple[str, Callable[[], Any], str]] = [
        (ep.name, ep.load, ep.value) for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP),
                                                      key=lambda ep: ep.name)]
    folder = os.environ.get(PLUGINS_DIR)
    if folder:
        for path in sorted(Path(folder).glob("*.py")):
            if not path.name.startswith("_"):
                out.append((path.stem, functools.partial(_load_file, path), str(path)))
    return out


def _load_file(path: Path) -> Any:
    """A plugin module from a file (GUANAI_PLUGINS_DIR), imported under a name of its own."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"guanai_local_plugins.{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Contained(Exception):
    """What a plugin did while guanai called it that disables it for the run (a PluginProblem)."""

    def __init__(self, problem: PluginProblem):
        super().__init__(problem.code)
        self.problem = problem


@contextlib.contextmanager
def contained(plugin: str, stage: str) -> Iterator[None]:
    """Run a plugin's code (its import, its registration hooks): any exception, a ``sys.exit()``,
    or text printed to stdout (which would break every ``--json``) becomes ``Contained`` naming the
    plugin, the cause and where (file:line); guanai goes on without it. KeyboardInterrupt passes."""
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            yield
    except Contained:
        raise
    except (Exception, SystemExit) as exc:
        if os.environ.get("GUANAI_DEBUG") == "1":
            traceback.print_exception(exc)
        raise Contained(PluginProblem(plugin, f"plugin.{stage}_failed", {"error": _one_line(exc)},
                                      where=_where(exc))) from exc
    if printed.getvalue():
        text = printed.getvalue().strip().splitlines()
        raise Contained(PluginProblem(plugin, "plugin.printed", {"text": (text[0] if text else "")[:80]}))


def call_plugin(pm: pluggy.PluginManager, hook: str, plugin: str, **kwargs: Any) -> list[Any]:
    """``plugin``'s implementations of ``hook`` called through pluggy's own hook caller (its
    tracing — GUANAI_TRACE_PLUGINS=1 —, ordering and wrappers), never by calling the function
    directly; returns their results. The one way guanai calls a plugin's hook; what a failure
    means is the caller's (a refused record, a section 未生成, a command not added)."""
    callers = pm.__dict__.setdefault("_guanai_callers", {})  # kept with its manager: never another's by id
    caller = callers.get((hook, plugin))
    if caller is None:
        mine = pm.get_plugin(plugin)
        caller = callers[hook, plugin] = pm.subset_hook_caller(hook, [p for p in pm.get_plugins() if p is not mine])
    return list(caller(**kwargs))


def implementing(pm: pluggy.PluginManager, hook: str) -> list[str]:
    """The plugins implementing ``hook``, in registration order, each once."""
    return list(dict.fromkeys(impl.plugin_name for impl in getattr(pm.hook, hook).get_hookimpls()))


def get_plugin_manager(load_entrypoints: bool = True) -> tuple[pluggy.PluginManager, list[PluginProblem]]:
    """A fresh plugin manager and the problems met while loading plugins.

    A plugin that fails to import, exits, prints, needs a newer API, takes a built-in's name or
    implements a hook wrongly is left out and reported; the others keep working.
    """
    from guanai.api import API_VERSION

    pm = pluggy.PluginManager("guanai")
    pm.add_hookspecs(hookspecs)
    problems: list[PluginProblem] = []
    skip = disabled_plugins()
    for name in BUILTIN_PLUGINS:
        if name not in skip:
            pm.register(importlib.import_module(f"guanai.plugins.{name}"), name=name)
    if load_entrypoints:
        seen: dict[str, str] = {}
        for name, load, origin in _candidates():
            if name in skip:
                continue
            if name in BUILTIN_PLUGINS:  # a built-in's name is guanai's: never replaced by another package
                problems.append(PluginProblem(name, "plugin.reserved", {"origin": origin}))
                continue
            if name in seen:  # two packages (or a package and a file) under one name: neither decides
                problems.append(PluginProblem(name, "plugin.name_clash", {"origin": origin, "other": seen[name]}))
                if pm.get_plugin(name) is not None:
                    pm.unregister(name=name)
                continue
            seen[name] = origin
            try:
                with contained(name, "import"):
                    plugin = load()
                needs = getattr(plugin, "REQUIRES_API", None)
                if needs is not None and _version_tuple(str(needs)) > _version_tuple(API_VERSION):
                    problems.append(PluginProblem(name, "plugin.needs_api", {"needs": needs, "have": API_VERSION}))
                    continue
                wrong = _wrong_hooks(plugin)
                if wrong is not None:
                    problems.append(PluginProblem(name, wrong[0], wrong[1], where=wrong[2]))
                    continue
                pm.register(plugin, name=name)
            except Contained as exc:
                problems.append(exc.problem)
            except pluggy.PluginValidationError as exc:
                problems.append(_bad_hook(name, exc))
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


def _version_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return (999,)  # a requirement guanai cannot read is one it cannot meet


def _wrong_hooks(plugin: Any) -> tuple[str, dict[str, object], str] | None:
    """A hook implemented with arguments its spec does not have (``def on_record(rec, ctx)``):
    (code, params, file:line) in words, before pluggy refuses it with its English message."""
    import inspect

    for attr in dir(plugin):
        function = getattr(plugin, attr, None)
        if not callable(function) or not hasattr(function, "guanai_impl"):
            continue
        spec = getattr(hookspecs, getattr(function, "guanai_impl", {}).get("specname") or attr, None)
        if spec is None or not hasattr(spec, "guanai_spec"):
            continue  # an unknown hook: check_pending names it, with the nearest real one
        allowed = set(inspect.signature(spec).parameters)
        given = [name for name in inspect.signature(function).parameters if name != "self"]
        extra = [name for name in given if name not in allowed]
        if extra:
            return ("plugin.bad_arguments", {"hook": attr, "extra": "、".join(extra),
                                             "allowed": "、".join(sorted(allowed))}, _where_function(function))
    return None


def _where_function(function: Any) -> str:
    """file:line of a function's `def` (below its decorators)."""
    import inspect

    try:
        lines, first = inspect.getsourcelines(function)
    except (TypeError, OSError):
        return ""
    offset = next((i for i, line in enumerate(lines) if line.lstrip().startswith(("def ", "async def "))), 0)
    return f"{inspect.getsourcefile(function)}:{first + offset}"


def t_where(where: str) -> str:
    from guanai.core.i18n import t

    return t("plugin.at", where=where)


def failure_text(exc: BaseException) -> str:
    """A plugin's failure in one line — "KeyError: 'score'，位于 /srv/plugins/nutrition.py:42" — where
    it began in the plugin's code; with GUANAI_DEBUG=1 the whole traceback goes to stderr too."""
    if os.environ.get("GUANAI_DEBUG") == "1":
        traceback.print_exception(exc)
    where = _where(exc)
    return _one_line(exc) + (t_where(where) if where else "")


def _where(exc: BaseException) -> str:
    """Where an error began, as file:line: the line a SyntaxError names, else the innermost frame."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def build_registry(pm: pluggy.PluginManager, problems: list[PluginProblem] | None = None) -> Registry:
    """Call each plugin's registration hooks, stamping what it registers with its name."""
    registry = Registry(problems=list(problems or []), pm=pm)
    clashes: list[tuple[str, str, str]] = []  # (name, the plugin holding it, the plugin claiming it too)
    for name, plugin in list(pm.list_name_plugin()):
        others = [p for p in pm.get_plugins() if p is not plugin]
        snapshot = (dict(registry.steps), dict(registry.settings_models), dict(registry.indicator_kinds))
        try:
            with contained(name, "register"):
                pm.subset_hook_caller("register_step_types", others)(register=step_registrar(registry, name))
                pm.subset_hook_caller("register_settings_model", others)(
                    register=settings_registrar(registry, name)
                )
                pm.subset_hook_caller("register_indicator_kinds", others)(
                    register=indicator_registrar(registry, name)
                )
        except Contained as exc:
            registry.steps, registry.settings_models, registry.indicator_kinds = snapshot
            pm.unregister(plugin)  # none of its hooks may run
            if isinstance(exc.__cause__, DuplicateStep):
                clashes.append((exc.__cause__.step, exc.__cause__.owner, name))
            else:
                registry.problems.append(exc.problem)
            continue
        registry.plugins[name] = _version_of(plugin)
    _refuse_clashes(registry, clashes)
    _check_follow_ups(registry)
    return registry


def _refuse_clashes(registry: Registry, clashes: list[tuple[str, str, str]]) -> None:
    """A step or indicator kind two plugins claim: a built-in's stays and the other is refused;
    between two installed plugins neither keeps it — both are refused, each naming the other
    (never settled by which loaded first)."""
    for item, owner, other in clashes:
        registry.problems.append(PluginProblem(other, "plugin.duplicate_step", {"step": item, "owner": owner}))
        if owner not in BUILTIN_PLUGINS:
            registry.problems.append(PluginProblem(owner, "plugin.duplicate_step", {"step": item, "owner": other}))
            _drop(registry, owner)


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


_registries: dict[tuple[bool, frozenset[str], str], Registry] = {}


def load_registry(load_entrypoints: bool = True) -> Registry:
    """The registry of the installed plugins, built once per process (and per set of disabled
    plugins): every command and hook of a run sees the same plugins, loaded once."""
    key = (load_entrypoints, frozenset(disabled_plugins()), os.environ.get(PLUGINS_DIR, ""))
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
    """A hook the specs do not know, with the nearest real one ("on_recrod": 是否想写 on_record？)
    and where it is defined."""
    import difflib
    import re

    found = re.search(r"unknown hook '([^']+)'", str(exc))
    if found:
        names = [n for n, f in vars(hookspecs).items() if hasattr(f, "guanai_spec")]
        hint = difflib.get_close_matches(found.group(1), names, n=1)
        function = getattr(getattr(exc, "plugin", None), found.group(1), None)
        where = _where_function(function) if function is not None else ""
        if hint:
            return PluginProblem(plugin, "plugin.bad_hook_hint", {"hook": found.group(1), "hint": hint[0]}, where)
        return PluginProblem(plugin, "plugin.bad_hook", {"error": _one_line(exc)}, where)
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
