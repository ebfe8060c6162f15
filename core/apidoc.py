"""The reference part of docs/plugins.md, generated from guanai.api's docstrings (`make docs`
writes it; a test fails when the page is stale)."""

from __future__ import annotations

import inspect
from typing import Any

START, END = "<!-- reference:start -->", "<!-- reference:end -->"
PRIVATE = {"conn", "child_row", "models", "segment", "steps"}  # fields guanai fills in; not for plugins


def _first_paragraph(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _signature(obj: Any) -> str:
    try:
        return str(inspect.signature(obj)).replace("'", "")
    except (TypeError, ValueError):
        return "(…)"


def reference() -> str:
    """Markdown: every name of guanai.api with its signature and the first paragraph of its docstring;
    for classes, their public methods and properties too."""
    import guanai.api as api

    out = [f"`API_VERSION` = `{api.API_VERSION}`", ""]
    for name in sorted(n for n in api.__all__ if n != "API_VERSION"):
        obj = getattr(api, name)
        if inspect.isclass(obj):
            fields = getattr(obj, "__dataclass_fields__", None)
            shown = "(" + ", ".join(f for f in fields if not f.startswith("_") and f not in PRIVATE) + ")" if fields else ""
            out.append(f"- **`{name}{shown}`** — {_first_paragraph(obj)}")
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                if isinstance(value, property):
                    out.append(f"  - `.{member}` — {_first_paragraph(value.fget)}")
                elif inspect.isfunction(value) and value.__doc__:
                    params = _signature(value).replace("(self, ", "(").replace("(self)", "()")
                    out.append(f"  - `.{member}{params}` — {_first_paragraph(value)}")
        else:
            out.append(f"- **`{name}{_signature(obj)}`** — {_first_paragraph(obj)}")
    out += ["", "### Hooks", "", "Every hook a plugin may implement (``@hookimpl``), from guanai's hook specifications, in",
            "the order guanai calls them; arguments are passed by keyword, an implementation may take fewer.", ""]
    out += hooks()
    return "\n".join(out) + "\n"


def hooks() -> list[str]:
    """Markdown for each hook spec: its signature and its whole docstring."""
    from guanai.core import hookspecs

    out = []
    for name, spec in vars(hookspecs).items():
        if not hasattr(spec, "guanai_spec"):
            continue
        out.append(f"- **`{name}{_signature(spec)}`**")
        for paragraph in (inspect.getdoc(spec) or "").split("\n\n"):
            out.append(f"  {' '.join(paragraph.split())}")
            out.append("")
    return out


def updated(page: str) -> str:
    """`page` with its reference block replaced by the current one."""
    head, _, rest = page.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{reference()}{END}{tail}"
