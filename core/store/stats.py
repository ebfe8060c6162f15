"""`guanai stats`: who is at the schools on a day — pupils, the children the programme cares for
(the same condition indicators count with, core/store/indicators.cared_for), staff, 党员 staff,
pairings in force and children cared for without a proxy parent. A few grouped statements,
whatever the number of children."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from guanai.core.celltext import rate
from guanai.core.store.engine import Segment
from guanai.core.store.history import table_on
from guanai.core.store.indicators import cared_for
from guanai.core.store.presence import (
    enrolled,
    pairing_in_force,
    staff_active,
    staff_joined,
)
from guanai.core.store.schema import child, pairing, school_class, staff
from guanai.core.subjects import CATEGORY_SPELLINGS, GUARDIAN_SPELLINGS, STAFF_KIND
from sqlalchemy import Connection, and_, case, exists, func, literal, select

STAT_KEYS = ("category", "guardian_type", "class", "grade", "school", "township")
CATEGORY_ORDER = tuple(dict.fromkeys(CATEGORY_SPELLINGS.values()))
GUARDIAN_ORDER = tuple(dict.fromkeys(GUARDIAN_SPELLINGS.values()))
PROXY_ROLE = "proxy_parent"  # SPEC's built-in role: a child cared for without one is "unpaired"


@dataclass(frozen=True)
class Cell:
    """Pupils and children cared for of one (school, class, grade, category, guardian type)."""

    school: str
    class_name: str | None
    grade: str | None
    category: str
    guardian_type: str | None
    pupils: int
    cared_for: int


def segment_at(segs: Iterable[Segment], schools: list[str], day: date) -> dict[str, Segment]:
    """The programme segment in force at each school on `day` (schools without one are left out)."""
    return {school: seg for seg in segs if seg.start <= day <= seg.end for school in seg.schools if school in schools}


def cells(conn: Connection, segs: list[Segment], schools: list[str], day: date, kid: Any = child) -> list[Cell]:
    """Pupil and cared-for counts by school, class, grade, category and guardian type: one
    statement per programme segment in force (and one for schools without a programme, whose
    pupils no programme cares for)."""
    where = segment_at(segs, schools, day)
    groups: dict[int, tuple[Segment | None, list[str]]] = {}
    for school in schools:
        seg = where.get(school)
        groups.setdefault(id(seg), (seg, []))[1].append(school)
    cols = (kid.c.school, kid.c.class_name, school_class.c.grade, kid.c.category, kid.c.guardian_type)
    out = []
    for seg, members in groups.values():
        cared = func.sum(case((and_(*cared_for(seg, day, kid)), 1), else_=0)) if seg is not None else literal(0)
        query = (select(*cols, func.count(), cared)
                 .select_from(kid.outerjoin(school_class, and_(school_class.c.school == kid.c.school,
                                                                school_class.c.name == kid.c.class_name)))
                 .where(kid.c.school.in_(members), *enrolled(kid, day)).group_by(*cols))
        out += [Cell(row[0], row[1], row[2], row[3], row[4], int(row[5]), int(row[6] or 0)) for row in conn.execute(query)]
    return out


def staff_counts(conn: Connection, schools: list[str], day: date, people: Any = staff) -> tuple[int, int, dict[str, int]]:
    """(教职工, 党员 among them, the people who are not staff by kind: 志愿者 …) at the schools on
    `day`: joined by then (or always there) and not yet left. A volunteer who is a party member
    is not a 党员教师."""
    here = [people.c.school.in_(schools), staff_joined(people, day), staff_active(people, day)]
    rows = conn.execute(select(people.c.kind, func.count(), func.sum(case((people.c.party_member, 1), else_=0)))
                        .select_from(people).where(*here).group_by(people.c.kind)).all()
    counted = {kind: (int(n), int(party or 0)) for kind, n, party in rows}
    total, party = counted.pop(STAFF_KIND, (0, 0))
    return total, party, {kind: n for kind, (n, _) in sorted(counted.items())}


def in_force(p: Any, day: date, known_at: datetime | None = None) -> list[Any]:
    """A pairing in force on `day` (presence.pairing_in_force): the engine's rule for who is responsible."""
    return pairing_in_force(p, staff, day, known_at)


def pair_counts(conn: Connection, schools: list[str], day: date, kid: Any = child,
                known_at: datetime | None = None) -> dict[str, int]:
    """Pairings in force on `day` by role, of children enrolled at the schools then."""
    rows = conn.execute(select(pairing.c.role, func.count())
                        .select_from(pairing.join(kid, kid.c.id == pairing.c.child))
                        .where(kid.c.school.in_(schools), *enrolled(kid, day), *in_force(pairing, day, known_at))
                        .group_by(pairing.c.role))
    return {role: int(n) for role, n in sorted(rows)}


def unpaired(conn: Connection, segs: list[Segment], schools: list[str], day: date, kid: Any = child,
             known_at: datetime | None = None) -> dict[str, int]:
    """Children cared for on `day` without a partner in force then, for each staff role the
    programme's pairing rules ask for (a rule's `where` names its children: 小港中学 gives proxy
    parents to its 重点帮扶 pupils only), by role. A programme without pairing rules asks for the
    built-in proxy_parent (SPEC); one whose only staff role is 爱心辅导员 is never said to lack
    代理家长. Peer roles (a classmate) are `assign check`'s."""
    from guanai.core.obligations import conditions_of
    from guanai.core.store.engine import child_field, condition

    out: dict[str, int] = {}
    by_seg: dict[int, tuple[Segment, list[str]]] = {}
    for school, seg in segment_at(segs, schools, day).items():
        by_seg.setdefault(id(seg), (seg, []))[1].append(school)
    for seg, members in by_seg.values():
        rules = seg.programme.assignments
        staff_rules = [(r.role, r.where) for r in rules if not r.with_classmate] if rules else [(PROXY_ROLE, ())]
        for role, where in staff_rules:
            p = pairing.alias("p")
            has = exists().where(p.c.child == kid.c.id, p.c.role == role, p.c.staff.is_not(None),
                                 *in_force(p, day, known_at))
            named = [condition(child_field(c.field, kid), c) for c in conditions_of(where)]
            n = conn.execute(select(func.count()).select_from(kid).where(
                *cared_for(seg, day, kid), kid.c.school.in_(members), *named, ~has)).scalar() or 0
            out[role] = out.get(role, 0) + int(n)
    return out


def grouped(found: list[Cell], keys: tuple[str, ...], orgs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The cells summed by `keys` (any of STAT_KEYS), in key order; each row with its share of
    its pupils cared for (`share`) and its part of all children cared for (`of_cared`)."""
    cared = sum(c.cared_for for c in found)
    sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0])
    for c in found:
        key = tuple(_value(c, k, orgs) for k in keys)
        sums[key][0] += c.pupils
        sums[key][1] += c.cared_for
    return [{"key": dict(zip(keys, key, strict=True)), "pupils": p, "cared_for": n,
             "share": rate(n, p), "of_cared": rate(n, cared)}
            for key, (p, n) in sorted(sums.items(), key=lambda item: _order(keys, item[0]))]


def _order(keys: tuple[str, ...], values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Categories and guardian types in the order people list them (留守 first), the rest by text;
    an empty value last."""
    from guanai.core.render import class_order

    known = {"category": CATEGORY_ORDER, "guardian_type": GUARDIAN_ORDER}
    out: list[Any] = []
    for k, v in zip(keys, values, strict=True):
        order = known.get(k)
        rank = order.index(v) if order and v in order else len(order or ())
        out.append((v is None, rank, class_order(v) if k in ("class", "grade") else str(v or "")))
    return tuple(out)


def _value(c: Cell, key: str, orgs: dict[str, dict[str, Any]]) -> Any:
    if key == "township":
        parent = orgs[c.school]["parent"]
        return parent if parent and orgs[parent]["kind"] == "township" else None
    return {"class": c.class_name}.get(key, getattr(c, key, None))


def collect(conn: Connection, segs: list[Segment], schools: list[str], day: date,
            orgs: dict[str, dict[str, Any]], keys: tuple[str, ...], known_at: datetime | None = None) -> dict[str, Any]:
    """Everything `guanai stats` shows: rows by `keys` and the totals, with the facts of `day` as
    known at `known_at` (SPEC §2: facts have a history)."""
    kid = table_on(conn, "child", schools, day, known_at)
    found = cells(conn, segs, schools, day, kid)
    people, party, others = staff_counts(conn, schools, day, table_on(conn, "staff", schools, day, known_at))
    pairs = pair_counts(conn, schools, day, kid, known_at)
    lacking = unpaired(conn, segs, schools, day, kid, known_at)
    return {"rows": grouped(found, keys, orgs),
            "totals": {"pupils": sum(c.pupils for c in found), "cared_for": sum(c.cared_for for c in found),
                       "staff": people, "party_staff": party, "others_by_kind": others, "pairs": sum(pairs.values()), "pairs_by_role": pairs,
                       "unpaired": sum(lacking.values()), "unpaired_by_role": lacking},
            "cells": found}


def pairings(conn: Connection, schools: list[str], day: date, role: str | None = None, staff_id: str | None = None,
             class_name: str | None = None, known_at: datetime | None = None) -> list[dict[str, Any]]:
    """The pairings in force on `day` of children enrolled at the schools then (the 帮扶档案): the
    same rule as `pair_counts`, one row per pairing, by teacher then class then child — each child
    with its class that day."""
    kid = table_on(conn, "child", schools, day, known_at)
    kid = kid.alias("k") if kid is child else kid
    partner, buddy = staff.alias("s"), child.alias("b")
    query = (select(pairing.c.role, pairing.c.start, pairing.c.end, kid.c.id.label("child"),
                    kid.c.name.label("child_name"), kid.c.class_name.label("class"), kid.c.school,
                    partner.c.id.label("staff"), partner.c.name.label("staff_name"), partner.c.party_member,
                    partner.c.kind.label("staff_kind"),
                    buddy.c.id.label("buddy"), buddy.c.name.label("buddy_name"))
             .select_from(pairing.join(kid, kid.c.id == pairing.c.child)
                          .outerjoin(partner, partner.c.id == pairing.c.staff)
                          .outerjoin(buddy, buddy.c.id == pairing.c.buddy))
             .where(kid.c.school.in_(schools), *enrolled(kid, day), *in_force(pairing, day, known_at))
             .order_by(kid.c.school, partner.c.id.is_(None), partner.c.id, pairing.c.role, buddy.c.id, kid.c.class_name,
                       kid.c.id))
    if role:
        query = query.where(pairing.c.role == role)
    if staff_id:
        query = query.where(pairing.c.staff == staff_id)
    if class_name:
        query = query.where(kid.c.class_name == class_name)
    return [{**dict(r._mapping), "party_member": bool(r.party_member) if r.staff else None,
             "staff_kind": r.staff_kind if r.staff else None}
            for r in conn.execute(query)]
