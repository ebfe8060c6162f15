"""Records: one thing done (a talk, a call, a visit …), checked before it is stored.

A record names its step (whose payload model a plugin provides), its subject (a child, school,
staff member or class), who did it and when. It is refused when the step or subject is unknown,
the payload does not fit the step's model, the doer belongs to another school, the time is more
than 10 minutes ahead or before the child's enrolment. A user key (`--id`, 编号) makes recording
idempotent. Records are never updated: each row carries who entered it, when, and from where.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from guanai.core import cells
from guanai.core.diagnostics import Diagnostic, InputError
from guanai.core.registry import Rejected, field_labels, labelled
from guanai.core.store.db import Store, actor, audit, lock_audit, new_id, utcnow
from guanai.core.store.hooks import Programmes, RecordContext, RecordHooks, RecordView, on_record
from guanai.core.store.orgs import all_orgs
from guanai.core.store.schema import (
    child,
    follow_up,
    past_enrolment,
    past_staff,
    record,
    school_class,
    staff,
)
from guanai.core.store.sync import chunks, fetch_by
from pydantic import ValidationError
from sqlalchemy import Connection, func, insert, or_, select

FUTURE_SLACK = timedelta(minutes=10)
UTC = ZoneInfo("UTC")


@dataclass(slots=True)
class Draft:
    """A record as entered, before checking. `where(field)` names the cell or option of a field."""

    step: str
    subject_kind: str
    subject: str
    at: Any
    payload: dict[str, Any] = field(default_factory=dict)
    by: str | None = None
    school: str | None = None  # for a class subject: the class's school
    key: str | None = None
    where: Callable[[str, str, dict[str, Any]], Diagnostic] | None = None
    purpose: str | None = None  # the duty or task it is for (--for, 事项): its id or its name

    def problem(self, field_name: str, code: str, **params: Any) -> Diagnostic:
        assert self.where is not None
        return self.where(field_name, code, params)


@dataclass
class Saved:
    inserted: int = 0
    existing: int = 0  # same key, same content: already stored
    by_step: Counter = field(default_factory=Counter)
    by_school: Counter = field(default_factory=Counter)  # (school, step): the audit's row per school


def option_where(options: dict[str, str]) -> Callable[[str, str, dict[str, Any]], Diagnostic]:
    """Positions for a record given on the command line: the option that holds the field."""

    def where(field_name: str, code: str, params: dict[str, Any]) -> Diagnostic:
        label = options.get(field_name, f"--set {field_name}")
        return Diagnostic(label, 0, 0, "", code, tuple(params.items()))

    return where


# how a record's parts are named where it was given: options of `record STEP`, fields of the web API
CLI_NAMES = {"step": "STEP", "by": "--by", "at": "--at", "key": "--id", "for_item": "--for", "child": "--child",
             "school": "--school", "staff": "--staff", "class": "--class", "set": "--set {name}"}
API_NAMES = {"step": "step", "by": "by", "at": "at", "key": "id", "for_item": "for", "child": "child",
             "school": "school", "staff": "staff", "class": "class", "set": "{name}"}


def draft_of(registry: Any, step: str, given: dict[str, str | None], pairs: list[tuple[str, Any]],
             names: dict[str, str], now_text: str) -> Draft:
    """One record as a person gave it (`record STEP` options, the web page's form, `POST /api/records`):
    each id read as an imported cell is (trimmed, NFKC, no control characters, bounded; given but
    blank is refused, not ignored), exactly one subject, each field once — by its name or as a
    record file's header says it (时长 = minutes). Every problem at once (InputError), named as
    `names` names the parts; `now_text` when no time was given."""
    problems: list[Diagnostic] = []

    def read(part: str, reader: Any) -> str | None:
        value = given.get(part)
        if value is None:
            return None
        try:
            found = reader(value)
        except cells.CellError as exc:
            problems.append(Diagnostic(names[part], 0, 0, "", exc.code, tuple(exc.params.items())))
            return None
        if found is None:
            problems.append(Diagnostic(names[part], 0, 0, "", "cell.required"))
        return found

    def identifier(limit: int) -> Any:
        return lambda value: cells.identifier(value, limit=limit)

    child, staff, school, by = (read(part, identifier(cells.LIMITS["id"])) for part in ("child", "staff", "school", "by"))
    key = read("key", identifier(128))
    cls = read("class", cells.name)
    if problems:
        raise InputError(problems)
    subjects = {k: v for k, v in (("child", child), ("staff", staff), ("class", cls)) if v}
    if school and not cls:
        subjects["school"] = school
    if len(subjects) != 1:
        raise InputError([Diagnostic(names["child"], 0, 0, "", "record.one_subject")])
    kind, subject = next(iter(subjects.items()))
    from guanai.core.tabular import norm

    labels = {label: fields[step] for label, fields in step_headers(registry).items() if step in fields} if pairs else {}
    payload: dict[str, Any] = {}
    for given_name, value in pairs:
        name = labels.get(norm(given_name), given_name)
        if name in payload:
            raise InputError([Diagnostic(names["set"].format(name=name), 0, 0, "", "record.set_twice", (("key", name),))])
        payload[name] = value
    purpose = (given.get("for_item") or "").strip() or None
    at = given.get("at")
    where = {part: label for part, label in names.items() if part != "set"}

    def position(field_name: str, code: str, params: dict[str, Any]) -> Diagnostic:
        return Diagnostic(where.get(field_name, names["set"].format(name=field_name)), 0, 0, "", code,
                          tuple(params.items()))

    return Draft(step, kind, subject, at if at is not None else now_text, payload, by,
                 school if kind == "class" else None, key, position, purpose)


def step_headers(registry: Any) -> dict[str, dict[str, str]]:
    """Normalised header -> {step: field} for every payload field of every step type."""
    from guanai.core.tabular import norm

    out: dict[str, dict[str, str]] = {}
    for step in registry.steps.values():
        for name, info in step.payload.model_fields.items():
            spellings = {name, info.alias or name}
            if info.description:
                spellings.add(info.description.split("：")[0].split("（")[0])
            for spelling in spellings:
                out.setdefault(norm(spelling), {})[step.name] = info.alias or name
    return out


DIGEST_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)  # = json.dumps(…, sort_keys, ensure_ascii)
PAYLOAD_JSON = json.JSONEncoder(ensure_ascii=False)


def digest(values: dict[str, Any]) -> str:
    """The record's content (everything but its key and who entered it), hashed: a key sent again
    with the same content is the same record; with other content it is refused."""
    head = [values["step"], values["subject_kind"], values["subject"], values["school"], values["by_staff"],
            values["occurred_at"].isoformat()]
    if values.get("purpose"):  # a record for one duty is another record than one for any (digests before stay)
        head.append(values["purpose"])
    return content_digest(head, DIGEST_JSON.encode(values["payload"]))


def content_digest(head: list[Any], payload_json: str) -> str:
    """sha256 of json.dumps(head + [payload], sort_keys=True, ensure_ascii=False), given the
    payload's JSON in that form (the fast lane keeps it per distinct payload)."""
    text = DIGEST_JSON.encode(head)
    return hashlib.sha256(f"{text[:-1]}, {payload_json}]".encode()).hexdigest()


def save_records(store: Store, registry: Any, drafts: list[Draft], source: str,
                 now: datetime | None = None, dry_run: bool = False,
                 found: list[Diagnostic] | None = None) -> Saved:
    """Check every draft (all problems at once); store them all or nothing (nothing: dry run)."""
    now = now or utcnow()
    with store.write() as conn:
        lock_records(conn)
        saved, fresh = check_drafts(conn, registry, drafts, now, found)
        if not dry_run:
            insert_checked(conn, fresh, stamp(source, conn))
            audit_saved(conn, saved, source)
    return saved


def lock_records(conn: Connection) -> None:
    """Serialise record writes: on PostgreSQL by the audit chain's lock, which a record write
    takes anyway and no user can take on its own (an advisory lock anyone could hold); a SQLite
    write transaction already is serialised."""
    lock_audit(conn)


def stamp(source: str, conn: Connection | None = None) -> dict[str, Any]:
    """Who entered a batch (the audit log's actor: the database role on PostgreSQL), when and from
    where: the same on each of its rows."""
    return {"recorded_at": utcnow(), "recorded_by": actor(conn)[:100], "source": source[:300]}


def audit_saved(conn: Connection, saved: Saved, source: str) -> None:
    """One audit row per school the records are of (each school's audit shows its own records)."""
    schools: dict[str, Counter] = {}
    for (school, step), n in saved.by_school.items():
        if n > 0:
            schools.setdefault(school, Counter())[step] += n
    audit(conn, [{"action": "insert", "table_name": "record", "row_key": source, "org": school,
                  "after": {"count": sum(steps.values()), "steps": dict(steps)}}
                 for school, steps in sorted(schools.items())], source)


def check_drafts(conn: Connection, registry: Any, drafts: list[Draft], now: datetime,
                 found: list[Diagnostic] | None = None) -> tuple[Saved, list[dict[str, Any]]]:
    """The rows to insert and their counts; InputError with every problem (and `found`, what the
    caller found reading the drafts) when there is one. A key already stored with the same
    content counts as existing; with other content it is refused."""
    rows, problems = _check(conn, registry, drafts, now)
    problems += found or []
    keyed = [r for r in rows if r is not None and r["key"] is not None]
    stored = _stored_digests(conn, [r["key"] for r in keyed])
    saved, fresh = Saved(), []
    seen: dict[str, dict[str, Any]] = {}
    for row, draft in zip(rows, drafts, strict=True):
        if row is None:
            continue
        if row["key"] is not None:
            other = stored.get(row["key"]) or seen.get(row["key"])
            if other is not None:
                if other["digest"] != row["digest"]:
                    problems.append(draft.problem("key", "record.key_reused", key=row["key"]))
                else:
                    saved.existing += 1
                continue
            seen[row["key"]] = row
        fresh.append(row)
    if problems:
        raise InputError(problems)
    saved.inserted = len(fresh)
    saved.by_step.update(r["step"] for r in fresh)
    saved.by_school.update((r["school"], r["step"]) for r in fresh)
    return saved, fresh


def insert_checked(conn: Connection, fresh: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    """Insert checked rows (check_drafts), with their follow-ups."""
    plain = [r for r in fresh if "_follow" not in r]
    if conn.dialect.name == "sqlite":
        _insert_sqlite(conn, plain, extra)
    else:
        for part in chunks(plain, 5000):
            conn.execute(insert(record), [{**r, **extra} for r in part])
    for r in fresh:
        if "_follow" in r:  # few: insert one by one to learn the id the follow-ups point to
            values = {k: v for k, v in r.items() if k != "_follow"}
            # one cached statement with parameters (not .values(), compiled anew for each row)
            record_id = new_id(conn.execute(insert(record), {**values, **extra}))
            conn.execute(insert(follow_up), [
                {"record_id": record_id, "rule": f.id, "name": f.name, "step": f.step, "match": dict(f.match),
                 "deadline": deadline, "plugin": plugin} for plugin, f, deadline in r["_follow"]])


def _stored_digests(conn: Connection, keys: list[str]) -> dict[str, dict[str, str]]:
    """key -> {"digest": …} of the stored records among `keys` (two columns, not whole rows)."""
    out = {}
    for part in chunks(list(dict.fromkeys(keys))):
        out.update({k: {"digest": d} for k, d in conn.execute(
            select(record.c.key, record.c.digest).where(record.c.key.in_(part)))})
    return out


RECORD_COLUMNS = ("key", "step", "subject_kind", "subject", "school", "by_staff", "occurred_at", "payload", "digest",
                  "recorded_at", "recorded_by", "source", "purpose")


def _insert_sqlite(conn: Connection, rows: list[dict[str, Any]], extra: dict[str, Any]) -> None:
    """Bulk insert for SQLite through the driver, with values as SQLAlchemy would store them:
    its per-value type processing was a third of a large import's time (measured, docs/BENCHMARKS.md)."""
    sql = f"INSERT INTO record ({', '.join(RECORD_COLUMNS)}) VALUES ({', '.join('?' * len(RECORD_COLUMNS))})"
    # isoformat(" ", "microseconds") is SQLAlchemy's DateTime storage on SQLite (%Y-%m-%d %H:%M:%S.%f)
    stamp = extra["recorded_at"].isoformat(" ", "microseconds")
    for part in chunks(rows, 5000):
        conn.exec_driver_sql(sql, [
            (r["key"], r["step"], r["subject_kind"], r["subject"], r["school"], r["by_staff"],
             r["occurred_at"].isoformat(" ", "microseconds"), PAYLOAD_JSON.encode(r["payload"]), r["digest"],
             stamp, extra["recorded_by"], extra["source"], r.get("purpose")) for r in part])


def _check(conn: Connection, registry: Any, drafts: list[Draft],
           now: datetime) -> tuple[list[dict[str, Any] | None], list[Diagnostic]]:
    kids = {r["id"]: r for r in fetch_by(conn, child, "id", {d.subject for d in drafts if d.subject_kind == "child"})}
    people = {r["id"]: r for r in fetch_by(conn, staff, "id", {d.subject for d in drafts if d.subject_kind == "staff"}
                                           | {d.by for d in drafts if d.by})}
    orgs = all_orgs(conn) if any(d.subject_kind in ("school", "class") for d in drafts) else {}
    classes = set()
    if any(d.subject_kind == "class" for d in drafts):
        classes = {(r.school, r.name) for r in conn.execute(select(school_class.c.school, school_class.c.name))}
    zones: dict[str, ZoneInfo] = {}
    moments: dict[tuple[ZoneInfo, Any], tuple[datetime, Any]] = {}
    problems: list[Diagnostic] = []
    rows: list[dict[str, Any] | None] = []
    hooks = RecordHooks(registry)
    programmes = Programmes(conn)
    pendings: dict[Any, list[RecordView]] = {}
    memo: dict[Any, Any] = {}
    for d in drafts:
        before = len(problems)
        row = _check_one(programmes, registry, d, now, kids, people, orgs, classes, zones, moments, problems)
        impls = hooks.wanting(d.step) if row is not None and len(problems) == before and hooks else None
        if impls and row is not None:
            row = _plugins(impls, d, row, zones[row["school"]], kids, programmes, pendings, memo, problems,
                           registry)
        if row is not None:
            row.pop("_model", None)
        rows.append(row if len(problems) == before else None)
    return rows, problems


def _plugins(impls: list[Any], d: Draft, row: dict[str, Any], zone: ZoneInfo, kids: dict, programmes: Programmes,
             pendings: dict[Any, list[RecordView]], memo: dict, problems: list[Diagnostic],
             registry: Any) -> dict[str, Any] | None:
    """Let plugins refuse the record or oblige follow-ups (kept on the row until it is inserted)."""
    local = row["occurred_at"].replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    view = RecordView(None, row["step"], row["subject_kind"], row["subject"], row["school"], row["by_staff"], local,
                      row["payload"], row["_model"])
    kid = kids.get(row["subject"]) if row["subject_kind"] == "child" else None
    ctx = RecordContext(programmes.conn, programmes.at(row["school"], local.date()), kid, [], memo,
                        _registry=registry, school=row["school"], day=local.date())
    try:
        follows = on_record(impls, view, ctx, pendings)
    except Rejected as exc:
        field_name = exc.field if exc.field and exc.field in d.payload else "step"
        code = "record.plugin_failed" if getattr(exc, "broken", False) else "record.rejected"
        problems.append(d.problem(field_name, code, plugin=getattr(exc, "plugin", "?"), message=exc.message))
        return None
    if follows:
        row = {**row, "_follow": follows}
    return row


def _check_one(programmes: Programmes, registry: Any, d: Draft, now: datetime, kids: dict, people: dict, orgs: dict,
               classes: set, zones: dict, moments: dict, problems: list[Diagnostic]) -> dict[str, Any] | None:
    step = registry.steps.get(d.step)
    if step is None:
        hint = difflib.get_close_matches(d.step, list(registry.steps), n=1)
        code = "record.unknown_step_hint" if hint else "record.unknown_step"
        problems.append(d.problem("step", code, step=d.step, hint=hint[0] if hint else ""))
    school = _subject_school(d, kids, people, orgs, classes, problems)
    doer = people.get(d.by) if d.by is not None else None
    if d.by is not None and doer is None:
        problems.append(d.problem("by", "record.staff_unknown", value=d.by))
    occurred = None
    if school is not None:
        found = _occurred(programmes, d, school, zones, problems, moments)
        if found is not None:
            occurred, local_day = found
    kid = kids.get(d.subject) if d.subject_kind == "child" else None
    at_no_school = False
    if occurred is not None and kid is not None and local_day < kid["enrolled_on"]:
        # before the child's current enrolment: at the school the child was at that day (转学), if any
        earlier = school_on(programmes.conn, kid["id"], local_day)
        if earlier is None:
            at_no_school = True
            problems.append(d.problem("at", "record.before_enrolment", at=_local(occurred, zones[school]),
                                      enrolled=_first_enrolment(programmes.conn, kid).isoformat()))
        else:
            school = earlier
            zones.setdefault(school, programmes.zone(school))
    who = people.get(d.subject) if d.subject_kind == "staff" else None
    if occurred is not None and who is not None and who["joined_on"] is not None and local_day < who["joined_on"]:
        earlier = staff_school_on(programmes.conn, who["id"], local_day)  # 调动: a day at the old school
        if earlier is not None:
            school = earlier
            zones.setdefault(school, programmes.zone(school))
    doer_school = doer["school"] if doer is not None else None
    if occurred is not None and doer is not None and doer["joined_on"] is not None and local_day < doer["joined_on"]:
        doer_school = staff_school_on(programmes.conn, doer["id"], local_day)
        if doer_school is None:
            problems.append(d.problem("by", "record.staff_not_yet", staff=doer["id"], at=_local(occurred, zones[school]),
                                      joined=doer["joined_on"].isoformat()))
    if doer_school is not None and school is not None and doer_school != school and not at_no_school:
        problems.append(d.problem("by", "record.other_school", by=d.by, by_school=doer_school,
                                  subject=d.subject, school=school))
    if occurred is not None:
        if occurred > now + FUTURE_SLACK:
            problems.append(d.problem("at", "record.future", at=_local(occurred, zones[school])))
        if kid is not None and kid["left_on"] is not None and local_day >= kid["left_on"]:
            problems.append(d.problem("at", "record.after_leaving", at=_local(occurred, zones[school]),
                                      subject=d.subject, left=kid["left_on"].isoformat()))
        for field_name, person in (("staff", who), ("by", doer)):
            if person is not None and person["left_on"] is not None and local_day >= person["left_on"]:
                problems.append(d.problem(field_name, "record.staff_left", staff=person["id"],
                                          at=_local(occurred, zones[school]), left=person["left_on"].isoformat()))
    model = checked_payload(step, d, problems) if step is not None else None
    payload = model.model_dump(mode="json", by_alias=True, exclude_none=True) if model is not None else None
    if d.by is None and occurred is not None and school is not None:
        duty = programmes.needs_by(school, local_day, d.step, payload)
        if duty is not None:  # its obligation has a responsible: a record must say who made it
            problems.append(d.problem("by", "record.by_needed", step=d.step, duty=duty))
    if payload is not None and step.choices and school is not None and occurred is not None:
        from guanai.core.views import settings_of

        settings = settings_of(registry.settings_models, step.plugin, programmes.at(school, local_day))
        refused = step.refused_choice(payload, settings)
        if refused is not None:  # an open vocabulary: the programme's list, else the plugin's defaults
            field_name, value, allowed = refused
            setting = dict(step.choices)[field_name]
            problems.append(d.problem(field_name, "record.not_a_choice", value=value, allowed="、".join(allowed),
                                      setting=f"settings.{step.plugin}.{setting}"))
            payload = None
    purpose = None
    if d.purpose is not None and school is not None and occurred is not None:
        purpose = _purpose(programmes.at(school, local_day), d, problems, registry)
        if purpose is None:
            return None
    if payload is None or school is None or occurred is None:
        return None
    values = {"key": d.key, "step": d.step, "subject_kind": d.subject_kind, "subject": d.subject,
              "school": school, "by_staff": d.by, "occurred_at": occurred, "payload": payload, "purpose": purpose}
    values["digest"] = digest(values)
    values["_model"] = model  # plugins see the validated payload; removed before the row is stored
    return values


def _purpose(programme: Any, d: Draft, problems: list[Diagnostic], registry: Any) -> str | None:
    """The id of the duty, task or follow-up a record says it is for (`--for`, 事项: its id or its
    name), when the programme in force has it and it takes this record's step; else a problem."""
    items = purposes(programme)
    named = [i for i, (name, _) in items.items() if name == d.purpose]
    found = d.purpose if d.purpose in items else named[0] if len(named) == 1 else None
    if found is None:
        same = [f"{name}（{i}）" for i, (name, step) in items.items() if step == d.step]
        problems.append(d.problem("for_item", "record.purpose_unknown", purpose=d.purpose,
                                  items="、".join(same) or "—"))
        return None
    if items[found][1] != d.step:
        def title(step: str) -> str:
            return getattr(registry.steps.get(step), "title", None) or step

        problems.append(d.problem("for_item", "record.purpose_other_step", purpose=items[found][0],
                                  step=title(items[found][1]), given=title(d.step)))
        return None
    return found


def purposes(programme: Any) -> dict[str, tuple[str, str]]:
    """Every duty, task and follow-up of a programme a record may be for: id → (name, step)."""
    if programme is None:
        return {}
    out = {d.id: (d.name, d.step) for d in programme.duties}
    for phase in programme.phases:
        out.update({t.id: (t.name or phase.name, t.step) for t in phase.tasks})
    for activity in programme.activities:
        out.update({t.id: (t.name or activity.name, t.step) for t in activity.tasks})
    for trigger in programme.triggers:
        out.update({f.id: (f.name or f.id, f.step) for f in trigger.then})
    return out


def school_on(conn: Connection, child_id: str, day: Any) -> str | None:
    """The school a child was enrolled at on `day` (its enrolment spans), None when at none."""
    p = past_enrolment
    return conn.execute(select(p.c.school).where(p.c.child == child_id, p.c.start <= day, p.c.end > day)).scalar()


def staff_school_on(conn: Connection, staff_id: str, day: Any) -> str | None:
    """The school a staff member was at on `day`, before their move here (past_staff); None when
    the day falls before every span guanai knows."""
    p = past_staff
    return conn.execute(select(p.c.school).where(
        p.c.staff == staff_id, or_(p.c.start.is_(None), p.c.start <= day), p.c.end > day)).scalar()


def _first_enrolment(conn: Connection, kid: dict[str, Any]) -> Any:
    first = conn.execute(select(func.min(past_enrolment.c.start)).where(past_enrolment.c.child == kid["id"])).scalar()
    return first or kid["enrolled_on"]


def _subject_school(d: Draft, kids: dict, people: dict, orgs: dict, classes: set,
                    problems: list[Diagnostic]) -> str | None:
    if d.subject_kind in ("child", "staff"):
        found = (kids if d.subject_kind == "child" else people).get(d.subject)
        if found is None:
            problems.append(d.problem(d.subject_kind, f"record.{d.subject_kind}_unknown", value=d.subject))
            return None
        return found["school"]
    if d.subject_kind == "school":
        org = orgs.get(d.subject)
        if org is None or org["kind"] != "school":
            problems.append(d.problem("school", "record.school_unknown", value=d.subject))
            return None
        return d.subject
    if (d.school, d.subject) not in classes:
        problems.append(d.problem("class", "record.class_unknown", value=d.subject, school=d.school or "—"))
        return None
    return d.school


def _occurred(programmes: Programmes, d: Draft, school: str, zones: dict, problems: list[Diagnostic],
              moments: dict) -> tuple[datetime, Any] | None:
    """The record's instant (naive UTC) and its local day; times repeat, so each (zone, text) is
    worked out once per batch."""
    if school not in zones:
        zones[school] = programmes.zone(school)
    zone = zones[school]
    key = (zone, d.at)
    found = moments.get(key)
    if found is None:
        try:
            found = moments[key] = _instant(d.at, zone)
        except cells.CellError as exc:
            problems.append(d.problem("at", exc.code, **exc.params))
            return None
    return found


def _instant(at: Any, zone: ZoneInfo) -> tuple[datetime, Any]:
    the_day, (h, m, s), offset = cells.moment(at)
    local = datetime.combine(the_day, time(h, m, s))
    if offset is not None:
        aware = datetime.fromisoformat(f"{local.isoformat()}{'+00:00' if offset == 'Z' else offset}")
        utc = aware.astimezone(UTC).replace(tzinfo=None)
        return utc, _local_day(utc, zone)
    return local - (local.replace(tzinfo=zone).utcoffset() or timedelta(0)), the_day


def _local(utc: datetime, zone: ZoneInfo) -> str:
    return utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _local_day(utc: datetime, zone: ZoneInfo) -> Any:
    return utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()


_FIELDS: dict[Any, tuple[dict[str, str], frozenset[str]]] = {}


def _fields_of(model: Any) -> tuple[dict[str, str], frozenset[str]]:
    """Spelling (name or alias) -> field name, and the boolean fields, of a payload model."""
    found = _FIELDS.get(model)
    if found is None:
        names, bools = {}, set()
        for name, info in model.model_fields.items():
            names[name] = name
            if info.alias:
                names[info.alias] = name
            if info.annotation in (bool, bool | None):
                bools.add(name)
        found = _FIELDS[model] = (names, frozenset(bools))
    return found


_LABELS: dict[Any, dict[str, dict[str, str]]] = {}


def _labels_of(model: Any) -> dict[str, dict[str, str]]:
    """Field name -> {code: words} of the payload fields whose plugin labels their values."""
    found = _LABELS.get(model)
    if found is None:
        found = _LABELS[model] = {name: labels for name, info in model.model_fields.items()
                                  if (labels := field_labels(info))}
    return found


def checked_payload(step: Any, d: Draft, problems: list[Diagnostic]) -> Any:
    model = step.payload
    names, bools = _fields_of(model)
    labels = _labels_of(model)
    data = {}
    for key, value in d.payload.items():
        name = names.get(key)
        if name is None:
            hint = difflib.get_close_matches(key, list(names), n=1)
            fields = "、".join(info.alias or name for name, info in model.model_fields.items())
            problems.append(d.problem(key, "record.unknown_field_hint" if hint else "record.unknown_field",
                                      field=key, step=step.name, fields=fields, hint=hint[0] if hint else ""))
            continue
        if isinstance(value, str):
            try:
                value = cells.clean(value, cells.LIMITS["free"], lines=True)
            except cells.CellError as exc:
                problems.append(d.problem(key, exc.code, **exc.params))
                continue
        if name in labels and isinstance(value, str):  # the words for a code (父母 for parents) are that code
            value = next((code for code, words in labels[name].items() if words == value), value)
        if name in bools and isinstance(value, str):
            try:
                value = cells.yes_no(value)
            except cells.CellError as exc:
                problems.append(d.problem(key, exc.code, **exc.params))
                continue
        data[key] = value
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        from guanai.core.validation import value_message

        for error in exc.errors(include_url=False):
            loc = str(error["loc"][0]) if error["loc"] else ""
            name = next((k for k in d.payload if names.get(k) == loc), loc)
            if error["type"] == "missing":
                problems.append(d.problem(name, "model.missing", key=name))
            else:
                code, params = value_message(error)
                if params.get("expected"):  # parents（父母）, guardian（监护人）…
                    params["expected"] = labelled(params["expected"], labels.get(names.get(loc, loc), {}))
                problems.append(d.problem(name, code, **params))
        return None
    return validated
