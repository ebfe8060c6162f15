"""guanai's public plugin API: the one module a plugin imports.

    from guanai.api import hookimpl, StepType, FollowUp, Rejected

Everything a plugin needs is here, typed and documented: the hook marker, what registration hooks
register (step types, indicator kinds, report sections, follow-ups), and the contexts guanai hands to
hooks and plugin commands, whose methods answer a plugin's questions (records of a step in a period,
the children cared for, the plugin's own settings as its model) without SQL.

**Stability.** The API is versioned by ``API_VERSION`` (major.minor). Within a major version,
names listed in ``__all__`` keep their meaning and signatures; new names and new optional
arguments may be added (minor). guanai's tables, its ``guanai.core`` modules and the contexts'
``conn`` attributes are private: they change without notice, and a plugin using them may break
with any release. docs/plugins.md is the reference.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

API_VERSION = "2.0"  # 1.1: StepType(choices=…), open vocabularies; 1.2: a field's value labels; 1.3: ShareRatio;
# 1.4: number_text, percent_of (the documents' one way of writing figures), ReportContext.staff_names;
# 2.0: one Context for every hook and command — records(step, first=None, last=None, schools=None),
# settings a property, term(day=None), dates or ISO text — no `conn`; one Record type; READS; REQUIRES_API

# Where each name lives; imported on first use, so that a plugin importing a few names does not
# load the engine (start-up time of every command that loads plugins).
_EXPORTS = {
    "hookimpl": "guanai.core.hookspecs",
    "for_steps": "guanai.core.hookspecs",
    "StepType": "guanai.core.registry",
    "IndicatorKind": "guanai.core.registry",
    "FollowUp": "guanai.core.registry",
    "Rejected": "guanai.core.registry",
    "ReportSection": "guanai.core.registry",
    "ShareRatio": "guanai.core.registry",
    "Record": "guanai.core.views",
    "Child": "guanai.core.views",
    "RecordView": "guanai.core.store.hooks",
    "Context": "guanai.core.store.context",
    "RecordContext": "guanai.core.store.hooks",
    "ReportContext": "guanai.core.store.hooks",
    "IndicatorContext": "guanai.core.store.indicators",
    "CommandContext": "guanai.core.store.context",
    "NewRecord": "guanai.api.commands",
    "Sheet": "guanai.api.commands",
    "command_context": "guanai.api.commands",
    "context_options": "guanai.api.commands",
    "print_table": "guanai.api.commands",
    "read_sheet": "guanai.api.commands",
    "save": "guanai.api.commands",
    "write_json": "guanai.api.commands",
    "number_text": "guanai.core.render",
    "percent_of": "guanai.core.render",
}

__all__ = [  # the API; a test checks it lists exactly _EXPORTS
    "API_VERSION",
    "Child",
    "CommandContext",
    "Context",
    "FollowUp",
    "IndicatorContext",
    "IndicatorKind",
    "NewRecord",
    "Record",
    "RecordContext",
    "RecordView",
    "Rejected",
    "ReportContext",
    "ReportSection",
    "ShareRatio",
    "Sheet",
    "StepType",
    "command_context",
    "context_options",
    "for_steps",
    "hookimpl",
    "number_text",
    "percent_of",
    "print_table",
    "read_sheet",
    "save",
    "write_json",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'guanai.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)


if TYPE_CHECKING:
    from guanai.api.commands import (
        NewRecord,
        Sheet,
        command_context,
        context_options,
        print_table,
        read_sheet,
        save,
        write_json,
    )
    from guanai.core.hookspecs import for_steps, hookimpl
    from guanai.core.registry import (
        FollowUp,
        IndicatorKind,
        Rejected,
        ReportSection,
        ShareRatio,
        StepType,
    )
    from guanai.core.render import number_text, percent_of
    from guanai.core.store.context import CommandContext, Context
    from guanai.core.store.hooks import RecordContext, RecordView, ReportContext
    from guanai.core.store.indicators import IndicatorContext
    from guanai.core.views import Child, Record
