"""The 台账 workbook a school files for the term: 留守儿童花名册 (contacts masked unless asked for),
结对帮扶名单, one sheet per kind of record the programme's duties ask for (谈心记录, 电话记录,
家访记录 …) and each plugin's sheet (体检, 资助, 比赛与展演) from its report section. Written by
core/spreadsheet.py: a title row, the unit and the period, then the header; A4 landscape, the
header repeated on every page and frozen; ids and phones as text."""

from __future__ import annotations

from typing import Any

from guanai.core.i18n import t
from guanai.core.render import class_order, key_text
from guanai.core.reports.summary import Period, cn_date
from guanai.core.spreadsheet import Sheet

# The 花名册's columns: a field, or (header, fields) for a cell of several lines — a parent's name,
# phone and workplace in one — so that the sheet prints one page wide at a readable size (18
# columns printed at 61%; these 13 at about 85%).
ROSTER: tuple[str | tuple[str, tuple[str, ...]], ...] = (
    "id", "name", "gender", "birth_date", "class_name", "category", "guardian_type",
    ("ledger.col.guardian", ("guardian_name", "guardian_relation")), "guardian_phone",
    ("ledger.col.father", ("father_name", "father_phone", "father_workplace")),
    ("ledger.col.mother", ("mother_name", "mother_phone", "mother_workplace")), "away_since", "address")
ROSTER_WIDTHS = {7: 16, 9: 21, 10: 21, 12: 28}  # the cells of several lines, and the address, wrap


def _roster_cell(kid: dict[str, Any], col: Any, orgs: dict[str, Any]) -> Any:
    """One cell of a child's row in the 花名册: coded values in words, several fields one per line."""
    if isinstance(col, tuple):
        return "\n".join(str(kid[f]) for f in col[1] if kid.get(f))
    if col in ("category", "guardian_type"):
        return key_text(col, kid[col], orgs) if kid[col] else ""
    return kid[col]


def build(c: Any, period: Period, registry: Any, show_contacts: bool,
          failures: list[tuple[str, str]] | None = None) -> list[Sheet]:
    """The sheets; `failures` gets (plugin, error) of each plugin whose sheet could not be made."""
    from guanai.core.privacy import masked
    from guanai.core.reports.render import tight
    from guanai.core.reports.summary import programme_at
    from guanai.core.store.facts import records, staff_names_at
    from guanai.core.store.hooks import ReportContext, sections_by_plugin
    from guanai.core.store.reporting import cared_for_rows
    from guanai.core.store.stats import pairings

    day = min(c.asof.day, period.last)
    org_name = c.orgs[c.org]["name"] if c.org else t("due.everywhere")
    subtitle = t("ledger.subtitle", org=org_name, period=period.name, first=cn_date(period.first),
                 last=cn_date(period.last))
    many = len(c.schools) > 1
    school_col = [t("stats.col.school")] if many else []

    def school_of(code: str) -> list[str]:
        return [c.orgs[code]["name"]] if many else []

    sheets = []
    from guanai.core.store import contacts
    from guanai.core.store.facts import children

    with c.store.write() if show_contacts else c.store.read() as conn:
        kids = cared_for_rows(conn, c.segs, list(c.schools), day, c.asof.known_at_utc)
        kids = [masked(k, show_contacts) for k in contacts.shown(conn, "child", kids, show_contacts,
                                                                   f"ledger org={c.org}", c.org, "report ledger")]

        kids.sort(key=lambda k: (k["school"], class_order(k["class_name"]), k["id"]))
        headers = [*school_col, *(t(f"col.child.{col}") if isinstance(col, str) else t(col[0]) for col in ROSTER)]
        rows = [[*school_of(k["school"]), *(_roster_cell(k, col, c.orgs) for col in ROSTER)] for k in kids]
        sheets.append(Sheet(t("ledger.roster"), headers, rows, title=t("ledger.roster_title", org=org_name),
                            subtitle=subtitle + t("ledger.masked" if not show_contacts else "ledger.unmasked"),
                            widths={len(school_col) + i: w for i, w in ROSTER_WIDTHS.items()}))
        pairs = pairings(conn, c.schools, day, known_at=c.asof.known_at_utc)
        # the partner is a teacher (代理家长) or a pupil (学习帮手): named as 帮扶人, with 工号 or 学籍号
        sheets.append(Sheet(t("ledger.pairs"), [*school_col, t("assign.col.partner"), t("ledger.col.partner_id"),
                                                t("col.party_member"),
                                                t("col.role"), t("col.child_name"), t("col.child"), t("col.class"),
                                                t("col.start")],
                            [[*school_of(p["school"]), p["staff_name"] or p["buddy_name"], p["staff"] or p["buddy"],
                              p["party_member"], key_text("role", p["role"], c.orgs), p["child_name"], p["child"],
                              p["class"], p["start"]] for p in pairs],
                            title=t("ledger.pairs_title", org=org_name), subtitle=subtitle))
        people = staff_names_at(conn, list(c.schools))
        rctx = ReportContext(conn, list(c.schools), period.first, period.last, programme_at(c, day), c.zone,
                             until=c.asof.instant_utc, segments=c.segs, _registry=registry,
                             known_at=c.asof.known_at_utc)
        tabled = [(plugin, s) for plugin, s in sections_by_plugin(registry, rctx) if s.headers]
        if failures is not None:
            failures.extend(rctx.failures)
        sections = [s for _plugin, s in tabled]
        own = {plugin for plugin, _s in tabled}  # a plugin's own sheet (体检) replaces the plain ones of its steps
        steps = list(dict.fromkeys(r.step for seg in c.segs for r in seg.rules  # a school's own too (会议)
                                   if r.step in registry.steps and registry.steps[r.step].plugin not in own))
        for step in steps:
            kind = registry.steps[step]
            found = records(conn, step, c.schools, period.first, period.last, c.zone, c.asof.instant_utc,
                            c.asof.known_at_utc)
            kids_then = children(conn, {r.subject for r in found if r.subject_kind == "child"}, day,
                                 c.asof.known_at_utc, list(c.schools))  # each child's class on the ledger's day
            names = dict(kids_then)
            rows = []
            for r in found:
                kid = names.get(r.subject) if r.subject_kind == "child" else None
                # the subject in words: a child and its class, a class, a teacher, the school itself
                subject = kid.name if kid else people.get(r.subject, r.subject) if r.subject_kind == "staff" else \
                    c.orgs.get(r.school, {}).get("name", r.subject) if r.subject_kind == "school" else r.subject
                cls = kid.class_name if kid else r.subject if r.subject_kind == "class" else ""
                rows.append([*school_of(r.school), r.occurred_at.replace(tzinfo=None), people.get(r.by or "", r.by or ""),
                             subject, cls, kind.describe(r.payload)])
            sheets.append(Sheet(t("ledger.records", title=kind.title),
                                [*school_col, t("ledger.col.when"), t("ledger.col.by"), t("ledger.col.subject"),
                                 t("col.class"), t("ledger.col.details")], rows,
                                title=t("ledger.records_title", org=org_name, title=kind.title), subtitle=subtitle,
                                widths={len(school_col) + 4: 60}))
        for section in sections:
            if section.headers:  # its sentences after the unit and the period, as they stand (each ends 。)
                sheets.append(Sheet(section.title, list(section.headers), [list(r) for r in section.rows],
                                    title=t("ledger.section_title", org=org_name, title=section.title),
                                    subtitle=subtitle + "　　" + tight("".join(section.lines))))
        incidents = _incidents(conn, c, period, people, school_col, school_of)
        if incidents is not None:
            sheets.append(Sheet(t("ledger.incidents"), incidents[0], incidents[1],
                                title=t("ledger.incidents_title", org=org_name), subtitle=subtitle))
    return sheets


def _result(state: str) -> str:
    """A notice's result as the sheet says it: 按时完成, 逾期完成, 逾期未报告, 时限未到."""
    return t("ledger.not_reported") if state == "overdue" else t("ledger.not_yet") if state == "due" else \
        t(f"status.{state}")


def _incidents(conn: Any, c: Any, period: Period, people: dict[str, str], school_col: list[str],
               school_of: Any) -> tuple[list[str], list[list[Any]]] | None:
    """突发事件与报告: each record that set off a programme's trigger (an incident) in the period,
    one row per notice it obliged — the deadline, when the notice was recorded and whether in
    time — as `compliance` counts them. None when no programme has a trigger."""
    from guanai.core.obligations import trigger_status
    from guanai.core.store.engine import Question, triggered

    ids = {trig.id for seg in c.segs for trig in seg.plan.triggers}
    if not ids:
        return None
    names = {trig.id: trig.name or trig.id for seg in c.segs for trig in seg.programme.triggers}
    found = [x for x in triggered(conn, c.segs, Question(list(c.schools), c.asof, period=(period.first, period.last)))
             if x.trigger_id in ids]
    found.sort(key=lambda x: (x.occurred, x.deadline))
    until = c.asof.instant_utc

    def local(moment: Any) -> Any:
        from datetime import UTC

        return moment.replace(tzinfo=UTC).astimezone(c.zone).replace(tzinfo=None) if moment is not None else None

    headers = [*school_col, t("ledger.col.incident"), t("ledger.col.incident_at"), t("ledger.col.subject"),
               t("col.class"), t("ledger.col.reported_by"), t("ledger.col.notice"), t("ledger.col.deadline"),
               t("ledger.col.noticed_at"), t("ledger.col.result")]
    rows = [[*school_of(x.school), names.get(x.trigger_id, x.trigger_id), local(x.occurred),
             x.subject_name or x.subject, x.class_name or "", people.get(x.responsible or "", x.responsible or ""),
             x.name, local(x.deadline), local(x.first),
             _result(trigger_status(x.occurred, x.deadline, x.first, until))] for x in found]
    return headers, rows

