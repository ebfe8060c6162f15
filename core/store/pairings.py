"""Pairings (结对): proxy parents (代理家长), study buddies (学习帮手) and any role a programme
names — imported, made automatically, and checked against the programme's `assignments` rules."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from guanai.core.diagnostics import InputError, Refusal
from guanai.core.store.db import Store, utcnow
from guanai.core.store.history import remember_pairings
from guanai.core.store.hooks import Programmes
from guanai.core.store.importing import parse_rows
from guanai.core.store.orgs import require_school
from guanai.core.store.presence import (
    enrolled,
    is_cared_for,
    pairing_holds,
    pairing_in_force,
    staff_active,
)
from guanai.core.store.schema import child, pairing, staff
from guanai.core.store.sync import Changes, apply, chunks, diff, fetch_by
from guanai.core.subjects import STAFF_KIND
from guanai.core.tabular import Column, read_table
from sqlalchemy import Connection, and_, or_, select

ASSIGN_COLUMNS = (
    Column("child", ("学籍号", "学生学籍号", "child"), "id", required=True),
    Column("staff", ("工号", "教师工号", "代理家长工号", "staff"), "id"),
    Column("buddy", ("学习帮手", "帮手学籍号", "buddy"), "id"),
    Column("start", ("开始", "开始日期", "start"), "date"),
    Column("end", ("结束", "结束日期", "end"), "date"),
)
DERIVED_ROLES = {"head_teacher"}  # held through staff.head_of_class, never paired


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["role"], row["child"], row.get("staff"), row.get("buddy"), row["start"])


def check_role(role: str) -> None:
    if role in DERIVED_ROLES:
        raise Refusal("assign.derived_role", role=role)


def import_pairings(store: Store, path: str, role: str, dry_run: bool = False,
                    today: date | None = None, effective: date | None = None,
                    days: dict[str, date] | None = None) -> Changes:
    """A file of pairings of `role`. A row without 开始 starts on `effective` (default: the
    child's school's effective day — the import's day in term, the next term's first day in a
    vacation, as for rosters), or the child's enrolment if later. `days`: filled with the day
    used for such rows, by school (the command says it)."""
    from guanai.core.store.people import effective_day_at

    check_role(role)
    today = today or date.today()
    days = days if days is not None else {}
    table = read_table(path, ASSIGN_COLUMNS)
    parsed = parse_rows(table, ASSIGN_COLUMNS)
    with store.write() as conn:
        kids = {r["id"]: r for r in fetch_by(conn, child, "id", [
            v for row in parsed.rows for v in (row.values.get("child"), row.values.get("buddy")) if v])}
        adults = {r["id"]: r for r in fetch_by(conn, staff, "id", [
            row.values["staff"] for row in parsed.rows if row.values.get("staff")])}
        rows: list[dict[str, Any]] = []
        numbers: list[int] = []
        def start_at(school: str) -> date:
            if school not in days:
                days[school] = effective or effective_day_at(conn, school, today)
            return days[school]

        for row in parsed.rows:
            found = _pairing_row(parsed, row, role, kids, adults, today, start_at)
            if found is not None:
                numbers.append(row.number)
                rows.append(found)
        seen: dict[tuple[Any, ...], int] = {}
        for number, values in zip(numbers, rows, strict=True):
            if _key(values) in seen:
                parsed.problem(number, "child", "assign.duplicate", row=seen[_key(values)])
            seen.setdefault(_key(values), number)
        if parsed.problems:
            raise InputError(parsed.problems)
        existing = fetch_by(conn, pairing, "child", [r["child"] for r in rows])
        changes = diff(pairing, rows, existing, key=_key)  # stored rows carry the id updates match on
        if not dry_run:
            org = _school_of_child(conn, changes)
            remember_pairings(conn, changes.new, changes.changed, None, utcnow(), org)  # --known-at sees them as they were
            apply(conn, changes, path, org=org)
    return changes


def _school_of_child(conn: Connection, changes: Changes) -> Callable[[dict[str, Any]], str | None]:
    """A pairing's org unit for the audit: its child's school (each school's audit shows its pairs)."""
    kids = {r["child"] for r in changes.new} | {after["child"] for _, after in changes.changed}
    schools = {k: s for part in chunks(sorted(kids), 500)
               for k, s in conn.execute(select(child.c.id, child.c.school).where(child.c.id.in_(part)))}
    return lambda row: schools.get(row["child"])


def _pairing_row(parsed: Any, row: Any, role: str, kids: dict[str, Any], adults: dict[str, Any],
                 today: date, start_at: Any) -> dict[str, Any] | None:
    """One row of a pairing file as a pairing, its problems reported on `parsed` (None when the
    child or the partner cannot be found)."""
    v = row.values
    kid = kids.get(v.get("child"))
    if "child" in v and kid is None:
        parsed.problem(row.number, "child", "assign.child_unknown", value=v["child"])
    partner_field = "buddy" if v.get("buddy") or role == "buddy" else "staff"
    partner_id = v.get(partner_field)
    if partner_id is None:
        if not parsed.reported(row.number, partner_field):
            parsed.problem(row.number, partner_field, "cell.required")
        return None
    partner = (kids if partner_field == "buddy" else adults).get(partner_id)
    if partner is None:
        code = "assign.child_unknown" if partner_field == "buddy" else "assign.staff_unknown"
        parsed.problem(row.number, partner_field, code, value=partner_id)
        return None
    if kid is None:
        return None
    if partner["school"] != kid["school"]:
        parsed.problem(row.number, partner_field, "assign.other_school", partner=partner_id,
                       partner_school=partner["school"], child=kid["id"], school=kid["school"])
    if partner_field == "buddy" and partner_id == kid["id"]:
        parsed.problem(row.number, "buddy", "assign.self_buddy", value=partner_id)
    start = v.get("start") or max(kid["enrolled_on"], start_at(kid["school"]))
    if start > today + timedelta(days=366):  # pairings are made for this school year or the next
        parsed.problem(row.number, "start", "assign.start_far", start=start.isoformat())
    if v.get("end") is not None and v["end"] < start:
        parsed.problem(row.number, "end", "assign.end_before_start", start=start.isoformat(), end=v["end"].isoformat())
    return {"role": role, "child": kid["id"], "staff": v.get("staff") if partner_field == "staff" else None,
            "buddy": partner_id if partner_field == "buddy" else None, "start": start,
            **({"end": v["end"]} if "end" in v else {})}


def holding(conn: Connection, school: str, role: str, day: date) -> list[dict[str, Any]]:
    """Pairings of `role` at the school in force on `day` (they hold then and their staff partner
    has not left: presence.pairing_in_force, what `stats` and the engine count)."""
    query = (
        select(pairing).join(child, child.c.id == pairing.c.child)
        .where(child.c.school == school, pairing.c.role == role, *pairing_in_force(pairing, staff, day))
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def partners_left(conn: Connection, school: str, day: date) -> list[Violation]:
    """Pairings at the school that still hold on `day` though the staff partner has left: they
    count for nobody (the child needs a new partner) and should be ended."""
    query = (select(pairing.c.role, pairing.c.child, child.c.name, child.c.class_name, pairing.c.staff,
                    staff.c.name.label("staff_name"), staff.c.left_on)
             .select_from(pairing.join(child, child.c.id == pairing.c.child).join(staff, staff.c.id == pairing.c.staff))
             .where(child.c.school == school, *pairing_holds(pairing, day), staff.c.left_on.is_not(None),
                    staff.c.left_on <= day)
             .order_by(pairing.c.staff, pairing.c.child))
    return [Violation(school, r.role, "partner_left", r.child, r.name, 0, 0, r.class_name,
                      partner=f"{r.staff_name}（{r.staff}）", left_on=r.left_on.isoformat())
            for r in conn.execute(query)]


def crowded(store: Store, role: str, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """New staff pairings that give a child more partners of `role` than the programme in force
    asks for (per_child): the child, the new partner and the ones it already had then — a second
    proxy parent is usually a change of person whose old pairing was not ended."""
    from guanai.core.store.programmes import in_force, load_version

    out = []
    with store.read() as conn:
        for row in new:
            if not row.get("staff"):
                continue
            kid = conn.execute(select(child.c.name, child.c.school).where(child.c.id == row["child"])).first()
            binding = in_force(conn, kid.school, row["start"]) if kid else None
            rule = pairing_rule(load_version(conn, binding["id"]), role) if binding else None
            need = (rule.per_child if rule is not None else None) or 1
            p, s = pairing.alias("p"), staff.alias("s")
            others = conn.execute(select(p.c.staff, s.c.name, p.c.start).join(s, s.c.id == p.c.staff).where(
                p.c.child == row["child"], p.c.role == role, p.c.staff != row["staff"],
                *pairing_in_force(p, staff.alias("s2"), row["start"])).order_by(p.c.start, p.c.staff)).all()
            if len(others) + 1 > need:
                out.append({"child": row["child"], "name": kid.name if kid else row["child"], "staff": row["staff"],
                            "start": row["start"], "need": need,
                            "others": [{"staff": o.staff, "name": o.name, "start": o.start} for o in others]})
    return out


def pairing_rule(programme: Any, role: str) -> Any:
    for rule in programme.assignments if programme else ():
        if rule.role == role:
            return rule
    return None


@dataclass(frozen=True)
class RuleGap:
    """A duty whose responsible role's pairing rule covers fewer children than the duty is for."""

    school: str
    duty: str
    duty_name: str
    role: str
    targets: int  # children cared for the duty is for (its `where`)
    covered: int  # of them, those the role's pairing rule is for (its `where`)


def rule_gaps(conn: Connection, programme: Any, schools: list[str], day: date) -> list[RuleGap]:
    """Duties on children whose `by` role is given to fewer children than the duty targets, with
    the counts, on `day`'s rosters: a weekly talk for all 54 by a 代理家长 given only to the 18 重点
    帮扶 children leaves 36 children's talks with nobody (programme check --with-facts, publish)."""
    from guanai.core.obligations import conditions_of
    from guanai.core.store.engine import child_field, condition

    items = [(d.id, d.name, d.by, d.where) for d in programme.duties if d.scope == "child"]
    for holder in (*programme.phases, *programme.activities):
        items += [(t.id, t.name or holder.name, t.by, t.where) for t in holder.tasks if t.scope == "child"]
    out = []
    for duty_id, name, by, where in items:
        rule = pairing_rule(programme, by) if isinstance(by, str) else None
        if rule is None or not rule.where:
            continue
        for school in schools:
            def cared(conds: Any, school: str = school) -> set[str]:
                rows = conn.execute(select(child).where(child.c.school == school, _enrolled(day), *[
                    condition(child_field(c.field), c) for c in conditions_of(conds)]))
                return {r.id for r in rows if is_cared_for(r.category, r.away_since, programme.target, day)}

            targets = cared(where)
            covered = targets & cared(rule.where)
            if len(covered) < len(targets):
                out.append(RuleGap(school, duty_id, name, by, len(targets), len(covered)))
    return out


def _enrolled(day: date) -> Any:
    return and_(*enrolled(child, day))


def _active_staff(day: date) -> Any:
    return staff_active(staff, day)


def _context(conn: Connection, school: str, day: date, programmes: Programmes | None = None,
             role: str | None = None) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """The programme in force, the children to pair and the staff who may take them: the target
    children (and, under a rule for `role`, those its `where` names); the active staff (those its
    `staff_where` names)."""
    from guanai.core.obligations import conditions_of, people_conditions
    from guanai.core.store.engine import child_field, condition, staff_condition

    programme = (programmes or Programmes(conn)).at(school, day)  # a version is loaded once per call
    rule = pairing_rule(programme, role) if role else None
    kid_conds = [condition(child_field(c.field), c) for c in conditions_of(rule.where)] if rule else []
    kids = [dict(r._mapping) for r in conn.execute(
        select(child).where(child.c.school == school, _enrolled(day), *kid_conds)
        .order_by(child.c.class_name, child.c.id))]
    if programme is not None:
        kids = [k for k in kids if is_cared_for(k["category"], k["away_since"], programme.target, day)]
    else:
        kids = [k for k in kids if k["category"] != "none"]
    staff_conds = [staff_condition(staff, c) for c in people_conditions("staff", rule.staff_where if rule else ())
                   ] if role else []  # a role's partners: 教职工 unless its rule's staff_where names a kind
    adults = [dict(r._mapping) for r in conn.execute(
        select(staff).where(staff.c.school == school, _active_staff(day), *staff_conds).order_by(staff.c.id))]
    return programme, kids, adults


def _classmates(conn: Connection, school: str, role: str, kids: list[dict[str, Any]], held: list[dict[str, Any]],
                need: int, day: date) -> list[dict[str, Any]]:
    """Peer buddies (学习帮手): each child to pair gets a pupil of the same class — one who is not
    cared for first, then the one chosen least often, then by 学籍号. A child alone in its class
    gets none (`assign check` says so)."""
    pupils = [dict(r._mapping) for r in conn.execute(
        select(child.c.id, child.c.class_name).where(child.c.school == school, _enrolled(day)).order_by(child.c.id))]
    by_class: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for p in pupils:
        by_class[p["class_name"]].append(p)
    targets = {k["id"] for k in kids}
    chosen = Counter(p["buddy"] for p in held if p["buddy"])
    have: dict[str, set[str]] = defaultdict(set)
    for p in held:
        if p["buddy"]:
            have[p["child"]].add(p["buddy"])
    made = []
    for kid in kids:
        while len(have[kid["id"]]) < need:
            free = [p for p in by_class.get(kid["class_name"], []) if kid["class_name"] and p["id"] != kid["id"]
                    and p["id"] not in have[kid["id"]]]
            if not free:
                break
            buddy = min(free, key=lambda p: (p["id"] in targets, chosen[p["id"]], p["id"]))
            chosen[buddy["id"]] += 1
            have[kid["id"]].add(buddy["id"])
            made.append({"role": role, "child": kid["id"], "staff": None, "buddy": buddy["id"], "start": day})
    return made


def auto_assign(store: Store, school: str, role: str, day: date | None = None,
                dry_run: bool = False, until: date | None = None) -> list[dict[str, Any]]:
    """Pair every unpaired target child with a staff member.

    Order of preference: first each staff member below their minimum (party members:
    `party_member_min`, others: `per_staff_min`) takes a child — from their own class when they
    are its head teacher; then the rest go to their own head teacher while that teacher is under
    the balanced load ceil(children / staff), else to the least-loaded staff member (ties by 工号).
    """
    check_role(role)
    day = day or date.today()
    until = until or date.today()
    with store.write() as conn:
        require_school(conn, school)
        programme, kids, adults = _context(conn, school, day, role=role)
        rule = pairing_rule(programme, role)
        need_per_child = rule.per_child if rule and rule.per_child else 1
        held = holding(conn, school, role, day)
        if rule is not None and rule.with_classmate:
            made = _classmates(conn, school, role, kids, held, need_per_child, day)
        elif not adults:
            raise Refusal("assign.no_staff", school=school)
        else:
            made = _Allocation(role, day, rule, adults, kids, held, need_per_child,
                               children_within_limit(programme, role)).run()
        made += _joiners(conn, school, role, day, until, made)
        if not dry_run and made:
            remember_pairings(conn, made, [], school, utcnow())
            apply(conn, Changes(pairing, _key, new=made), f"assign auto --school {school} --role {role}",
                  org=lambda _row: school)
    return made


def _joiners(conn: Connection, school: str, role: str, day: date, until: date,
             made: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pairings for the children who joined after `day` (and by `until`), each from their own
    first day, by the same rules, with the staff there then: `assign auto --from 2025-09-01` run
    in November leaves no pupil of 10-20 without a partner."""
    firsts = sorted(set(conn.execute(select(child.c.enrolled_on).distinct().where(
        child.c.school == school, child.c.enrolled_on > day, child.c.enrolled_on <= until,
        or_(child.c.left_on.is_(None), child.c.left_on > child.c.enrolled_on))).scalars()))
    out: list[dict[str, Any]] = []
    for first in firsts:
        programme, kids, adults = _context(conn, school, first, role=role)
        kids = [k for k in kids if k["enrolled_on"] == first]
        rule = pairing_rule(programme, role)
        if not kids or rule is None:
            continue
        held = holding(conn, school, role, first) + made + out  # what this run made holds from its start
        need = rule.per_child or 1
        if rule.with_classmate:
            out += _classmates(conn, school, role, kids, held, need, first)
        elif adults:
            out += _Allocation(role, first, rule, adults, kids, held, need, children_within_limit(programme, role)).run()
    return out


class _Allocation:
    """One `assign auto` for a staff role: who holds how many (`load`), who is paired with whom
    (`paired`), the children still to place by class (`by_class`), and the pairings made."""

    def __init__(self, role: str, day: date, rule: Any, adults: list[dict[str, Any]], kids: list[dict[str, Any]],
                 held: list[dict[str, Any]], need_per_child: int, cap: int | None):
        self.role, self.day, self.rule, self.adults, self.cap = role, day, rule, adults, cap
        self.most = getattr(rule, "per_staff_max", None)  # per_staff_max: nobody takes more (一至两名)
        self.load = Counter(p["staff"] for p in held if p["staff"])
        have = Counter(p["child"] for p in held)
        pool = [k for k in kids for _ in range(max(0, need_per_child - have[k["id"]]))]
        ceiling = max(1, math.ceil((sum(self.load.values()) + len(pool)) / len(adults)))
        # limits.per_staff_per_week: head teachers take their own class only up to it
        self.ceiling = max(1, min(ceiling, cap)) if cap is not None else ceiling
        self.by_class: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        for k in pool:
            self.by_class[k["class_name"]].append(k)
        self.paired: dict[str, set[str]] = defaultdict(set)
        for p in held:
            if p["staff"]:
                self.paired[p["child"]].add(p["staff"])
        self.made: list[dict[str, Any]] = []

    def run(self) -> list[dict[str, Any]]:
        self._minimums()
        self._own_classes()
        self._the_rest()
        return self.made

    def _minimums(self) -> None:
        """Each staff member below their minimum takes children first (party members first)."""
        for adult in sorted(self.adults, key=lambda a: (not a["party_member"], a["id"])):
            while self.load[adult["id"]] < self._minimum(adult) and self._room(adult):
                kid = self._pick(adult)
                if kid is None:
                    break
                self._give(adult, kid)

    def _own_classes(self) -> None:
        """Head teachers take their own class, up to the balanced load."""
        for head in self.adults:
            for kid in list(self.by_class.get(head["head_of_class"], [])) if head["head_of_class"] else []:
                if self.load[head["id"]] < self.ceiling and head["id"] not in self.paired[kid["id"]] \
                        and self._room(head):
                    self._give(head, kid)

    def _the_rest(self) -> None:
        """The least loaded take the rest — those still under the programme's limit first."""
        for cls in sorted(self.by_class, key=lambda c: c or ""):
            for kid in list(self.by_class[cls]):
                free = [a for a in self.adults if a["id"] not in self.paired[kid["id"]] and self._room(a)]
                if free:
                    self._give(min(free, key=lambda a: (self.cap is not None and self.load[a["id"]] >= self.cap,
                                                        self.load[a["id"]], a["id"])), kid)

    def _room(self, adult: dict[str, Any]) -> bool:
        """Below the rule's per_staff_max (a child left over is `assign check`'s to name)."""
        return self.most is None or self.load[adult["id"]] < self.most

    def _give(self, adult: dict[str, Any], kid: dict[str, Any]) -> None:
        self.by_class[kid["class_name"]].remove(kid)
        self.load[adult["id"]] += 1
        self.paired[kid["id"]].add(adult["id"])
        self.made.append({"role": self.role, "child": kid["id"], "staff": adult["id"], "buddy": None,
                          "start": self.day})

    def _pick(self, adult: dict[str, Any]) -> dict[str, Any] | None:
        """A child of the adult's own class, else of the largest class, not yet paired with them."""
        own = [k for k in self.by_class.get(adult["head_of_class"], []) if adult["id"] not in self.paired[k["id"]]]
        if own:
            return own[0]
        for cls in sorted(self.by_class, key=lambda c: (-len(self.by_class[c]), c or "")):
            for k in self.by_class[cls]:
                if adult["id"] not in self.paired[k["id"]]:
                    return k
        return None

    def _minimum(self, adult: dict[str, Any]) -> int:
        if self.rule is None:
            return 0
        floor = self.rule.per_staff_min or 0
        if adult["party_member"] and self.rule.party_member_min:
            floor = max(floor, self.rule.party_member_min)
        return int(floor)


def posts_of(programme: Any) -> dict[str, str]:
    """post → the first duty or task it holds, for the posts (`by: {post: …}`) a programme names."""
    from guanai.core.programme import Post

    found: dict[str, str] = {}
    for item in (*programme.duties, *(t for g in (*programme.phases, *programme.activities) for t in g.tasks)):
        if isinstance(item.by, Post):
            found.setdefault(item.by.post, item.name or item.id)
    return found


def children_within_limit(programme: Any, role: str) -> int | None:
    """How many children one staff member may hold under `role` and stay within the programme's
    `limits.per_staff_per_week`: the limit over the heaviest week of one child's duties of that
    role (None without a limit or such duties). Staff duties of their own are not counted."""
    if programme is None or programme.limits.per_staff_per_week is None:
        return None
    from guanai.core.calendar import SchoolCalendar, windows
    from guanai.core.store.engine import iso_week

    cal = SchoolCalendar(programme.calendar)
    per_week: Counter[str] = Counter()
    for duty in programme.duties:
        if duty.scope == "child" and duty.by == role and not duty.festivals:
            per_week.update(iso_week(w.end) for w in windows(programme, cal, duty))
    peak = max(per_week.values(), default=0)
    return programme.limits.per_staff_per_week // peak if peak else None


@dataclass(frozen=True)
class Violation:
    school: str
    role: str
    kind: str  # child_too_few, child_too_many, staff_below_min, staff_above_max, party_below_min, duty_unassigned,
    # staff_over_limit, post_vacant, partner_left
    subject: str
    name: str
    have: int
    need: int
    class_name: str | None = None
    period: str | None = None  # duty_unassigned: the days checked, "first 至 last"
    partner: str | None = None  # partner_left: the staff partner who left, as shown
    left_on: str | None = None  # partner_left: their first day away


def check_pairings(store: Store, schools: list[str], day: date | None = None) -> list[Violation]:
    """Every violation of the `assignments` rules of the programme in force at each school."""
    day = day or date.today()
    out: list[Violation] = []
    with store.read() as conn:
        programmes = Programmes(conn)
        for school in schools:
            programme, kids, adults = _context(conn, school, day, programmes)
            if programme is None:
                continue
            classes = {k["id"]: k["class_name"] for k in kids}
            out += partners_left(conn, school, day)
            posts_held = {post for a in adults for post in a["roles"]}
            for post, name in posts_of(programme).items():  # a post nobody holds: its duties have no one
                if post not in posts_held:
                    out.append(Violation(school, post, "post_vacant", post, name, 0, 1))
            for rule in programme.assignments:  # a rule takes 教职工 unless its staff_where names a kind
                rule_kids, rule_adults = kids, [a for a in adults if a["kind"] == STAFF_KIND]
                if rule.where or rule.staff_where:  # the rule's own children and staff
                    _, rule_kids, rule_adults = _context(conn, school, day, programmes, rule.role)
                held = holding(conn, school, rule.role, day)
                if rule.with_classmate:
                    out += _not_classmates(conn, school, rule.role, held, classes)
                out += _counts_off(school, rule, held, rule_kids, rule_adults)
    return out


def _not_classmates(conn: Connection, school: str, role: str, held: list[dict[str, Any]],
                    classes: dict[str, str | None]) -> list[Violation]:
    """Peer buddies who are not pupils of the child's class (`partner: classmate`)."""
    buddies = [p for p in held if p["buddy"]]
    ids = sorted({p["buddy"] for p in buddies} | {p["child"] for p in buddies})
    rows = {r.id: r for part in chunks(ids, 500) for r in conn.execute(
        select(child.c.id, child.c.name, child.c.class_name).where(child.c.id.in_(part)))}
    return [Violation(school, role, "buddy_not_classmate", p["child"], rows[p["child"]].name, 0, 0, classes[p["child"]],
                      partner=f"{rows[p['buddy']].name}（{p['buddy']}）{rows[p['buddy']].class_name or ''}")
            for p in buddies if p["child"] in classes and p["buddy"] in rows
            and rows[p["buddy"]].class_name != classes[p["child"]]]


def _counts_off(school: str, rule: Any, held: list[dict[str, Any]], kids: list[dict[str, Any]],
                adults: list[dict[str, Any]]) -> list[Violation]:
    """Children with more or fewer partners than `per_child`; staff (and party members) below
    their minimum."""
    out: list[Violation] = []
    per_child = Counter(p["child"] for p in held)
    per_staff = Counter(p["staff"] for p in held if p["staff"])
    if rule.per_child:
        for k in kids:
            n = per_child[k["id"]]
            if n != rule.per_child:
                kind = "child_too_few" if n < rule.per_child else "child_too_many"
                out.append(Violation(school, rule.role, kind, k["id"], k["name"], n, rule.per_child, k["class_name"]))
    for a in adults:
        n = per_staff[a["id"]]
        party_min = (rule.party_member_min or 0) if a["party_member"] else 0
        if party_min > (rule.per_staff_min or 0) and n < party_min:
            out.append(Violation(school, rule.role, "party_below_min", a["id"], a["name"], n, party_min))
        elif rule.per_staff_min and n < rule.per_staff_min:
            out.append(Violation(school, rule.role, "staff_below_min", a["id"], a["name"], n, rule.per_staff_min))
        if rule.per_staff_max and n > rule.per_staff_max:
            out.append(Violation(school, rule.role, "staff_above_max", a["id"], a["name"], n, rule.per_staff_max))
    return out


def unassigned_duties(conn: Connection, segs: list[Any], asof: Any, first: date, orgs: dict[str, Any]) -> list[Violation]:
    """Duties with a responsible role whose obligations due from `first` to as_of have nobody
    holding the role (SPEC §2 "unassigned": still expected, on nobody's list) — counted by the
    engine's own derivation, grouped by school and duty."""
    from guanai.core.store.engine import Question, compliance_rows

    schools = sorted({s for seg in segs for s in seg.schools})
    question = Question(schools, asof, orgs=orgs, period=(first, asof.day))
    found: dict[tuple[str, str], Violation] = {}
    for row in compliance_rows(conn, segs, question, ("school", "duty", "staff")):
        rule = row["rule"]
        if row["staff"] is not None or not rule.by or not row["expected"] or rule.scope == "staff":
            continue
        key = (row["school"], rule.id)
        old = found.get(key)
        found[key] = Violation(row["school"], rule.by, "duty_unassigned", rule.id, rule.name,
                               row["expected"] + (old.have if old else 0), 0,
                               period=f"{first.isoformat()} 至 {asof.day.isoformat()}")
    return sorted(found.values(), key=lambda v: (v.school, -v.have, v.subject))
