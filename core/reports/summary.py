"""The 工作总结 draft: the seeds' structure — 一、基本情况, 二、主要做法与成效, 三、存在的问题,
四、下一步打算 — with every figure taken from `stats`, `compliance` (for the report's period),
`indicators` and `assign list`, standing in sentences a person would write.

The result is plain data (`Document`): headings, paragraphs and tables, rendered to .docx (a
docxtpl template, the county's own through --template), .md or .html by core/reports/render.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from guanai.core.celltext import rate
from guanai.core.i18n import t
from guanai.core.render import (
    class_order,
    indicator_value,
    key_text,
    others_text,
    percent_of,
    rate_text,
)
from guanai.core.render import role as render_role
from guanai.core.services.engine import compliance, indicator_rows, plugin_groups, regroup


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    percent: list[int] = field(default_factory=list)  # columns holding shares (0.714 → 71.4%)


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)


@dataclass
class Document:
    title: str
    org_name: str
    date_text: str  # 2025年12月30日
    period_text: str
    sections: list[Section]
    figures: dict[str, Any]  # the key numbers, for templates and tests (documented in docs/reports.md)
    opening: list[str] = field(default_factory=list)  # before 一、: the programme, the term, what it is about
    evidence: list[dict[str, Any]] = field(default_factory=list)  # each sentence's figures and their source
    failures: list[tuple[str, str]] = field(default_factory=list)  # (plugin, error): sections marked 未生成
    closing: list[str] = field(default_factory=list)  # after the last section, before the unit and the date


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    name: str  # 2025年秋季学期, or 2025年10月1日至2025年12月31日


def say(key: str, src: tuple[str, dict[str, Any]] | None = None, **values: Any) -> str:
    """A sentence of the document: its counts written as its tables write them (11,172; 600), the
    one way for every number of the text (issue 28: 1470 次 in text, 1,470 in tables). With `src`
    (what the figures come from: ("compliance", {"by": "duty", "duty": "weekly-talk"})), the
    sentence, its figures and their source go into the evidence file (Trail)."""
    text = t(key, **{k: f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else v for k, v in values.items()})
    trail = TRAIL.get()
    if trail is not None and src is not None:
        trail.add(text, {k: v for k, v in values.items() if k not in ("who", "late", "unit", "each")}, *src)
    return text


class Trail:
    """The evidence of one document: every sentence with figures, the figures, and the engine call
    and the command (with its parameters) that give them — so a county can check any number."""

    def __init__(self, c: Any, period: Period) -> None:
        self.c, self.period, self.items = c, period, []  # type: ignore[var-annotated]
        self.day = min(c.asof.day, period.last)

    def _common(self) -> list[str]:
        known = self.c.asof.known_at_utc
        return [*(["--org", self.c.org] if self.c.org else []), "--as-of", self.c.as_of_text(),
                *(["--known-at", known.isoformat(timespec="seconds")] if known is not None else [])]

    def source(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """What `kind` of figure comes from: the engine's function and the command showing it."""
        span = ["--from", self.period.first.isoformat(), "--to", self.period.last.isoformat()]
        on = [*(["--org", self.c.org] if self.c.org else []), "--as-of", self.day.isoformat()]
        if kind == "compliance":
            by = params.pop("by")
            group = params.pop("group", None)
            return {"call": "guanai.core.services.engine.compliance", "select": params,
                    "command": " ".join(["guanai", "compliance", "--by", by, *(["--group", group] if group else []),
                                         *span, *self._common(), "--json"])}
        if kind == "records":
            return {"call": "guanai.core.store.reporting.matching_count", "params": {
                **params, "first": self.period.first.isoformat(), "last": self.period.last.isoformat(),
                "as_of": self.c.as_of_text()},
                "command": " ".join(["guanai", "records", "list", "--step", params["step"], *span[:2],
                                     "--to", min(self.period.last, self.c.asof.day).isoformat(),
                                     *(["--org", self.c.org] if self.c.org else []), "--limit", "1000000",
                                     "--json"])}
        if kind == "stats":
            return {"call": "guanai.core.store.stats.collect", "select": params,
                    "command": " ".join(["guanai", "stats", *params.pop("by", []), *on, "--json"])}
        if kind == "pairs":
            return {"call": "guanai.core.store.stats.pairings", "select": params,
                    "command": " ".join(["guanai", "assign", "list", *on, "--json"])}
        if kind == "indicators":
            return {"call": "guanai.core.services.engine.indicator_rows", "select": params,
                    "command": " ".join(["guanai", "indicators", *on, "--json"])}
        if kind == "plugin":
            return {"call": f"plugin {params['plugin']}: report_sections", "params": {
                "schools": sorted(self.c.schools), "first": self.period.first.isoformat(),
                "last": self.period.last.isoformat(), "as_of": self.c.as_of_text()}}
        return {"call": f"guanai.core.store.reporting.{kind}", "params": {
            **params, "first": self.period.first.isoformat(), "last": self.period.last.isoformat(),
            "as_of": self.c.as_of_text()}}

    def add(self, text: str, figures: dict[str, Any], kind: str, params: dict[str, Any]) -> None:
        params = dict(params)
        counted = params.pop("records", None)  # a duty's sentence: its records (次) and its obligations (项)
        self.items.append({"text": text, "figures": figures, **self.source(kind, params),
                           **({"records": self.source("records", counted)} if counted else {})})


TRAIL: ContextVar[Trail | None] = ContextVar("guanai_report_trail", default=None)


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def pct(value: float | None) -> str:
    """A rate to one decimal, as UX.md asks (71.4%): render.rate_text, the one rule."""
    return rate_text(value)


def resolve_period(c: Any, term_id: str | None, start: date | None, end: date | None) -> Period:
    """--from/--to when given; else --term ID; else the term holding as_of (or the last one before it)."""
    from guanai.core.diagnostics import Refusal

    if start is not None or end is not None:
        first, last = start or c.asof.day, end or c.asof.day
        if last < first:
            raise Refusal("period.reversed", start=first.isoformat(), end=last.isoformat())
        return Period(first, last, say("report.period_days", first=cn_date(first), last=cn_date(last)))
    terms = {tm.id: tm for seg in c.segs for tm in seg.programme.calendar.terms}
    if term_id is not None:
        if term_id not in terms:
            raise Refusal("plugin.no_term", term=term_id, terms="、".join(terms))
        chosen = terms[term_id]
    else:
        ordered = sorted(terms.values(), key=lambda tm: tm.start)
        chosen = next((tm for tm in ordered if tm.start <= c.asof.day <= tm.end), None) or (
            [tm for tm in ordered if tm.start <= c.asof.day] or ordered)[-1]
    return Period(chosen.start, chosen.end, chosen.name)


def build(c: Any, period: Period, registry: Any, name_staff: bool = False) -> Document:
    """The summary of `c`'s schools over `period`, at `c.asof`. A school's own document may name
    its teachers (`name_staff`); a township's or county's speaks of schools, never of classes
    summed across schools by name, nor of teachers. Every sentence with a figure is in the
    document's evidence, with where the figure comes from."""
    trail = Trail(c, period)
    token = TRAIL.set(trail)
    try:
        doc = _build(c, period, registry, name_staff)
    finally:
        TRAIL.reset(token)
    doc.evidence = trail.items
    return doc


def _build(c: Any, period: Period, registry: Any, name_staff: bool) -> Document:
    from guanai.core.store.hooks import ReportContext, sections_by_plugin
    from guanai.core.store.stats import collect, pairings

    day = min(c.asof.day, period.last)  # who is there: at as_of, or on the period's last day if earlier
    span = (period.first, period.last)
    kind = c.orgs[c.org]["kind"] if c.org else "county"
    org_name = c.orgs[c.org]["name"] if c.org else t("due.everywhere")
    with c.store.read() as conn:
        found = collect(conn, c.segs, c.schools, day, c.orgs, ("category",), c.asof.known_at_utc)
        by_guardian = _grouped(found, ("guardian_type",), c.orgs)
        by_school = _grouped(found, ("school",), c.orgs)
        pairs = pairings(conn, c.schools, day, known_at=c.asof.known_at_utc)
        done = _record_counts(conn, c, period)
        per_duty = _matching_counts(conn, c, period, done)
        unvisited = _never_visited(conn, c, period, day)
        programme = programme_at(c, day)
        held = _activities_held(conn, c, period, programme)
        rctx = ReportContext(conn, list(c.schools), period.first, period.last, programme, c.zone,
                             until=c.asof.instant_utc, segments=c.segs, _registry=registry,
                             known_at=c.asof.known_at_utc)
        plugin_sections = sections_by_plugin(registry, rctx)
    detail, names = compliance(c, ("school", "class", "staff", "duty"), None, None, span)  # one pass, summed four ways
    by_duty = regroup(detail, ("duty",), names)
    by_class = regroup(detail, ("class",), names)
    by_staff_duty = regroup(detail, ("staff", "duty"), names)
    by_school_rate = regroup(detail, ("school",), names)
    staff_names = names
    indicators = indicator_rows(c.on(day))  # a term gone by: its indicators on its last day
    totals = found["totals"]
    groups = duty_groups(c)
    total_expected = sum(r["expected"] for r in by_duty)
    total_met = sum(r["met"] for r in by_duty)
    figures = {
        "pupils": totals["pupils"], "cared_for": totals["cared_for"], "staff": totals["staff"],
        "party_staff": totals["party_staff"], "others_by_kind": totals["others_by_kind"], "pairs": totals["pairs"], "pairs_by_role": totals["pairs_by_role"],
        "unpaired": totals["unpaired"], "expected": total_expected, "met": total_met,
        "rate": rate(total_met, total_expected),
        "duties": {r["key"]["duty"]: {k: r[k] for k in ("expected", "met", "met_late", "rate")} for r in by_duty},
        "records": done, "never_visited": sum(unvisited.values()),
        "indicators": {r["id"]: {k: r[k] for k in ("name", "value", "target", "ok", "numerator", "denominator")}
                       for r in indicators},
    }
    sections = [
        _basic(kind, org_name, found, by_guardian, indicators, by_school, by_school_rate, c, figures),
        _practice(c, registry, by_duty, names, groups, per_duty, pairs, totals, plugin_sections, period, programme,
                  held, done),
        _problems(c, by_duty, names, indicators, by_class if kind == "school" else by_school_rate, by_staff_duty,
                  staff_names, unvisited, kind == "school", name_staff and kind == "school"),
        Section(say("report.h.next"), [say("report.next_hint" if kind == "school" else "report.next_hint_area")],
                subsections=[Section(say("report.next_1")), Section(say("report.next_2")), Section(say("report.next_3"))]),
    ]
    title = say("report.title", org=org_name, period=period.name)
    return Document(title, org_name, cn_date(c.asof.day), period.name, sections, figures, failures=rctx.failures,
                    opening=[_opening(c, kind, org_name, period, programme, groups)],
                    closing=[say("report.closing", day=cn_date(min(c.asof.day, period.last)))])


def _opening(c: Any, kind: str, org_name: str, period: Period, programme: Any, groups: dict[str, str | None]) -> str:
    """The first paragraph: the term, who, the programme by its title and the groups of its duties
    (“五个一”、“三个优先”), as a 总结 begins."""
    who = say("report.we_school") if kind == "school" else say("report.we_area", org=org_name)
    title = programme.title if programme is not None else ""
    named = list(dict.fromkeys(g for g in groups.values() if g))
    if named:
        return say("report.opening", period=period.name, who=who, programme=title,
                   groups="".join(f"“{g}”" for g in named[:4]))
    return say("report.opening_plain", period=period.name, who=who, programme=title)


def _grouped(found: dict[str, Any], keys: tuple[str, ...], orgs: dict[str, Any]) -> list[dict[str, Any]]:
    from guanai.core.store.stats import grouped

    return grouped(found["cells"], keys, orgs)


def programme_at(c: Any, day: date) -> Any:
    for seg in c.segs:
        if seg.start <= day <= seg.end:
            return seg.programme
    return c.segs[0].programme if c.segs else None


def duty_groups(c: Any) -> dict[str, str | None]:
    """Every rule id (duty, task, follow-up) with its group."""
    out: dict[str, str | None] = {}
    for seg in c.segs:
        out.update({r.id: r.group for r in seg.rules})
        out.update({f.id: f.group for tr in seg.plan.triggers for f in tr.then})
    out.update(plugin_groups(c.registry))
    return out


def _steps(c: Any) -> dict[str, str]:
    """Rule id → its step."""
    out = {}
    for seg in c.segs:
        out.update({r.id: r.step for r in seg.rules})
        out.update({f.id: f.step for tr in seg.plan.triggers for f in tr.then})
    return out


def units(c: Any) -> dict[str, tuple[str, int]]:
    """Rule id → what one of its obligations is (孩子·周: one child for one week; 学校: the school,
    once) and how many records each needs (`times`). Follow-ups count each time they were set off."""
    out: dict[str, tuple[str, int]] = {}

    def unit(item: Any, timing: str | None) -> str:
        who = t(f"report.unit.{item.scope}")
        return f"{who}·{t(f'report.unit.{timing}')}" if timing else who

    for seg in c.segs:
        prog = seg.programme
        for d in prog.duties:
            out[d.id] = (unit(d, d.every or ("at" if d.at else "festivals" if d.festivals else None)), d.times)
        for task in [tk for ph in prog.phases for tk in ph.tasks] + [tk for a in prog.activities for tk in a.tasks]:
            out[task.id] = (unit(task, task.every), task.times)
        for tr in seg.plan.triggers:  # follow-ups by the ids compliance gives them (incident-chain.tell-guardian)
            out.update({f.id: (t("report.unit.once"), 1) for f in tr.then})
    return out


def _not_yet_due(c: Any, period: Period) -> dict[str, date]:
    """Planned rules with no window due by as_of in the period: the first due day after as_of (a
    总结 made on the last day of term still tells of work recorded for a duty due the next day)."""
    out: dict[str, date] = {}
    for seg in c.segs:
        for rule in seg.rules:
            later = [w.due for w in rule.windows if w.due > c.asof.day and w.start <= period.last]
            if later and rule.id not in out:
                out[rule.id] = min(later)
    return out


def _record_counts(conn: Any, c: Any, period: Period) -> dict[str, int]:
    """Records per step in the period that had happened (and were known) by as_of."""
    from guanai.core.store.reporting import record_counts

    return record_counts(conn, list(c.schools), period.first, period.last, c.zone, c.asof)


def _matching_counts(conn: Any, c: Any, period: Period, by_step: dict[str, int]) -> dict[str, int]:
    """Records per duty in the period: of its step, and holding its `match` as the engine counts them
    (安全法制教育 counts the meetings of that kind, not every meeting; a 视频 call is not 亲情电话)."""
    from guanai.core.store.reporting import matching_count

    out: dict[str, int] = {}
    asked: dict[tuple[str, tuple[Any, ...]], int] = {}
    for seg in c.segs:
        for rule in seg.rules:
            key = (rule.step, rule.match)
            if key not in asked:
                asked[key] = by_step.get(rule.step, 0) if not rule.match or not by_step.get(rule.step) else \
                    matching_count(conn, list(c.schools), period.first, period.last, c.zone, c.asof, rule.step,
                                   rule.match)
            out[rule.id] = asked[key]
    return out


VISIT_STEP = "home_visit"


def _never_visited(conn: Any, c: Any, period: Period, day: date) -> dict[str, int]:
    """Children cared for on `day` with no home visit recorded in the period, by class (only when
    some duty of the programme asks for home visits)."""
    from guanai.core.store.reporting import never_visited

    if not any(r.step == VISIT_STEP for seg in c.segs for r in seg.rules):
        return {}
    return never_visited(conn, c.segs, list(c.schools), period.first, period.last, day, c.asof, VISIT_STEP)


def _label(key: str, value: Any, orgs: dict[str, Any]) -> str:

    return key_text(key, value, orgs)


def _basic(kind: str, org_name: str, found: dict[str, Any], by_guardian: list[dict[str, Any]],
           indicators: list[dict[str, Any]], by_school: list[dict[str, Any]], school_rates: list[dict[str, Any]],
           c: Any, figures: dict[str, Any]) -> Section:
    totals = found["totals"]
    who = say("report.we_school") if kind == "school" else say("report.we_area", org=org_name)
    paragraphs = []
    if totals["pupils"] == 0:
        paragraphs.append(say("report.no_pupils", who=who))
    else:
        parts = t("list.sep").join(f"{_label('category', r['key']['category'], c.orgs)} {r['cared_for']:,} 人"
                                   for r in found["rows"] if r["cared_for"])
        paragraphs.append(say("report.basic_people", ("stats", {"by": ["--by", "category"], "totals": True}), who=who, pupils=totals["pupils"], cared=totals["cared_for"],
                            share=percent_of(totals["cared_for"], totals["pupils"]), parts=parts or "—"))
        guardians = [r for r in by_guardian if r["cared_for"]]
        if guardians and totals["cared_for"]:
            paragraphs.append(say("report.basic_guardians", ("stats", {"by": ["--by", "guardian_type"]}), parts=t("list.sep").join(
                f"{_label('guardian_type', r['key']['guardian_type'], c.orgs)} {r['cared_for']:,} 人"
                f"（{percent_of(r['cared_for'], totals['cared_for'])}）" for r in guardians)))
        paragraphs.append(say("report.basic_staff", ("stats", {"totals": True}), staff=totals["staff"], party=totals["party_staff"]))
        if totals["others_by_kind"]:
            paragraphs.append(say("report.basic_others", ("stats", {"totals": "others_by_kind"}), parts=others_text(totals["others_by_kind"])))
    archive = [r for r in indicators if r["id"] and _kind(c, r["id"]) == "profile_complete"]
    for r in archive:
        paragraphs.append(say("report.basic_archive", ("indicators", {"id": r["id"]}), name=r["name"], value=percent_of(r["numerator"], r["denominator"], r["target"]), n=r["numerator"],
                            d=r["denominator"]))
    tables = [Table(say("report.table_categories"), [t("stats.col.category"), t("stats.col.pupils"),
                                                   t("stats.col.cared_for"), t("stats.col.of_cared")],
                    [[_label("category", r["key"]["category"], c.orgs), r["pupils"], r["cared_for"], r["of_cared"]]
                     for r in found["rows"]], percent=[3])]
    if kind != "school" and len(by_school) > 1:
        rates = {r["key"]["school"]: r for r in school_rates}
        tables.append(Table(say("report.table_schools"),
                            [t("stats.col.school"), t("stats.col.pupils"), t("stats.col.cared_for"),
                             t("col.expected"), t("col.met"), t("col.rate")],
                            [[_label("school", r["key"]["school"], c.orgs), r["pupils"], r["cared_for"],
                              rates.get(r["key"]["school"], {}).get("expected", 0),
                              rates.get(r["key"]["school"], {}).get("met", 0),
                              rates.get(r["key"]["school"], {}).get("rate")] for r in by_school], percent=[5]))
    return Section(say("report.h.basic"), paragraphs, tables)


def _kind(c: Any, indicator_id: str) -> str | None:
    for seg in c.segs:
        for ind in seg.programme.indicators:
            if ind.id == indicator_id:
                return str(ind.kind)
    return None


def _group_lines(by_duty: list[dict[str, Any]], groups: dict[str, str | None]) -> list[str]:
    """Each group's obligations and how many were met on time (“五个一”各项要求本期应完成 …)."""
    lines = []
    by_group: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for r in by_duty:
        by_group[groups.get(r["key"]["duty"])].append(r)
    for group, members in by_group.items():
        exp, met = sum(r["expected"] for r in members), sum(r["met"] for r in members)
        if group is not None and exp:
            src = ("compliance", {"by": "duty", "group": group})
            lines.append(say("report.group", src, group=group, expected=exp, met=met, rate=percent_of(met, exp)) if met
                         else say("report.group_none_met", src, group=group, expected=exp))
    return lines


def _duties_section(c: Any, registry: Any, by_duty: list[dict[str, Any]], names: dict[str, dict[str, str]],
                    groups: dict[str, str | None], per_duty: dict[str, int], period: Period) -> Section:
    """（二）职责落实: each group, then each duty with what was recorded and what its figures count,
    then the work recorded for duties not yet due; and the table."""
    steps = _steps(c)
    measure = units(c)
    lines, rows = _group_lines(by_duty, groups), []

    def title(step: str) -> str:
        return registry.steps[step].title if step in registry.steps else step

    planned = {r.id for seg in c.segs for r in seg.rules}  # duties and tasks; the rest are follow-ups
    for r in by_duty:
        duty = r["key"]["duty"]
        step = steps.get(duty, "")
        name = names["duty"].get(duty, duty)
        if duty in planned:
            lines.append(_duty_sentence(name, title(step), per_duty.get(duty, 0), r, *measure.get(duty, ("", 1)),
                                        step=step))
        else:  # a follow-up: records of its step serve several rules, so only its own counts are told
            lines.append(say("report.follow_up", ("compliance", {"by": "duty", "duty": duty}), name=name,
                             expected=r["expected"], met=r["met"], rate=percent_of(r["met"], r["expected"]),
                             late=say("report.duty_late", n=r["met_late"]) if r["met_late"] else ""))
        rows.append([name, groups.get(duty) or "—", measure.get(duty, ("—", 1))[0], r["expected"], r["met"],
                     r["met_late"], r["rate"]])
    counted = {r["key"]["duty"] for r in by_duty}
    for duty, due in sorted(_not_yet_due(c, period).items(), key=lambda kv: kv[1]):
        n, step = per_duty.get(duty, 0), steps.get(duty, "")
        if duty not in counted and n:  # recorded already, due after as_of: told, not left out
            lines.append(say("report.duty_not_due", ("records", {"step": step, "rule": duty}),
                             name=names["duty"].get(duty) or _rule_name(c, duty), title=title(step), n=n,
                             due=f"{due.month}月{due.day}日"))
    if not lines:
        lines.append(say("report.no_duties"))
    table = Table(say("report.table_duties"), [t("col.duty"), t("show.col.group"), t("report.col.unit"),
                                               t("col.expected"), t("col.met"), t("col.met_late"), t("col.rate")],
                  rows, percent=[6])
    return Section(say("report.h.duties"), lines, [table] if rows else [])


def _practice(c: Any, registry: Any, by_duty: list[dict[str, Any]], names: dict[str, dict[str, str]],
              groups: dict[str, str | None], per_duty: dict[str, int], pairs: list[dict[str, Any]],
              totals: dict[str, Any], plugin_sections: list[Any], period: Period, programme: Any,
              held: set[str], done: dict[str, int] | None = None) -> Section:
    subs = [Section(say("report.h.pairs"), _pair_lines(c, pairs, totals)),  # （一）结对帮扶
            _duties_section(c, registry, by_duty, names, groups, per_duty, period)]  # （二）职责落实
    activities = _activity_lines(c, programme, period, held)  # （三）活动安排
    if activities:
        subs.append(Section(say("report.h.activities"), activities))
    other = _other_work(c, registry, done or {})  # what was recorded that no duty counts: never left out
    if other:
        subs.append(Section(say("report.h.other"), [other]))
    # each plugin's section (体检, 资助, 比赛与展演 …)
    trail = TRAIL.get()
    for plugin, s in plugin_sections:
        if trail is not None:
            for line in s.lines:
                trail.add(line, {}, "plugin", {"plugin": plugin})
        tables = [Table(s.title, list(s.headers), [list(r) for r in s.rows])] if s.headers and s.rows else []
        subs.append(Section(s.title, list(s.lines), tables if len(s.rows) <= 30 else []))
    for i, sub in enumerate(subs):
        sub.heading = f"（{_cn_number(i + 1)}）{sub.heading}"
    return Section(say("report.h.practice"), [], subsections=subs)


def _pair_lines(c: Any, pairs: list[dict[str, Any]], totals: dict[str, Any]) -> list[str]:
    """（一）结对帮扶: adults with children (代理家长 …) — 教职工, and the volunteers and other people
    who are not staff, each said as what they are — then pupils with each other (学习帮手), and
    the children each pairing rule is for who have none."""
    from guanai.core.subjects import STAFF_KIND

    teachers = {r["staff"] for r in pairs if r["staff"] and r["staff_kind"] == STAFF_KIND}
    party = {r["staff"] for r in pairs if r["party_member"] and r["staff_kind"] == STAFF_KIND}
    others = Counter(kind for kind in {r["staff"]: r["staff_kind"] for r in pairs
                                       if r["staff"] and r["staff_kind"] != STAFF_KIND}.values())
    by_staff = Counter(r["role"] for r in pairs if r["staff"])
    by_classmate = Counter(r["role"] for r in pairs if not r["staff"])
    roles = t("list.sep").join(f"{_label('role', role, c.orgs)} {n:,} 对" for role, n in by_staff.items())
    lines = [say("report.pairs", ("pairs", {}), pairs=sum(by_staff.values()), roles=roles, teachers=len(teachers),
               party=len(party))] if by_staff else []
    if others:
        lines.append(say("report.pairs_others", ("pairs", {}), parts=others_text(dict(sorted(others.items())))))
    lines += [say("report.buddies", ("pairs", {"role": role}), pairs=n, role=_label("role", role, c.orgs)) for role, n in by_classmate.items()]
    lines = lines or [say("report.no_pairs")]
    for role_id, n in totals["unpaired_by_role"].items():  # each staff role the pairing rules ask for, by its name
        if n:
            lines.append(say("report.unpaired", ("stats", {"totals": "unpaired_by_role", "role": role_id}), n=n, role=render_role(role_id)))
    return lines


def _activities_held(conn: Any, c: Any, period: Period, programme: Any) -> set[str]:
    """The ids of the activity tasks of the period with a record in their month by as_of (a task
    recorded --for another one does not count)."""
    from guanai.core.store.reporting import matching_count

    out = set()
    for activity in programme.activities if programme is not None else ():
        year, month = (int(x) for x in activity.month.split("-"))
        first = max(date(year, month, 1), period.first)
        last = min(date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1), period.last)
        if first > last:
            continue
        out |= {task.id for task in activity.tasks if matching_count(
            conn, list(c.schools), first, last, c.zone, c.asof, task.step, tuple(sorted(task.match.items())), task.id)}
    return out


def _other_work(c: Any, registry: Any, done: dict[str, int]) -> str:
    """The records of the period no duty, task or trigger of the programmes counts (8 亲情电话 a
    teacher made beyond the plan, a volunteers' activity), by step in its own words; a plugin's
    steps are its section's."""
    from guanai.core.declared import DECLARED

    used = {r.step for seg in c.segs for r in seg.rules}
    used |= {x for seg in c.segs for tr in seg.programme.triggers for x in (tr.when.step, *(f.step for f in tr.then))}
    items = []
    for step, n in sorted(done.items(), key=lambda kv: -kv[1]):
        kind = registry.steps.get(step)
        if step in used or not n or kind is None or kind.plugin not in ("care_basics", DECLARED):
            continue
        items.append(say("report.other_item", title=kind.title, n=n))
    return say("report.other", ("record_counts", {"steps": sorted(s for s in done if s not in used)}), items="、".join(items)) if items else ""


def _activity_lines(c: Any, programme: Any, period: Period, held: set[str]) -> list[str]:
    """（三）活动安排: the programme's monthly activities in the period. "开展了" only for those whose
    tasks have a record (on time or late); one whose month has passed without any is named as
    planned and not recorded; those of months after as_of (a report made mid-term) are to come."""
    if programme is None:
        return []
    months = [a for a in programme.activities
              if period.first.strftime("%Y-%m") <= a.month <= period.last.strftime("%Y-%m")]
    now = c.asof.day.strftime("%Y-%m")

    def recorded(a: Any) -> bool:
        return any(task.id in held for task in a.tasks)

    def text(chosen: list[Any]) -> str:
        return "；".join(f"{int(a.month[5:])}月{a.name}" for a in chosen)

    past = [a for a in months if a.month <= now]
    groups = (("report.activities", [a for a in months if recorded(a)]),
              ("report.activities_unrecorded", [a for a in past if not recorded(a)]),
              ("report.activities_to_come", [a for a in months if a.month > now and not recorded(a)]))
    return [say(key, ("matching_count", {"tasks": [tk.id for a in chosen for tk in a.tasks]}), items=text(chosen))
            for key, chosen in groups if chosen]


def _rule_name(c: Any, rule_id: str) -> str:
    return next((r.name for seg in c.segs for r in seg.rules if r.id == rule_id), rule_id)


def _duty_sentence(name: str, title: str, n: int, r: dict[str, Any], unit: str = "", times: int = 1,
                   step: str = "") -> str:
    """One duty as a person writes it, saying what its figures count: records (次) of the step, and
    obligations (项) — 孩子·周 for a weekly duty per child, each needing `times` records; never
    "0 次，按时率 —%"."""
    duty = r["key"]["duty"]
    src = ("compliance", {"by": "duty", "duty": duty, "records": {"step": step, "rule": duty}})
    if r["expected"] == 0:
        return say("report.duty_none_due", src, name=name, title=title, n=n) if n else \
            say("report.duty_nothing", name=name)
    late = say("report.duty_late", n=r["met_late"]) if r["met_late"] else ""
    per = say("report.duty_unit", unit=unit) if "·" in unit else ""
    if n == 0:
        return say("report.duty_not_done", src, name=name, title=title, expected=r["expected"], unit=per)
    each = say("report.duty_each", times=times, total=times * r["expected"]) if times > 1 else ""
    return say("report.duty", src, name=name, title=title, n=n, expected=r["expected"], met=r["met"], unit=per, each=each,
               rate=percent_of(r["met"], r["expected"]), late=late)


def _cn_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    return digits[n] if n < 10 else f"十{digits[n - 10] if n > 10 else ''}" if n < 20 else str(n)


def _overdue_lines(by_place: list[dict[str, Any]], by_staff: list[dict[str, Any]], names: dict[str, dict[str, str]],
                   staff_names: dict[str, dict[str, str]], school_level: bool, name_staff: bool) -> list[str]:
    """Where the overdue items are: classes (a school's document) or schools (an area's); teachers
    by name only in a school's own document with --name-staff, else how many."""
    lines: list[str] = []

    def missed(r: dict[str, Any]) -> int:
        return r["expected"] - r["met"] - r["met_late"]

    unit = "class" if school_level else "school"  # an area's document speaks of schools, never classes by name
    places = sorted((r for r in by_place if missed(r) > 0 and r["key"].get(unit)), key=lambda r: -missed(r))
    if places:
        lines.append(say(f"report.overdue_{'classes' if school_level else 'schools'}",
                         ("compliance", {"by": unit}), items="、".join(
            f"{names.get('school', {}).get(r['key'][unit], r['key'][unit]) if unit == 'school' else r['key'][unit]}"
            f" {missed(r):,} 项" for r in places[:5])))
    teachers = sorted((r for r in by_staff if missed(r) > 0 and r["key"]["staff"]), key=lambda r: -missed(r))
    if teachers and name_staff:  # names only in a school's own document, and only when asked for
        lines.append(say("report.overdue_teachers", ("compliance", {"by": "staff"}), items="、".join(
            f"{staff_names['staff'].get(r['key']['staff'], r['key']['staff'])} {missed(r):,} 项" for r in teachers[:5])))
    elif teachers:
        lines.append(say("report.overdue_teachers_count", ("compliance", {"by": "staff"}), n=len(teachers)))
    return lines


def _problems(c: Any, by_duty: list[dict[str, Any]], names: dict[str, dict[str, str]],
              indicators: list[dict[str, Any]], by_class: list[dict[str, Any]], by_staff_duty: list[dict[str, Any]],
              staff_names: dict[str, dict[str, str]], unvisited: dict[str, int], school_level: bool = True,
              name_staff: bool = False) -> Section:

    with_role = {r.id for seg in c.segs for r in seg.rules if r.by and r.scope in ("child", "class")}
    sums: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    unassigned = 0
    for r in by_staff_duty:
        staff_id = r["key"]["staff"]
        if staff_id is None:
            if r["key"]["duty"] in with_role:  # a duty with a responsible role, and nobody held it
                unassigned += r["expected"] - r["met"] - r["met_late"]
            continue
        acc = sums[staff_id]
        acc[0], acc[1], acc[2] = acc[0] + r["expected"], acc[1] + r["met"], acc[2] + r["met_late"]
    by_staff: list[dict[str, Any]] = [{"key": {"staff": k}, "expected": e, "met": m, "met_late": late}
                                      for k, (e, m, late) in sums.items()]

    lines = []
    below = [r for r in indicators if r["value"] is not None and not r["ok"]]
    for r in below:
        lines.append(say("report.indicator_below", ("indicators", {"id": r["id"]}), name=r["name"],
                       value=indicator_value(r["value"], r["unit"], r["target"], r["numerator"], r["denominator"]),
                       target=indicator_value(r["target"], r["unit"])))
    weak = sorted((r for r in by_duty if r["expected"] and r["rate"] is not None and r["rate"] < 0.9),
                  key=lambda r: r["rate"])
    if weak:
        lines.append(say("report.weak_duties", ("compliance", {"by": "duty"}), items="、".join(
            f"{names['duty'].get(r['key']['duty'], r['key']['duty'])}（{percent_of(r['met'], r['expected'])}）"
            for r in weak[:5])))

    lines += _overdue_lines(by_class, by_staff, names, staff_names, school_level, name_staff)
    if unassigned:
        lines.append(say("report.overdue_unassigned", ("compliance", {"by": "staff,duty", "staff": None}), n=unassigned))
    if unvisited and not school_level:
        lines.append(say("report.never_visited_area", ("never_visited", {"step": VISIT_STEP}), n=sum(unvisited.values())))
    elif unvisited:
        total = sum(unvisited.values())
        lines.append(say("report.never_visited", ("never_visited", {"step": VISIT_STEP}), n=total, items="、".join(
            f"{cls} {n:,} 人" for cls, n in sorted(unvisited.items(), key=lambda kv: class_order(kv[0])))))
    if not lines:
        lines.append(say("report.no_problems"))
    return Section(say("report.h.problems"), lines)
