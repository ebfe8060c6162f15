"""A deterministic county for the benchmarks: townships, schools of uneven sizes, staff (about 1
per 10 children), proxy-parent pairings, and a full school year of records at uneven completion
(~85% overall, a few schools near 50%) with incidents, health checks, subsidies and contests.

It streams: records are generated school by school, so a county of 160,000 children never sits in
memory. It writes the files the import commands read (`--out DIR`) and can load a database
directly (`load`).

Usage: python bench/generate.py --children 40000 --out /tmp/county [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
PROGRAMME = HERE / "county.yaml"
ZONE = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
AS_OF = date(2026, 7, 15)  # after the school year's last window
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "小明红伟芳娜敏静丽强磊军洋勇艳杰娟涛超秀霞平刚桂英华玉兰萍鹏辉建国志浩宇轩梓涵欣怡子豪雨婷佳琪俊熙"
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime in SQLite: the raw rows match it


@dataclass
class School:
    code: str
    township: str
    size: int
    completion: float
    classes: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)


@dataclass
class County:
    children: int
    seed: int
    townships: list[str]
    schools: list[School]

    def child_ids(self, school: School) -> Iterator[tuple[int, str]]:
        for i in range(school.size):
            yield i, f"{school.code}{i:05d}"


def plan(children: int, seed: int = 7) -> County:
    """Townships and schools: sizes uneven (a few big central schools, many small village ones)."""
    rng = random.Random(seed)
    n_schools = max(2, round(children / 200))
    weights = [rng.lognormvariate(0, 0.8) for _ in range(n_schools)]
    scale = children / sum(weights)
    sizes = [max(10, int(w * scale)) for w in weights]
    sizes[0] += children - sum(sizes)  # the county town's school takes the remainder
    townships = [f"T{t:02d}" for t in range(1, max(2, n_schools // 15) + 1)]
    schools = []
    for i, size in enumerate(sizes):
        completion = 0.5 if i % 17 == 5 else min(0.97, max(0.6, rng.gauss(0.88, 0.06)))
        school = School(f"S{i + 1:03d}", townships[i % len(townships)], size, completion)
        school.classes = [f"{'七八九'[c % 3]}({c // 3 + 1})班" for c in range(max(1, math.ceil(size / 45)))]
        school.staff = [f"{school.code}T{j:03d}" for j in range(max(3, round(size / 10)))]
        schools.append(school)
    return County(children, seed, townships, schools)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def facts(county: County) -> dict[str, list[dict[str, Any]]]:
    """Org units, classes, staff, children and pairings as table rows (schema column names)."""
    rng = random.Random(county.seed + 1)
    out: dict[str, list[dict[str, Any]]] = {"org_unit": [{"code": "C01", "name": "基准县", "kind": "county",
                                                           "parent": None}]}
    out["org_unit"] += [{"code": t, "name": f"第{t[1:]}镇", "kind": "township", "parent": "C01"}
                        for t in county.townships]
    out["org_unit"] += [{"code": s.code, "name": f"{s.code}学校", "kind": "school", "parent": s.township}
                        for s in county.schools]
    out["school_class"], out["staff"], out["child"], out["pairing"] = [], [], [], []
    for s in county.schools:
        out["school_class"] += [{"school": s.code, "name": c, "grade": f"{c[0]}年级"} for c in s.classes]
        for j, sid in enumerate(s.staff):
            out["staff"].append({"id": sid, "school": s.code, "name": _name(rng), "roles": ["教师"],
                                 "head_of_class": s.classes[j] if j < len(s.classes) else None,
                                 "party_member": j % 4 == 0, "phone": None, "left_on": None})
        for i, cid in county.child_ids(s):
            guardian = rng.choices(("grandparents", "one_parent", "relatives"), (32, 60, 8))[0]
            out["child"].append({
                "id": cid, "school": s.code, "class_name": s.classes[i % len(s.classes)], "name": _name(rng),
                "gender": rng.choice("男女"), "birth_date": date(2012, 1, 1) + timedelta(days=rng.randrange(1500)),
                "category": "left_behind", "guardian_type": guardian, "guardian_name": _name(rng),
                "guardian_relation": "祖母", "guardian_phone": f"139{rng.randrange(10**8):08d}",
                "father_name": None, "father_phone": None, "father_workplace": "广东省东莞市",
                "mother_name": None, "mother_phone": None, "mother_workplace": None,
                "away_since": date(2020, 3, 1), "address": None, "enrolled_on": date(2024, 9, 1), "left_on": None,
                "profile": {},
            })
            out["pairing"].append({"role": "proxy_parent", "child": cid, "staff": s.staff[i % len(s.staff)],
                                   "buddy": None, "start": date(2025, 9, 1), "end": None})
    return out


def _rules() -> tuple[Any, Any, list[Any]]:
    from guanai.core.calendar import SchoolCalendar
    from guanai.core.loader import load_programme
    from guanai.core.obligations import rules_of
    from guanai.core.plugins import load_registry

    loaded = load_programme(PROGRAMME, load_registry())
    assert loaded.programme is not None, [d.render() for d in loaded.errors]
    cal = SchoolCalendar(loaded.programme.calendar)
    return loaded, cal, rules_of(loaded.programme, cal)


def records(county: County) -> Iterator[dict[str, Any]]:
    """Every record of the school year, school by school, in the order a bureau would import them."""
    _, cal, rules = _rules()
    child_rules = [r for r in rules if r.scope == "child" and r.windows]
    days_of: dict[tuple[date, date], list[date]] = {}
    for rule in child_rules:
        for w in rule.windows:
            if (w.start, w.end) not in days_of:
                span = [w.start + timedelta(days=i) for i in range((w.end - w.start).days + 1)]
                school_days = [d for d in span if cal.reason(d)[0]]
                days_of[(w.start, w.end)] = school_days or span  # festival windows fall in the holidays
    payloads = {"talk": {"minutes": 20}, "phone_call": {"with": "parents", "minutes": 10},
                "home_visit": {"met": "guardian"}, "support_visit": {"items": "文具"},
                "parent_meeting": {"attendees": 2}}
    for s in county.schools:
        rng = random.Random(f"{county.seed}-{s.code}")
        seq = 0

        def make(step: str, kind: str, subject: str, by: str | None, day: date, payload: dict[str, Any],
                 minute: int | None = None, rng: random.Random = rng, school: School = s) -> dict[str, Any]:
            nonlocal seq
            seq += 1
            local = datetime.combine(day, time(8 + rng.randrange(9), rng.randrange(60) if minute is None else minute))
            return {"key": f"{school.code}-{seq:07d}", "step": step, "subject_kind": kind, "subject": subject,
                    "school": school.code, "by_staff": by, "occurred_at": local, "payload": payload}

        diligence = {sid: min(1.0, max(0.0, rng.gauss(s.completion, 0.08))) for sid in s.staff}
        for i, cid in county.child_ids(s):
            proxy = s.staff[i % len(s.staff)]
            head = s.staff[i % len(s.classes)] if i % len(s.classes) < len(s.staff) else proxy
            guardian_grand = i % 3 == 0
            for rule in child_rules:
                if rule.where and not guardian_grand:
                    continue
                by = head if rule.by == "head_teacher" else proxy
                p = diligence[by]
                payload = dict(payloads.get(rule.step, {}))
                for k, v in rule.match:
                    payload[k] = v
                for w in rule.windows:
                    if rng.random() < p:
                        if rule.step == "health_check":
                            payload = {"height_cm": "150", "weight_kg": "40", "vision_left": "5.0", "vision_right":
                                       rng.choice(("5.0",) * 9 + ("4.8",)), "ent_normal": True}
                        yield make(rule.step, "child", cid, by, rng.choice(days_of[(w.start, w.end)]), payload)
            if i % 10 == 0:  # 两免一补, once a term, for one child in ten
                for day in (date(2025, 10, 15), date(2026, 4, 15)):
                    yield make("subsidy", "child", cid, s.staff[0], day,
                               {"amount_yuan": "500.00", "fund": "lmyb", "purpose": "生活补助"})
            if i % 400 == 7:  # an incident, its notices mostly in time
                day = date(2025, 11, 3) + timedelta(days=rng.randrange(150))
                day = next(d for d in (day + timedelta(days=k) for k in range(60)) if cal.reason(d)[0])
                incident = make("incident", "child", cid, proxy, day, {"kind": "受伤", "severity": "minor"}, minute=0)
                yield incident
                start = incident["occurred_at"]
                for to, late in (("guardian", 20), ("parents", 50), ("bureau", 100)):
                    delay = late + (rng.randrange(60) if rng.random() < 0.2 else 0)
                    yield {**make("notify", "child", cid, proxy, day, {"to": to}),
                           "occurred_at": start + timedelta(minutes=delay)}
        for task_step, day in (("plan", date(2025, 9, 10)), ("census", date(2025, 9, 11))):
            if rng.random() < s.completion + 0.1:
                yield make(task_step, "school", s.code, s.staff[0], day, {})
        members = [cid for _, cid in county.child_ids(s)][:20]
        yield make("contest", "school", s.code, s.staff[0], date(2025, 12, 5),
                   {"name": "校园艺术节", "category": "合唱", "participants": members, "awards": []})


def utc(local: datetime) -> datetime:
    return local.replace(tzinfo=ZONE).astimezone(UTC).replace(tzinfo=None)


def write_files(county: County, out: Path) -> tuple[Path, int]:
    """org.csv and records.csv as `guanai org import` / `guanai record import` read them."""
    out.mkdir(parents=True, exist_ok=True)
    rows = facts(county)
    with (out / "org.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["代码", "名称", "类型", "上级"])
        writer.writerows([o["code"], o["name"], o["kind"], o["parent"] or ""] for o in rows["org_unit"])
    fields = ["minutes", "with", "met", "items", "attendees", "kind", "to", "amount_yuan", "fund", "purpose",
              "height_cm", "weight_kg", "vision_left", "vision_right", "ent_normal", "name", "category",
              "participants"]
    n = 0
    with (out / "records.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["类型", "学籍号", "学校", "工号", "时间", "编号", *fields])
        for r in records(county):
            p = r["payload"]
            cells = ["、".join(p[k]) if isinstance(p.get(k), list) else ("" if p.get(k) is None else p[k])
                     for k in fields]
            writer.writerow([r["step"], r["subject"] if r["subject_kind"] == "child" else "",
                             r["school"] if r["subject_kind"] == "school" else "", r["by_staff"] or "",
                             f"{r['occurred_at']:%Y-%m-%d %H:%M}", r["key"], *cells])
            n += 1
    return out / "records.csv", n


def prepare_db(county: County, url: str) -> None:
    """Schema, the programme published county-wide, and every fact but the records."""
    from guanai.core.store import schema
    from guanai.core.store.db import Store
    from guanai.core.store.programmes import publish
    from sqlalchemy import insert

    store = Store(url)
    store.init()
    rows = facts(county)
    from guanai.core.store import contacts

    with store.write() as conn:
        for kind in ("staff", "child"):  # stored as an import stores them: masked, full contacts apart
            split = [contacts.split(kind, r) for r in rows[kind]]
            rows[kind] = [shown for shown, _ in split]
            rows["contact"] = rows.get("contact", []) + [
                {"kind": kind, "id": r["id"], "field": f, "school": r["school"], "value": v}
                for r, (_, full) in zip(rows[kind], split, strict=True) for f, v in full.items() if v is not None]
        for table in ("org_unit", "school_class", "staff", "child", "pairing", "contact"):
            for i in range(0, len(rows[table]), 20000):
                conn.execute(insert(getattr(schema, table)), rows[table][i:i + 20000])
    loaded, _, _ = _rules()
    publish(store, loaded, ("C01",), date(2025, 9, 1), by="bench")
    store.engine.dispose()


def record_rows(county: County, exact: bool = True) -> Iterator[tuple[Any, ...]]:
    """Records as the tuples stored in the `record` table (what the raw-SQL baseline inserts).

    With `exact`, each row carries the digest guanai computes (the rows a `record import` would
    store); without, a placeholder — enough for the scaling databases, which are never re-imported.
    """
    from guanai.core.store.records import digest

    stamp = datetime(2026, 7, 20, 8, 0).strftime(STAMP)
    eight = timedelta(hours=8)  # Asia/Shanghai has had no daylight saving since 1991
    encode = json.JSONEncoder(ensure_ascii=False).encode  # = json.dumps(…, ensure_ascii=False)
    for r in records(county):
        payload = _json_payload(r["payload"])
        occurred = r["occurred_at"] - eight
        check = digest({**r, "occurred_at": occurred, "payload": payload}) if exact else r["key"]
        yield (r["key"], r["step"], r["subject_kind"], r["subject"], r["school"], r["by_staff"],
               occurred.isoformat(" ", "microseconds"), encode(payload), check, stamp, "bench", "bench")


def _json_payload(payload: dict[str, Any]) -> dict[str, Any]:
    if not any(isinstance(v, float) for v in payload.values()):
        return payload
    return {k: (str(v) if isinstance(v, float) else v) for k, v in payload.items()}


INSERT_COLUMNS = ("key, step, subject_kind, subject, school, by_staff, occurred_at, payload, digest, recorded_at, "
                  "recorded_by, source")
INSERT_SQL = f"INSERT INTO record ({INSERT_COLUMNS}) VALUES ({', '.join('?' * 12)})"


def load_records_raw(county: County, path: str, chunk: int = 50000, exact: bool = False) -> int:
    """Insert the year's records with sqlite3.executemany in one transaction (scaling databases;
    not timed: the record table's indexes are built after the rows, which loads them faster)."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    n = 0
    batch: list[tuple[Any, ...]] = []
    conn.execute("BEGIN")
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'record' "
                           "AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    for row in record_rows(county, exact):
        batch.append(row)
        if len(batch) >= chunk:
            conn.executemany(INSERT_SQL, batch)
            n += len(batch)
            batch = []
    conn.executemany(INSERT_SQL, batch)
    n += len(batch)
    for _, sql in indexes:
        conn.execute(sql)
    conn.commit()
    conn.close()
    return n


# What a copy of the county changes (replicate): each id, code and key gets the copy's suffix; None:
# not copied (a new row id).
COPIED = {
    "org_unit": {"code": "{c} || :s", "parent": "CASE WHEN kind = 'township' THEN parent ELSE parent || :s END"},
    "school_class": {"school": "{c} || :s"},
    "staff": {"id": "{c} || :s", "school": "{c} || :s"},
    "child": {"id": "{c} || :s", "school": "{c} || :s"},
    "pairing": {"id": None, "child": "{c} || :s", "staff": "{c} || :s", "buddy": "{c} || :s"},
    "record": {"id": None, "key": "{c} || :s", "subject": "{c} || :s", "school": "{c} || :s", "by_staff": "{c} || :s"},
}


def replicate(path: str, copies: int) -> None:
    """Make a county `copies` times as big by copying every township below the county, with its
    schools, classes, staff, children, pairings and records (ids, codes and keys suffixed -1, -2
    …): the same county shape and completion, `copies` times the data, built in SQL in seconds
    where generating it takes minutes. The record indexes are built after the rows, as in
    load_records_raw. Follow-ups are not copied (the scaling runs measure the child duties)."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("BEGIN")
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'record' "
                           "AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    last = {table: conn.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0 for table in COPIED}
    for copy in range(1, copies):
        for table, changed in COPIED.items():
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if changed.get(row[1], "") is not None]
            values = [changed.get(c, "{c}").format(c=c) for c in columns]
            county = " AND kind != 'county'" if table == "org_unit" else ""
            conn.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {table} "
                         f"WHERE rowid <= :last{county} ORDER BY rowid", {"s": f"-{copy}", "last": last[table]})
    for _, sql in indexes:
        conn.execute(sql)
    conn.commit()
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=40000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    county = plan(args.children, args.seed)
    path, n = write_files(county, args.out)
    print(f"{len(county.schools)} schools, {args.children} children, {n} records → {path}")


if __name__ == "__main__":
    main()
