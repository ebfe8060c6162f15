"""`due`, `compliance`, `indicators` and `explain`: the engine's answers, for people and scripts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
from guanai.core.app import app_of
from guanai.core.commands.options import (
    as_of_option,
    class_option,
    known_at_option,
    limit_option,
    org_option,
)
from guanai.core.diagnostics import Diagnostic, InputError, Refusal
from guanai.core.i18n import t
from guanai.core.obligations import (
    DUE,
    MET,
    MET_LATE,
    OVERDUE,
    UTC,
    AsOf,
    as_of,
    status,
    trigger_status,
)
from guanai.core.output import console, dump_csv, dump_json, output_options, plain_table, table
from guanai.core.render import class_order, long_date, short_date

DUE_COLUMNS = ("duty", "name", "scope", "subject", "subject_name", "class", "school", "responsible",
               "window_start", "due", "status", "required", "done")
GROUP_KEYS = ("duty", "staff", "class", "school", "township", "org", "month", "week")


def parse_when(value: str | None, option: str) -> date | datetime | None:
    """A date (end of that day) or a local date-time."""
    from guanai.core import cells

    if value is None:
        return None
    try:
        day, (h, m, s), offset = cells.moment(value)
    except cells.CellError as exc:
        raise InputError([Diagnostic(option, 0, 0, "", exc.code, tuple(exc.params.items()))]) from None
    if " " not in value.strip() and "T" not in value and offset is None:
        return day
    moment = datetime(day.year, day.month, day.day, h, m, s)
    if offset is not None:
        moment = datetime.fromisoformat(f"{moment.isoformat()}{'+00:00' if offset == 'Z' else offset}")
    return moment


@dataclass
class Context:
    store: Any
    orgs: dict[str, dict[str, Any]]
    schools: list[str]
    segs: list[Any]
    zone: ZoneInfo
    asof: AsOf
    org: str | None


def prepare(ctx: click.Context, org: str | None, when: str | None, known_at: str | None = None,
            also: tuple[str, ...] = ()) -> Context:
    """The engine's context for `org` (and the schools `also` names: a child's earlier schools)."""
    from guanai.core.store.engine import segments
    from guanai.core.store.orgs import all_orgs, schools_in

    moment = parse_when(when, "--as-of")  # bad input is reported before any database work
    known = parse_when(known_at, "--known-at")
    store = app_of(ctx).store
    with store.read() as conn:
        orgs = all_orgs(conn)
        schools = schools_in(orgs, org) + [s for s in also if s not in schools_in(orgs, org)]
        if not schools:
            raise Refusal("publish.no_schools")
        segs = segments(conn, schools, orgs)
    if not segs:
        raise Refusal("engine.no_programme", org=orgs[org]["name"] if org else t("due.everywhere"))
    _warn_missing_plugins(segs)
    zone = segs[0].zone
    moment = moment or app_of(ctx).now(zone)
    if isinstance(known, date) and not isinstance(known, datetime):
        known = datetime.combine(known + timedelta(days=1), datetime.min.time()) - timedelta(microseconds=1)
    return Context(store, orgs, schools, segs, zone, as_of(moment, zone, known), org)


def _warn_missing_plugins(segs: list[Any]) -> None:
    """A published programme naming a plugin that is no longer installed (or fails to load): say so
    on stderr — its steps, duties and indicators cannot be counted. Free when every plugin named is
    built in (reads the stored programme, not the plugins)."""
    from guanai.core.builtins import BUILTIN_PLUGINS

    needed = {(p, (seg.data or {}).get("id", "?")) for seg in segs for p in (seg.data or {}).get("plugins", ())
              if p not in BUILTIN_PLUGINS}
    if not needed:
        return

    loaded = app_of().registry.plugins
    for plugin, programme in sorted(needed):
        if plugin not in loaded:
            click.echo(t("engine.plugin_missing", programme=programme, plugin=plugin), err=True)


def _local(utc: datetime, zone: ZoneInfo) -> datetime:
    return utc.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


# —— due ——

@dataclass(frozen=True)
class DueOptions:
    org: str | None = None
    staff_id: str | None = None
    class_name: str | None = None
    when: str | None = None
    known_at: str | None = None
    limit: int = 200
    ics: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("due", help="cli.due.help", epilog="cli.due.example")
@org_option
@click.option("--staff", "staff_id", metavar="ID", help="cli.opt.due_staff")
@class_option
@as_of_option
@known_at_option
@limit_option(200)
@click.option("--ics", metavar="FILE", type=click.Path(dir_okay=False), help="cli.opt.ics")
@output_options
@click.pass_context
def due_command(ctx: click.Context, **options: Any) -> None:
    """What is due and overdue on as_of, for an org unit, a teacher or a class, overdue first."""
    due(ctx, DueOptions(**options))


@dataclass
class DueView:
    """The items open on as_of (due and overdue, overdue first) and whose list it is."""

    context: Context
    rows: list[dict[str, Any]]
    person: Any
    staff_names: dict[str, str]  # who answers for each item, by 工号, as the table shows them

    @property
    def public(self) -> list[dict[str, Any]]:
        """The rows as --json/--csv/--ics give them (without the text renderer's own fields)."""
        return [{k: v for k, v in r.items() if not k.startswith("_") and k != "step"} for r in self.rows]


def due(ctx: click.Context, opts: DueOptions) -> None:
    view = due_view(ctx, opts)
    if opts.ics is not None:
        write_ics(view.context, opts.ics, view.public, view.person)
    elif opts.as_json:
        dump_json(view.public)
    elif opts.as_csv:
        dump_csv(view.public, DUE_COLUMNS)
    else:
        _print_due(view, opts.org, opts.limit, opts.class_name)


def due_view(ctx: click.Context, opts: DueOptions) -> DueView:
    from guanai.core.store.engine import Question, obligation_rows, triggered
    from guanai.core.store.schema import staff
    from guanai.core.views import staff_names
    from sqlalchemy import select

    staff_id, class_name = opts.staff_id, opts.class_name
    c = prepare(ctx, opts.org, opts.when, opts.known_at)
    person = None
    with c.store.read() as conn:
        if staff_id:
            person = conn.execute(select(staff).where(staff.c.id == staff_id)).mappings().first()
            if person is None:
                raise Refusal("record.staff_unknown", value=staff_id)
        question = Question(c.schools, c.asof, staff=staff_id, class_name=class_name)
        rows = []
        for _seg, rule, window, data in obligation_rows(conn, c.segs, question, open_only=True):
            state = status(window, rule.grace_days, rule.times, data["done"], bool(data["excused"]), c.asof.day,
                           data["late"])
            if state not in (DUE, OVERDUE):
                continue
            rows.append({"duty": rule.id, "name": rule.name, "scope": rule.scope, "subject": data["subject"],
                         "subject_name": data["name"], "class": data["class_name"], "school": data["school"],
                         "responsible": data["responsible"], "window_start": window.start.isoformat(),
                         "due": window.end.isoformat(), "status": state, "required": rule.times,
                         "done": data["done"], "step": rule.step, "_sort": (window.end, 0), "_days":
                         (c.asof.day - window.end).days, "_match": rule.match, "_late_closes": rule.one_off,
                         "_by": rule.by})
        for ob in triggered(conn, c.segs, question):
            state = trigger_status(ob.occurred, ob.deadline, ob.first, c.asof.instant_utc)
            if state not in (DUE, OVERDUE):
                continue
            deadline = _local(ob.deadline, ob.zone)
            rows.append({"duty": ob.rule_id, "name": ob.name, "scope": ob.subject_kind, "subject": ob.subject,
                         "subject_name": ob.subject_name, "class": ob.class_name, "school": ob.school,
                         "responsible": ob.responsible,
                         "window_start": _local(ob.occurred, ob.zone).isoformat(timespec="minutes"),
                         "due": deadline.isoformat(timespec="minutes"), "status": state, "required": 1, "done": 0,
                         "step": ob.step, "_sort": (deadline.date(), 1), "_match": ob.match, "_late_closes": True,
                         "_by": "recorder",
                         "_minutes": int((c.asof.instant_utc - ob.deadline).total_seconds() // 60)})
    if class_name:  # a class's list: its children's items, not its head teacher's own (staff) duties
        rows = [r for r in rows if r["class"] == class_name and r["scope"] in ("child", "class")]
    names: dict[str, str] = {}
    if person is None and rows:  # an org's or a class's list names who answers (a teacher's is theirs)
        with c.store.read() as conn:
            names = staff_names(conn, [r["responsible"] for r in rows])
    # classes in the order schools list them (七 八 九, 七(2)班 before 七(10)班), not by code point
    rows.sort(key=lambda r: (r["status"] != OVERDUE, r["_sort"], r["name"], class_order(r["class"]), r["subject"]))
    return DueView(c, rows, person, names)


def write_ics(c: Context, path: str, rows: list[dict[str, Any]], person: Any) -> None:
    """The open items as an iCalendar file (RFC 5545, by the icalendar library): one all-day event
    per item on its due date — an overdue one on the day asked about, marked 逾期, so that it
    shows where the teacher looks — naming the duty and the child. UIDs are stable (duty, subject,
    window), so importing a newer file updates events rather than doubling them. Children's names
    leave the database: the export is audited."""
    from pathlib import Path

    from guanai.core.files import write_private_bytes
    from guanai.core.store.db import audit
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//guanai//关爱//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", t("ics.calendar", who=person["name"] if person else t("due.everywhere")))
    stamp = app_of().started  # when the file was made
    for r in rows:
        event = Event()
        day = date.fromisoformat(r["due"][:10])
        overdue = r["status"] == OVERDUE
        who = r["subject_name"] or r["subject"]
        event.add("uid", f"{r['duty']}.{r['subject']}.{r['window_start']}@guanai")
        event.add("dtstamp", stamp)
        event.add("dtstart", c.asof.day if overdue else day)
        event.add("summary", t("ics.summary_overdue" if overdue else "ics.summary", duty=r["name"], who=who))
        event.add("description", t("ics.description", duty=r["name"], who=who, cls=r["class"] or "—",
                                   start=r["window_start"].replace("T", " "), due=r["due"].replace("T", " "),
                                   done=r["done"], required=r["required"]))
        cal.add_component(event)
    write_private_bytes(path, cal.to_ical())
    with c.store.write() as conn:
        audit(conn, [{"action": "export_ics", "table_name": "obligation",
                      "org": c.org or (person or {}).get("school"), "row_key": f"staff={person['id']}" if person else f"org={c.org or '*'}",
                      "after": {"events": len(rows), "file": Path(path).name}}], "cli")
    click.echo(t("ics.written", path=path, n=len(rows)))


def span_text(minutes: int, kind: str) -> str:
    """A time-limited item's lateness or time left (`kind`: overdue | left) as people say it: minutes
    under two hours, hours under two days, else days and hours ("还剩9天", never "还剩14401分钟")."""
    if minutes < 120:
        return t(f"due.{kind}_minutes", n=minutes)
    if minutes < 48 * 60:
        return t(f"due.{kind}_hours", n=minutes // 60)
    days, hours = minutes // 1440, minutes % 1440 // 60
    return t(f"due.{kind}_days_hours", days=days, hours=hours) if hours else t(f"due.{kind}_days", n=days)


def _due_label(row: dict[str, Any], today: date) -> tuple[str, str]:
    if row["status"] == OVERDUE:
        if "_minutes" in row:
            return span_text(row["_minutes"], "overdue"), "red"
        return t("due.overdue_days", n=row["_days"]), "red"
    if "_minutes" in row:
        return span_text(-row["_minutes"], "left"), "yellow"
    end = date.fromisoformat(row["due"][:10])
    if end.isocalendar()[:2] == today.isocalendar()[:2]:
        return t("due.this_week"), "yellow"
    if (end.year, end.month) == (today.year, today.month):
        return t("due.this_month"), ""
    return t("due.later"), ""


def _print_due(view: DueView, org: str | None, limit: int, class_name: str | None = None) -> None:
    c, rows, person = view.context, view.rows, view.person
    when = long_date(c.asof.day)
    if person is not None:
        school = c.orgs[person["school"]]["name"]
        click.echo(t("due.title_staff", name=person["name"], id=person["id"], school=school, when=when))
    else:
        place = c.orgs[org]["name"] if org else t("due.everywhere")
        if class_name:  # the class's school(s), named: 西北中学 七(1)班
            schools = sorted({c.orgs[r["school"]]["name"] for r in rows}) or [place]
            place = f"{t('list.sep').join(schools)} {class_name}"
        click.echo(t("due.title_org", place=place, when=when))
    if not rows:
        click.echo(t("due.nothing"))
        return
    headers = [t("due.col.status"), t("due.col.due"), t("due.col.duty"), t("due.col.subject")]
    if person is None:
        headers.append(t("due.col.responsible"))
    headers.append(t("due.col.progress"))
    counts: dict[str, int] = {"overdue": 0, t("due.this_week"): 0, t("due.this_month"): 0, t("due.later"): 0}
    body, styles = [], []
    for n, row in enumerate(rows):
        label, style = _due_label(row, c.asof.day)
        # a time-limited item's label is its own countdown: in the summary they are one bucket
        key = "overdue" if row["status"] == OVERDUE else t("due.time_limited") if "_minutes" in row else label
        counts[key] = counts.get(key, 0) + 1
        if n >= limit:
            continue
        end = date.fromisoformat(row["due"][:10])
        due_text = short_date(end) + (f" {row['due'][11:16]}" if len(row["due"]) > 10 else "")
        # a child and its class (刘小明 七(1)班); a class once, not as its name and its class
        subject = " ".join(dict.fromkeys(x for x in (row["subject_name"] or row["subject"], row["class"]) if x))
        cells = [label, due_text, row["name"], subject]
        if person is None:
            cells.append(responsible_text(view.staff_names.get(row["responsible"], row["responsible"]), row["_by"]))
        cells.append(f"{row['done']}/{row['required']}")
        body.append(cells)
        styles.append(style or None)
    click.echo(plain_table(headers, body, right=(len(headers) - 1,), styles=styles))
    if len(rows) > limit:
        click.echo(t("due.more", n=len(rows) - limit))
    counts = {k: n for k, n in counts.items() if n}
    parts = [t("due.sum_overdue", n=counts.pop("overdue"))] if "overdue" in counts else []
    parts += [t("due.sum_other", label=label, n=n) for label, n in counts.items()]
    click.echo(t("due.summary", n=len(rows), parts=t("list.sep").join(parts)))
    hint = next_step(rows, person, _local(c.asof.instant_utc, c.zone))
    if hint is not None:
        click.echo(hint)


def responsible_text(responsible: str | None, by: str | None) -> str:
    """Who answers for an item: the staff member; 未指定 when the duty names a role nobody holds;
    学校 when it names none (a school's own task, such as 制定活动实施方案)."""
    return responsible or t("due.unassigned" if by else "due.school")


def next_step(rows: list[dict[str, Any]], person: Any, now: datetime) -> str | None:
    """The "下一步" line: the command that records the first item a record can still close — with
    the duty's `match` fields and an `--at` inside its window. An overdue window of a recurring duty
    cannot be closed any more (a record after its due date counts for the next window, SPEC §2), so
    the hint goes to the next item that can; a triggered or one-off item closes late (met_late)."""
    for row in rows:
        closes_late = row["_late_closes"]
        if row["status"] == OVERDUE and not closes_late:
            continue
        start = datetime.fromisoformat(row["window_start"])
        end = datetime.fromisoformat(row["due"]) if len(row["due"]) > 10 else \
            datetime.combine(date.fromisoformat(row["due"]), datetime.max.time())
        at = now if closes_late else min(max(now, start), end)
        break
    else:
        return None
    option = {"child": "--child", "school": "--school", "staff": "--staff", "class": "--class"}[row["scope"]]
    doer = person["id"] if person is not None else row["responsible"]
    parts = [f"guanai record {row['step']} {option} {row['subject']}"]
    if row["scope"] == "class":
        parts.append(f"--school {row['school']}")
    parts += [f"--set {key}={value}" for key, value in row["_match"]]
    if doer:
        parts.append(f"--by {doer}")
    # a day's end (an --as-of date, a window's last day) as the day itself; a time-limited item to the minute
    day_only = len(row["due"]) <= 10 and at.time() >= datetime.max.time().replace(second=0, microsecond=0)
    parts.append(f"--at {at:%Y-%m-%d}" if day_only else f"--at \"{at:%Y-%m-%d %H:%M}\"")
    return t("due.hint", duty=row["name"], command=" ".join(parts))


# —— compliance ——

@dataclass(frozen=True)
class ComplianceOptions:
    org: str | None = None
    by: str = "duty"
    group: str | None = None
    duties: tuple[str, ...] = ()
    sort: str = "key"
    start: str | None = None
    end: str | None = None
    when: str | None = None
    known_at: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("compliance", help="cli.compliance.help", epilog="cli.compliance.example")
@org_option
@click.option("--by", default="duty", show_default=True, metavar="KEYS", help="cli.opt.compliance_by")
@click.option("--group", help="cli.opt.group")
@click.option("--duty", "duties", multiple=True, metavar="ID", help="cli.opt.duty")
@click.option("--sort", type=click.Choice(["key", "rate"]), default="key", help="cli.opt.sort")
@click.option("--from", "start", metavar="DATE", help="cli.opt.period_from")
@click.option("--to", "end", metavar="DATE", help="cli.opt.period_to")
@as_of_option
@known_at_option
@output_options
@click.pass_context
def compliance_command(ctx: click.Context, **options: Any) -> None:
    """Expected, met and met late per duty (or staff, class, school, month, week …) up to as_of."""
    compliance(ctx, ComplianceOptions(**options))


def compliance(ctx: click.Context, opts: ComplianceOptions) -> None:
    by, group = opts.by, opts.group
    keys = tuple(k.strip() for k in by.split(",") if k.strip()) if by else ()
    for k in keys:
        if k not in GROUP_KEYS:
            raise InputError([Diagnostic("--by", 0, 0, "", "compliance.bad_key", (("key", k),
                                                                                ("keys", "|".join(GROUP_KEYS))))])
    c = prepare(ctx, opts.org, opts.when, opts.known_at)
    rows, names = _compliance(c, keys, group, set(opts.duties) or None, period_option(opts.start, opts.end))
    total = _total(rows)
    if opts.sort == "rate":
        rows.sort(key=lambda r: (r["rate"] is None, r["rate"] if r["rate"] is not None else 0))
    if opts.as_json:
        dump_json({"as_of": _as_of_text(c), "rows": rows, "total": total})
        return
    if opts.as_csv:
        flat = [{**r["key"], **{k: r[k] for k in ("expected", "met", "met_late", "rate")}} for r in rows]
        dump_csv(flat, [*keys, "expected", "met", "met_late", "rate"])
        return
    _print_compliance(c, keys, rows, total, names, group)


def _as_of_text(c: Context) -> str:
    return _local(c.asof.instant_utc, c.zone).isoformat(timespec="minutes")


def period_option(start: str | None, end: str | None) -> tuple[date, date] | None:
    """--from/--to as a period of local days (either may be left open)."""
    from guanai.core.commands.programme import parse_cli_date

    first, last = parse_cli_date(start, "--from"), parse_cli_date(end, "--to")
    if first is None and last is None:
        return None
    if first and last and last < first:
        raise Refusal("period.reversed", start=first.isoformat(), end=last.isoformat())
    return first or date(1970, 1, 2), last or date(9998, 12, 30)


def _compliance(c: Context, keys: tuple[str, ...], group: str | None, duties: set[str] | None,
                period: tuple[date, date] | None = None) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    from guanai.core.store.engine import Question, compliance_rows, iso_week, triggered
    from guanai.core.views import staff_names

    sql_keys = tuple(k for k in ("school", "class", "staff", "duty", "month", "week") if k in keys or
                     (k == "school" and ({"township", "org"} & set(keys))))
    question = Question(c.schools, c.asof, rules=duties, group=group, plugin_groups=_plugin_groups() if group else {},
                        period=period)
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    names: dict[str, dict[str, str]] = {"duty": {}, "school": {}, "staff": {}, "township": {}, "org": {}}
    with c.store.read() as conn:
        for row in compliance_rows(conn, c.segs, question, sql_keys):
            names["duty"][row["rule"].id] = row["rule"].name
            key = _key(c, keys, row)
            acc = sums[key]
            acc[0] += row["expected"] or 0
            acc[1] += row["met"] or 0
            acc[2] += row["met_late"] or 0
        for ob in triggered(conn, c.segs, question):
            if not ob.deadline < c.asof.instant_utc:
                continue
            names["duty"][ob.rule_id] = ob.name
            state = trigger_status(ob.occurred, ob.deadline, ob.first, c.asof.instant_utc)
            due = _local(ob.deadline, ob.zone)
            key = _key(c, keys, {"school": ob.school, "class": ob.class_name, "staff": ob.responsible,
                                 "duty": ob.rule_id, "month": due.strftime("%Y-%m"), "week": iso_week(due.date())})
            acc = sums[key]
            acc[0] += 1
            acc[1] += state == MET
            acc[2] += state == MET_LATE
        names["staff"] = staff_names(conn, [k[keys.index("staff")] for k in sums]) if "staff" in keys else {}
    names["school"] = names["township"] = names["org"] = {code: o["name"] for code, o in c.orgs.items()}
    return _rows_of(sums, keys, names), names


def _rows_of(sums: dict[tuple[Any, ...], list[int]], keys: tuple[str, ...],
             names: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Summed counts as `compliance --json` rows, in its order: duties as the programme lists them,
    classes as schools list them, the rest by text."""
    from guanai.core.render import class_order

    order = {rid: i for i, rid in enumerate(names["duty"])}  # duties in programme order

    def sort_key(item: Any) -> tuple[Any, ...]:
        return tuple(order.get(x, 0) if k == "duty" else class_order(x) if k == "class" else str(x or "")
                     for k, x in zip(keys, item[0], strict=True))

    return [{"key": dict(zip(keys, key, strict=True)), "expected": exp, "met": met, "met_late": late,
             "rate": round(met / exp, 4) if exp else None} for key, (exp, met, late) in sorted(sums.items(), key=sort_key)]


def regroup(rows: list[dict[str, Any]], keys: tuple[str, ...], names: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Compliance rows grouped by more keys, summed down to `keys` — what `compliance --by KEYS`
    gives, from one pass instead of one per grouping (the reports ask several)."""
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        acc = sums[tuple(r["key"][k] for k in keys)]
        acc[0] += r["expected"]
        acc[1] += r["met"]
        acc[2] += r["met_late"]
    return _rows_of(sums, keys, names)


def _plugin_groups() -> dict[str, str | None]:
    """The installed plugins' follow-up rules by id, with their groups (for `--group`)."""

    return {rule: follow.group for rule, (_plugin, follow) in app_of().registry.follow_up_rules().items()}


def _key(c: Context, keys: tuple[str, ...], row: dict[str, Any]) -> tuple[Any, ...]:
    out = []
    for k in keys:
        if k == "township":
            parent = c.orgs[row["school"]]["parent"]
            out.append(parent if parent and c.orgs[parent]["kind"] == "township" else None)
        elif k == "org":
            out.append(c.org or _root(c, row["school"]))
        else:
            out.append(row.get(k))
    return tuple(out)


def _root(c: Context, code: str) -> str:
    while c.orgs[code]["parent"]:
        code = c.orgs[code]["parent"]
    return code


def _total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    exp = sum(r["expected"] for r in rows)
    met = sum(r["met"] for r in rows)
    return {"expected": exp, "met": met, "met_late": sum(r["met_late"] for r in rows),
            "rate": round(met / exp, 4) if exp else None}


def _rate(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def indicator_value(value: Any, unit: str) -> str:
    """An indicator's value or target as people read it: a share 71.4%, a ratio of shares 1.18 倍."""
    if value is None:
        return "—"
    return t("indicators.ratio", value=value) if unit == "ratio" else f"{value:.1f}" if unit == "mean" else _rate(value)


def _print_compliance(c: Context, keys: tuple[str, ...], rows: list[dict[str, Any]], total: dict[str, Any],
                      names: dict[str, dict[str, str]], group: str | None) -> None:
    out = console()
    place = c.orgs[c.org]["name"] if c.org else t("due.everywhere")
    title = " · ".join(x for x in (place, group, t("compliance.as_of", when=long_date(c.asof.day))) if x)
    out.print(title)
    headers = [t(f"compliance.col.{k}") for k in keys]
    headers += [t("compliance.col.expected"), t("compliance.col.met"), t("compliance.col.met_late"),
                t("compliance.col.rate")]
    body = []
    for r in rows:
        cells = []
        for k in keys:
            value = r["key"][k]
            shown = names.get(k, {}).get(value, value) if value else t("due.unassigned")
            cells.append(f"{shown}（{value}）" if k == "staff" and value and shown != value else shown)
        body.append([*cells, f"{r['expected']:,}", f"{r['met']:,}", f"{r['met_late']:,}", _rate(r["rate"])])
    if keys:
        body.append([t("compliance.total")] + [""] * (len(keys) - 1) + [
            f"{total['expected']:,}", f"{total['met']:,}", f"{total['met_late']:,}", _rate(total["rate"])])
    else:
        body.append([f"{total['expected']:,}", f"{total['met']:,}", f"{total['met_late']:,}", _rate(total["rate"])])
    out.print(table(None, headers, body, justify=["left"] * len(keys) + ["right"] * 4))


# —— indicators ——

def indicator_rows(c: Context) -> list[dict[str, Any]]:
    """The indicators of the programmes in force at as_of, as `indicators --json` gives them."""
    from guanai.core.store.indicators import compute

    with c.store.read() as conn:
        registry = app_of().registry
        found = compute(conn, c.segs, c.asof, lambda g, d: _compliance(c, (), g, d)[0],
                        registry.indicator_kinds, registry.settings_models)
    code = c.org or _root(c, c.schools[0])
    return [{"id": r.id, "name": r.name, "org": code, "value": r.value, "target": r.target,
             "ok": r.value is not None and r.value >= r.target, "kind": r.kind, "numerator": r.numerator,
             "denominator": r.denominator, "error": r.error, "unit": r.unit} for r in found]


@dataclass(frozen=True)
class IndicatorsOptions:
    org: str | None = None
    when: str | None = None
    known_at: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("indicators", help="cli.indicators.help", epilog="cli.indicators.example")
@org_option
@as_of_option
@known_at_option
@output_options
@click.pass_context
def indicators_command(ctx: click.Context, **options: Any) -> None:
    """The programme's targets (建档率, 结对率 …) on as_of: value, target, met or not."""
    indicators(ctx, IndicatorsOptions(**options))


def indicators(ctx: click.Context, opts: IndicatorsOptions) -> None:
    c = prepare(ctx, opts.org, opts.when, opts.known_at)
    rows = indicator_rows(c)
    code = c.org or _root(c, c.schools[0])
    for r in rows:
        if r["error"] is not None:
            plugin, _, error = r["error"].partition(": ")
            click.echo(t("indicators.plugin_failed", name=r["name"], plugin=plugin, error=error), err=True)
    if opts.as_json:
        dump_json(rows)
        return
    if opts.as_csv:
        dump_csv(rows, ["id", "name", "org", "value", "target", "ok", "kind", "numerator", "denominator", "error"])
        return
    out = console()
    out.print(t("indicators.title", place=c.orgs[code]["name"], when=long_date(c.asof.day)))
    body = [[r["name"], indicator_value(r["value"], r["unit"]), indicator_value(r["target"], r["unit"]),
             f"{r['numerator']:,}/{r['denominator']:,}" if r["unit"] == "share" else
             t("indicators.records", n=r["denominator"]) if r["unit"] == "mean" else "—",
             t("indicators.failed") if r["error"] else t("indicators.ok") if r["ok"] else t("indicators.not_ok")]
            for r in rows]
    out.print(table(None, [t("indicators.col.name"), t("indicators.col.value"), t("indicators.col.target"),
                           t("indicators.col.count"), t("indicators.col.ok")], body,
                    justify=["left", "right", "right", "right", "left"]))
