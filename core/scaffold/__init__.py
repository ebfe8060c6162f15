"""`guanai plugin new NAME`: an installable plugin package `guanai-NAME` (module guanai_NAME, entry
point NAME) — a step, a follow-up, a setting, an indicator kind, a command and a report section,
a programme and tests with guanai.testing — whose tests pass as generated."""

from __future__ import annotations

import re
from pathlib import Path

from guanai.core.diagnostics import Refusal

HERE = Path(__file__).resolve().parent
NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


def new_plugin(name: str, title: str, parent: Path) -> Path:
    """Write the package ``parent/<dist>``; returns its folder. Refuses a bad name or an existing folder."""
    from guanai.core.builtins import BUILTIN_PLUGINS

    if not NAME.match(name):
        raise Refusal("scaffold.bad_name", name=name)
    if name in BUILTIN_PLUGINS:  # a built-in's name is reserved: a package under it would never load
        raise Refusal("scaffold.reserved", name=name)
    dist = name.replace("_", "-")
    folder = parent / f"guanai-{dist}"
    if folder.exists():
        raise Refusal("scaffold.exists", folder=str(folder))
    values = {"name": name, "dist": dist, "title": title}
    files = {
        "pyproject.toml": "pyproject.toml.tmpl",
        "README.md": "README.md.tmpl",
        f"guanai_{name}/__init__.py": "plugin.py.tmpl",
        "tests/programme.yaml": "programme.yaml.tmpl",
        f"tests/test_{name}.py": "test_plugin.py.tmpl",
    }
    for target, template in files.items():
        path = folder / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((HERE / template).read_text("utf-8").format(**values), "utf-8")
    return folder
