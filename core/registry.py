"""What the installed plugins provide: step types, settings models; built from the hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

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

    def steps_of(self, plugin: str) -> list[StepType]:
        return [s for s in self.steps.values() if s.plugin == plugin]


class DuplicateStep(Exception):
    def __init__(self, step: str, owner: str, other: str):
        super().__init__(step)
        self.step, self.owner, self.other = step, owner, other


def step_registrar(registry: Registry, plugin: str) -> Callable[[StepType], None]:
    def register(step: StepType) -> None:
        if not isinstance(step, StepType):
            raise TypeError(f"register_step_types expects StepType, got {type(step).__name__}")
        owner = registry.steps.get(step.name)
        if owner is not None and owner.plugin != plugin:
            raise DuplicateStep(step.name, owner.plugin, plugin)
        registry.steps[step.name] = replace(step, plugin=plugin)

    return register


def settings_registrar(registry: Registry, plugin: str) -> Callable[[type[BaseModel]], None]:
    def register(model: type[BaseModel]) -> None:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError("register_settings_model expects a pydantic model class")
        registry.settings_models[plugin] = model

    return register
