"""Before publishing: what a draft programme would ask of each teacher (`programme simulate`) and
what changes between two drafts (`programme diff`).

One derivation: the obligations are counted by the engine itself (core/store/engine.py's
`compliance_rows`), fed a segment built from the draft instead of a published version — the same
windows, subjects, responsible staff and grouping that `due` and `compliance` use. Nothing is
stored or published. Triggered duties are not counted: they depend on events.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

KEYS = ("duty", "staff", "class", "school", "week", "month")
SPARK = "▁▂▃▄▅▆▇█"


@dataclass
class Load:
    """Obligations per key of `keys` due from `first` to `last`, and who would be left without a
    responsible (children by school, with the duties and how many obligations)."""

    first: date
    last: date
    keys: tuple[str, ...]
    rows: list[dict[str, Any]]  # {"key": {…}, "obligations": n}
    total: int
    unassigned: int
    unassigned_children: list[dict[str, Any]] = field(default_factory=list)
    # {"post", "duties", "obligations"}: posts a duty names that nobody at the schools holds
    vacant_posts: list[dict[str, Any]] = field(default_factory=list)
    # {"scope", "school", "subject", "duties", "obligations"}: classes (and the like) nobody answers for
    unassigned_other: list[dict[str, Any]] = field(default_factory=list)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    weeks: list[str] = field(default_factory=list)  # every ISO week of the period, in order
    limit: int | None = None  # limits.per_staff_per_week of the draft
    over: list[dict[str, Any]] = field(default_factory=list)  # {"staff", "name", "week", "obligations"}

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"from": self.first.isoformat(), "to": self.last.isoformat(), "rows": self.rows,
                               "totals": {"obligations": self.total, "unassigned": self.unassigned},
                               "unassigned_children": self.unassigned_children, "vacant_posts": self.vacant_posts,
                               "unassigned_other": self.unassigned_other}
        if self.limit is not None:
            out["limits"] = {"per_staff_per_week": self.limit, "over": self.over}
        return out


def draft_segment(data: Any, programme: Any, schools: list[str]) -> Any:
    """An engine segment for a draft programme (not stored): in force at `schools` every day."""
    from guanai.core.store.engine import Segment, cached_plan

    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Segment(0, sha, cached_plan(sha, 0, data), ZoneInfo(programme.calendar.timezone), sorted(schools),
                   date.min, date.max, data=data)


def default_period(programme: Any, today: date) -> tuple[date, date]:
    """The term holding today, else the next one, else the draft's last term."""
    terms = sorted(programme.calendar.terms, key=lambda t: t.start)
    for term in terms:
        if today <= term.end:
            return term.start, term.end
    return terms[-1].start, terms[-1].end


def simulate(conn: Any, segs: list[Any], schools: list[str], orgs: dict[str, Any], first: date, last: date,
             keys: tuple[str, ...], limit: int | None = None) -> Load:
    """Every obligation of the segments' periodic duties due from `first` to `last`, counted by the
    engine, grouped by `keys`."""
    from guanai.core.obligations import as_of
    from guanai.core.store.engine import Question, compliance_rows
    from guanai.core.store.facts import staff_names

    asof = as_of(last, segs[0].zone)  # a date: the end of that day
    question = Question(schools, asof, orgs=orgs, period=(first, last), every_window=True)
    sql_keys = tuple(k for k in ("school", "class", "staff", "duty", "month", "week") if k in keys or k == "staff")
    sums: defaultdict[tuple[Any, ...], int] = defaultdict(int)
    per_staff_week: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[str, dict[str, str]] = {"duty": {}, "staff": {}, "school": {c: o["name"] for c, o in orgs.items()}}
    unassigned, total, with_role = 0, 0, set()
    for row in compliance_rows(conn, segs, question, (*sql_keys, "week") if "week" not in sql_keys else sql_keys):
        rule = row["rule"]
        names["duty"][rule.id] = rule.name
        n = row["expected"]
        total += n
        if row["staff"] is None and rule.by and rule.scope != "staff":
            unassigned += n
            with_role.add(rule.id)
        if row["staff"] is not None:
            per_staff_week[(row["staff"], row["week"])] += n
        # staff: null = nobody holds the duty's role; "" = the duty names no role (the school's own)
        staff_key = "" if row["staff"] is None and (not rule.by or rule.scope == "staff") else row["staff"]
        sums[tuple({**row, "duty": rule.id, "staff": staff_key}.get(k) for k in keys)] += n
    people: list[str] = [s for s, _ in per_staff_week] + [k[keys.index("staff")] for k in sums
                                                          if "staff" in keys and k[keys.index("staff")]]
    names["staff"] = staff_names(conn, people)
    rows: list[dict[str, Any]] = [{"key": dict(zip(keys, k, strict=True)), "obligations": n}
                                  for k, n in sums.items() if n]
    rows.sort(key=lambda r: tuple(str(r["key"][k] or "") for k in keys))
    load = Load(first, last, keys, rows, total, unassigned, names=names, weeks=weeks_between(first, last),
                limit=limit)
    if unassigned:
        _who_is_left(load, conn, segs, schools, orgs, asof, first, last, with_role)
    if limit is not None:
        load.over = sorted(({"staff": s, "name": names["staff"].get(s, s), "week": w, "obligations": n}
                            for (s, w), n in per_staff_week.items() if n > limit),
                           key=lambda r: (-r["obligations"], r["week"], r["staff"]))
    return load


def _who_is_left(load: Load, conn: Any, segs: list[Any], schools: list[str], orgs: dict[str, Any], asof: Any,
                 first: date, last: date, rules: set[str]) -> None:
    """The obligations nobody would answer for, by what they are about: children (with their
    duties), posts a duty names that nobody holds (视频室), and classes or other subjects without
    their responsible (a class with no head teacher) — a school is never counted as a child."""
    from guanai.core.obligations import POST
    from guanai.core.store.engine import Question, compliance_rows
    from guanai.core.store.facts import children

    question = Question(schools, asof, rules=rules, orgs=orgs, period=(first, last), every_window=True)
    kids: dict[tuple[str, str], dict[str, Any]] = {}
    posts: dict[str, dict[str, Any]] = {}
    other: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in compliance_rows(conn, segs, question, ("school", "subject", "staff")):
        rule = row["rule"]
        if row["staff"] is not None or not row["expected"]:
            continue
        duty = load.names["duty"].get(rule.id, rule.name)
        if rule.by and rule.by.startswith(POST):
            item = posts.setdefault(rule.by[len(POST):], {"post": rule.by[len(POST):], "duties": [], "obligations": 0})
        elif rule.scope == "child":
            item = kids.setdefault((row["school"], row["subject"]), {"school": row["school"], "child": row["subject"],
                                                                     "duties": [], "obligations": 0})
        else:
            item = other.setdefault((rule.scope, row["school"], row["subject"]), {
                "scope": rule.scope, "school": row["school"], "subject": row["subject"], "duties": [], "obligations": 0})
        if duty not in item["duties"]:
            item["duties"].append(duty)
        item["obligations"] += row["expected"]
    found = {k.id: (k.name, k.class_name) for k in children(conn, [kid for _, kid in kids]).values()}
    for (_, kid), item in sorted(kids.items()):
        item["name"], item["class"] = found.get(kid, (kid, None))
        load.unassigned_children.append(item)
    load.vacant_posts = [posts[p] for p in sorted(posts)]
    load.unassigned_other = [other[k] for k in sorted(other)]


def weeks_between(first: date, last: date) -> list[str]:
    from guanai.core.store.engine import iso_week

    out, day = [], first - timedelta(days=first.weekday())
    while day <= last:
        out.append(iso_week(max(day, first)))
        day += timedelta(days=7)
    return out


def staff_weeks(load: Load) -> list[dict[str, Any]]:
    """Per teacher: the obligations of each week of the period, the total and the peak week —
    heaviest first (the table and the workbook of `--by staff,week`)."""
    series: dict[str | None, dict[str, int]] = defaultdict(dict)
    for row in load.rows:
        series[row["key"]["staff"]][row["key"]["week"]] = row["obligations"]
    out: list[dict[str, Any]] = []
    for who, weeks in series.items():
        values = [weeks.get(w, 0) for w in load.weeks]
        peak = max(range(len(values)), key=lambda i: (values[i], -i)) if values else 0
        out.append({"staff": who, "name": load.names["staff"].get(who, who) if who else None,
                    "weeks": values, "total": sum(values), "peak": values[peak] if values else 0,
                    "peak_week": load.weeks[peak] if values else None})
    out.sort(key=lambda r: (not r["staff"], -r["total"], -r["peak"], r["staff"] or ""))
    return out


def sparkline(values: list[int], top: int) -> str:
    """One character per week, ▁ to █ against the heaviest week of anyone (blank: nothing due)."""
    if top <= 0:
        return " " * len(values)
    return "".join(" " if v == 0 else SPARK[min(len(SPARK) - 1, (v * len(SPARK) - 1) // top)] for v in values)



SECTIONS = ("phases", "duties", "tasks", "activities", "triggers", "indicators")


def _items(programme: Any) -> dict[str, dict[str, Any]]:
    """A programme's items by section and id (a phase's or an activity's tasks under `tasks`)."""
    out: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for phase in programme.phases:
        out["phases"][phase.id] = phase
    for duty in programme.duties:
        out["duties"][duty.id] = duty
    for group in (*programme.phases, *programme.activities):
        for task in group.tasks:
            out["tasks"][task.id] = task
    for activity in programme.activities:
        out["activities"][activity.id or f"{activity.month} {activity.name}"] = activity
    for trigger in programme.triggers:
        out["triggers"][trigger.id] = trigger
    for indicator in programme.indicators:
        out["indicators"][indicator.id] = indicator
    return out


def _label(model: Any, name: str) -> str:
    """A field as the programme's schema names it: 负责角色, 频次 … (its description's first words)."""
    info = type(model).model_fields.get(name)
    text = (info.description or "") if info is not None else ""
    return text.split("：")[0].split("（")[0].split("，")[0].strip() or name


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def diff_items(old: Any, new: Any) -> list[dict[str, Any]]:
    """Items added, removed or changed (field by field) between two programmes."""
    before, after = _items(old), _items(new)
    out: list[dict[str, Any]] = []
    for section in SECTIONS:
        for key in [*before[section], *(k for k in after[section] if k not in before[section])]:
            a, b = before[section].get(key), after[section].get(key)
            name = getattr(b or a, "name", key)
            if a is None or b is None:
                out.append({"section": section, "id": key, "name": name, "change": "added" if a is None else "removed",
                            "fields": []})
                continue
            da, db = _plain(a.model_dump(exclude={"tasks"})), _plain(b.model_dump(exclude={"tasks"}))
            fields = [{"field": f, "label": _label(b, f), "old": da.get(f), "new": db.get(f)}
                      for f in dict.fromkeys([*da, *db]) if da.get(f) != db.get(f)]
            if fields:
                out.append({"section": section, "id": key, "name": name, "change": "changed", "fields": fields})
    return out


def diff_windows(old: Any, new: Any) -> list[dict[str, Any]]:
    """For each periodic duty in both: windows that appear, disappear or move (by label)."""
    from guanai.core.calendar import SchoolCalendar, windows

    cal_old, cal_new = SchoolCalendar(old.calendar), SchoolCalendar(new.calendar)
    before = {d.id: d for d in old.duties}
    out = []
    for duty in new.duties:
        if duty.id not in before:
            continue
        a = {w.label: (w.start, w.end) for w in windows(old, cal_old, before[duty.id])}
        b = {w.label: (w.start, w.end) for w in windows(new, cal_new, duty)}
        moved = [{"window": k, "old": [a[k][0].isoformat(), a[k][1].isoformat()],
                  "new": [b[k][0].isoformat(), b[k][1].isoformat()]} for k in a if k in b and a[k] != b[k]]
        added, removed = [k for k in b if k not in a], [k for k in a if k not in b]
        if moved or added or removed:
            out.append({"duty": duty.id, "name": duty.name, "moved": moved, "added": added, "removed": removed})
    return out


def diff_load(old: Load, new: Load) -> dict[str, Any]:
    """The workload per teacher and week under each programme, and the change."""
    a = {(r["key"]["staff"], r["key"]["week"]): r["obligations"] for r in old.rows}
    b = {(r["key"]["staff"], r["key"]["week"]): r["obligations"] for r in new.rows}
    rows = [{"key": {"staff": s, "week": w}, "old": a.get((s, w), 0), "new": b.get((s, w), 0),
             "change": b.get((s, w), 0) - a.get((s, w), 0)}
            for s, w in sorted({*a, *b}, key=lambda k: (k[0] is None, k[0] or "", k[1]))
            if a.get((s, w), 0) != b.get((s, w), 0)]
    return {"from": new.first.isoformat(), "to": new.last.isoformat(), "rows": rows,
            "totals": {"old": old.total, "new": new.total, "change": new.total - old.total,
                       "unassigned_old": old.unassigned, "unassigned_new": new.unassigned}}
