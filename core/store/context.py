"""The one surface plugins get (issue 29): every context guanai hands a plugin — to ``on_record``
(RecordContext), to ``report_sections`` (ReportContext), to an indicator kind's ``compute``
(IndicatorContext) and to a plugin's command (CommandContext) — is a ``Context`` and answers the
same questions with the same signatures:

    records(step, first=None, last=None, schools=None)   the stored records (``Record``s)
    children(ids)                                        the children among ids (``Child`` by id)
    cared_for(on=None)                                   ids of the children cared for
    staff_names(ids)                                     工号 → 姓名
    settings                                             this plugin's settings (a property)
    term(day=None)                                       (first, last) of the term holding day

Dates are ``date`` objects; ISO text ("2025-10-01") is accepted and read as a date. Each context
fills in what a question leaves out from what it is about (a report's days, the record's day, an
indicator's as_of, a command's --as-of). No context carries a database connection: plugins read
through these methods, records of their own steps — and of other plugins' steps only when they
declare them (``READS = ("talk",)`` in the plugin module), which ``guanai plugins show`` lists so
that a county sees what a plugin reads before listing it. Writing goes through ``NewRecord`` and
``save``, checked, stored and audited like ``guanai record``.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from guanai.core.views import settings_of, term_of


class NotDeclared(PermissionError):
    """A plugin asked for records of another plugin's step it did not declare in READS."""


def as_date(value: Any, what: str = "date") -> date | None:
    """A day as a plugin may give it: a ``date``, a ``datetime`` (its day) or ISO text; None stays None."""
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{what}: “{value}” is not a date (YYYY-MM-DD)") from None
    raise TypeError(f"{what}: expected a date or YYYY-MM-DD text, got {type(value).__name__}")


def reads_of(registry: Any, plugin: str) -> tuple[str, ...]:
    """The other plugins' steps `plugin` declared it reads (its module's ``READS``)."""
    pm = getattr(registry, "pm", None)
    module = pm.get_plugin(plugin) if pm is not None else None
    return tuple(getattr(module, "READS", ()) or ())


class Context(ABC):
    """What every plugin context answers; see the module's doc. Subclasses say what they are about
    (``_about``), under which programme (``_programme``) and how they read (``_reading``)."""

    plugin: str = ""
    _registry: Any = None

    # —— what a subclass provides ——

    @abstractmethod
    def _reading(self) -> contextlib.AbstractContextManager[Any]:
        """A connection to read with: the hook's open transaction, or one of its own per question."""

    @abstractmethod
    def _about(self) -> tuple[list[str], date, date, date]:
        """(schools, first day, last day, the day asked about) the questions default to."""

    @abstractmethod
    def _programme(self) -> Any:
        """The programme in force for the settings and the terms (None without one)."""

    def _zone(self) -> ZoneInfo:
        from guanai.core.store.programmes import DEFAULT_TIMEZONE

        programme = self._programme()
        return ZoneInfo(programme.calendar.timezone if programme is not None else DEFAULT_TIMEZONE)

    def _until(self) -> datetime | None:
        return None

    def _known_at(self) -> datetime | None:
        return None

    def _models(self) -> dict[str, Any]:
        return dict(getattr(self._registry, "settings_models", {}) or {})

    # —— the questions ——

    def records(self, step: str, first: date | str | None = None, last: date | str | None = None,
                schools: Iterable[str] | None = None) -> list[Any]:
        """Records of ``step`` at ``schools`` (default: the context's) on the local days first … last
        (default: the context's period), that had happened by the moment asked about: ``Record``s,
        oldest first. Another plugin's step only when this plugin declares it in ``READS``."""
        from guanai.core.store.facts import records

        self._may_read(step)
        where, start, end, _day = self._about()
        first_day, last_day = as_date(first, "first") or start, as_date(last, "last") or end
        with self._reading() as conn:
            return records(conn, step, list(schools) if schools is not None else where, first_day, last_day,
                           self._zone(), self._until(), self._known_at())

    def children(self, ids: Iterable[str]) -> dict[str, Any]:
        """The children among ``ids`` as they were on the day asked about (``Child`` by id): their
        class then; unknown ids are left out."""
        from guanai.core.store.facts import children

        where, _first, _last, day = self._about()
        with self._reading() as conn:
            return children(conn, ids, day, self._known_at(), where)

    def cared_for(self, on: date | str | None = None) -> set[str]:
        """Ids of the children the programme in force cares for on ``on`` (default the day asked about)."""
        from types import SimpleNamespace

        from guanai.core.store.facts import enrolled

        where, _first, _last, day = self._about()
        programme = self._programme()
        if programme is None:
            return set()
        with self._reading() as conn:
            return enrolled(conn, where, as_date(on, "on") or day, SimpleNamespace(programme=programme), self._known_at())

    def staff_names(self, ids: Iterable[str | None]) -> dict[str, str]:
        """The names of the staff among ``ids`` (工号 → 姓名) at the context's schools: a 台账 names
        经办人 and teachers, never by 工号 alone."""
        from guanai.core.store.facts import staff_names_at

        wanted = {i for i in ids if i}
        where = self._about()[0]
        with self._reading() as conn:
            return {k: v for k, v in staff_names_at(conn, where).items() if k in wanted}

    @property
    def settings(self) -> Any:
        """The programme's ``settings.<this plugin>`` validated by the plugin's model, defaults applied
        (a dict when the plugin registered no model)."""
        return settings_of(self._models(), self.plugin, self._programme())

    def term(self, day: date | str | None = None) -> tuple[date, date] | None:
        """(first, last) day of the programme's term holding ``day`` (default the day asked about);
        None in a vacation or without a programme."""
        return term_of(self._programme(), as_date(day, "day") or self._about()[3])

    def _may_read(self, step: str) -> None:
        steps = getattr(self._registry, "steps", None)
        if steps is None or step not in steps:
            return  # an unknown step has no records to give
        owner = steps[step].plugin
        if owner in (self.plugin, "") or step in reads_of(self._registry, self.plugin):
            return
        raise NotDeclared(f"plugin {self.plugin} reads records of “{step}” (plugin {owner}) without declaring it: "
                          f"add READS = (\"{step}\",) to the plugin module")


@dataclass
class CommandContext(Context):
    """What a plugin's command gets (a ``Context``; ``context_options`` builds it from ``--org``,
    ``--as-of``, ``--term``): the schools it is about, the day it asks about (default today), the
    term (``--term ID``, default the term holding that day); each question reads in a transaction
    of its own."""

    schools: list[str]
    as_of: date
    term_id: str | None = None
    _store: Any = None
    _segments: list[Any] = field(default_factory=list)
    _registry: Any = None  # the registry of the run (saving records checks them with it)
    plugin: str = ""  # the plugin whose command this is

    def _segment(self, school: str) -> Any:
        for seg in self._segments:
            if school in seg.schools and seg.start <= self.as_of <= seg.end:
                return seg
        return None

    def _reading(self) -> Any:
        return self._store.read()

    def _about(self) -> tuple[list[str], date, date, date]:
        span = self.term() or (self.as_of, self.as_of)
        return list(self.schools), span[0], span[1], self.as_of

    def _programme(self) -> Any:
        return next((self.programme(s) for s in self.schools if self.programme(s) is not None), None)

    def _zone(self) -> ZoneInfo:
        seg = next((self._segment(s) for s in self.schools if self._segment(s) is not None), None)
        return seg.zone if seg is not None else super()._zone()

    def _until(self) -> datetime | None:
        """The end of the --as-of day: a command asked about 10-31 sees no record of 11-02."""
        from datetime import timedelta

        from guanai.core.obligations import local_midnight_utc

        return local_midnight_utc(self.as_of + timedelta(days=1), self._zone())

    def programme(self, school: str) -> Any:
        """The programme in force at ``school`` on as_of (a validated Programme), or None."""
        seg = self._segment(school)
        return seg.programme if seg is not None else None

    def at(self, school: str) -> CommandContext:
        """The same context about one of its schools (its programme, settings and term): a command
        over schools under different programmes asks school by school."""
        from dataclasses import replace

        return replace(self, schools=[school])

    def term(self, day: date | str | None = None) -> tuple[date, date] | None:
        """(first, last) day of the term asked about: ``--term ID``, else the term holding ``day``
        (default as_of), else the programme's last term before it; None without a programme."""
        programme = self._programme()
        if programme is None:
            return None
        terms = programme.calendar.terms
        if self.term_id is not None:
            found = [t for t in terms if t.id == self.term_id]
            if not found:
                from guanai.core.diagnostics import Refusal

                raise Refusal("plugin.no_term", term=self.term_id, terms="、".join(t.id for t in terms))
            return found[0].start, found[0].end
        day = as_date(day, "day") or self.as_of
        before = [t for t in terms if t.start <= day] or list(terms[:1])
        return before[-1].start, before[-1].end


@contextlib.contextmanager
def reading_in(conn: Any) -> Iterator[Any]:
    """An open transaction, used as it is."""
    yield conn
