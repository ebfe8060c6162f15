"""The plugin mechanism: built-ins, entry points, disabling, tracing, and broken plugins."""

from __future__ import annotations

import sys
import textwrap

import pytest
from guanai.core.plugins import build_registry, get_plugin_manager, load_registry


def install_fake_plugin(tmp_path, monkeypatch, name: str, source: str) -> None:
    """A real installed distribution on sys.path: dist-info with an entry point in group guanai."""
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = tmp_path / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[guanai]\n{name} = {name}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    from guanai.core import plugins

    plugins._registries.clear()  # as a new process would see it: the plugin installed


GOOD = """
from pydantic import BaseModel, ConfigDict
from guanai.core.hookspecs import hookimpl
from guanai.core.registry import StepType

class Screening(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int

class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: int = 10

@hookimpl
def register_step_types(register):
    register(StepType("psych_screening", "心理筛查", Screening))

@hookimpl
def register_settings_model(register):
    register(Settings)
"""


def write_programme(tmp_path, extra: str = "") -> None:
    (tmp_path / "p.yaml").write_text(textwrap.dedent("""\
        id: t
        title: 测试
        calendar:
          terms: [{id: a, name: 秋, start: 2025-09-01, end: 2026-01-16}]
        duties:
          - {id: screen, name: 心理筛查, step: psych_screening, every: term}
        """) + extra, encoding="utf-8")


def test_hook_register_step_types_stamps_the_plugin(tmp_path, monkeypatch):
    install_fake_plugin(tmp_path, monkeypatch, "guanai_psych", GOOD)
    registry = load_registry()
    step = registry.steps["psych_screening"]
    assert (step.plugin, step.title, step.fields()) == ("guanai_psych", "心理筛查", ("score",))
    assert registry.plugins["guanai_psych"] == "0.1"
    assert registry.steps["talk"].plugin == "care_basics"


def test_hook_register_settings_model_validates_programme_settings(tmp_path, monkeypatch, cli):
    install_fake_plugin(tmp_path, monkeypatch, "guanai_psych", GOOD)
    monkeypatch.chdir(tmp_path)
    write_programme(tmp_path, "plugins: [guanai_psych]\nsettings:\n  guanai_psych: {threshold: high}\n")
    result = cli("programme", "check", "p.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "p.yaml:9:29: settings.guanai_psych.threshold: “high” 不是整数"


def test_step_of_an_unlisted_plugin_names_the_plugin_to_add(tmp_path, monkeypatch, cli):
    install_fake_plugin(tmp_path, monkeypatch, "guanai_psych", GOOD)
    monkeypatch.chdir(tmp_path)
    write_programme(tmp_path)
    result = cli("programme", "check", "p.yaml")
    assert result.stderr.splitlines()[0] == (
        "p.yaml:6:36: duties[0].step: 记录类型 “psych_screening” 由插件 guanai_psych 提供，请在 plugins 中加上 guanai_psych"
    )


def test_disable_plugins_env(tmp_path, monkeypatch):
    install_fake_plugin(tmp_path, monkeypatch, "guanai_psych", GOOD)
    monkeypatch.setenv("GUANAI_DISABLE_PLUGINS", "guanai_psych")
    assert "psych_screening" not in load_registry().steps


def test_plugin_that_fails_to_import_is_reported_and_skipped(tmp_path, monkeypatch, cli):
    install_fake_plugin(tmp_path, monkeypatch, "guanai_broken", "raise RuntimeError('boom')\n")
    registry = load_registry()
    assert [(p.plugin, p.code) for p in registry.problems] == [("guanai_broken", "plugin.import_failed")]
    assert "talk" in registry.steps
    result = cli("plugins", "list")
    assert result.exit_code == 0
    assert "插件 guanai_broken 无法加载（RuntimeError: boom）" in result.stderr
    assert "GUANAI_DISABLE_PLUGINS=guanai_broken" in result.stderr


def test_misspelt_hook_is_refused_by_check_pending(tmp_path, monkeypatch):
    install_fake_plugin(tmp_path, monkeypatch, "guanai_typo", """
        from guanai.core.hookspecs import hookimpl

        @hookimpl
        def register_step_type(register):
            return None  # never called: the hook name is misspelt on purpose
        """)
    pm, problems = get_plugin_manager()
    assert [(p.plugin, p.code, p.params) for p in problems] == [
        ("guanai_typo", "plugin.bad_hook_hint", {"hook": "register_step_type", "hint": "register_step_types"})]
    assert pm.get_plugin("guanai_typo") is None


def test_duplicate_step_name_names_both_plugins(tmp_path, monkeypatch):
    install_fake_plugin(tmp_path, monkeypatch, "guanai_dupe", """
        from pydantic import BaseModel
        from guanai.core.hookspecs import hookimpl
        from guanai.core.registry import StepType

        class Talk(BaseModel):
            topic: str

        @hookimpl
        def register_step_types(register):
            register(StepType("extra_step", "额外", Talk))
            register(StepType("talk", "谈话", Talk))
        """)
    registry = load_registry()
    [problem] = registry.problems
    assert (problem.plugin, problem.code, problem.params) == (
        "guanai_dupe", "plugin.duplicate_step", {"step": "talk", "owner": "care_basics"})
    assert registry.steps["talk"].plugin == "care_basics"
    assert "extra_step" not in registry.steps  # nothing half-registered
    assert "guanai_dupe" not in registry.plugins


def test_trace_plugins_logs_hook_calls(monkeypatch, capsys):
    monkeypatch.setenv("GUANAI_TRACE_PLUGINS", "1")
    pm, _ = get_plugin_manager(load_entrypoints=False)
    build_registry(pm)
    assert "register_step_types" in capsys.readouterr().err


def test_every_hookspec_has_a_docstring_and_a_test():
    from pathlib import Path

    from guanai.core import hookspecs

    names = [n for n, f in vars(hookspecs).items() if hasattr(f, "guanai_spec")]
    assert len(names) == 6
    source = "".join(p.read_text("utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    guide = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text("utf-8")
    for name in names:
        assert getattr(hookspecs, name).__doc__, name
        assert f"def test_hook_{name}" in source, name
        assert f"### `{name}(" in guide, name


@pytest.mark.parametrize("bad", ["not a step", 42])
def test_register_refuses_wrong_objects(bad):
    from guanai.core.registry import Registry, step_registrar

    with pytest.raises(TypeError):
        step_registrar(Registry(), "x")(bad)
