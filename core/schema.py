"""JSON Schema (draft-07, what yaml-language-server reads) of the programme file."""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


class Draft07(GenerateJsonSchema):
    """Pydantic emits 2020-12; rewrite `$defs` to `definitions` for draft-07 readers."""

    def generate(self, schema: Any, mode: Any = "validation") -> dict[str, Any]:
        out = super().generate(schema, mode=mode)
        text = json.dumps(out, ensure_ascii=False).replace('"#/$defs/', '"#/definitions/')
        out = json.loads(text)
        if "$defs" in out:
            out["definitions"] = out.pop("$defs")
        return {"$schema": DRAFT_07, **out}


def programme_schema(builtin_only: bool = False) -> dict[str, Any]:
    """The schema with the step types and settings of the installed plugins (`builtin_only`: of
    guanai's own, as committed in schemas/programme.schema.json)."""
    from guanai.core.plugins import load_registry
    from guanai.core.programme import Programme

    registry = load_registry(load_entrypoints=not builtin_only)
    schema = Programme.model_json_schema(schema_generator=Draft07)
    schema["title"] = "guanai programme"
    steps = sorted(registry.steps)
    for definition in [schema, *schema.get("definitions", {}).values()]:
        step = definition.get("properties", {}).get("step")
        if step is not None:
            step["examples"] = steps
            step["description"] += "：" + "、".join(f"{s}（{registry.steps[s].title}）" for s in steps)
    settings = schema["properties"]["settings"]
    settings["properties"] = {}
    for name, model in sorted(registry.settings_models.items()):
        # A plugin's nested models move to the root's definitions, prefixed with the plugin's name.
        text = json.dumps(model.model_json_schema(schema_generator=Draft07), ensure_ascii=False)
        part = json.loads(text.replace('"#/definitions/', f'"#/definitions/{name}.'))
        part.pop("$schema", None)
        for key, definition in part.pop("definitions", {}).items():
            schema.setdefault("definitions", {})[f"{name}.{key}"] = definition
        settings["properties"][name] = part
    return schema


def schema_text(builtin_only: bool = False) -> str:
    return json.dumps(programme_schema(builtin_only), ensure_ascii=False, indent=2) + "\n"
