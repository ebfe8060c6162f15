"""Record types a programme declares in YAML (`steps:`), made into the same StepType a plugin
registers: a pydantic model from the typed fields, so `record STEP`, imports, `match`, the 台账
and `record STEP --help` treat them exactly like a plugin's. Plugins stay for behaviour (hooks,
follow-ups, indicator kinds, commands); a form that needs none is a few lines of the programme.

A declared step is owned by the pseudo-plugin DECLARED: the checker needs no `plugins:` entry
for it, and a plugin's step of the same name is an error at the declaration."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import date
from typing import Any, Literal

from guanai.core.registry import Registry, StepType
from pydantic import BaseModel, ConfigDict, Field, create_model

DECLARED = "programme"  # the owner a declared step shows in `plugins show`, the 台账 and errors
TEXT_LIMIT = 2000


@functools.lru_cache(maxsize=512)
def step_type(spec: Any) -> StepType:
    """The StepType of a programme's `steps:` item (made once per process: a record's model is
    asked for per record)."""
    fields: dict[str, Any] = {}
    for f in spec.fields:
        description = f"{f.name}（{f.unit}）" if f.unit else f.name
        extra: dict[str, Any] = {}
        if f.type == "text":
            annotation: Any = str
            extra["max_length"] = TEXT_LIMIT
        elif f.type in ("number", "integer"):
            annotation = int if f.type == "integer" else float
            if f.min is not None and (f.max is None or f.min <= f.max):  # else the checker says so
                extra["ge"] = f.min
            if f.max is not None and (f.min is None or f.min <= f.max):
                extra["le"] = f.max
        elif f.type == "date":
            annotation = date
        elif f.type == "yesno":
            annotation = bool
        elif f.values:
            annotation = Literal[tuple(f.values)]
        else:  # a choice without values: the checker says so; meanwhile any text
            annotation = str
        if f.required:
            fields[f.id] = (annotation, Field(description=description, **extra))
        else:
            fields[f.id] = (annotation | None, Field(None, description=description, **extra))
    fields.setdefault("notes", (str | None, Field(None, description="备注", max_length=TEXT_LIMIT)))
    model: type[BaseModel] = create_model(
        f"Declared_{spec.id}", __config__=ConfigDict(extra="forbid", frozen=True), **fields)
    return StepType(spec.id, spec.name, model, spec.description or spec.name, plugin=DECLARED, scope=spec.scope,
                    needs_recorder=spec.recorder)


def with_steps(registry: Registry, specs: Any) -> Registry:
    """The registry with the declared steps beside the plugins' (a plugin's step keeps its name:
    the checker refuses a declaration that takes it)."""
    declared = {s.id: step_type(s) for s in specs if s.id not in registry.steps}
    if not declared:
        return registry
    return replace(registry, steps={**registry.steps, **declared})
