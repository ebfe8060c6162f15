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

ROSTER = ("id", "name", "gender", "birth_date", "class_name", "category", "guardian_type", "guardian_name",
          "guardian_relation", "guardian_phone", "father_name", "father_phone", "father_workplace", "mother_name",
          "mother_phone", "mother_workplace", "away_since", "address")


def build(c: Any, period: Period, registry: Any, show_contacts: bool) -> list[Sheet]:
    from guanai.core.privacy import masked
    from guanai.core.reports.summary import programme_at
    from guanai.core.store.facts import records
    from guanai.core.store.hooks import ReportContext, sections_by_plugin
    from guanai.core.store.reporting import cared_for_rows, staff_names_at
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
        headers = [*school_col, *(t(f"col.child.{col}") for col in ROSTER)]
        rows = []
        for k in kids:
            values = [k[col] for col in ROSTER]
            values[ROSTER.index("category")] = key_text("category", k["category"], c.orgs)
            values[ROSTER.index("guardian_type")] = key_text("guardian_type", k["guardian_type"], c.orgs) \
                if k["guardian_type"] else ""
            rows.append([*school_of(k["school"]), *values])
        sheets.append(Sheet(t("ledger.roster"), headers, rows, title=t("ledger.roster_title", org=org_name),
                            subtitle=subtitle + t("ledger.masked" if not show_contacts else "ledger.unmasked")))
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
                             until=c.asof.instant_utc, segments=c.segs, models=registry.settings_models,
                             known_at=c.asof.known_at_utc)
        tabled = [(plugin, s) for plugin, s in sections_by_plugin(registry, rctx) if s.headers]
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
            if section.headers:
                sheets.append(Sheet(section.title, list(section.headers), [list(r) for r in section.rows],
                                    title=t("ledger.section_title", org=org_name, title=section.title),
                                    subtitle=subtitle + "；".join(("", *section.lines))))
    return sheets

