"""guanai.api, the public plugin API: the one module plugins import, its exact surface, and what the
contexts and plugin commands give plugins."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import FACTS, ROOT

PLUGINS = ROOT / "tests" / "data" / "plugins"


def _guanai_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        found += [(node.lineno, name) for name in names if name.split(".")[0] == "guanai"]
    return found


def test_plugins_import_only_the_public_api():
    files = [*(ROOT / "plugins").glob("*.py"), *(ROOT / "tests" / "example_plugin" / "guanai_psych").glob("*.py")]
    leaks = [f"{f.relative_to(ROOT)}:{line}: {name}" for f in files for line, name in _guanai_imports(f)
             if name not in ("guanai.api", "guanai.testing")]
    assert leaks == []
    assert len(files) >= 5


def test_the_api_lists_exactly_what_it_exports_and_each_resolves():
    import guanai.api as api

    assert set(api.__all__) == {"API_VERSION", *api._EXPORTS}
    assert api.API_VERSION == "1.0"
    for name in api.__all__:
        assert getattr(api, name) is not None, name


def test_importing_hook_names_does_not_load_the_engine():
    code = ("import sys\nfrom guanai.api import hookimpl, StepType, FollowUp\n"
            "print(sorted(m for m in sys.modules if m.startswith(('guanai.core.store', 'sqlalchemy'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _care(db):
    db.ok("org", "import", str(FACTS / "org.csv"))
    db.ok("programme", "publish", str(PLUGINS / "care.yaml"), "--to", "S001")
    db.ok("staff", "import", str(FACTS.parent / "engine" / "staff.csv"), "--school", "S001")
    db.ok("roster", "import", str(PLUGINS / "roster.csv"), "--school", "S001")
    return db


def test_plugin_commands_take_org_as_of_and_term(db):
    care = _care(db)
    care.ok("record", "subsidy", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00",
            "--set", "amount_yuan=12.34", "--set", "fund=lmyb")
    by_term = json.loads(care.ok("subsidy", "summary", "--org", "S001", "--term", "2025-autumn", "--json"))
    by_day = json.loads(care.ok("subsidy", "summary", "--org", "S001", "--as-of", "2025-11-01", "--json"))
    assert by_term == by_day
    assert next(r for r in by_term if r["fund"] == "lmyb")["spent_yuan"] == "12.34"
    result = care.run("contest", "results", "--org", "S001", "--term", "2026-spring", "--json")
    assert (result.exit_code, result.stderr) == (2, "方案里没有学期 “2026-spring”；有：2025-autumn\n")


def test_a_hooks_settings_are_its_own_model_with_defaults():
    from datetime import date

    from guanai.core.store.hooks import RecordContext
    from guanai.plugins.health_check import Settings

    ctx = RecordContext(None, None, None, models={"health_check": Settings}, plugin="health_check")
    assert ctx.settings == Settings()  # no programme: the model's defaults
    assert ctx.child is None and ctx.term(date(2025, 10, 1)) is None


def test_the_registry_is_built_once_per_process(db, monkeypatch):
    from guanai.core import plugins

    care = _care(db)
    built = []
    original = plugins.build_registry
    monkeypatch.setattr(plugins, "build_registry", lambda *a, **k: built.append(1) or original(*a, **k))
    plugins._registries.clear()
    care.ok("record", "subsidy", "--child", "K1", "--by", "T001", "--at", "2025-10-10 10:00",
            "--set", "amount_yuan=1", "--set", "fund=lmyb")
    care.ok("indicators", "--org", "S001", "--as-of", "2025-10-31", "--json")
    assert built == [1]  # `record` once built it twice; every later command of the process reuses it
