"""Calling plugins' call hooks from the store: `on_record` while recording, with the context a
plugin needs (the programme in force, its settings, the child, the rest of the batch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from guanai.core.registry import FollowUp, Rejected, trace_call
from guanai.core.store.context import Context, as_date, reading_in
from guanai.core.store.facts import enrolled, follow_ups
from guanai.core.store.match import payload_matches
from guanai.core.views import Child, Record, term_of
from sqlalchemy import Connection

RecordView = Record  # the one record type: a record about to be stored has id None (API < 2.0 name)


@dataclass
class RecordContext(Context):
    """What an ``on_record`` hook gets beside the record (a ``Context``): the programme in force for
    the record's school and day, the hook's own settings, the child, the rest of the batch; its
    questions default to the record's school and day."""

    _conn: Connection  # private: plugins ask through the methods
    programme: Any  # the Programme in force for the school on the record's day, or None
    child_row: dict[str, Any] | None
    pending: list[Record] = field(default_factory=list)  # this hook's records accepted earlier in the batch
    memo: dict[Any, Any] = field(default_factory=dict)  # plugins' scratch space for this batch (running sums)
    _registry: Any = None  # private: the run's registry (settings models, steps, the plugin manager)
    plugin: str = ""  # the plugin whose hook is being called (set for each hook)
    school: str = ""  # the record's school
    day: date | None = None  # the record's local day

    def _reading(self) -> Any:
        return reading_in(self._conn)

    def _about(self) -> tuple[list[str], date, date, date]:
        day = self.day or date.today()
        span = term_of(self.programme, day) or (day, day)
        return [self.school], span[0], span[1], day

    def _programme(self) -> Any:
        return self.programme

    @property
    def child(self) -> Any:
        """The record's child (a ``Child``), or None for a school, class or staff record."""
        return None if self.child_row is None else Child.of(self.child_row)

    @property
    def steps(self) -> Any:  # the registered steps: a follow-up must be declared on one
        return getattr(self._registry, "steps", None)

    @property
    def pm(self) -> Any:
        return getattr(self._registry, "pm", None)


class Programmes:
    """The programme in force per (school, day) and each school's time zone, looked up once per
    school and loaded once per version within a batch."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._versions: dict[Any, Any] = {}
        self._bindings: dict[Any, Any] = {}
        self._at: dict[Any, Any] = {}
        self._zones: dict[Any, Any] = {}
        self._orgs: dict[str, Any] | None = None
        self._needs: dict[int, dict[str, list[tuple[str, Any]]]] = {}

    def at(self, school: str, day: Any) -> Any:
        key = (school, day)
        if key not in self._at:
            self._at[key] = self._find(school, day)
        return self._at[key]

    def needs_by(self, school: str, day: Any, step: str, payload: dict[str, Any] | None) -> str | None:
        """The name of a duty (or trigger) of the programme in force that a record of `step` with
        `payload` could close or start and whose obligations have a responsible person — so the
        record must say who made it (SPEC §2: a triggered obligation belongs to whoever recorded the
        trigger). A duty's `match` must hold (a 主题班会 needs no doer because 安全法制教育 has one);
        a payload not yet valid (None) is checked against every duty of the step."""
        programme = self.at(school, day)
        if programme is None:
            return None
        found = self._needs.get(id(programme))
        if found is None:
            found = {}
            tasks = [t for group in (*programme.phases, *programme.activities) for t in group.tasks]
            for item in [*tasks, *programme.duties]:
                if item.by:
                    found.setdefault(item.step, []).append((item.name, item.match))
            for trigger in programme.triggers:  # any record of the step may start it (its `where` aside)
                found.setdefault(trigger.when.step, []).append((trigger.name, {}))
            self._needs[id(programme)] = found
        return next((name for name, match in found.get(step, ())
                     if payload is None or payload_matches(payload, match)), None)

    def zone(self, school: str) -> ZoneInfo:
        """The time zone of the programme in force for the school today (else the default)."""
        found = self._zones.get(school)
        if found is None:
            from guanai.core.store.db import utcnow
            from guanai.core.store.programmes import DEFAULT_TIMEZONE

            binding = self._binding(school, utcnow().date())
            found = self._zones[school] = ZoneInfo(binding["timezone"] if binding else DEFAULT_TIMEZONE)
        return found

    def _binding(self, school: str, day: Any) -> dict[str, Any] | None:
        if school not in self._bindings:  # one query per school, not per record
            from guanai.core.store.orgs import all_orgs
            from guanai.core.store.programmes import bindings_for

            if self._orgs is None:
                self._orgs = all_orgs(self.conn)
            self._bindings[school] = bindings_for(self.conn, school, self._orgs)
        return next((b for b in self._bindings[school] if b["effective_from"] <= day), None)

    def _find(self, school: str, day: Any) -> Any:
        from guanai.core.store.programmes import load_version

        binding = self._binding(school, day)
        if binding is None:
            return None
        if binding["id"] not in self._versions:
            self._versions[binding["id"]] = load_version(self.conn, binding["id"])
        return self._versions[binding["id"]]


class RecordHooks:
    """The on_record implementations that want each step: those marked ``for_steps`` the steps
    named (``"*"``: every step), the others the steps their own plugin registered."""

    def __init__(self, registry: Any):
        pm = getattr(registry, "pm", None)
        self._impls = list(pm.hook.on_record.get_hookimpls()) if pm is not None else []
        self._by_step: dict[str, list[Any]] = {}
        self._owner = {name: step.plugin for name, step in getattr(registry, "steps", {}).items()}

    def __bool__(self) -> bool:
        return bool(self._impls)

    def wanting(self, step: str) -> list[Any]:
        found = self._by_step.get(step)
        if found is None:
            found = self._by_step[step] = [impl for impl in self._impls if self._wants(impl, step)]
        return found

    def _wants(self, impl: Any, step: str) -> bool:
        steps = getattr(impl.function, "guanai_steps", None)
        if steps is None:
            return self._owner.get(step) == impl.plugin_name
        return "*" in steps or step in steps


def on_record(impls: list[Any], view: RecordView, ctx: RecordContext,
              pendings: dict[Any, list[RecordView]]) -> list[tuple[str, FollowUp, datetime]]:
    """Run the plugins' on_record `impls`; returns (plugin, follow-up, deadline in naive UTC).

    `pendings`: each hook's records accepted earlier in the batch (its ctx.pending); the record
    joins them when every hook accepts it. Raises Rejected (with the plugin's name added) when a
    plugin refuses the record.
    """
    from guanai.core.plugins import call_plugin

    out = []
    listed = _listed(ctx.programme)
    plugins = list(dict.fromkeys(impl.plugin_name for impl in impls))  # a plugin's implementations are called together
    for plugin in plugins:
        if plugin not in listed:
            continue  # a plugin acts only where the programme in force names it
        ctx.pending = pendings.setdefault(plugin, [])
        ctx.plugin = plugin
        trace_call(plugin, "on_record", f"{view.step} {view.subject_kind} {view.subject}")
        try:
            with _stdout_to_stderr():
                results = call_plugin(ctx.pm, "on_record", plugin, record=view, ctx=ctx)
        except Rejected as exc:
            exc.plugin = plugin  # type: ignore[attr-defined]
            raise
        except (Exception, SystemExit) as exc:  # a broken plugin: refuse rather than guess, and say how to go on
            from guanai.core.plugins import failure_text

            failed = Rejected(failure_text(exc))
            failed.plugin, failed.broken = plugin, True  # type: ignore[attr-defined]
            raise failed from exc
        found = [follow for result in results for follow in (result or ())]
        for follow in found:
            if ctx.steps is not None:
                _check_declared(plugin, follow, ctx.steps)
            due = (view.occurred_at + follow.within_for(ctx.settings)).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
            out.append((plugin, follow, due))
    for plugin in plugins:
        if plugin in listed:
            pendings[plugin].append(view)
    return out


def _stdout_to_stderr() -> Any:
    """A hook's prints go to stderr: a plugin's debugging line never lands in a command's --json."""
    import contextlib
    import sys

    return contextlib.redirect_stdout(sys.stderr)


def _check_declared(plugin: str, follow: FollowUp, steps: dict[str, Any]) -> None:
    """A follow-up an on_record hook returns is one its plugin declared, on a step that exists
    (else an obligation nobody could meet, or one no listing knows): refuse the record, naming
    the plugin."""
    from guanai.core.i18n import t

    declared = {f.id for s in steps.values() if s.plugin == plugin for f in s.follow_ups}
    problem = None
    if not isinstance(follow, FollowUp):
        problem = f"on_record returned {type(follow).__name__}, not FollowUp"
    elif follow.step not in steps:
        problem = t("plugin.follow_up_step", id=follow.id, step=follow.step)
    elif follow.id not in declared:
        problem = t("plugin.follow_up_undeclared", id=follow.id)
    if problem is not None:
        failed = Rejected(problem)
        failed.plugin, failed.broken = plugin, True  # type: ignore[attr-defined]
        raise failed


def _listed(programme: Any) -> set[str]:
    """The plugins the programme in force names (care_basics always); none without a programme."""
    if programme is None:
        return set()
    return {"care_basics", *programme.plugins}


@dataclass
class ReportContext(Context):
    """What report_sections hooks get (a ``Context``): the schools a report covers (one school's
    工作总结 or 台账, or a township's or county's), the days it covers (inclusive) and the moment it
    is drawn up; its questions default to those schools and days, children as on the last day."""

    _conn: Connection  # private: plugins ask through the methods
    schools: list[str]
    first: Any  # date
    last: Any  # date
    programme: Any
    zone: ZoneInfo
    plugin: str = ""  # the plugin whose hook is being called (set for each hook)
    until: Any = None  # naive UTC: records that had happened by then (the report's as_of); None: all
    segments: list[Any] = field(default_factory=list)  # private: the programme versions in force
    _registry: Any = None  # private: the run's registry
    known_at: Any = None  # naive UTC: only what was entered by then (--known-at); None: all
    failures: list[tuple[str, str]] = field(default_factory=list)  # (plugin, error) of the sections that failed

    def _reading(self) -> Any:
        return reading_in(self._conn)

    def _about(self) -> tuple[list[str], date, date, date]:
        return list(self.schools), self.first, self.last, self.last

    def _programme(self) -> Any:
        return self.programme

    def _zone(self) -> ZoneInfo:
        return self.zone

    def _until(self) -> Any:
        return self.until

    def _known_at(self) -> Any:
        return self.known_at

    @property
    def school(self) -> str | None:
        """The school, when the report is one school's."""
        return self.schools[0] if len(self.schools) == 1 else None

    def follow_ups(self) -> int:
        """How many follow-ups this plugin obliged for the schools' records on the report's days."""
        return sum(follow_ups(self._conn, self.plugin, school, self.first, self.last, self.zone)
                   for school in self.schools)

    def cared_for(self, on: date | str | None = None) -> set[str]:
        """Ids of the children the programme in force cares for on ``on`` (default the last day),
        each school under the programme version in force there that day."""
        day = as_date(on, "on") or self.last
        out: set[str] = set()
        for seg in self.segments:
            if seg.start <= day <= seg.end:
                out |= enrolled(self._conn, [s for s in seg.schools if s in self.schools], day, seg, self.known_at)
        return out


def report_sections(registry: Any, ctx: ReportContext) -> list[Any]:
    """Every plugin's sections for the report, in plugin registration order."""
    return [section for _plugin, section in sections_by_plugin(registry, ctx)]


def sections_by_plugin(registry: Any, ctx: ReportContext) -> list[tuple[str, Any]]:
    """(plugin, section) for every plugin's sections, in plugin registration order."""
    from guanai.core.i18n import t
    from guanai.core.plugins import call_plugin, implementing
    from guanai.core.registry import ReportSection

    sections: list[tuple[str, Any]] = []
    listed = _listed(ctx.programme)
    for plugin in implementing(registry.pm, "report_sections"):  # registration order
        if plugin not in listed:
            continue  # a plugin writes sections only where the programme in force names it
        ctx.plugin = plugin
        trace_call(plugin, "report_sections", ",".join(ctx.schools))
        try:
            with _stdout_to_stderr():
                found = [s for result in call_plugin(registry.pm, "report_sections", plugin, ctx=ctx) for s in result or ()]
            for s in found:
                if not isinstance(s, ReportSection):
                    raise TypeError(f"report_sections returned {type(s).__name__}, not ReportSection")
            sections.extend((plugin, s) for s in found)
        except (Exception, SystemExit) as exc:  # contained: the report marks the section 未生成 and exits 1
            from guanai.core.plugins import failure_text

            error = failure_text(exc)
            ctx.failures.append((plugin, error))
            sections.append((plugin, ReportSection(t("report.section_failed_title", plugin=plugin),
                                                   (t("report.section_failed", plugin=plugin),), failed=True)))
    return sections
