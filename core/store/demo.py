"""A realistic, deterministic demo school: 西北中学 with ~600 pupils, half of them left-behind.

The first eight weeks of the 2025 autumn term are recorded the way schools really record them:
some proxy parents diligent, some not, nothing during the National Day break, and one incident
whose chain of notices was handled late. Used by `guanai demo` and by the benchmarks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from guanai.core.calendar import SchoolCalendar
from guanai.core.store import contacts
from guanai.core.store.db import Store
from guanai.core.store.schema import child, org_unit, pairing, school_class
from sqlalchemy import insert

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "小明红伟芳娜敏静丽强磊军洋勇艳杰娟涛超秀霞平刚桂英华玉兰萍鹏辉建国志浩宇轩梓涵欣怡子豪雨婷佳琪俊熙诗涵"
GRADES = ("七", "八", "九")
WORKPLACES = ("广东省东莞市", "广东省深圳市", "浙江省宁波市", "江苏省苏州市", "福建省泉州市", "新疆乌鲁木齐市",
              "重庆市", "四川省成都市")
PROGRAMME = Path(__file__).resolve().parents[2] / "programmes" / "xibei.yaml"  # guanai.programmes
AS_OF = date(2025, 10, 27)  # the Monday after the eighth week
DEMO_MARK = "guanai demo"


@dataclass
class Demo:
    school: str
    teacher: str
    as_of: date
    children: int
    left_behind: int
    staff: int
    records: int
    child: str  # one of the teacher's children, for `explain`


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def build(store: Store, seed: int = 20250901) -> Demo:
    """Fill an initialised, empty database with the demo school and its first eight weeks."""
    from guanai.core.loader import load_programme
    from guanai.core.plugins import load_registry
    from guanai.core.store.pairings import auto_assign
    from guanai.core.store.programmes import publish
    from guanai.core.store.records import option_where, save_records

    rng = random.Random(seed)
    registry = load_registry()
    # Records are entered on the Monday after the eighth week; nothing is "in the future" then.
    with store.write() as conn:
        conn.execute(insert(org_unit), [
            {"code": "C01", "name": "示例县", "kind": "county", "parent": None},
            {"code": "T01", "name": "西北镇", "kind": "township", "parent": "C01"},
            {"code": "S001", "name": "西北中学", "kind": "school", "parent": "T01"},
        ])
    loaded = load_programme(PROGRAMME, registry)
    publish(store, loaded, ("C01",), date(2025, 9, 1), by=DEMO_MARK)
    classes = [f"{g}({n})班" for g in GRADES for n in range(1, 5)]
    teachers = _staff(rng, classes)
    kids = _children(rng, classes)
    with store.write() as conn:
        conn.execute(insert(school_class), [{"school": "S001", "name": c, "grade": f"{c[0]}年级"} for c in classes])
        contacts.insert_rows(conn, "staff", teachers)
        contacts.insert_rows(conn, "child", kids)
    auto_assign(store, "S001", "proxy_parent", day=date(2025, 9, 1))
    _buddies(store, rng, kids)
    programme = loaded.programme
    assert programme is not None  # the shipped programme is checked by its own test
    cal = SchoolCalendar(programme.calendar)
    drafts = _records(rng, store, cal)
    where = option_where({})
    for d in drafts:
        d.where = where
    now = datetime(2025, 10, 27, 8, 0)  # entered before the as-of day; the future check uses it
    saved = save_records(store, registry, drafts, DEMO_MARK, now=now)
    left_behind = sum(k["category"] != "none" for k in kids)
    slow = sorted(teachers, key=lambda t: t["id"])[7]["id"]
    with store.read() as conn:
        from sqlalchemy import func, select

        sample = conn.execute(select(func.min(pairing.c.child)).where(pairing.c.staff == slow)).scalar()
    return Demo("S001", slow, AS_OF, len(kids), left_behind, len(teachers), saved.inserted, str(sample))


def _staff(rng: random.Random, classes: list[str]) -> list[dict[str, Any]]:
    out = []
    for i in range(40):
        head = classes[i] if i < len(classes) else None
        roles = ["班主任"] if head else []
        roles.append(rng.choice(("语文教师", "数学教师", "英语教师", "物理教师", "历史教师", "体育教师")))
        out.append({"id": f"T{i + 1:03d}", "school": "S001", "name": _name(rng), "roles": roles,
                    "head_of_class": head, "party_member": i % 3 == 0, "phone": _phone(rng), "left_on": None})
    return out


def _children(rng: random.Random, classes: list[str]) -> list[dict[str, Any]]:
    out = []
    for i in range(600):
        cls = classes[i % len(classes)]
        grade = GRADES.index(cls[0])
        born = date(2012 - grade, 1, 1) + timedelta(days=rng.randrange(365))
        roll = rng.random()
        if roll < 0.45:
            category = "left_behind"
        elif roll < 0.48:
            category = "single_parent"
        elif roll < 0.50:
            category = "orphan"
        else:
            category = "none"
        kid: dict[str, Any] = {
            "id": f"G5107222{born:%Y%m%d}{i:04d}", "school": "S001", "class_name": cls, "name": _name(rng),
            "gender": rng.choice("男女"), "birth_date": born, "category": category, "guardian_type": None,
            "guardian_name": None, "guardian_relation": None, "guardian_phone": None, "father_name": None,
            "father_phone": None, "father_workplace": None, "mother_name": None, "mother_phone": None,
            "mother_workplace": None, "away_since": None, "address": f"四川省南充市仪陇县西北镇{rng.randrange(1, 12)}村"
            f"{rng.randrange(1, 9)}组", "enrolled_on": date(2025 - grade, 9, 1), "left_on": None, "profile": {},
        }
        surname = kid["name"][0]
        kid["father_name"], kid["father_phone"] = surname + rng.choice(GIVEN) + rng.choice(GIVEN), _phone(rng)
        kid["mother_name"], kid["mother_phone"] = _name(rng), _phone(rng)
        if category == "left_behind":
            guardian = rng.choices(("grandparents", "one_parent", "relatives"), (32, 60, 8))[0]
            kid["guardian_type"] = guardian
            kid["father_workplace"] = rng.choice(WORKPLACES)
            if guardian != "one_parent":
                kid["mother_workplace"] = rng.choice(WORKPLACES)
            kid["away_since"] = date(rng.randrange(2016, 2025), rng.randrange(1, 13), 1)
            name = {"grandparents": surname + "奶奶", "one_parent": kid["mother_name"],
                    "relatives": _name(rng)}[guardian]
            relation = {"grandparents": "祖母", "one_parent": "母亲", "relatives": "姑姑"}[guardian]
            kid.update(guardian_name=name, guardian_relation=relation, guardian_phone=_phone(rng))
            if rng.random() < 0.04:  # an incomplete file: 建档率 is not quite 100%
                kid["guardian_phone"] = None
            if rng.random() < 0.15:
                kid["profile"] = {"标签": "贫困"}
        out.append(kid)
    return out


def _buddies(store: Store, rng: random.Random, kids: list[dict[str, Any]]) -> None:
    helpers: dict[str, list[str]] = {}
    for k in kids:
        if k["category"] == "none":
            helpers.setdefault(k["class_name"], []).append(k["id"])
    rows = []
    for k in kids:
        pool = helpers.get(k["class_name"])
        if k["category"] != "none" and pool:
            rows.append({"role": "buddy", "child": k["id"], "staff": None, "buddy": rng.choice(pool),
                         "start": date(2025, 9, 1), "end": None})
    with store.write() as conn:
        conn.execute(insert(pairing), rows)


def _school_days(cal: SchoolCalendar, start: date, end: date) -> list[date]:
    return [d for d in (start + timedelta(days=i) for i in range((end - start).days + 1)) if cal.reason(d)[0]]


def _records(rng: random.Random, store: Store, cal: SchoolCalendar) -> list[Any]:
    from guanai.core.store.records import Draft
    from sqlalchemy import select

    with store.read() as conn:
        pairs = conn.execute(select(pairing.c.child, pairing.c.staff).where(pairing.c.role == "proxy_parent")).all()
    diligence = {f"T{i + 1:03d}": (0.97, 0.9, 0.8, 0.55, 0.3)[i % 5] for i in range(40)}
    drafts: list[Draft] = []
    weeks = [(date(2025, 9, 15) + timedelta(weeks=w)) for w in range(6)]  # 组织实施 starts 09-13

    def add(step: str, kid: str, by: str, day: date, **payload: Any) -> None:
        at = f"{day.isoformat()} {rng.randrange(12, 18)}:{rng.randrange(60):02d}"
        drafts.append(Draft(step, "child", kid, at, {k: str(v) for k, v in payload.items()}, by))

    for kid, teacher in sorted(pairs):
        p = diligence[teacher]
        for monday in weeks:
            days = _school_days(cal, monday, monday + timedelta(days=6))
            if not days:
                continue  # the National Day week: no school day, no window
            if rng.random() < p:
                add("talk", kid, teacher, rng.choice(days), minutes=rng.choice((10, 15, 20, 30)))
            if rng.random() < p * 0.9:
                add("homework_help", kid, teacher, rng.choice(days), subject=rng.choice(("语文", "数学", "英语")))
        for first, last in ((date(2025, 9, 1), date(2025, 9, 30)), (date(2025, 10, 9), date(2025, 10, 26))):
            if rng.random() < p:
                add("phone_call", kid, teacher, first + timedelta(days=rng.randrange((last - first).days + 1)),
                    **{"with": rng.choice(("parents", "parents", "guardian")), "minutes": rng.choice((5, 10, 15))})
    # 十月：全体体检 (a clinic's sheet: no `by`); low vision or blood pressure obliges a referral.
    cared = sorted({kid for kid, _ in pairs})
    for kid in cared:
        if rng.random() < 0.9:
            vision = [rng.choice(("5.0", "5.1", "4.9", "4.8", "4.6", "5.0", "5.2")) for _ in range(2)]
            day = date(2025, 10, 20) + timedelta(days=rng.randrange(5))
            drafts.append(Draft("health_check", "child", kid, f"{day} 09:{rng.randrange(60):02d}", {
                "height_cm": str(140 + rng.randrange(30)), "weight_kg": str(32 + rng.randrange(25)),
                "vision_left": vision[0], "vision_right": vision[1], "systolic": str(95 + rng.randrange(30)),
                "diastolic": str(60 + rng.randrange(20)), "ent_normal": "true"}, None))
    # 两免一补 for children tagged 贫困, and one 团委结对资助.
    with store.read() as conn:
        poor = conn.execute(select(child.c.id).where(child.c.profile["标签"].as_string() == "贫困")
                            .order_by(child.c.id)).scalars().all()
    for i, kid in enumerate(poor):
        if i % 4 != 3:
            drafts.append(Draft("subsidy", "child", kid, "2025-09-26 10:00",
                                {"amount_yuan": "312.50", "fund": "liangmian-yibu", "purpose": "生活补助",
                                 "approved_by": "校长"}, "T004"))
    if poor:
        drafts.append(Draft("subsidy", "child", poor[0], "2025-10-16 10:00",
                            {"amount_yuan": "500.00", "fund": "jiedui-zizhu", "purpose": "结对资助"}, "T004"))
    singers = [kid for kid in cared[:12]] + [k["id"] for k in kids_none(store)[:8]]
    drafts.append(Draft("contest", "school", "S001", "2025-10-24 15:00", {
        "name": "校园十佳歌手赛", "category": "歌手赛", "participants": "、".join(singers),
        "awards": f"{singers[0]}:一等奖、{singers[5]}:二等奖"}, "T004"))
    school = [("plan", "2025-09-05 10:00", "T004"), ("census", "2025-09-12 15:00", "T004"),
              ("meeting", "2025-10-17 15:00", "T004")]
    for step, at, by in school:
        payload = {"kind": "监护人培训"} if step == "meeting" else {}
        drafts.append(Draft(step, "school", "S001", at, payload, by))
    # One incident, handled late: guardian told in 25 minutes, parents after 61, bureau never.
    kid, teacher = sorted(pairs)[3]
    drafts.append(Draft("incident", "child", kid, "2025-10-14 10:00", {"kind": "受伤", "severity": "minor"}, teacher))
    drafts.append(Draft("notify", "child", kid, "2025-10-14 10:25", {"to": "guardian"}, teacher))
    drafts.append(Draft("notify", "child", kid, "2025-10-14 11:01", {"to": "parents"}, teacher))
    drafts.append(Draft("notify", "child", kid, "2025-10-14 11:40", {"to": "township"}, "T004"))
    return drafts


def kids_none(store: Store) -> list[dict[str, Any]]:
    """Pupils who are not cared for (the school's other children), by id."""
    from sqlalchemy import select

    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(select(child.c.id).where(child.c.category == "none")
                                                       .order_by(child.c.id))]


def is_demo(store: Store) -> bool:
    """Whether an existing database was made by `guanai demo` (and may be rebuilt)."""
    from guanai.core.store.schema import programme_version
    from sqlalchemy import select

    if store.revision() is None:
        return False
    with store.read() as conn:
        who = conn.execute(select(programme_version.c.published_by)).scalars().all()
    return bool(who) and all(w == DEMO_MARK for w in who)

