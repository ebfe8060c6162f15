"""Where a programme's value is and what is wrong with it: a path's place in the YAML file, and
pydantic's errors as positioned diagnostics (used by the loader, the checker and record checks)."""

from __future__ import annotations

import difflib
import types
import typing
from datetime import date
from typing import Any

from guanai.core.diagnostics import Diagnostic, diag
from guanai.core.i18n import has
from guanai.core.yamlsafe import Positions
from pydantic import BaseModel, ValidationError


def format_path(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def locate(
    data: Any, positions: Positions, path: tuple[Any, ...], fallback: str, at_key: bool = False
) -> tuple[str, tuple[int, int] | None, str]:
    """(file, (line, col), path text) of the deepest existing node along `path`.

    A scalar is located at its value, a container at its key (or list item); when the
    path runs past what exists, the nearest existing ancestor is used.
    """
    node, walked, pos = data, [], None
    for part in path:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            pos = positions.entries.get((id(node), part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            pos = positions.entries.get((id(node), part))
            node = node[part]
        else:
            break
        walked.append(part)
    if pos is None:
        root = positions.nodes.get(id(data))
        return (root.file if root else fallback), (1, 1), format_path(tuple(walked))
    container = isinstance(node, (dict, list))
    where = pos.key if (at_key or container or node is None) else pos.value
    return pos.file, where, format_path(tuple(walked))


def walk_known(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of a pydantic `loc` that names real keys and indexes (union noise dropped)."""
    node, out = data, []
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue
        out.append(part)
    return tuple(out)


def model_at(model: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that validates the node at `path` (for 'did you mean')."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(part) or next(
            (f for f in current.model_fields.values() if f.alias == part), None
        )
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, list, typing.Annotated) or args:
        for arg in args:
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def pydantic_diagnostics(
    exc: ValidationError, data: Any, positions: Positions, display: str, root_model: type[BaseModel]
) -> list[Diagnostic]:
    """Pydantic errors → positioned diagnostics, one per place, union noise stripped."""
    out: dict[str, Diagnostic] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        known = walk_known(data, loc)
        params: dict[str, Any] = {k: v for k, v in (error.get("ctx") or {}).items()}
        if kind == "extra_forbidden":
            extra = loc[-1]
            parent = known[:-1] if known and known[-1] == extra else known
            model = model_at(root_model, parent)
            choices = field_names(model) if model else []
            guess = difflib.get_close_matches(str(extra), choices, n=1)
            code = "model.unknown_key_hint" if guess else "model.unknown_key"
            file, pos, _ = locate(data, positions, (*parent, extra), display, at_key=True)
            d = diag(file, pos, format_path(parent), code, key=extra, hint=guess[0] if guess else "")
        elif kind == "missing":
            file, pos, path_text = locate(data, positions, known, display, at_key=True)
            d = diag(file, pos, path_text, "model.missing", key=loc[-1])
        else:
            file, pos, path_text = locate(data, positions, known, display)
            code, params = value_message(error)
            d = diag(file, pos, path_text, code, **params)
        key = f"{d.file}:{d.line}:{d.col}:{d.path}"
        if key in out and out[key].code != d.code:
            d = diag(d.file, (d.line, d.col), d.path, "model.wrong_type", value=_show(error.get("input")))
        out.setdefault(key, d)
    found = list(out.values())
    # a list that fails an item also reports itself too short: keep the item's error only
    return [d for d in found if not (d.code == "pyd.too_short" and any(
        o.path.startswith(d.path + "[") for o in found))]


def value_message(error: Any) -> tuple[str, dict[str, Any]]:
    """The catalogue code and parameters for a pydantic error about a value."""
    kind = error["type"]
    value = error.get("input")
    params: dict[str, Any] = {k: v for k, v in (error.get("ctx") or {}).items()}
    code = kind if kind.split(".")[0] in {"date", "month", "duration"} else f"pyd.{kind}"
    params.setdefault("value", _show(value))
    params["expected"] = ", ".join(str(e) for e in _expected(error))
    params["pydantic"] = error["msg"]
    if value is None:
        code = "model.null"
    elif not has(code):
        code = "pyd.other"
    return code, params


def _expected(error: Any) -> list[str]:
    exp = (error.get("ctx") or {}).get("expected")
    if not exp:
        return []
    return [part.strip().strip("'\"") for part in str(exp).replace(" or ", ", ").split(",") if part.strip()]


def _show(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return type(value).__name__
    text = str(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS // 2]}…({len(text)})"


SHOWN_CHARS = 40  # a value echoed in a message: enough to find it, never a whole pasted page
