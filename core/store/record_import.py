"""`record import`: a file's rows become records, all or nothing.

A county's year is millions of rows, nearly all plain: a talk with a known child, by a teacher of
the child's school, at a time written the usual way. On SQLite the plain rows of a .csv take a
fast lane (`FastLane`): the file is streamed into a temporary table, the rows are checked as a
set in SQL (one join with the children, the staff and the steps' payloads, each distinct payload
validated once by its model) and stored with one INSERT … SELECT. Every other row takes the
careful path (core/store/records.py: check_drafts), which names each problem at its cell.

The fast lane never words an error and never decides a doubtful case: it takes only rows it can
prove right, stores them exactly as the careful path would (byte for byte, digest included:
tests/test_record_import.py), and hands everything else to the careful path.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from guanai.core.diagnostics import Diagnostic
from guanai.core.registry import Rejected
from guanai.core.store.db import Store, utcnow
from guanai.core.store.hooks import Programmes, RecordContext, RecordHooks, RecordView, on_record
from guanai.core.store.importing import cell_problem, iter_rows
from guanai.core.store.records import (
    DIGEST_JSON,
    FUTURE_SLACK,
    PAYLOAD_JSON,
    Draft,
    Saved,
    audit_saved,
    check_drafts,
    checked_payload,
    content_digest,
    insert_checked,
    lock_records,
    stamp,
)
from guanai.core.store.schema import child, follow_up
from guanai.core.store.sync import chunks, fetch_by
from guanai.core.tabular import Column, Table, blank_row, norm
from sqlalchemy import Connection, insert

RECORD_COLUMNS = (
    Column("step", ("类型", "记录类型", "step"), "name", required=True, limit=64),
    Column("child", ("学籍号", "child"), "id"),
    Column("school", ("学校", "学校代码", "school"), "id"),
    Column("staff", ("对象工号", "staff"), "id"),
    Column("class", ("班级", "class"), "name", limit=64),
    Column("by", ("工号", "记录人", "by"), "id"),
    Column("at", ("时间", "日期", "at"), "text", required=True),
    Column("key", ("编号", "id"), "id", limit=128),
    Column("for_item", ("事项", "职责", "任务", "for"), "name", limit=64),  # the duty or task it is for: it alone counts it
)
BLANK = {"", None}


def import_table(store: Store, registry: Any, table: Table, headers: dict[str, dict[str, str]], source: str,
                 dry_run: bool = False, fast: bool = True) -> tuple[Saved, int]:
    """Check and store the records of a read table, all or nothing (nothing: dry run).

    Returns the counts and how many records the table held. `fast`: let plain rows take the fast
    lane where it exists (a .csv on SQLite)."""
    now = utcnow()
    # discard: the connection is closed afterwards, and the lane's temporary tables with it
    # (dropping them page by page took a second for a county's year)
    with store.write(discard=True) as conn:
        savepoint = conn.begin_nested() if dry_run else None
        lock_records(conn)
        extra = stamp(source, conn)
        use_lane = fast and table.text and store.dialect == "sqlite" and "for_item" not in table.columns
        lane = FastLane(conn, registry, table, headers, now) if use_lane else None
        lane_saved = lane.run(extra) if lane is not None else Saved()
        table.rows = lane.rest() if lane is not None else [row for row in table.rows if not blank_row(row[1])]
        problems: list[Diagnostic] = []
        drafts = read_drafts(table, iter_rows(table, RECORD_COLUMNS, problems, keep_extra=False), problems, headers,
                             step_titles(registry))
        table.rows = []  # every cell is in the drafts now: the rows are freed before checking
        saved, fresh = check_drafts(conn, registry, drafts, now, problems)
        insert_checked(conn, fresh, extra)
        saved.inserted += lane_saved.inserted
        saved.existing += lane_saved.existing
        saved.by_step.update(lane_saved.by_step)
        saved.by_school.update(lane_saved.by_school)
        audit_saved(conn, saved, source)
        if savepoint is not None:
            savepoint.rollback()
    return saved, len(drafts) + (lane.taken if lane is not None else 0)


def step_titles(registry: Any) -> dict[str, str]:
    """A step's title → its name, where the title names one step: a 类型 cell may say 成长日记."""
    counts = Counter(s.title for s in registry.steps.values())
    return {s.title: s.name for s in registry.steps.values() if counts[s.title] == 1 and s.title not in registry.steps}


def read_drafts(table: Any, rows: Any, problems: list[Diagnostic],
                headers: dict[str, dict[str, str]], titles: dict[str, str] | None = None) -> list[Draft]:
    """The drafts of a record file's `rows` (parsed, in table order); problems are appended. A
    类型 cell may give the step's title (谈心, 成长日记) as well as its name."""
    extras = _extras(table, headers)
    layouts: dict[str, Any] = {}
    drafts = []
    for (_, values), row in zip(table.rows, rows, strict=True):
        v = row.values
        if "step" not in v:
            continue  # an empty 类型 cell: already reported
        subjects = [k for k in ("child", "staff", "class") if v.get(k)] or (["school"] if v.get("school") else [])
        if len(subjects) != 1:
            problems.append(cell_problem(table, row.number, "child", "record.one_subject_row"))
            continue
        kind = subjects[0]
        step = v["step"] = (titles or {}).get(v["step"], v["step"])
        layout = layouts.get(step) or layouts.setdefault(step, _layout(step, extras))
        payload = _step_cells(values, layout)
        if payload is None:  # a cell outside the step's columns, a blank-looking cell or a short row
            payload, where_label = {}, {}
            width = len(values)
            for label, index, fields in extras:
                raw = values[index] if index < width else None
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    continue
                name = fields.get(step)
                if name is None:
                    problems.append(cell_problem(table, row.number, label, "record.field_not_of_step", step=step))
                    continue
                payload[name] = raw.strip() if isinstance(raw, str) else raw
                where_label[name] = label
        else:
            where_label = {name: layout[2][name] for name in payload}
        drafts.append(Draft(step, kind, v[kind], v.get("at"), payload, v.get("by"),
                            v.get("school") if kind == "class" else None, v.get("key"),
                            _row_where(table, row.number, where_label), v.get("for_item") or None))
    return drafts


def _extras(table: Any, headers: dict[str, dict[str, str]]) -> list[tuple[str, int, dict[str, str]]]:
    """The payload columns: (label, index, {step: field})."""
    return [(label, index, headers[norm(label)]) for label, index in table.extra.items()]


def _layout(step: str, extras: list[tuple[str, int, dict[str, str]]]) -> tuple[Any, ...]:
    """Where a step's payload sits in a row: (its cells, a getter of every other extra cell, the
    label of each field, the row width needed)."""
    own = [(index, fields[step]) for _, index, fields in extras if step in fields]
    others = [index for _, index, fields in extras if step not in fields]
    getter = itemgetter(*others) if len(others) > 1 else (lambda values: (values[others[0]],)) if others else (
        lambda values: ())
    labels = {fields[step]: label for label, _, fields in extras if step in fields}
    width = max((index for _, index, _ in extras), default=-1) + 1
    return own, getter, labels, width


def _step_cells(values: list[Any], layout: tuple[Any, ...]) -> dict[str, Any] | None:
    """The payload of a row whose cells are plain: its own cells trimmed, every other cell empty.
    None sends the row to the careful path (which names each problem)."""
    own, getter, _, width = layout
    if len(values) < width or not set(getter(values)) <= BLANK:
        return None
    payload = {}
    for index, name in own:
        raw = values[index]
        if raw is None or raw == "":
            continue
        if isinstance(raw, str):
            raw = raw.strip()
            if not raw:
                return None
        payload[name] = raw
    return payload


def _row_where(table: Any, number: int, labels: dict[str, str]) -> Any:
    def where(field_name: str, code: str, params: dict[str, Any]) -> Diagnostic:
        return cell_problem(table, number, labels.get(field_name, field_name), code, **params)

    return where


SEP = "\x1f"  # between a row's payload cells in the staging table (a row holding it takes the careful path)
FAST_TIME = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-2][0-9]:[0-5][0-9]"  # 2025-10-22 16:00
FIRST_YEAR, END_YEAR = 2000, 2050  # fast-lane times; zones are checked for one UTC offset over these years


class FastLane:
    """The plain rows of a .csv, checked as a set and stored on SQLite (see the module's text).

    A row takes the lane when all of this holds, else it takes the careful path:
    - it is as wide as the header row;
    - its payload cells are plain (the step's own cells trimmed, every other payload cell empty)
      and valid for the step's model; plugins' `on_record` hooks run for the lane's rows as on the
      careful path (in file order, each hook with its own pending list), unless a row on the careful
      path reaches the same hook (then the rows of that hook's steps take the careful path too) or
      a hook refuses a row (then all rows of plugins' steps do);
    - its subject is a known child: 学籍号 equals a stored child's id, 对象工号 and 班级 are empty,
      学校 is empty or the child's school;
    - 工号 is empty or a staff member of the child's school who had joined it (入职, after a move)
      and not left it (离职) that day;
    - the child had not left (离校) that day;
    - 时间 is written YYYY-MM-DD HH:MM, is a real date (proved by SQLite's '+0 days', which rolls
      2025-02-29 over) in 2000–2049, not before the child's
      enrolment, not in the future, in a school whose time zone keeps one UTC offset in those years;
    - 编号 is empty, or printable ASCII without spaces (at most 128 characters) that does not look
      like a number (others are read by the careful path: NFKC, invisible edges, control characters); a key that is
      already stored counts as existing when the content is the same, and goes to the careful path
      (which refuses it) when not; a key given twice in the file keeps the first row, as there, and
      a key shared with a row the lane leaves sends all its rows to the careful path.
    """

    def __init__(self, conn: Connection, registry: Any, table: Table, headers: dict[str, dict[str, str]],
                 now: datetime):
        self.conn, self.registry, self.table, self.headers, self.now = conn, registry, table, headers, now
        self.width = len(table.labels)
        db = conn.connection.dbapi_connection
        assert db is not None  # an open connection always has its driver connection
        self.db: Any = db
        self.fields = [col.field for col in RECORD_COLUMNS if col.field in table.columns]  # step, at: always
        self.extras = _extras(table, headers)  # payload cells: staged packed in one column, SEP between
        self.left: list[tuple[int, list[Any]]] = []  # rows for the careful path
        self.staged: Counter = Counter()  # staged rows per (step, cells) whose payload may take the lane
        self.unstaged: Counter = Counter()  # staged rows per (step, cells) _leave sent to the careful path
        self.models: dict[tuple[str, str], Any] = {}  # (step, payload JSON) -> model, for plugins' steps
        self.follows: list[tuple[int, list[Any]]] = []  # (row, follow-ups a plugin asked for)
        self.not_inserted: set[int] = set()  # rows found stored (or moved) when inserting
        self.programmes = Programmes(conn)
        self.taken = 0  # rows the lane stored or found stored
        self.times: dict[str, float] = {}  # seconds per stage (bench/import_stages.py)
        self._clock = time.perf_counter()

    def _mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = self.times.get(stage, 0.0) + now - self._clock
        self._clock = now

    def run(self, extra: dict[str, Any]) -> Saved:
        """Stage the table's rows, store the plain ones; returns their counts."""
        cur = self.db.cursor()
        columns = [f"f_{name}" for name in self.fields] + (["cells"] if self.extras else []) + ["n INTEGER PRIMARY KEY"]
        cur.execute(f"CREATE TEMP TABLE guanai_stage ({', '.join(columns)})")
        cur.execute("CREATE TEMP TABLE guanai_ready (n INTEGER PRIMARY KEY, key, step, subject, school, by_staff, "
                    "at, payload, sorted, hooked)")
        cur.executemany(f"INSERT INTO temp.guanai_stage VALUES ({', '.join('?' * len(columns))})", self._staged())
        self._mark("reading the file into a temporary table")
        if "child" not in self.table.columns:
            self._leave("SELECT * FROM temp.guanai_stage")
            return Saved()
        self._payloads(cur)
        self._zones(cur)
        self._mark("payloads (each distinct one validated) and time zones")
        cur.execute(self._ready_sql())
        self._leave("SELECT * FROM temp.guanai_stage s WHERE NOT EXISTS "
                    "(SELECT 1 FROM temp.guanai_ready r WHERE r.n = s.n)")
        self._share_keys(cur)
        self.digest = self._digest_sql(cur)
        self._mark("checks as one join")
        self._plugins(cur)
        self._mark("plugins' on_record")
        before = cur.execute("SELECT coalesce(max(id), 0) FROM record").fetchone()[0]
        cur.execute(
            "INSERT INTO record (key, step, subject_kind, subject, school, by_staff, occurred_at, payload, digest, "
            "recorded_at, recorded_by, source) "
            f"SELECT r.key, r.step, 'child', r.subject, r.school, r.by_staff, r.at || '.000000', r.payload, {self.digest}, "
            "?, ?, ? FROM temp.guanai_ready r WHERE true ORDER BY r.n ON CONFLICT (key) DO NOTHING",
            (extra["recorded_at"].isoformat(" ", "microseconds"), extra["recorded_by"], extra["source"]))
        saved = Saved(inserted=cur.rowcount)
        self._mark("insert … select with the digest")
        self.taken = cur.execute("SELECT count(*) FROM temp.guanai_ready").fetchone()[0]
        existing: Counter = Counter()
        if saved.inserted < self.taken:
            existing = self._stored_keys(cur, before)
        saved.existing = sum(existing.values())
        saved.by_step = Counter()  # the lane's rows per step, counted without a pass over them
        for (step, cells), count in self.staged.items():
            saved.by_step[step] += count - self.unstaged[step, cells]
        saved.by_step.subtract(existing)
        saved.by_step = +saved.by_step
        saved.by_school = Counter({(school, step): n for school, step, n in cur.execute(
            "SELECT school, step, count(*) FROM record WHERE id > ? GROUP BY school, step", (before,))})
        self.taken = saved.inserted + saved.existing
        self._follow_ups(cur, before)
        self._mark("counts and follow-ups")
        return saved

    def rest(self) -> list[tuple[int, list[Any]]]:
        """The rows the lane left, in file order, for the careful path."""
        return sorted(self.left)

    def _leave(self, sql: str, params: Any = ()) -> None:
        """Send the staged rows `sql` selects to the careful path (blank rows are dropped there)."""
        known = [self.table.columns[name] for name in self.fields]
        extras = [index for _, index, _ in self.extras]
        for row in self.db.execute(sql, params):
            values = [""] * self.width
            for index, value in zip(known, row, strict=False):
                values[index] = value
            if extras:
                for index, value in zip(extras, row[len(known)].split(SEP), strict=True):
                    values[index] = value
            if not blank_row(values):
                self.left.append((row[-1], values))
            self.unstaged[row[0], row[len(known)] if extras else ""] += 1  # (f_step, cells) as staged

    def _staged(self) -> Any:
        """The rows as staged: the known cells, the payload cells packed, the row number. A row not
        as wide as the header, or with SEP in a payload cell, goes to the careful path."""
        width, left = self.width, self.left
        known = itemgetter(*(self.table.columns[name] for name in self.fields))  # two at least
        extras = [index for _, index, _ in self.extras]
        if not extras:
            for number, values in self.table.rows:
                if len(values) == width:
                    yield (*known(values), number)
                elif not blank_row(values):
                    left.append((number, values))
            return
        cells = itemgetter(*extras) if len(extras) > 1 else lambda values: (values[extras[0]],)
        join, seps = SEP.join, len(extras) - 1
        for number, values in self.table.rows:
            if len(values) == width:
                packed = join(cells(values))
                if packed.count(SEP) == seps:
                    yield (*known(values), packed, number)
                    continue
            if not blank_row(values):
                left.append((number, values))

    def _column(self, field_name: str) -> str:
        index = self.table.columns.get(field_name)
        return "''" if index is None else f"s.f_{field_name}"

    def _payloads(self, cur: Any) -> None:
        """guanai_payload: each distinct plain (step, payload cells) that its model accepts, with the
        payload as stored and as hashed."""
        self.hooks = RecordHooks(self.registry)
        cur.execute("CREATE TEMP TABLE guanai_payload (step, cells, payload, sorted, hooked)")
        cells = "s.cells" if self.extras else "''"
        found = cur.execute(f"SELECT s.f_step, {cells}, count(*) FROM temp.guanai_stage s GROUP BY 1, 2").fetchall()
        quiet = lambda field_name, code, params: Diagnostic("", 0, 0, "", code)  # noqa: E731 (never shown)
        layouts: dict[str, Any] = {}
        rows = []
        for name, packed, count in found:
            step = self.registry.steps.get(name)
            if step is None or DIGEST_JSON.encode(name) != f'"{name}"':  # a name to escape: careful path
                continue
            values = [""] * self.width
            if self.extras:
                for (_, index, _), value in zip(self.extras, packed.split(SEP), strict=True):
                    values[index] = value
            layout = layouts.get(name) or layouts.setdefault(name, _layout(name, self.extras))
            payload = _step_cells(values, layout)
            if payload is None:
                continue
            problems: list[Diagnostic] = []
            model = checked_payload(step, Draft(name, "child", "", None, payload, where=quiet), problems)
            if model is None or problems:
                continue
            dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
            stored, hooked = PAYLOAD_JSON.encode(dumped), bool(self.hooks.wanting(name))
            rows.append((name, packed, stored, DIGEST_JSON.encode(dumped), hooked))
            if hooked:
                self.models[name, stored] = model
            self.staged[name, packed] += count  # the rows that may take the lane (counts: run)
        cur.executemany("INSERT INTO temp.guanai_payload VALUES (?, ?, ?, ?, ?)", rows)
        cur.execute("CREATE UNIQUE INDEX temp.guanai_payload_cells ON guanai_payload (step, cells)")

    def _zones(self, cur: Any) -> None:
        """guanai_zone: each school whose time zone keeps one UTC offset, with the datetime() shift
        from its local time to UTC and its latest allowed local time (now and FUTURE_SLACK)."""
        cur.execute("CREATE TEMP TABLE guanai_zone (school PRIMARY KEY, shift, latest)")
        latest = self.now + FUTURE_SLACK
        programmes = self.programmes
        rows = []
        for (code,) in self.db.execute("SELECT code FROM org_unit WHERE kind = 'school'").fetchall():
            minutes = _offset(programmes.zone(code).key)
            if minutes is not None:  # 'YYYY-MM-DD HH:MM' <= its latest, to the second: not in the future
                local = (latest + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
                rows.append((code, f"{-minutes:+d} minutes", local))
        cur.executemany("INSERT INTO temp.guanai_zone VALUES (?, ?, ?)", rows)

    def _ready_sql(self) -> str:
        c = self._column
        at, key, by = c("at"), c("key"), c("by")
        cells = "s.cells" if self.extras else "''"
        doer = "LEFT JOIN staff st ON st.id = s.f_by " if "by" in self.table.columns else ""
        # a row with 工号: by a staff member of the child's school, there on that day; a row without
        # takes the careful path, which refuses it where a duty of the step has a responsible
        day = f"substr({at}, 1, 10)"
        doer_ok = (f"({by} <> '' AND st.school = ch.school AND (st.left_on IS NULL OR {day} < st.left_on) "
                   f"AND (st.joined_on IS NULL OR {day} >= st.joined_on))") if doer else "false"
        return (
            "INSERT INTO temp.guanai_ready "
            f"SELECT s.n, NULLIF({key}, ''), p.step, ch.id, ch.school, NULLIF({by}, ''), datetime({at}, z.shift), "
            "p.payload, p.sorted, p.hooked "
            "FROM temp.guanai_stage s "
            f"JOIN temp.guanai_payload p ON p.step = s.f_step AND p.cells = {cells} "
            f"JOIN child ch ON ch.id = {c('child')} "
            "JOIN temp.guanai_zone z ON z.school = ch.school "
            f"{doer}"
            f"WHERE {c('staff')} = '' AND {c('class')} = '' AND ({c('school')} = '' OR {c('school')} = ch.school) "
            f"AND {doer_ok} "
            f"AND (ch.left_on IS NULL OR substr({at}, 1, 10) < ch.left_on) "
            f"AND {at} GLOB '{FAST_TIME}' AND substr({at}, 12, 2) <= '23' "
            f"AND {at} >= '{FIRST_YEAR}' AND {at} < '{END_YEAR}' "
            # date() passes day 29-31 of any month through (2025-02-29); its '+0 days' rolls such a day
            # over (2025-03-01), so only a real date is equal to itself
            f"AND date(substr({at}, 1, 10), '+0 days') = substr({at}, 1, 10) AND substr({at}, 1, 10) >= ch.enrolled_on "
            f"AND {at} <= z.latest "
            f"AND ({key} = '' OR ({key} NOT GLOB '*[^!-~]*' AND length({key}) <= 128 "  # printable ASCII only
            f"AND NOT ({key} GLOB '[0-9+-]*' AND {key} GLOB '*[eE]*' AND {key} NOT GLOB '*[^0-9eE.+-]*'))) "
            "ORDER BY s.n")

    def _share_keys(self, cur: Any) -> None:
        """A key also on a row the lane left: all its rows go to the careful path, which keeps the
        file's first row with the key and names a later one with other content."""
        if "key" not in self.table.columns:
            return
        index = self.table.columns["key"]
        left = {str(values[index]).strip() for _, values in self.left if index < len(values)}
        left.discard("")
        if not left:
            return
        cur.execute("CREATE TEMP TABLE guanai_left (key PRIMARY KEY) WITHOUT ROWID")
        cur.executemany("INSERT INTO temp.guanai_left VALUES (?)", [(k,) for k in left])
        cur.execute("CREATE TEMP TABLE guanai_moved AS SELECT n FROM temp.guanai_ready WHERE key IN temp.guanai_left")
        self._leave("SELECT * FROM temp.guanai_stage WHERE n IN temp.guanai_moved")
        cur.execute("DELETE FROM temp.guanai_ready WHERE n IN temp.guanai_moved")

    def _plugins(self, cur: Any) -> None:
        """Plugins' on_record for the lane's rows of their steps, in file order, with the same
        view, context and pending list as the careful path gives them. A hook some row on the
        careful path also reaches, or a refusal, sends the rows of its steps (all of them, for a
        refusal) the careful way: it runs the hooks in file order again and says which row was
        refused, and why."""
        if not self.models:
            return
        index = self.table.columns["step"]
        careful = set()  # the hooks that rows on the careful path reach
        for _, values in self.left:
            name = str(values[index]).strip() if index < len(values) else ""
            if name in self.registry.steps:
                careful.update(self.hooks.wanting(name))
        shared = sorted({step for step, _ in self.models if careful & set(self.hooks.wanting(step))})
        if shared:
            self._leave_hooked(cur, shared)
        rows = cur.execute("SELECT n, step, subject, school, by_staff, at, payload FROM temp.guanai_ready "
                           "WHERE hooked ORDER BY n").fetchall()
        kids = {r["id"]: r for r in fetch_by(self.conn, child, "id", {row[2] for row in rows})}
        pendings: dict[Any, list[RecordView]] = {}
        memo: dict[Any, Any] = {}
        for n, step, subject, school, by, at, payload in rows:
            local = datetime.fromisoformat(at).replace(tzinfo=UTC).astimezone(self.programmes.zone(school))
            view = RecordView(None, step, "child", subject, school, by, local, json.loads(payload),
                              self.models[step, payload])
            ctx = RecordContext(self.conn, self.programmes.at(school, local.date()), kids.get(subject), [], memo,
                                _registry=self.registry, school=school, day=local.date())
            try:
                found = on_record(self.hooks.wanting(step), view, ctx, pendings)
            except Rejected:
                self.follows = []
                self._leave_hooked(cur, sorted({step for step, _ in self.models}))
                return
            if found:
                self.follows.append((n, found))

    def _leave_hooked(self, cur: Any, steps: list[str]) -> None:
        marks = ", ".join("?" * len(steps))
        self._leave("SELECT s.* FROM temp.guanai_stage s JOIN temp.guanai_ready r ON r.n = s.n "
                    f"WHERE r.hooked AND r.step IN ({marks})", steps)
        cur.execute(f"DELETE FROM temp.guanai_ready WHERE hooked AND step IN ({marks})", steps)

    def _follow_ups(self, cur: Any, before: int) -> None:
        """The follow-ups plugins asked for, on the records just inserted: each found by its school,
        step, time and digest (identical records: in file order)."""
        taken: set[int] = set()
        rows = []
        for n, found in self.follows:
            if n in self.not_inserted:
                continue  # stored before: its follow-ups were made then
            school, step, at, digest = cur.execute(
                f"SELECT r.school, r.step, r.at, {self.digest} FROM temp.guanai_ready r WHERE r.n = ?", (n,)).fetchone()
            record_id = next(i for (i,) in cur.execute(
                "SELECT id FROM record WHERE school = ? AND step = ? AND occurred_at = ? AND id > ? AND digest = ? "
                "ORDER BY id", (school, step, f"{at}.000000", before, digest)) if i not in taken)
            taken.add(record_id)
            rows += [{"record_id": record_id, "rule": f.id, "name": f.name, "step": f.step, "match": dict(f.match),
                      "deadline": deadline, "plugin": plugin} for plugin, f, deadline in found]
        if rows:
            self.conn.execute(insert(follow_up), rows)

    def _digest_sql(self, cur: Any) -> str:
        """The SQL computing a ready row's records.digest. Its JSON text is written in SQL when no
        child, staff or school id needs escaping in JSON (a quote, a backslash, a control
        character): a third of the cost of building it in Python (measured), which is the fallback."""
        unsafe = "[\"\\" + "".join(map(chr, range(1, 32))) + "]"  # (a NUL would end the pattern)
        for table, column in (("child", "id"), ("child", "school"), ("staff", "id")):
            if cur.execute(f"SELECT 1 FROM {table} WHERE {column} GLOB ? LIMIT 1", (f"*{unsafe}*",)).fetchone():
                self.db.create_function("guanai_digest", 6, _digest, deterministic=True)
                return "guanai_digest(r.step, r.subject, r.school, r.by_staff, r.at, r.sorted)"
        self.db.create_function("guanai_sha256", 1, _sha256, deterministic=True)
        return ("guanai_sha256('[\"' || r.step || '\", \"child\", \"' || r.subject || '\", \"' || r.school || "
                "'\", ' || coalesce('\"' || r.by_staff || '\", \"', 'null, \"') || replace(r.at, ' ', 'T') || '\", ' || "
                "r.sorted || ']')")

    def _stored_keys(self, cur: Any, before: int) -> Counter:
        """After the insert skipped some keys: each row whose key was stored before, or earlier in
        this file, counts as existing (same content) or goes to the careful path (other content,
        which it refuses). Returns the existing ones per step."""
        existing: Counter = Counter()
        moved, inserted = [], set()
        for n, step, key, mine, record_id, theirs in cur.execute(
                f"SELECT r.n, r.step, r.key, {self.digest}, x.id, x.digest "
                "FROM temp.guanai_ready r JOIN record x ON x.key = r.key ORDER BY r.n").fetchall():
            if record_id > before and key not in inserted:
                inserted.add(key)  # the first row of the file with this key: the one stored
            elif mine == theirs:
                existing[step] += 1
                self.not_inserted.add(n)
            else:
                moved.append(n)
                self.not_inserted.add(n)
        for part in chunks(moved):
            marks = ", ".join("?" * len(part))
            self._leave(f"SELECT * FROM temp.guanai_stage WHERE n IN ({marks})", part)
            cur.execute(f"DELETE FROM temp.guanai_ready WHERE n IN ({marks})", part)
        return existing


def _digest(step: str, subject: str, school: str, by: str | None, at: str, payload: str) -> str:
    """records.digest of a fast-lane row (its time as datetime() writes it, its payload's JSON)."""
    return content_digest([step, "child", subject, school, by, at.replace(" ", "T")], payload)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def _offset(name: str) -> int | None:
    """Zone `name`'s UTC offset in minutes, when it is one and the same at every midnight of
    FIRST_YEAR … END_YEAR (no summer time); else None."""
    try:
        zone = ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None
    day = datetime(FIRST_YEAR - 1, 12, 31)
    offsets: set[timedelta | None] = set()
    while day.year <= END_YEAR and len(offsets) < 2:
        offsets.add(day.replace(tzinfo=zone).utcoffset())
        day += timedelta(days=1)
    if len(offsets) != 1:
        return None
    offset = offsets.pop()
    return None if offset is None else int(offset.total_seconds() // 60)
