"""`guanai explain --duty ID (--child | --school | --staff | --class …)`: every window of one duty for
one subject, with the records that closed it — the count behind a compliance figure, window by
window. A view (plain data) built from the engine's own derivation, and one renderer per format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import as_of_option, known_at_option
from guanai.core.diagnostics import Diagnostic, InputError, Refusal
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, output_options, table

# the option that names a subject of each scope, for the error when the duty's scope is another
SCOPE_OPTION = {"child": "--child 学籍号", "school": "--school 学校代码", "staff": "--staff 工号",
                "class": "--class 班级 --school 学校代码"}
COLUMNS = ["duty", "window", "start", "due", "grace_days", "status", "required", "done", "responsible", "records"]


@dataclass(frozen=True)
class ExplainOptions:
    duty: str
    child_id: str | None = None
    school: str | None = None
    staff_id: str | None = None
    class_name: str | None = None
    when: str | None = None
    known_at: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("explain", help="cli.explain.help", epilog="cli.explain.example")
@click.option("--duty", required=True, metavar="ID", help="cli.opt.duty")
@click.option("--child", "child_id", metavar="ID", help="cli.opt.child")
@click.option("--school", metavar="CODE", help="cli.opt.school")
@click.option("--staff", "staff_id", metavar="ID", help="cli.opt.record_staff")
@click.option("--class", "class_name", metavar="NAME", help="cli.opt.explain_class")
@as_of_option
@known_at_option
@output_options
@click.pass_context
def explain_command(ctx: click.Context, **options: Any) -> None:
    """Every window of one duty for one child, school, teacher or class, and the records that closed it."""
    explain(ctx, ExplainOptions(**options))


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


def explain(ctx: click.Context, opts: ExplainOptions) -> None:
    view = explain_view(ctx, opts)
    if opts.as_json:
        dump_json(view.rows)
    elif opts.as_csv:
        dump_csv(view.rows, COLUMNS)
    else:
        _explain_text(view)


def explain_view(ctx: click.Context, opts: ExplainOptions) -> ExplainView:
    from guanai.core.commands.engine import prepare
    from guanai.core.store.facts import staff_names

    kind, subject = _subject(opts)
    home, label, earlier = _whose(ctx, kind, subject, opts)
    c = prepare(ctx, home, opts.when, opts.known_at, also=earlier)
    rule = _duty(c, opts.duty, kind)
    rows = _windows(c, opts.duty, kind, subject)
    with c.store.read() as conn:
        names = staff_names(conn, [r["responsible"] for r in rows])
    return ExplainView(opts.duty, rule.name if rule is not None else opts.duty, label, c.asof.day, rows,
                       rule.by if rule is not None else "recorder", names)


def _subject(opts: ExplainOptions) -> tuple[str, str]:
    """The one subject asked about: (kind, id); a class is named within its school."""
    if opts.class_name is not None:
        if not opts.school or opts.child_id or opts.staff_id:
            raise InputError([Diagnostic("--class", 0, 0, "", "explain.class_needs_school")])
        return "class", opts.class_name
    given = [(k, v) for k, v in (("child", opts.child_id), ("school", opts.school), ("staff", opts.staff_id)) if v]
    if len(given) != 1:
        raise InputError([Diagnostic("--child", 0, 0, "", "explain.one_subject")])
    return given[0]


def _whose(ctx: click.Context, kind: str, subject: str, opts: ExplainOptions) -> tuple[str, str, tuple[str, ...]]:
    """The subject's school, how it is shown, and the schools it was at before (转学 / 调动)."""
    from guanai.core.store import facts

    with app_of(ctx).store.read() as conn:
        if kind == "class":
            if not facts.has_class(conn, str(opts.school), subject):
                raise Refusal("explain.class_unknown", cls=subject, school=opts.school)
            return str(opts.school), f"{facts.org_name(conn, str(opts.school))} {subject}", ()
        if kind == "school":  # 小港中学（X01）; an unknown code is refused by the engine's own check
            name = facts.org_name(conn, subject)
            return subject, f"{name}（{subject}）" if name else subject, ()
        person, earlier = facts.person(conn, kind, subject)
        if person is None:
            raise Refusal(f"record.{kind}_unknown", value=subject)
        return person.school, f"{person.name}（{subject}）", earlier


def _duty(c: Any, duty: str, kind: str) -> Any:
    """The duty's rule (None for a follow-up or a plugin's group), refused when nobody knows it or
    when its scope is not the subject's: a child's duty asked of a school says so, not "0 个周期"."""
    from guanai.core.services.engine import plugin_groups
    from guanai.core.store.facts import has_follow_ups

    rules = {r.id: r for seg in c.segs for r in seg.rules}
    rule = rules.get(duty)
    if rule is not None and rule.scope in SCOPE_OPTION and rule.scope != kind:
        raise Refusal("explain.wrong_scope", duty=duty, scope=t(f"scope.{rule.scope}"), option=SCOPE_OPTION[rule.scope])
    triggers = {f.id for seg in c.segs for tr in seg.plan.triggers for f in tr.then} | {
        tr.id for seg in c.segs for tr in seg.plan.triggers}
    if rule is None and duty not in triggers and duty not in plugin_groups(c.registry):
        with c.store.read() as conn:  # a follow-up of a plugin since removed, with stored obligations
            stored = has_follow_ups(conn, duty)
        if not stored:
            raise Refusal("explain.unknown_duty", duty=duty, known="、".join(sorted(rules)))
    return rule


def _windows(c: Any, duty: str, kind: str, subject: str) -> list[dict[str, Any]]:
    """Each window (and triggered obligation) of the duty for the subject: dates, status, progress,
    who is responsible, and when the records it counted happened (local time)."""
    from guanai.core.obligations import MET_LATE, status, trigger_status
    from guanai.core.services.engine import local as _local
    from guanai.core.store.engine import Question, obligation_rows, triggered
    from guanai.core.store.facts import occurred as occurred_at

    # evidence: the statement that counts each window's records also returns their ids
    question = Question(c.schools, c.asof, rules={duty}, subject=(kind, subject), evidence=True)
    rows = []
    with c.store.read() as conn:
        found = list(obligation_rows(conn, c.segs, question, open_only=False))
        ids = {int(i) for _, _, _, data in found for text in (data["ids"], data["late_ids"]) if text
               for i in text.split(",")}
        occurred = occurred_at(conn, ids)
        for _seg, rl, window, data in found:
            state = status(window, rl.grace_days, rl.times, data["done"], bool(data["excused"]), c.asof.day,
                           data["late"])
            counted = [data["ids"], data["late_ids"] if state == MET_LATE else None]  # met late: the late ones too
            used = sorted(_local(occurred[int(i)], c.zone).isoformat(timespec="minutes")
                          for text in counted if text for i in text.split(","))
            rows.append({"duty": rl.id, "window": window.label, "start": window.start.isoformat(),
                         "due": window.end.isoformat(), "grace_days": rl.grace_days, "status": state,
                         "required": rl.times, "done": data["done"], "responsible": data["responsible"],
                         "records": used})
        for ob in triggered(conn, c.segs, question):
            state = trigger_status(ob.occurred, ob.deadline, ob.first, c.asof.instant_utc)
            rows.append({"duty": ob.rule_id, "window": ob.name,
                         "start": _local(ob.occurred, ob.zone).isoformat(timespec="minutes"),
                         "due": _local(ob.deadline, ob.zone).isoformat(timespec="minutes"), "grace_days": 0,
                         "status": state, "required": 1, "done": int(ob.first is not None),
                         "responsible": ob.responsible,
                         "records": [_local(ob.first, ob.zone).isoformat(timespec="minutes")] if ob.first else []})
    return rows


def _explain_text(view: ExplainView) -> None:
    from guanai.core.obligations import MET, OVERDUE
    from guanai.core.render import long_date, responsible_text

    out = console()
    out.print(t("explain.title", duty=view.name, subject=view.subject, when=long_date(view.day)))
    body = [[r["window"], f"{r['start']} — {r['due']}", t(f"status.{r['status']}"), f"{r['done']}/{r['required']}",
             responsible_text(view.staff_names.get(r["responsible"], r["responsible"]), view.by), t("list.sep").join(x[5:16].replace("T", " ") for x in r["records"])]
            for r in view.rows]
    out.print(table(None, [t("explain.col.window"), t("explain.col.dates"), t("explain.col.status"),
                           t("explain.col.progress"), t("explain.col.responsible"), t("explain.col.records")], body))
    out.print(t("explain.summary", n=len(view.rows), met=sum(r["status"] == MET for r in view.rows),
                overdue=sum(r["status"] == OVERDUE for r in view.rows)))
