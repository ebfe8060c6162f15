"""The county's assessment (检查考核) for a term: schools and townships ranked by compliance, each
school's indicators against their targets (达标 / 未达标), the rate month by month and the weakest
duties — as an .xlsx with native Excel charts (drawn by the viewer, so Chinese labels need no font
inside guanai) or a self-contained .html with inline SVG (no network).

Every figure is `compliance` for the period (by school, township, month, duty) or `indicators
--org SCHOOL`: the school rows come from one compliance pass grouped by school and duty, never
one pass per school (bench/run.py's report_vs_compliance)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from guanai.core.celltext import rate as exact_rate
from guanai.core.i18n import t
from guanai.core.render import key_text
from guanai.core.reports.summary import Period, Table, cn_date, pct
from guanai.core.services.engine import compliance, regroup


@dataclass
class County:
    title: str
    org_name: str
    period: Period
    date_text: str
    schools: Table  # ranked
    townships: Table  # ranked
    indicators: Table  # school × indicator
    months: Table  # month, expected, met, rate
    weakest: Table  # duties, weakest first
    figures: dict[str, Any] = field(default_factory=dict)


def build(c: Any, period: Period, registry: Any) -> County:
    from guanai.core.reports.summary import duty_groups
    from guanai.core.store.indicators import compute_by_school
    from guanai.core.store.stats import collect

    day = min(c.asof.day, period.last)
    span = (period.first, period.last)
    org_name = c.orgs[c.org]["name"] if c.org else t("due.everywhere")
    detail, names = compliance(c, ("school", "duty", "month"), None, None, span)  # one pass, summed two ways
    by_school_duty = regroup(detail, ("school", "duty"), names)
    by_month = regroup(detail, ("month",), names)
    groups = duty_groups(c)

    def as_of_rows(window: tuple[Any, Any]) -> list[dict[str, Any]]:  # the indicators' duty_compliance
        return compliance(c.on(day), ("school", "duty"), None, None, window)[0]

    with c.store.read() as conn:
        found = collect(conn, c.segs, c.schools, day, c.orgs, ("school",), c.asof.known_at_utc)
        values = compute_by_school(conn, c.segs, c.on(day).asof, c.schools, as_of_rows, groups, registry.indicator_kinds,
                                   registry)
    people = {r["key"]["school"]: r for r in found["rows"]}

    def township(code: str) -> str | None:
        parent = c.orgs[code]["parent"]
        return parent if parent and c.orgs[parent]["kind"] == "township" else None

    sums: dict[str, list[int]] = {s: [0, 0, 0] for s in c.schools}
    duty_sums: dict[str, list[int]] = {}
    for r in by_school_duty:
        for acc in (sums.setdefault(r["key"]["school"], [0, 0, 0]), duty_sums.setdefault(r["key"]["duty"], [0, 0, 0])):
            acc[0] += r["expected"]
            acc[1] += r["met"]
            acc[2] += r["met_late"]

    def rate(acc: list[int]) -> Any:
        return exact_rate(acc[1], acc[0])

    def ranked(items: dict[str, list[int]]) -> list[tuple[str, list[int]]]:
        return sorted(items.items(), key=lambda kv: (rate(kv[1]) is None, -(rate(kv[1]) or 0), c.orgs[kv[0]]["name"]))

    before = last_year_term(c, period)  # the same term a year earlier, when a programme held one
    earlier: dict[str, float | None] = {}
    if before is not None:
        rows_then, _ = compliance(c, ("school",), None, None, (before.start, before.end))
        earlier = {r["key"]["school"]: r["rate"] for r in rows_then}
    reached = {s: (sum(v.ok for v in vs), len(vs)) for s, vs in values.items()}
    school_rows, order = [], []
    for i, (code, acc) in enumerate(ranked(sums), 1):
        order.append(code)
        p = people.get(code, {"pupils": 0, "cared_for": 0})
        ok, n = reached.get(code, (0, 0))
        town = township(code)
        school_rows.append([i, c.orgs[code]["name"], key_text("township", town, c.orgs) if town else "—", p["pupils"],
                            p["cared_for"], acc[0], acc[1], rate(acc), f"{ok}/{n}" if n else "—",
                            *([earlier.get(code)] if before is not None else [])])
    town_sums: dict[str, list[int]] = {}
    town_people: dict[str, list[int]] = {}
    for code, acc in sums.items():
        town = township(code)
        if town is not None:
            _add_school(town_sums.setdefault(town, [0, 0, 0]), town_people.setdefault(town, [0, 0, 0]), acc,
                        people.get(code, {"pupils": 0, "cared_for": 0}))
    town_rows = [[i, c.orgs[code]["name"], town_people[code][2], town_people[code][0], town_people[code][1], acc[0],
                  acc[1], rate(acc)] for i, (code, acc) in enumerate(ranked(town_sums), 1)]
    indicators = _indicator_table(c, values, order)
    month_rows = [[r["key"]["month"], r["expected"], r["met"], r["met_late"], r["rate"]] for r in by_month]
    weakest = sorted(((d, acc) for d, acc in duty_sums.items() if acc[0]), key=lambda kv: (rate(kv[1]) or 0, kv[0]))
    weak_rows = [[names["duty"].get(d, d), groups.get(d) or "—", acc[0], acc[1], acc[2], rate(acc)]
                 for d, acc in weakest]
    total = [sum(a[0] for a in sums.values()), sum(a[1] for a in sums.values()), 0]
    return County(
        t("county.title", org=org_name, period=period.name), org_name, period, cn_date(c.asof.day),
        Table(t("county.schools"), [t("county.col.rank"), t("stats.col.school"), t("stats.col.township"),
                                    t("stats.col.pupils"), t("stats.col.cared_for"), t("col.expected"), t("col.met"),
                                    t("col.rate"), t("county.col.reached_n"),
                                    *([t("county.col.last_year", term=before.name)] if before is not None else [])],
                  school_rows, percent=[7, 9] if before is not None else [7]),
        Table(t("county.townships"), [t("county.col.rank"), t("stats.col.township"), t("county.col.schools"),
                                      t("stats.col.pupils"), t("stats.col.cared_for"), t("col.expected"),
                                      t("col.met"), t("col.rate")], town_rows, percent=[7]),
        indicators,
        Table(t("county.months"), [t("compliance.col.month"), t("col.expected"), t("col.met"), t("col.met_late"),
                                   t("col.rate")], month_rows, percent=[4]),
        Table(t("county.weakest"), [t("col.duty"), t("show.col.group"), t("col.expected"), t("col.met"),
                                    t("col.met_late"), t("col.rate")], weak_rows, percent=[5]),
        {"expected": total[0], "met": total[1], "rate": rate(total), "schools": len(school_rows)})


def last_year_term(c: Any, period: Period) -> Any:
    """The term of a programme in force in the scope that began about a year before the period
    (within six weeks of the same day): 2025年秋季学期 for 2026年秋季学期. None when there is none."""
    from datetime import timedelta

    try:
        target = period.first.replace(year=period.first.year - 1)
    except ValueError:  # 29 February
        target = period.first - timedelta(days=365)
    terms = {term.id: term for seg in c.segs for term in seg.programme.calendar.terms}
    near = [term for term in terms.values() if abs((term.start - target).days) <= 42]
    return min(near, key=lambda term: abs((term.start - target).days), default=None)


def _add_school(town: list[int], town_people: list[int], school: list[int], people: dict[str, Any]) -> None:
    """A school's expected / met / met late and its pupils, children cared for and 1 school added to
    its township's."""
    for i in range(3):
        town[i] += school[i]
    town_people[0] += people["pupils"]
    town_people[1] += people["cared_for"]
    town_people[2] += 1


def _indicator_table(c: Any, values: dict[str, list[Any]], order: list[str]) -> Table:
    """Each school (in ranking order) with each indicator's value and whether it reaches its target."""
    from guanai.core.render import indicator_value

    indicator_names: dict[str, tuple[str, float, str]] = {}
    for vs in values.values():
        for v in vs:
            indicator_names.setdefault(v.id, (v.name, v.target, v.unit))
    rows = []
    for code in order:
        mine = {v.id: v for v in values.get(code, [])}
        row: list[Any] = [c.orgs[code]["name"]]
        for ind_id in indicator_names:
            found_value = mine.get(ind_id)
            value = found_value.value if found_value is not None else None
            if found_value is not None and value is not None and found_value.unit == "share" and found_value.denominator:
                value = exact_rate(found_value.numerator, found_value.denominator)  # shown once, from n/d
            row += [value, "—" if found_value is None or value is None else
                    t("county.ok") if found_value.ok else t("county.not_ok")]
        rows.append(row)
    headers = [t("stats.col.school")]
    percent_cols = []
    for name, target, unit in indicator_names.values():
        if unit == "share":  # a count, a mean or a ratio is a number, not a percentage
            percent_cols.append(len(headers))
        headers += [t("county.col.indicator", name=name, target=indicator_value(target, unit)),
                    t("county.col.reached")]
    return Table(t("county.indicators"), headers, rows, percent=percent_cols)


def evidence(c: Any, report: County) -> list[dict[str, Any]]:
    """Each table of the assessment with the engine call and the command that give its figures."""
    from guanai.core.reports.summary import Trail

    trail = Trail(c, report.period)
    sources = ((report.schools, "compliance", {"by": "school"}), (report.townships, "compliance", {"by": "township"}),
               (report.indicators, "indicators", {"each": "school"}), (report.months, "compliance", {"by": "month"}),
               (report.weakest, "compliance", {"by": "duty"}))
    return [{"table": tb.title, "rows": len(tb.rows), **trail.source(kind, dict(params))} for tb, kind, params in sources]


# —— .xlsx ——

CHART_MAX = 20

def sheets(report: County) -> list[Any]:
    from guanai.core.spreadsheet import Chart, Sheet

    subtitle = t("ledger.subtitle", org=report.org_name, period=report.period.name,
                 first=cn_date(report.period.first), last=cn_date(report.period.last))
    n = len(report.schools.rows)
    shown = min(n, CHART_MAX)  # 200 bars read as none: the weakest schools, where the bureau looks
    schools_chart = Chart("bar", t("county.chart_schools") if n <= CHART_MAX else
                          t("county.chart_weakest", n=shown), 7, 1, shown, n - shown)
    out = []
    for tb, chart in ((report.schools, schools_chart),
                      (report.townships, Chart("bar", t("county.chart_townships"), 7, 1, len(report.townships.rows))),
                      (report.indicators, None),
                      (report.months, Chart("line", t("county.chart_months"), 4, 0, len(report.months.rows))),
                      (report.weakest, None)):
        out.append(Sheet(tb.title, tb.headers, tb.rows, title=f"{report.org_name}{tb.title}", subtitle=subtitle,
                         percent=tb.percent, charts=[chart] if chart and chart.rows else []))
    return out


# —— .html ——

def to_html(report: County) -> str:
    from guanai.core.reports.render import is_number, rows_text
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(autoescape=True)
    tables = [{"title": tb.title, "headers": [_header(h) for h in tb.headers], "rows": rows_text(tb),
               "numeric": {i for i in range(len(tb.headers)) if tb.rows and all(
                   is_number(r[i]) or r[i] is None for r in tb.rows)}}
              for tb in (report.schools, report.townships, report.indicators, report.months, report.weakest)]
    rows = report.schools.rows
    weakest = len(rows) > CHART_MAX
    bars = bar_svg([(r[1], r[7]) for r in rows[-CHART_MAX:]],
                   t("county.chart_weakest", n=CHART_MAX) if weakest else t("county.chart_schools"))
    line = line_svg([(r[0], r[4]) for r in report.months.rows], t("county.chart_months"))
    return env.from_string(COUNTY_HTML).render(report=report, tables=tables, bars=bars, line=line,
                                               bars_title=t("county.chart_weakest", n=CHART_MAX) if weakest else
                                               t("county.chart_schools"),
                                               subtitle=t("ledger.subtitle", org=report.org_name,
                                                          period=report.period.name,
                                                          first=cn_date(report.period.first),
                                                          last=cn_date(report.period.last)))


def _header(text: str) -> tuple[str, str]:
    """A header as two lines in the page: the name, and its target or unit in brackets under it
    (本月谈心覆盖率 / （目标 100.0%）): the columns stay narrow enough for A4."""
    name, bracket, rest = text.partition("（")
    return (name, bracket + rest) if bracket and name else (text, "")


def bar_svg(items: list[tuple[str, float | None]], title: str) -> Any:
    """Horizontal bars of rates (0–100%), one per item, labelled; inline SVG (markup-safe)."""
    from markupsafe import Markup

    row, label_w, bar_w = 22, 180, 420
    height = 30 + row * len(items)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(title)}" '
             f'width="{label_w + bar_w + 70}" height="{height}" viewBox="0 0 {label_w + bar_w + 70} {height}" '
             'font-size="13">']  # viewBox: on a phone the chart shrinks whole rather than being cut
    for x in range(0, 101, 25):
        gx = label_w + bar_w * x / 100
        parts.append(f'<line x1="{gx}" y1="20" x2="{gx}" y2="{height - 5}" stroke="#ddd"/>'
                     f'<text x="{gx}" y="14" text-anchor="middle" fill="#666">{x}%</text>')
    for i, (name, value) in enumerate(items):
        y = 24 + i * row
        width = bar_w * float(value or 0)
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{html.escape(name)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row - 8}" fill="#4a7ab7"/>'
                     f'<text x="{label_w + width + 4:.1f}" y="{y + 14}" fill="#333">{pct(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_svg(points: list[tuple[str, float | None]], title: str) -> Any:
    """The rate month by month as a line with dots and labels; inline SVG (markup-safe)."""
    from markupsafe import Markup

    width, height, left, top, bottom = 560, 240, 50, 20, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    step = plot_w / max(len(points), 1)  # each point in the middle of its month: no label on the axis's
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(title)}" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-size="12">']
    for grid in range(0, 101, 25):
        gy = top + plot_h * (1 - grid / 100)
        parts.append(f'<line x1="{left}" y1="{gy}" x2="{width - 20}" y2="{gy}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{gy + 4}" text-anchor="end" fill="#666">{grid}%</text>')
    coords = []
    for i, (label, value) in enumerate(points):
        x, y = left + (i + 0.5) * step, top + plot_h * (1 - float(value or 0))
        coords.append(f"{x:.1f},{y:.1f}")
        label_y = y - 8 if y - 8 > top + 12 else y + 16  # near the top: under the point, clear of the title
        label_y = min(label_y, top + plot_h - 6)  # near 0%: above the axis line
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#c0392b"/>'
                     f'<text x="{x:.1f}" y="{label_y:.1f}" text-anchor="middle" fill="#222" stroke="#fff" '
                     f'stroke-width="3" paint-order="stroke">{pct(value)}</text>'
                     f'<text x="{x:.1f}" y="{height - 18}" text-anchor="middle" fill="#444">{html.escape(label)}</text>')
    if len(coords) > 1:
        parts.insert(1, f'<polyline points="{" ".join(coords)}" fill="none" stroke="#c0392b" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


COUNTY_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ report.title }}</title>
<style>
@page { size: A4 landscape; margin: 14mm 12mm 16mm; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: #222;
       max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.6; }
h1 { font-size: 1.6em; text-align: center; margin-bottom: 0.2em; }
p.meta { text-align: center; color: #555; margin-top: 0; }
h2 { font-size: 1.2em; border-left: 4px solid #4a7ab7; padding-left: 0.5em; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; word-break: keep-all; }
th { background: #eef2f6; font-weight: 600; }
th small { font-weight: normal; color: #555; white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1em 0; overflow-x: auto; }
svg { max-width: 100%; height: auto; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  section + section { break-before: page; }
  h2 { break-after: avoid; margin-top: 0; }
  figure { overflow: visible; break-inside: avoid; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  th, td { padding: 2px 5px; }
}
</style></head><body>
<h1>{{ report.title }}</h1>
<p class="meta">{{ subtitle }}　　{{ report.date_text }}</p>
{% for tb in tables %}<section><h2>{{ tb.title }}</h2>
{% if loop.index0 == 0 %}<figure>{{ bars }}<figcaption>{{ bars_title }}</figcaption></figure>{% endif %}
{% if loop.index0 == 3 %}<figure>{{ line }}</figure>{% endif %}
<table><thead><tr>{% for h in tb.headers %}<th>{{ h[0] }}{% if h[1] %}<br><small>{{ h[1] }}</small>{% endif %}</th>{% endfor %}</tr></thead>
<tbody>{% for row in tb.rows %}<tr>{% for v in row %}<td{% if loop.index0 in tb.numeric %} class="n"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></section>
{% endfor %}
</body></html>
"""
