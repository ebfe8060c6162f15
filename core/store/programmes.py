"""Published programme versions and which org units they bind, from which day."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from guanai.core.diagnostics import Refusal
from guanai.core.render import name_roles
from guanai.core.store.db import Store, actor, audit, new_id, utcnow
from guanai.core.store.orgs import all_orgs
from guanai.core.store.schema import programme_binding, programme_version
from sqlalchemy import Connection, String, cast, func, insert, or_, select, update

DEFAULT_TIMEZONE = "Asia/Shanghai"


def publish(store: Store, loaded: Any, orgs: tuple[str, ...], effective_from: date,
            by: str | None = None, today: date | None = None) -> dict[str, Any]:
    """Store the programme (once per version) and bind it to `orgs` (default: every school). With
    `today`, refuse a binding that would judge days before it again where a programme was in
    force (`rewritten`): the caller confirms by passing None."""
    programme = loaded.programme
    files = {name: Path(name).read_text(encoding="utf-8") for name in loaded.files}
    main_text = files[loaded.files[0]]
    digest = content_digest([files[name] for name in loaded.files])
    data = programme.model_dump(mode="json", by_alias=True)
    with store.write() as conn:
        known = all_orgs(conn)
        for code in orgs:
            if code not in known:
                raise Refusal("org.unknown", code=code)
        targets = list(orgs) or sorted(c for c, o in known.items() if o["kind"] == "school")
        if not targets:
            raise Refusal("publish.no_schools")
        row = conn.execute(select(programme_version).where(
            programme_version.c.programme == programme.id,
            programme_version.c.version == programme.version)).mappings().first()
        if row is not None and row["sha256"] != digest and content_digest(list(row["files"].values())) != digest:
            raise Refusal("publish.version_changed", programme=programme.id, version=programme.version)
        # judging days gone by again under another programme changes figures already reported
        same = row["id"] if row is not None else None
        if today is not None and (past := rewritten(conn, orgs, effective_from, today, same)):
            raise Refusal("publish.rewrites_past", start=effective_from.isoformat(), today=today.isoformat(),
                          n=len(past), schools="、".join(past[:5]) + ("…" if len(past) > 5 else ""))
        entries: list[dict[str, Any]] = []
        if row is None:
            values = {"programme": programme.id, "version": programme.version, "title": programme.title,
                      "timezone": programme.calendar.timezone, "text": main_text, "files": files,
                      "data": data, "sha256": digest, "published_at": utcnow(), "published_by": by or actor(conn)}
            version_id = new_id(conn.execute(insert(programme_version).values(values)))
            entries.append({"action": "insert", "table_name": "programme_version",
                            "row_key": f"{programme.id}@{programme.version}",
                            "after": {k: v for k, v in values.items() if k not in ("text", "files", "data")}})
            new_version = True
        else:
            version_id, new_version = row["id"], False
        bound = set(conn.execute(select(programme_binding.c.org).where(
            programme_binding.c.version_id == version_id, programme_binding.c.effective_from == effective_from,
            *live())).scalars())

        # already in force there from that day on (bound to the county, published again): nothing to add
        bound |= {code for code in targets if _already(conn, known, code, version_id, effective_from)}
        rows = [{"version_id": version_id, "org": code, "effective_from": effective_from, "bound_at": utcnow()}
                for code in targets if code not in bound]
        if rows:  # a withdrawn binding stays as it was: this is a new one beside it
            conn.execute(insert(programme_binding), rows)
        entries += [{"action": "insert", "table_name": "programme_binding",
                     "row_key": f"{r['org']}@{effective_from}", "after": r, "org": r["org"]} for r in rows]
        audit(conn, entries, loaded.file)
    return {"programme": programme.id, "version": programme.version, "new_version": new_version,
            "bound": [r["org"] for r in rows], "already": sorted(bound & set(targets))}


def rewritten(conn: Connection, orgs: tuple[str, ...], effective: date, today: date,
              version_id: int | None = None) -> list[str]:
    """The schools whose past a binding of `version_id` (None: a new version) from `effective` to
    `orgs` (default: every school) would judge again: another version in force there on some day
    from `effective` to yesterday whose calendar holds one of those days (a term or phase: last
    year's programme in force over the summer and this autumn judged nothing then)."""
    if effective >= today:
        return []
    known = all_orgs(conn)
    judged: dict[int, bool] = {}

    def judges(b: dict[str, Any]) -> bool:
        if b["id"] not in judged:
            first, last = max(effective, b["effective_from"]), today - timedelta(days=1)
            p = load_version(conn, b["id"])
            spans = [(term.start, term.end) for term in p.calendar.terms] + [(ph.start, ph.end) for ph in p.phases]
            judged[b["id"]] = any(start <= last and end >= first for start, end in spans)
        return judged[b["id"]]

    return [school for school in _schools_under(known, orgs)
            if any(b["id"] != version_id and judges(b) for b in _timeline(conn, known, school, effective, today))]


def _schools_under(known: dict[str, Any], orgs: tuple[str, ...] | list[str]) -> list[str]:
    targets = set(orgs) or {c for c, o in known.items() if o["kind"] == "school"}
    return sorted(c for c, o in known.items() if o["kind"] == "school" and targets & set(chain_of(known, c)))


def _timeline(conn: Connection, known: dict[str, Any], school: str, first: date, until: date) -> list[dict[str, Any]]:
    """The bindings in force at `school` on some day from `first` to the day before `until`."""
    winners = bindings_for(conn, school, known)[::-1]  # earliest first
    return [b for i, b in enumerate(winners)
            if b["effective_from"] < until and (i + 1 == len(winners) or winners[i + 1]["effective_from"] > first)]


def _already(conn: Connection, known: dict[str, Any], code: str, version_id: int, effective: date) -> bool:
    """`version_id` is in force at every school under `code` from `effective` on, and nothing else
    after: binding it again would change nothing."""
    def holds(school: str) -> bool:
        timeline = _timeline(conn, known, school, effective, date.max)
        return bool(timeline) and timeline[0]["effective_from"] <= effective and all(
            b["id"] == version_id for b in timeline)

    schools = _schools_under(known, [code])
    return bool(schools) and all(holds(school) for school in schools)


def content_digest(texts: list[str]) -> str:
    """A programme's identity: the texts of its files (the file, then what it extends), wherever
    they were read from — the same file published from another folder is the same version (a
    version stored before this digest is compared by the texts it keeps)."""
    return hashlib.sha256(json.dumps(texts, ensure_ascii=False).encode()).hexdigest()


def versions(conn: Connection, orgs: list[str] | None = None) -> list[dict[str, Any]]:
    """Every binding of a published version (to `orgs` when given): the programme and version,
    its title, the org unit, from when, when and by whom it was published and bound; by
    programme, version, effective date and org."""
    from guanai.core.store.schema import org_unit

    query = (select(programme_version.c.programme, programme_version.c.version, programme_version.c.title,
                    programme_binding.c.org, org_unit.c.name.label("org_name"), programme_binding.c.effective_from,
                    programme_binding.c.bound_at, programme_binding.c.withdrawn_at, programme_version.c.published_at,
                    programme_version.c.published_by)
             .select_from(programme_binding.join(programme_version,
                                                 programme_version.c.id == programme_binding.c.version_id)
                          .join(org_unit, org_unit.c.code == programme_binding.c.org))
             .order_by(programme_version.c.programme, programme_version.c.version,
                       programme_binding.c.effective_from, programme_binding.c.org, programme_binding.c.bound_at))
    if orgs is not None:
        query = query.where(programme_binding.c.org.in_(orgs))
    return [dict(r._mapping) for r in conn.execute(query)]


def chain_of(orgs: dict[str, Any], school: str) -> list[str]:
    """The school and the org units above it, nearest first."""
    chain, code = [], school
    while code is not None and code in orgs and code not in chain:
        chain.append(code)
        code = orgs[code]["parent"]
    return chain


def resolve(rows: list[Any], chain: list[str]) -> list[Any]:
    """The one rule of which binding is in force (SPEC §1): of the bindings to the school or any
    org above it (`rows`, with org, effective_from, bound_at and the binding's id), each effective
    day keeps one — the nearest org's, then the one bound last (of two bound at the same instant,
    the one stored last) — and it is in force from that day until the next.
    The winners, earliest first. Both `segments` (the engine) and `in_force` (records, listings,
    contacts) take their answer from here."""
    depth = {code: i for i, code in enumerate(chain)}
    chosen: dict[date, Any] = {}
    for r in sorted((r for r in rows if r["org"] in depth),
                    key=lambda r: (r["effective_from"], -depth[r["org"]], r["bound_at"], r["binding"])):
        chosen[r["effective_from"]] = r  # the last one for a day wins
    return [chosen[d] for d in sorted(chosen)]


def live(known_at: datetime | None = None) -> list[Any]:
    """A binding in force as known at `known_at` (None: now): bound by then, not withdrawn by then."""
    b = programme_binding
    if known_at is None:
        return [b.c.withdrawn_at.is_(None)]
    return [b.c.bound_at <= known_at, or_(b.c.withdrawn_at.is_(None), b.c.withdrawn_at > known_at)]


def bindings_for(conn: Connection, school: str, orgs: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The versions in force at the school over time (resolve), latest effective date first. `orgs`:
    all_orgs, when the caller already holds it (a batch asks for every school)."""
    chain = chain_of(orgs if orgs is not None else all_orgs(conn), school)
    query = (
        select(programme_binding.c.org, programme_binding.c.effective_from, programme_binding.c.bound_at,
               programme_binding.c.id.label("binding"),
               programme_version.c.id, programme_version.c.programme, programme_version.c.version,
               programme_version.c.timezone)
        .join(programme_version, programme_version.c.id == programme_binding.c.version_id)
        .where(programme_binding.c.org.in_(chain), *live())
    )
    return resolve([dict(r._mapping) for r in conn.execute(query)], chain)[::-1]


def in_force(conn: Connection, school: str, day: date) -> dict[str, Any] | None:
    """The binding in force for the school on `day`, or None when nothing was published for it."""
    return next((row for row in bindings_for(conn, school) if row["effective_from"] <= day), None)


def timezone_of(conn: Connection, school: str, day: date) -> str:
    row = in_force(conn, school, day)
    return row["timezone"] if row else DEFAULT_TIMEZONE


_models: dict[tuple[str, int], Any] = {}


def model_of(sha: str, version_id: int, data: Any) -> Any:
    """The Programme model of a stored version, validated once per process (the one cache of
    programme models: the engine's segments and the record hooks both read it)."""
    from guanai.core.programme import Programme

    key = (sha, version_id)
    if key not in _models:
        _models[key] = Programme.model_validate(data)
        name_roles(_models[key].assignments)
    return _models[key]


def declared_steps(conn: Connection) -> tuple[Any, ...]:
    """The record types the stored programmes declare (`steps:`), the newest version's first
    where two declare one id: what `record STEP`, imports and the 台账 may take."""
    v = programme_version
    seen: dict[str, Any] = {}
    said = or_(v.c.text.like("%steps:%"), cast(v.c.files, String).like("%steps:%"))  # most declare none: skip their JSON
    rows = conn.execute(select(v.c.sha256, v.c.id, v.c.data).where(said)
                        .order_by(v.c.published_at.desc(), v.c.id.desc()))
    for sha, version_id, data in rows:
        if isinstance(data, dict) and data.get("steps"):
            for spec in model_of(sha, version_id, data).steps:
                seen.setdefault(spec.id, spec)
    return tuple(seen.values())


def withdraw(conn: Connection, programme: str, version: int, org: str, effective_from: date | None) -> dict[str, Any]:
    """Take back the binding of `programme` version `version` to `org` (from `effective_from`, when
    it has several): marked withdrawn, never deleted, so `--known-at` before now still sees it.
    Refused once anything was recorded under it: a record at a school it reaches, on or after its
    first day (its figures were reported; publish another version instead)."""
    from guanai.core.obligations import local_midnight_utc
    from guanai.core.store.schema import record

    b, v = programme_binding, programme_version
    found = [dict(r._mapping) for r in conn.execute(
        select(b.c.id, b.c.org, b.c.effective_from, b.c.bound_at, b.c.withdrawn_at, v.c.timezone)
        .join(v, v.c.id == b.c.version_id)
        .where(v.c.programme == programme, v.c.version == version, b.c.org == org, *live(),
               *([b.c.effective_from == effective_from] if effective_from else []))
        .order_by(b.c.effective_from))]
    if not found:
        raise Refusal("withdraw.unknown", programme=programme, version=version, org=org)
    if len(found) > 1:
        raise Refusal("withdraw.which", days="、".join(r["effective_from"].isoformat() for r in found))
    row = found[0]
    schools = _schools_under(all_orgs(conn), [org])
    since = local_midnight_utc(row["effective_from"], ZoneInfo(row["timezone"]))
    n = conn.execute(select(func.count()).select_from(record).where(
        record.c.school.in_(schools), record.c.occurred_at >= since)).scalar() or 0
    if n:
        raise Refusal("withdraw.recorded", n=n, start=row["effective_from"].isoformat())
    now = utcnow()
    conn.execute(update(b).where(b.c.id == row["id"]).values(withdrawn_at=now))
    before = {k: row[k] for k in ("org", "effective_from", "bound_at")}
    audit(conn, [{"action": "update", "table_name": "programme_binding", "org": org,
                  "row_key": f"{org}@{row['effective_from']}", "before": before,
                  "after": {**before, "withdrawn_at": now}}], f"programme withdraw {programme} {version}")
    return {**row, "schools": schools}


def load_version(conn: Connection, version_id: int) -> Any:
    """The Programme model of a stored version (see model_of)."""
    row = conn.execute(select(programme_version.c.sha256, programme_version.c.data)
                       .where(programme_version.c.id == version_id)).one()
    return model_of(row.sha256, version_id, row.data)


def published_settings(conn: Connection) -> list[tuple[str, int, dict[str, Any]]]:
    """Each published version's plugin settings: (programme, version, settings), oldest first —
    what `plugins check` validates against the installed plugins."""
    rows = conn.execute(select(programme_version.c.id, programme_version.c.programme, programme_version.c.version)
                        .order_by(programme_version.c.programme, programme_version.c.version))
    return [(r.programme, r.version, dict(load_version(conn, r.id).settings)) for r in rows]
