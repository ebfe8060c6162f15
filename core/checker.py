"""Rules of SPEC §1 that need more than types: dates, overlaps, names, plugins, steps."""

from __future__ import annotations

import difflib
import zoneinfo
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from guanai.core.calendar import SchoolCalendar, clip, windows
from guanai.core.cells import FIRST_YEAR, LAST_YEAR
from guanai.core.declared import DECLARED
from guanai.core.diagnostics import Diagnostic, diag
from guanai.core.i18n import t
from guanai.core.programme import BUILTIN_ROLES, FESTIVALS, Condition, Programme
from guanai.core.registry import field_labels, labelled
from guanai.core.subjects import CHILD_FIELDS, SUBJECT_FIELDS, subject_has_field
from guanai.core.validation import pydantic_diagnostics, value_message
from guanai.core.views import validate_settings
from pydantic import ValidationError

ALWAYS_ON = "care_basics"
BUILTIN_INDICATORS = ("profile_complete", "profile_share", "record_share", "score_mean", "coverage", "count",
                      "duty_compliance")

MAX_SPAN_YEARS = 10  # the longest programme seen is a three-year plan (抓建示范年 … 巩固提高年)


class Checker:
    def __init__(self, programme: Programme, loaded: Any, registry: Any):
        self.p = programme
        self.loaded = loaded
        self.registry = registry
        self.out: list[Diagnostic] = []

    def error(self, path: tuple[Any, ...], code: str, at_key: bool = False, **params: Any) -> None:
        file, pos, path_text = self.loaded.locate(path, at_key)
        self.out.append(diag(file, pos, path_text, code, **params))

    def warning(self, path: tuple[Any, ...], code: str, **params: Any) -> None:
        file, pos, path_text = self.loaded.locate(path)
        d = diag(file, pos, path_text, code, **params)
        self.out.append(Diagnostic(d.file, d.line, d.col, d.path, d.code, d.params, "warning"))

    years_ok = True  # set by calendar(): the terms lie in plausible years

    plugin_steps: dict[str, Any] = {}  # the plugins' steps: a declared step may not take one's name

    def run(self) -> list[Diagnostic]:
        self.declared_steps()
        self.calendar()
        self.unique_ids()
        self.plugins_and_settings()
        self.phases()
        self.duties()
        self.triggers()
        self.activities()
        self.indicators()
        return self.out

    # declared steps -----------------------------------------------------------
    def declared_steps(self) -> None:
        self.no_duplicates(("steps",), [s.id for s in self.p.steps])
        for i, spec in enumerate(self.p.steps):
            owner = self.plugin_steps.get(spec.id)
            if owner is not None:
                self.error(("steps", i, "id"), "steps.declared_clash", step=spec.id, plugin=owner.plugin,
                           title=owner.title)
            self.no_duplicates(("steps", i, "fields"), [f.id for f in spec.fields])
            for j, f in enumerate(spec.fields):
                path = ("steps", i, "fields", j)
                if f.type == "choice" and not f.values:
                    self.error((*path, "values"), "steps.choice_without_values", field=f.name)
                if f.type != "choice" and f.values:
                    self.error((*path, "values"), "steps.values_not_choice", field=f.name, type=f.type)
                if f.min is not None and f.max is not None and f.min > f.max:
                    self.error((*path, "max"), "steps.min_above_max", field=f.name, min=f"{f.min:g}", max=f"{f.max:g}")
                if (f.min is not None or f.max is not None) and f.type not in ("number", "integer"):
                    self.error((*path, "min" if f.min is not None else "max"), "steps.range_not_number",
                               field=f.name, type=f.type)

    # calendar ---------------------------------------------------------------
    def calendar(self) -> None:
        cal = self.p.calendar
        try:
            zoneinfo.ZoneInfo(cal.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.error(("calendar", "timezone"), "calendar.timezone", value=cal.timezone)
        self.terms(cal.terms)
        first, last = min(t.start for t in cal.terms), max(t.end for t in cal.terms)
        bounded = self.years_ok = self.plausible_years(cal.terms, first, last)
        for i, brk in enumerate(cal.breaks):
            self.ordered(("calendar", "breaks", i), brk.start, brk.end)
            if not any(t.start <= brk.start and brk.end <= t.end for t in cal.terms):
                self.error(("calendar", "breaks", i), "calendar.break_outside", name=brk.name)
        for key in ("extra_workdays", "extra_holidays"):
            for i, day in enumerate(getattr(cal, key)):
                if not first <= day <= last:
                    self.error(("calendar", key, i), "calendar.day_outside", day=day.isoformat())
        self.no_duplicates(("calendar", "days"), [d.id for d in cal.days])
        for i, day in enumerate(cal.days):
            if day.name in FESTIVALS:
                self.error(("calendar", "days", i, "name"), "calendar.days_duplicate", name=day.name)
            elif len(day.date) == 10 and not first <= date.fromisoformat(day.date) <= last:
                self.error(("calendar", "days", i, "date"), "calendar.day_outside", day=day.date)
        if bounded and all(t.start <= t.end for t in cal.terms):
            for year in SchoolCalendar(cal).unknown_holiday_years():
                self.warning(("calendar", "public_holidays"), "calendar.holidays_unknown_year", year=year)

    def terms(self, terms: Any) -> None:
        """Each term in order with its midterm inside it; no two terms overlapping."""
        for i, term in enumerate(terms):
            self.ordered(("calendar", "terms", i), term.start, term.end)
            if term.midterm and not term.start <= term.midterm <= term.end:
                self.error(("calendar", "terms", i, "midterm"), "calendar.midterm_outside", term=term.name)
        ordered = sorted(enumerate(terms), key=lambda it: it[1].start)
        for (_, a), (j, b) in zip(ordered, ordered[1:], strict=False):
            if b.start <= a.end:
                self.error(("calendar", "terms", j), "calendar.terms_overlap", term=b.name, other=a.name)

    def plausible_years(self, terms: Any, first: date, last: date) -> bool:
        """Terms lie in FIRST_YEAR … LAST_YEAR and span at most MAX_SPAN_YEARS: a term in 1900
        or ending in 9999 is a typo, and would make every calendar and window computation
        (and a warning per year without holiday data) run over thousands of years."""
        for i, term in enumerate(terms):
            for key in ("start", "end"):
                day = getattr(term, key)
                if not FIRST_YEAR <= day.year <= LAST_YEAR:
                    self.error(("calendar", "terms", i, key), "calendar.implausible_year", day=day.isoformat(),
                               first=FIRST_YEAR, last=LAST_YEAR)
                    return False
        if last.year - first.year > MAX_SPAN_YEARS:
            at = max(range(len(terms)), key=lambda i: terms[i].end)
            self.error(("calendar", "terms", at, "end"), "calendar.too_long", first=first.isoformat(),
                       last=last.isoformat(), years=MAX_SPAN_YEARS)
            return False
        return True

    def ordered(self, path: tuple[Any, ...], start: date, end: date) -> None:
        if end < start:
            self.error((*path, "end"), "dates.end_before_start", start=start.isoformat(), end=end.isoformat())

    def inside_calendar(self, path: tuple[Any, ...], start: date, end: date, name: str) -> None:
        first = min(t.start for t in self.p.calendar.terms)
        last = max(t.end for t in self.p.calendar.terms)
        if start < first or end > last:
            self.error(path, "calendar.outside", name=name, first=first.isoformat(), last=last.isoformat())

    def activity_month(self, path: tuple[Any, ...], first: date, last: date, activity: Any) -> None:
        """A month with a day in the calendar keeps its in-term days (03-02 start: March is
        03-02 … 03-31); one wholly outside is a mistake; one with no school day, a warning."""
        start = min(t.start for t in self.p.calendar.terms)
        end = max(t.end for t in self.p.calendar.terms)
        if last < start or first > end:
            self.error(path, "activities.month_outside", name=activity.name, month=activity.month,
                       first=start.isoformat(), last=end.isoformat())
        elif self.years_ok and all(t.start <= t.end for t in self.p.calendar.terms):
            cal = SchoolCalendar(self.p.calendar)
            if not cal.has_school_day(clip(cal.term_span, first, last)):
                self.warning(path, "activities.month_no_school_day", name=activity.name, month=activity.month)

    # ids ----------------------------------------------------------------------
    def unique_ids(self) -> None:
        lists: list[tuple[tuple[Any, ...], Iterable[Any]]] = [
            (("calendar", "terms"), self.p.calendar.terms),
            (("phases",), self.p.phases),
            (("duties",), self.p.duties),
            (("triggers",), self.p.triggers),
            (("indicators",), self.p.indicators),
            (("activities",), self.p.activities),
        ]
        for path, items in lists:
            self.no_duplicates(path, [getattr(item, "id", None) for item in items])
        for i, trigger in enumerate(self.p.triggers):
            self.no_duplicates(("triggers", i, "then"), [f.id for f in trigger.then])
        seen: dict[str, tuple[Any, ...]] = {d.id: ("duties", i) for i, d in enumerate(self.p.duties)}
        for path, task in self.all_tasks():
            if task.id in seen:
                self.error((*path, "id"), "ids.task_clash", id=task.id)
            seen[task.id] = path
        roles = [a.role for a in self.p.assignments]
        self.no_duplicates(("assignments",), roles, key="role")
        for i, rule in enumerate(self.p.assignments):  # who is paired, and who may take the role
            self.where_fields(("assignments", i, "where"), rule.where, "child")
            self.where_fields(("assignments", i, "staff_where"), rule.staff_where, "staff")

    def no_duplicates(self, path: tuple[Any, ...], ids: list[Any], key: str = "id") -> None:
        first: dict[Any, int] = {}
        for i, ident in enumerate(ids):
            if ident is None:
                continue
            if ident in first:
                self.error((*path, i, key), "ids.duplicate", id=ident, index=first[ident])
            else:
                first[ident] = i

    def all_tasks(self) -> Iterable[tuple[tuple[Any, ...], Any]]:
        for i, phase in enumerate(self.p.phases):
            for j, task in enumerate(phase.tasks):
                yield ("phases", i, "tasks", j), task
        for i, activity in enumerate(self.p.activities):
            for j, task in enumerate(activity.tasks):
                yield ("activities", i, "tasks", j), task

    # plugins --------------------------------------------------------------------
    def plugins_and_settings(self) -> None:
        installed = self.registry.plugins if self.registry else {}
        for i, name in enumerate(self.p.plugins):
            if name not in installed:
                failed = next((p for p in getattr(self.registry, "problems", ()) if p.plugin == name), None)
                if failed is not None:  # installed, but it could not be loaded: say why
                    from guanai.core.i18n import t

                    self.error(("plugins", i), "plugins.failed_to_load", plugin=name,
                               why=t(failed.code, plugin=name, **failed.params))
                else:
                    self.error(("plugins", i), "plugins.not_installed", plugin=name)
        listed = {*self.p.plugins, ALWAYS_ON}
        for name, value in self.p.settings.items():
            if name not in listed:
                self.error(("settings", name), "settings.not_listed", plugin=name, at_key=True)
                continue
            model = self.registry.settings_models.get(name) if self.registry else None
            if model is None:
                self.error(("settings", name), "settings.no_model", plugin=name, at_key=True)
                continue
            try:
                validate_settings(model, value)
            except ValidationError as exc:

                sub = self.loaded.data["settings"][name]
                for d in pydantic_diagnostics(exc, sub, self.loaded.positions, self.loaded.file, model):
                    path = f"settings.{name}" + (f".{d.path}" if d.path and not d.path.startswith("[") else d.path)
                    self.out.append(Diagnostic(d.file, d.line, d.col, path, d.code, d.params))

    def step(self, path: tuple[Any, ...], name: str) -> Any:
        """The step type `name` if usable here, else an error at `path` (and None)."""
        steps = self.registry.steps if self.registry else {}
        step = steps.get(name)
        if step is None:
            guess = difflib.get_close_matches(name, list(steps), n=1)
            if guess:
                self.error(path, "steps.unknown_hint", step=name, hint=guess[0])
            else:
                self.error(path, "steps.unknown", step=name)
            return None
        if step.plugin not in (ALWAYS_ON, DECLARED) and step.plugin not in self.p.plugins:
            self.error(path, "steps.plugin_not_listed", step=name, plugin=step.plugin)
            return None
        return step

    def match_fields(self, path: tuple[Any, ...], step: Any, match: dict[str, Any]) -> None:
        if step is None:
            return
        fields = {info.alias or name for name, info in step.payload.model_fields.items()}
        for key, value in match.items():
            if key not in fields:
                self.error((*path, "match", key), "match.unknown_field", at_key=True, field=key, step=step.name,
                           fields=", ".join(sorted(fields - {"notes"})) or "—")
                continue
            try:
                step.payload.model_validate({**_required_stub(step), key: value})
            except ValidationError as exc:
                bad = [e for e in exc.errors() if e["loc"] and e["loc"][0] == key]
                if bad:  # the value's own message: for a choice, the values it may take

                    code, params = value_message(bad[0])
                    info = next((i for n, i in step.payload.model_fields.items() if key in (n, i.alias)), None)
                    if info is not None and params.get("expected"):  # parents（父母）, …: write the code
                        params["expected"] = labelled(params["expected"], field_labels(info))
                    self.error((*path, "match", key), "match.bad_value", field=key, value=value,
                               reason=t(code, **params))
                    continue
            refused = step.refused_choice({key: value}, self._settings(step.plugin)) if step.choices else None
            if refused is not None:  # an open vocabulary: this programme's list, else the plugin's defaults
                self.error((*path, "match", key), "match.bad_value", field=key, value=value,
                           reason=t("record.not_a_choice", value=value, allowed="、".join(refused[2]),
                                    setting=f"settings.{step.plugin}.{dict(step.choices)[key]}"))

    def _settings(self, plugin: str) -> Any:
        """The programme's settings of `plugin` with its defaults (the defaults alone when they are
        wrong: that error is reported under `settings`)."""
        from guanai.core.views import settings_of

        models = self.registry.settings_models if self.registry else {}
        try:
            return settings_of(models, plugin, self.p)
        except ValidationError:
            return settings_of(models, plugin, None)

    def where_fields(self, path: tuple[Any, ...], conditions: tuple[Condition, ...], scope: str, step: Any = None) -> None:
        for i, cond in enumerate(conditions):
            if step is not None:
                ok = cond.field in step.fields() or any(
                    info.alias == cond.field for info in step.payload.model_fields.values()
                )
                if not ok:
                    self.error((*path, i, "field"), "where.unknown_step_field", field=cond.field, step=step.name)
            elif not subject_has_field(scope, cond.field):
                guess = difflib.get_close_matches(cond.field, SUBJECT_FIELDS[scope], n=1)
                self.error((*path, i, "field"), "where.unknown_field", field=cond.field, scope=scope,
                           hint=guess[0] if guess else "—")
            if cond.op in ("in", "not_in") and not isinstance(cond.value, tuple):
                self.error((*path, i, "value"), "where.needs_list", op=cond.op)
            if cond.op in ("empty", "not_empty") and cond.value is not None:
                self.error((*path, i, "value"), "where.no_value", op=cond.op)
            if cond.op not in ("empty", "not_empty") and cond.value is None:
                self.error((*path, i), "where.needs_value", op=cond.op, at_key=True)

    def role(self, path: tuple[Any, ...], role: Any) -> None:
        if role is None or not isinstance(role, str):
            return  # a post ({post: 视频室}): `assign check` asks the database whether someone holds it
        known = {*BUILTIN_ROLES, *(a.role for a in self.p.assignments)}
        if role not in known:
            self.error(path, "roles.unknown", role=role, roles=", ".join(sorted(known)))

    # phases, duties, triggers, activities, indicators ------------------------------
    def phases(self) -> None:
        for i, phase in enumerate(self.p.phases):
            self.ordered(("phases", i), phase.start, phase.end)
            self.inside_calendar(("phases", i), phase.start, phase.end, phase.name)
            for j, task in enumerate(phase.tasks):
                self.task(("phases", i, "tasks", j), task)
                if task.due and not phase.start <= task.due <= phase.end:
                    self.error(("phases", i, "tasks", j, "due"), "tasks.due_outside_phase", phase=phase.name)
                if task.every:
                    self.error(("phases", i, "tasks", j, "every"), "tasks.every_in_phase")

    def task(self, path: tuple[Any, ...], task: Any) -> None:
        step = self.step((*path, "step"), task.step)
        self.match_fields(path, step, task.match)
        self.where_fields((*path, "where"), task.where, task.scope)
        self.role((*path, "by"), task.by)

    def festivals(self, path: tuple[Any, ...], names: tuple[str, ...]) -> bool:
        """Each name a festival or a day the calendar declares; False (and an error each) if not."""
        days = self.p.calendar.days
        unknown = [(j, n) for j, n in enumerate(names) if n not in FESTIVALS and self.p.calendar.day_named(n) is None]
        for j, name in unknown:
            guess = difflib.get_close_matches(name, [*FESTIVALS, *(d.name for d in days), *(d.id for d in days)],
                                              n=1, cutoff=0.3)
            self.error((*path, "festivals", j), "duties.unknown_festival", name=name, hint=guess[0] if guess else "—",
                       festivals="、".join(FESTIVALS), days="、".join(d.name for d in days) or "—")
        return not unknown

    def during(self, path: tuple[Any, ...], duty: Any, phase_ids: list[str], cal: SchoolCalendar | None) -> None:
        for j, phase_id in enumerate(duty.during or ()):
            if phase_id not in phase_ids:
                guess = difflib.get_close_matches(phase_id, phase_ids, n=1)
                self.error((*path, "during", j), "duties.unknown_phase", phase=phase_id,
                           phases=", ".join(phase_ids) or "—", hint=guess[0] if guess else "")
            elif cal and not duty.festivals:  # school time only (SPEC §2): a phase all in the vacation is empty
                phase = self.p.phase(phase_id)
                if phase and not cal.has_school_day(clip(cal.term_span, phase.start, phase.end)):
                    self.warning((*path, "during", j), "duties.phase_no_school_day", phase=phase_id,
                                 start=phase.start.isoformat(), end=phase.end.isoformat())

    def duties(self) -> None:
        phase_ids = [p.id for p in self.p.phases]
        cal = None
        if self.years_ok and all(t.start <= t.end for t in self.p.calendar.terms):
            cal = SchoolCalendar(self.p.calendar)
        for i, duty in enumerate(self.p.duties):
            path = ("duties", i)
            timings = [k for k in ("every", "at", "festivals") if getattr(duty, k) is not None]
            if len(timings) != 1:
                code = "duties.no_timing" if not timings else "duties.many_timings"
                self.error(path, code, at_key=True, keys=", ".join(timings))
            step = self.step((*path, "step"), duty.step)
            self.match_fields(path, step, duty.match)
            self.where_fields((*path, "where"), duty.where, duty.scope)
            self.role((*path, "by"), duty.by)
            known = self.festivals(path, duty.festivals or ())
            self.during(path, duty, phase_ids, cal)
            if duty.every == "phase" and not self.p.phases:
                self.error((*path, "every"), "duties.no_phases")
            if cal and known and len(timings) == 1 and not any(
                pid not in phase_ids for pid in duty.during or ()
            ) and (duty.at or duty.festivals):
                found = windows(self.p, cal, duty)
                for a, b in zip(found, found[1:], strict=False):
                    if b.start <= a.end:
                        self.error((*path, "window_days"), "duties.windows_overlap", a=a.label, b=b.label)
                        break

    def triggers(self) -> None:
        for i, trigger in enumerate(self.p.triggers):
            step = self.step((("triggers", i, "when", "step")), trigger.when.step)
            if step is not None:
                self.where_fields(("triggers", i, "when", "where"), trigger.when.where, "child", step)
            for j, follow in enumerate(trigger.then):
                path = ("triggers", i, "then", j)
                self.match_fields(path, self.step((*path, "step"), follow.step), follow.match)

    def activities(self) -> None:
        for i, activity in enumerate(self.p.activities):
            year, month = (int(x) for x in activity.month.split("-"))
            first = date(year, month, 1)
            last = date(year + (month == 12), month % 12 + 1, 1)
            self.activity_month(("activities", i, "month"), first, last - timedelta(days=1), activity)
            for j, task in enumerate(activity.tasks):
                path = ("activities", i, "tasks", j)
                self.task(path, task)
                if task.due and not first <= task.due < last:
                    self.error((*path, "due"), "tasks.due_outside_month", month=activity.month)

    def indicators(self) -> None:
        kinds = {*BUILTIN_INDICATORS, *(getattr(self.registry, "indicator_kinds", {}) or {})}
        checks = {"profile_complete": self._profile_complete, "profile_share": self._profile_share,
                  "record_share": self._record_figure, "score_mean": self._record_figure,
                  "coverage": self._coverage, "duty_compliance": self._duty_compliance, "count": self._count}
        for i, ind in enumerate(self.p.indicators):
            path = ("indicators", i)
            if ind.kind in BUILTIN_INDICATORS and ind.kind not in ("score_mean", "count") and ind.target > 1:  # shares: 1.0 is 100%
                self.error((*path, "target"), "indicators.target_share", target=ind.target,
                           percent=f"{ind.target * 100:g}")
            if ind.kind not in kinds:
                self.error((*path, "kind"), "indicators.unknown_kind", kind=ind.kind, kinds=", ".join(sorted(kinds)))
            elif ind.kind in checks:  # a plugin's kind checks its own `params` when it computes
                checks[ind.kind](path, ind)

    def _profile_complete(self, path: tuple[Any, ...], ind: Any) -> None:
        if not ind.fields:
            self.error(path, "indicators.needs", at_key=True, key="fields", kind=ind.kind)
        for j, name in enumerate(ind.fields):
            if not subject_has_field("child", name):
                guess = difflib.get_close_matches(name, CHILD_FIELDS, n=1)
                self.error((*path, "fields", j), "where.unknown_field", field=name, scope="child",
                           hint=guess[0] if guess else "—")

    def _profile_share(self, path: tuple[Any, ...], ind: Any) -> None:
        """入学率, 巩固率: the share whose field holds one of `values`."""
        if len(ind.fields) != 1 or not ind.values:
            self.error(path, "indicators.needs", at_key=True, key="fields (1), values", kind=ind.kind)
        elif not subject_has_field("child", ind.fields[0]):
            self.error((*path, "fields", 0), "where.unknown_field", field=ind.fields[0], scope="child", hint="—")

    def _record_figure(self, path: tuple[Any, ...], ind: Any) -> None:
        """record_share, score_mean: a payload field of a step's records."""
        needs_values = ind.kind == "record_share"
        if ind.step is None or len(ind.fields) != 1 or (needs_values and not ind.values):
            self.error(path, "indicators.needs", at_key=True, kind=ind.kind,
                       key="step, fields (1), values" if needs_values else "step, fields (1)")
            return
        step = self.step((*path, "step"), ind.step)
        if step is not None and ind.fields[0] not in {i.alias or n for n, i in step.payload.model_fields.items()}:
            self.error((*path, "fields", 0), "match.unknown_field", field=ind.fields[0], step=step.name,
                       fields=", ".join(sorted(step.fields())))

    def _count(self, path: tuple[Any, ...], ind: Any) -> None:
        """count: pairs (of a role the programme pairs), records (of a step), people (cared for)."""
        if ind.count is None:
            self.error(path, "indicators.needs", at_key=True, key="count: pairs | records | people", kind=ind.kind)
        elif ind.count == "records":
            if ind.step is None:
                self.error(path, "indicators.needs", at_key=True, key="step", kind="count: records")
            else:
                self.match_fields(path, self.step((*path, "step"), ind.step), ind.match)
        elif ind.count == "pairs" and ind.role is not None:
            self.role((*path, "role"), ind.role)

    def _coverage(self, path: tuple[Any, ...], ind: Any) -> None:
        if ind.step is None or ind.period is None:
            self.error(path, "indicators.needs", at_key=True, key="step, period", kind=ind.kind)
        if ind.step is not None:
            self.match_fields(path, self.step((*path, "step"), ind.step), ind.match)

    def _duty_compliance(self, path: tuple[Any, ...], ind: Any) -> None:
        groups = {d.group for d in self.p.duties if d.group} | {
            t.group for _, t in self.all_tasks() if t.group
        } | {f.group for tr in self.p.triggers for f in tr.then if f.group} | {
            f.group for s in (getattr(self.registry, "steps", {}) or {}).values()
            if s.plugin in self.p.plugins or s.plugin == "care_basics" for f in s.follow_ups if f.group}
        if not ind.group and not ind.duties:
            self.error(path, "indicators.needs", at_key=True, key="group | duties", kind=ind.kind)
        if ind.group and ind.group not in groups:
            self.error((*path, "group"), "indicators.unknown_group", group=ind.group,
                       groups=", ".join(sorted(groups)) or "—")
        duty_ids = {d.id for d in self.p.duties} | {t.id for _, t in self.all_tasks()}
        for j, duty_id in enumerate(ind.duties):
            if duty_id not in duty_ids:
                self.error((*path, "duties", j), "indicators.unknown_duty", duty=duty_id)


def _required_stub(step: Any) -> dict[str, Any]:
    """Placeholder values for a payload's required fields, to test one `match` value alone."""
    stub: dict[str, Any] = {}
    for name, info in step.payload.model_fields.items():
        if info.is_required():
            stub[info.alias or name] = "2025-01-01" if "date" in str(info.annotation) else "x"
    return stub


def check_programme(programme: Programme, loaded: Any, registry: Any) -> list[Diagnostic]:
    from dataclasses import replace

    from guanai.core.declared import DECLARED, with_steps

    if registry is None:
        from guanai.core.plugins import load_registry

        registry = load_registry()
    # the plugins' steps and this programme's own (never another programme's declared ones)
    plugins_only = replace(registry, steps={k: v for k, v in registry.steps.items() if v.plugin != DECLARED})
    checker = Checker(programme, loaded, with_steps(plugins_only, programme.steps))
    checker.plugin_steps = plugins_only.steps
    return checker.run()
