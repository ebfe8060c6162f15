"""explain: every window of one duty for one subject, with the records that closed it — the count
behind a compliance figure, window by window, from the engine's own derivation (the statement that
counts each window also returns the ids of what it counted)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from guanai.core.app import App
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t
from guanai.core.obligations import MET_LATE, status, trigger_status
from guanai.core.render import window_name
from guanai.core.services.engine import Scope, local, plugin_groups, scope
from guanai.core.store import facts
from guanai.core.store.engine import Question, obligation_rows, triggered

# how a subject of each scope is named on the command line, for the refusal when the duty's scope
# is another (a child's duty asked of a school says so, not "0 个周期")
SCOPE_OPTION = {"child": "--child 学籍号", "school": "--school 学校代码", "staff": "--staff 工号",
                "class": "--class 班级 --school 学校代码"}


@dataclass
class ExplainView:
    """One duty for one subject: its name, the subject as shown, the day asked about, and one row per
    window (periodic) or obligation (triggered), in the engine's order."""

    duty: str
    name: str
    subject: str
    day: date
    rows: list[dict[str, Any]]
    by: str | None = "recorder"  # the role the duty names (a follow-up: whoever recorded its trigger)
    staff_names: dict[str, str] = field(default_factory=dict)  # who answers, by 工号, as the table shows them
    missing_plugins: list[tuple[str, str]] = field(default_factory=list)  # (programme, plugin) not installed


def explain(app: App, duty: str, kind: str, subject: str, school: str | None = None,
            moment: date | datetime | None = None, known: date | datetime | None = None) -> ExplainView:
    """Explain `duty` for the subject of `kind` (child, school, staff or class — a class within
    `school`) at `moment`, with the facts known at `known`."""
    home, label, earlier = _whose(app, kind, subject, school)
    c = scope(app, home, moment, known, also=earlier)
    rule = _duty(c, duty, kind)
    rows = _windows(c, duty, kind, subject)
    with c.store.read() as conn:
        names = facts.staff_names(conn, [r["responsible"] for r in rows])
    return ExplainView(duty, rule.name if rule is not None else duty, label, c.asof.day, rows,
                       rule.by if rule is not None else "recorder", names, c.missing_plugins)


def _whose(app: App, kind: str, subject: str, school: str | None) -> tuple[str, str, tuple[str, ...]]:
    """The subject's school, how it is shown, and the schools it was at before (转学 / 调动)."""
    with app.store.read() as conn:
        if kind == "class":
            if not facts.has_class(conn, str(school), subject):
                raise Refusal("explain.class_unknown", cls=subject, school=school)
            return str(school), f"{facts.org_name(conn, str(school))} {subject}", ()
        if kind == "school":  # 小港中学（X01）; an unknown code is refused by the engine's own check
            name = facts.org_name(conn, subject)
            return subject, f"{name}（{subject}）" if name else subject, ()
        person, earlier = facts.person(conn, kind, subject)
        if person is None:
            raise Refusal(f"record.{kind}_unknown", value=subject)
        return person.school, f"{person.name}（{subject}）", earlier


def _duty(c: Scope, duty: str, kind: str) -> Any:
    """The duty's rule (None for a follow-up or a plugin's group), refused when nobody knows it or
    when its scope is not the subject's: a child's duty asked of a school says so, not "0 个周期"."""
    rules = {r.id: r for seg in c.segs for r in seg.rules}
    rule = rules.get(duty)
    if rule is not None and rule.scope in SCOPE_OPTION and rule.scope != kind:
        raise Refusal("explain.wrong_scope", duty=duty, scope=t(f"scope.{rule.scope}"), option=SCOPE_OPTION[rule.scope])
    triggers = {f.id for seg in c.segs for tr in seg.plan.triggers for f in tr.then} | {
        tr.id for seg in c.segs for tr in seg.plan.triggers}
    if rule is None and duty not in triggers and duty not in plugin_groups(c.registry):
        with c.store.read() as conn:  # a follow-up of a plugin since removed, with stored obligations
            stored = facts.has_follow_ups(conn, duty)
        if not stored:
            raise Refusal("explain.unknown_duty", duty=duty, known="、".join(sorted(rules)))
    return rule


def _windows(c: Scope, duty: str, kind: str, subject: str) -> list[dict[str, Any]]:
    """Each window (and triggered obligation) of the duty for the subject: dates, status, progress,
    who is responsible, and when the records it counted happened (local time)."""
    # evidence: the statement that counts each window's records also returns their ids
    question = Question(c.schools, c.asof, rules={duty}, subject=(kind, subject), evidence=True)
    rows = []
    with c.store.read() as conn:
        found = list(obligation_rows(conn, c.segs, question, open_only=False))
        ids = {int(i) for _, _, _, data in found for text in (data["ids"], data["late_ids"]) if text
               for i in text.split(",")}
        occurred = facts.occurred(conn, ids)
        for seg, rl, window, data in found:
            state = status(window, rl.grace_days, rl.times, data["done"], bool(data["excused"]), c.asof.day,
                           data["late"])
            counted = [data["ids"], data["late_ids"] if state == MET_LATE else None]  # met late: the late ones too
            used = sorted(local(occurred[int(i)], c.zone).isoformat(timespec="minutes")
                          for text in counted if text for i in text.split(","))
            rows.append({"duty": rl.id, "window": window.label,
                         "window_name": window_name(window.label, seg.programme.calendar.terms),
                         "start": window.start.isoformat(),
                         "due": window.end.isoformat(), "grace_days": rl.grace_days, "status": state,
                         "required": rl.times, "done": data["done"], "responsible": data["responsible"],
                         "records": used})
        for ob in triggered(conn, c.segs, question):
            state = trigger_status(ob.occurred, ob.deadline, ob.first, c.asof.instant_utc)
            rows.append({"duty": ob.rule_id, "window": ob.name, "window_name": ob.name,
                         "start": local(ob.occurred, ob.zone).isoformat(timespec="minutes"),
                         "due": local(ob.deadline, ob.zone).isoformat(timespec="minutes"), "grace_days": 0,
                         "status": state, "required": 1, "done": int(ob.first is not None),
                         "responsible": ob.responsible,
                         "records": [local(ob.first, ob.zone).isoformat(timespec="minutes")] if ob.first else []})
    return rows
