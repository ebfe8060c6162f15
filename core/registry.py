"""What the installed plugins provide: step types, settings models; built from the hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class StepType:
    """A kind of record: its name, Chinese title, payload model and owning plugin."""

    name: str
    title: str
    payload: type[BaseModel]
    description: str = ""
    plugin: str = ""

    def fields(self) -> tuple[str, ...]:
        return tuple(self.payload.model_fields)


@dataclass(frozen=True)
class IndicatorKind:
    """An indicator kind a plugin computes: ``compute(ctx) -> (numerator, denominator)``."""

    name: str
    title: str
    compute: Callable[[Any], tuple[int, int]]
    plugin: str = ""


@dataclass(frozen=True)
class FollowUp:
    """Work a record obliges, due `within` (a timedelta or "30m" / "2h" / "14d") after it."""

    id: str
    name: str
    step: str
    within: Any
    match: dict[str, Any] = field(default_factory=dict)


class Rejected(Exception):
    """Raised by an ``on_record`` hook to refuse a record; `field` names the payload field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class ReportSection:
    title: str
    lines: tuple[str, ...]


@dataclass
class PluginProblem:
    """A plugin that could not be used; guanai keeps working without it."""

    plugin: str
    code: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class Registry:
    """Everything the loaded plugins registered, keyed by name."""

    steps: dict[str, StepType] = field(default_factory=dict)
    settings_models: dict[str, type[BaseModel]] = field(default_factory=dict)
    plugins: dict[str, str] = field(default_factory=dict)  # name -> version
    problems: list[PluginProblem] = field(default_factory=list)
    indicator_kinds: dict[str, IndicatorKind] = field(default_factory=dict)
    pm: Any = None  # the plugin manager, for the call hooks (on_record, report_sections …)

    def steps_of(self, plugin: str) -> list[StepType]:
        return [s for s in self.steps.values() if s.plugin == plugin]


class DuplicateStep(Exception):
    def __init__(self, step: str, owner: str, other: str):
        super().__init__(step)
        self.step, self.owner, self.other = step, owner, other


def _named_registrar(table: dict[str, Any], kind: type[Any], hook: str, plugin: str) -> Callable[[Any], None]:
    """A `register` callback for named things (step types, indicator kinds): checks the type,
    refuses a name another plugin owns, stamps the owning plugin."""

    def register(item: Any) -> None:
        if not isinstance(item, kind):
            raise TypeError(f"{hook} expects {kind.__name__}, got {type(item).__name__}")
        owner = table.get(item.name)
        if owner is not None and owner.plugin != plugin:
            raise DuplicateStep(item.name, owner.plugin, plugin)
        table[item.name] = replace(item, plugin=plugin)

    return register


def indicator_registrar(registry: Registry, plugin: str) -> Callable[[IndicatorKind], None]:
    return _named_registrar(registry.indicator_kinds, IndicatorKind, "register_indicator_kinds", plugin)


def step_registrar(registry: Registry, plugin: str) -> Callable[[StepType], None]:
    return _named_registrar(registry.steps, StepType, "register_step_types", plugin)


def settings_registrar(registry: Registry, plugin: str) -> Callable[[type[BaseModel]], None]:
    def register(model: type[BaseModel]) -> None:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError("register_settings_model expects a pydantic model class")
        registry.settings_models[plugin] = model

    return register
