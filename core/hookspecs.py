"""Hook specifications of guanai (marker project name: ``guanai``).

Every hook receives keyword arguments only. Registration hooks receive a
``register`` callback from the core, which validates what is registered and
stamps it with the name of the plugin that registered it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:
    import click
    from guanai.core.registry import FollowUp, IndicatorKind, ReportSection, StepType
    from guanai.core.store.hooks import RecordContext, RecordView, ReportContext
    from pydantic import BaseModel

F = TypeVar("F", bound=Callable[..., Any])

hookspec = pluggy.HookspecMarker("guanai")
hookimpl = pluggy.HookimplMarker("guanai")


def for_steps(*steps: str) -> Callable[[F], F]:
    """Mark an ``on_record`` implementation as interested in records of ``steps`` only (``"*"``:
    every step). Without the mark a hook sees the records of the steps its own plugin registered,
    and only where the programme in force lists the plugin."""

    def mark(function: F) -> F:
        function.guanai_steps = frozenset(steps)  # type: ignore[attr-defined]
        return function

    return mark


@hookspec
def register_step_types(register: Callable[[StepType], None]) -> None:
    """Register the step types (kinds of record) this plugin provides.

    Call ``register(StepType(...))`` once per step type. A step name a built-in plugin owns is
    refused for this plugin; one another installed plugin registers too is refused for both, each
    named (never settled by load order). Returns nothing.
    """


@hookspec
def register_settings_model(register: Callable[[type[BaseModel]], None]) -> None:
    """Register the pydantic model that validates this plugin's ``settings:`` block.

    Call ``register(Model)`` at most once. A programme whose ``settings.<plugin>`` does not pass
    the model fails ``programme check`` at the offending key. A model may define a classmethod
    ``migrate(raw: dict) -> dict`` that reads settings written for an older version (a renamed
    key); ``plugins check`` validates every published programme's settings through it.
    Returns nothing.
    """


@hookspec
def register_indicator_kinds(register: Callable[[IndicatorKind], None]) -> None:
    """Register indicator kinds (e.g. ``checkup_rate``) that programmes may use in ``indicators:``.

    Call ``register(IndicatorKind(name, title, compute))``. ``compute(ctx)`` receives an
    ``IndicatorContext`` (a ``Context``: the schools under one programme version, the indicator,
    as_of; ``records``, ``cared_for``, ``pupils``, ``period``) and returns ``(numerator,
    denominator)`` as integers or a ``ShareRatio``. A failure makes that indicator read 无法计算
    with the reason, the others unaffected. A kind name another plugin registers too is refused
    for both. Returns nothing.
    """


@hookspec
def on_record(record: RecordView, ctx: RecordContext) -> list[FollowUp] | None:
    """Called for every record about to be stored, inside the write transaction.

    ``record`` is a ``Record`` (``id`` None: not stored yet; step, subject_kind, subject, school,
    by, occurred_at as a local aware datetime, payload as validated, ``model``); ``ctx`` a
    ``RecordContext`` (a ``Context`` about the record's school and day: the programme in force,
    ``settings``, ``child``, ``pending`` — this hook's records accepted earlier in the batch —,
    ``memo``). An exception other than ``Rejected`` refuses the record too, naming the plugin;
    text printed goes to stderr.
    To refuse the record raise ``Rejected(message, field=None)``: nothing of the batch is stored
    and the message is shown at the record's position. To oblige follow-up work return a list of
    the ``FollowUp`` rules the plugin declared on its steps (``StepType(follow_ups=…)``); the engine
    then tracks each like a triggered obligation (due ``within`` after the record). Return None when there is nothing to add.
    Results of all plugins are collected. Mark the implementation ``@for_steps("my_step")`` to be
    called for those steps' records only.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``guanai`` command group: ``cli.add_command(cmd)``.

    Called only when a command that is not built in is asked for, and for ``guanai --help`` (which
    lists each plugin's commands under its name, from a cache keyed by the installed plugins), so
    a plugin never slows down the core commands. A built-in command's name is refused; a name two
    plugins add is added for neither, both named. Use ``context_options`` to get a
    ``CommandContext``. Returns nothing.
    """


@hookspec
def report_sections(ctx: ReportContext) -> list[ReportSection] | None:
    """Contribute sections to the term reports (the 工作总结 of ``report summary``, the 台账 of
    ``report ledger``).

    ``ctx`` is a ``ReportContext`` (a ``Context`` about the report's schools and days; also
    ``follow_ups()`` and ``school``). Return a list of ``ReportSection(title, lines, headers,
    rows)`` — Chinese text, one line per fact, e.g. "完成体检 300 人，转介 12 人", and optionally a
    table — or None. Only plugins the programme in force lists are asked, in plugin order. A
    failure marks the section 未生成 in the document and makes ``report`` exit 1 naming the plugin
    (``--strict``: nothing written); ``GUANAI_DEBUG=1`` prints its traceback.
    """
