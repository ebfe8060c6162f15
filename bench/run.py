"""County-scale benchmarks against the raw-SQL limit, all in one run on one machine.

Measures (medians of --runs where repeated):
  import_records_per_s, import_vs_raw  `guanai record import` of the year's records vs
                                       sqlite3.executemany of the same rows into the same schema
  import_peak_rss_mb                   of that import (the file is streamed, not held)
  compliance_s, compliance_vs_sql      `guanai compliance --by school,duty` (fresh process) vs a
                                       hand-written SQL query of the same met counts (checked equal)
  due_cli_ms, floor_ms, due_vs_floor   `guanai due --staff ID` as a fresh process vs
                                       `python -c "import sqlalchemy, pydantic, click"`
  help_cli_ms                          `guanai --help`
  peak_rss_mb                          of the county compliance process
  scaling                              compliance time at N/4, N and 4N children (N/4: generated;
                                       4N: the N county's townships copied four times; sql_scaling:
                                       the hand-written SQL's, for comparison)
  pg_compliance_vs_sql                 the same ratio on PostgreSQL when GUANAI_TEST_PG is set
  rls_overhead                         there, a school user's compliance (row-level security) vs the owner's
  audit_verify_s                       `guanai audit verify` of an untouched 100,000-row audit log
  simulate_vs_compliance               `guanai programme simulate` of the county's programme over its
                                       autumn term (--by staff,week) vs `compliance --by staff` of the
                                       same term, same database (fresh processes, medians)
  report_vs_compliance                 `guanai report county` of the county vs `compliance --by school`
                                       (same database and as_of); report_summary_s: `report summary`
                                       (.docx) of the school nearest 600 pupils

Usage: python bench/run.py [--children 40000] [--runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402

BIN = Path(sys.executable).parent
GUANAI = str(BIN / "guanai")
CHILD_DUTIES = ("weekly-talk", "monthly-call", "quarterly-visit", "termly-support", "yearly-reunion",
                "home-visits", "grandparent-call")
AS_OF = generate.AS_OF.isoformat()
# Python on a user's machine writes byte code; some CI shells set PYTHONDONTWRITEBYTECODE, which
# would make every guanai start-up compile its modules again and the floor (site-packages) not.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


_POOL: Any = None
_START = time.perf_counter()


def progress(what: str) -> None:
    """A line on stderr per step (the JSON on stdout stays one object)."""
    print(f"[{time.perf_counter() - _START:6.1f}s] {what}", file=sys.stderr, flush=True)


def start_spawner() -> None:
    """Measured commands are started from a small forkserver process made before any data is
    generated: on Linux a child's peak RSS starts at its parent's, so starting them from this
    (large) process would report this process's memory, not theirs."""
    global _POOL
    import multiprocessing

    _POOL = multiprocessing.get_context("forkserver").Pool(1)
    _POOL.apply(time.perf_counter)


def wall(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KB) and stdout of a fresh process."""
    if _POOL is not None:
        return _POOL.apply(_wall, (cmd, env))
    return _wall(cmd, env)


def _wall(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()}")
    return elapsed, usage.ru_maxrss, out.decode()


def settle() -> None:
    """Write the files made so far to disk before timing anything: the set-up writes gigabytes
    (a 40,000-child run: the CSV, four county databases), and their write-back would run under
    whatever is measured next. (Windows has no os.sync: nothing to wait for there.)"""
    if hasattr(os, "sync"):
        os.sync()


def median_of(runs: int, fn: Any) -> float:
    return statistics.median(fn() for _ in range(runs))


def build(children: int, folder: Path, records: bool = True, name: str = "") -> tuple[generate.County, str]:
    county = generate.plan(children)
    path = folder / f"county-{children}{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    generate.prepare_db(county, f"sqlite:///{path}")
    if records:
        generate.load_records_raw(county, str(path))
    return county, f"sqlite:///{path}"


def grown(url: str, folder: Path, times: int) -> str:
    """A copy of the county at `url`, `times` as big (generate.replicate: every township copied
    with all it holds). Generating a 160,000-child county took minutes; this takes seconds."""
    path = folder / f"grown-{times}.db"
    source = sqlite3.connect(url.removeprefix("sqlite:///"))
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    generate.replicate(str(path), times)
    return f"sqlite:///{path}"


def windows_table(conn: Any, paramstyle: str) -> None:
    """The child duties' windows, as a hand-written query would keep them (prepared, not timed)."""
    from guanai.core.obligations import expected, local_midnight_utc

    _, _, rules = generate._rules()
    conn.execute("DROP TABLE IF EXISTS bw")
    conn.execute("CREATE TABLE bw (wid INTEGER PRIMARY KEY, duty TEXT, step TEXT, times INTEGER, start_d TEXT, "
                 "due_d TEXT, start_utc TEXT, end_utc TEXT, match_with TEXT, grand INTEGER)")
    rows, wid = [], 0
    for rule in rules:
        if rule.id not in CHILD_DUTIES:
            continue
        for w in rule.windows:
            if not expected(w, rule.grace_days, generate.AS_OF):
                continue
            wid += 1
            rows.append((wid, rule.id, rule.step, rule.times, w.start.isoformat(), w.end.isoformat(),
                         local_midnight_utc(w.start, generate.ZONE).strftime(generate.STAMP),
                         local_midnight_utc(w.end + timedelta(days=1), generate.ZONE).strftime(generate.STAMP),
                         dict(rule.match).get("with"), int(bool(rule.where))))
    marks = ", ".join(["?" if paramstyle == "qmark" else "%s"] * 10)
    conn.executemany(f"INSERT INTO bw VALUES ({marks})", rows)


SQL_AGGREGATE = """
SELECT c.school, w.duty, COUNT(*) AS expected,
       SUM(CASE WHEN COALESCE(n.cnt, 0) >= w.times THEN 1 ELSE 0 END) AS met
FROM child c
JOIN bw w ON c.enrolled_on <= w.start_d AND (c.left_on IS NULL OR c.left_on > w.due_d)
         AND (w.grand = 0 OR c.guardian_type = 'grandparents')
LEFT JOIN (
    SELECT w2.wid, r.subject, COUNT(*) AS cnt
    FROM bw w2 JOIN record r ON r.step = w2.step AND r.subject_kind = 'child'
     AND r.occurred_at >= w2.start_utc AND r.occurred_at < w2.end_utc
     AND (w2.match_with IS NULL OR {with_} = w2.match_with)
    GROUP BY w2.wid, r.subject
) n ON n.wid = w.wid AND n.subject = c.id
GROUP BY c.school, w.duty
"""

SQL_CORRELATED = """
SELECT c.school, w.duty, COUNT(*) AS expected,
       SUM(CASE WHEN (SELECT COUNT(*) FROM record r WHERE r.step = w.step AND r.subject_kind = 'child'
                      AND r.subject = c.id AND r.occurred_at >= w.start_utc AND r.occurred_at < w.end_utc
                      AND (w.match_with IS NULL OR {with_} = w.match_with)) >= w.times
           THEN 1 ELSE 0 END) AS met
FROM child c
JOIN bw w ON c.enrolled_on <= w.start_d AND (c.left_on IS NULL OR c.left_on > w.due_d)
         AND (w.grand = 0 OR c.guardian_type = 'grandparents')
GROUP BY c.school, w.duty
"""


CHOSEN: dict[str, int] = {}


def hand_sql_sqlite(path: str, runs: int) -> tuple[float, dict[tuple[str, str], tuple[int, int]]]:
    conn = sqlite3.connect(path)
    windows_table(conn, "qmark")
    conn.commit()
    answer: dict[tuple[str, str], tuple[int, int]] = {}

    def once(q: str) -> float:
        start = time.perf_counter()
        rows = conn.execute(q).fetchall()
        answer.update({(s, d): (e, m) for s, d, e, m in rows})
        return time.perf_counter() - start

    # Two hand-written forms; the faster one on the first (smallest) county is the baseline for all.
    forms = [sql.format(with_="json_extract(r.payload, '$.with')") for sql in (SQL_AGGREGATE, SQL_CORRELATED)]
    if "form" not in CHOSEN:
        first = [once(q) for q in forms]
        CHOSEN["form"] = first.index(min(first))
    fastest = forms[CHOSEN["form"]]
    best = median_of(runs, lambda: once(fastest))
    conn.execute("DROP TABLE bw")
    conn.commit()
    conn.close()
    return best, answer


def ours(url: str, runs: int) -> tuple[float, int, dict[tuple[str, str], tuple[int, int]]]:
    cmd = [GUANAI, "--db", url, "compliance", "--by", "school,duty", "--as-of", AS_OF, "--json"]
    for duty in CHILD_DUTIES:
        cmd += ["--duty", duty]
    results = [wall(cmd, ENV) for _ in range(runs)]
    rows = json.loads(results[-1][2])["rows"]
    answer = {(r["key"]["school"], r["key"]["duty"]): (r["expected"], r["met"]) for r in rows if r["expected"]}
    return statistics.median(r[0] for r in results), max(r[1] for r in results), answer


def import_benchmark(county: generate.County, folder: Path, runs: int) -> tuple[dict[str, Any], str]:
    """`guanai record import` of the year (once: it is long and steady) vs sqlite3.executemany of the
    same rows (median of `runs`). Returns the figures and the imported database, reused below."""
    n_children = county.children
    csv_path, n = generate.write_files(county, folder / f"files-{n_children}")
    _, base = build(n_children, folder, records=False, name="facts")  # every fact but the records

    def copy(name: str) -> str:
        path = folder / f"county-{n_children}{name}.db"
        for suffix in ("", "-wal"):
            if Path(base.removeprefix("sqlite:///") + suffix).exists():
                shutil.copyfile(base.removeprefix("sqlite:///") + suffix, f"{path}{suffix}")
        return str(path)

    url = f"sqlite:///{copy('')}"
    settle()
    progress(f"files written, {n} records; guanai record import …")
    ours_s, import_kb, _ = wall([GUANAI, "--db", url, "record", "import", str(csv_path)], ENV)
    progress(f"guanai record import: {ours_s:.1f} s; raw executemany ×{runs} …")
    # The rows guanai stored, read back in their order: the baseline inserts exactly these.
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    rows = conn.execute(f"SELECT {generate.INSERT_COLUMNS} FROM record ORDER BY id").fetchall()
    conn.close()
    assert len(rows) == n, (len(rows), n)
    raw = []
    for i in range(runs):
        path = copy(f"raw{i}")
        settle()
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(generate.INSERT_SQL, rows)
        conn.commit()
        raw.append(time.perf_counter() - start)
        conn.close()
        for suffix in ("", "-wal", "-shm"):  # 1 GB each at 40,000 children, never read again
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    raw_s = statistics.median(raw)
    progress(f"raw executemany: {raw_s:.1f} s")
    return {"records": n, "import_s": round(ours_s, 3), "import_records_per_s": round(n / ours_s),
            "raw_s": round(raw_s, 3), "raw_records_per_s": round(n / raw_s),
            "import_vs_raw": round(raw_s / ours_s, 3), "import_peak_rss_mb": round(import_kb / 1024, 1)}, url


def startup(url: str, staff_id: str, runs: int) -> dict[str, Any]:
    floor = median_of(runs, lambda: wall([sys.executable, "-c", "import sqlalchemy, pydantic, click"], ENV)[0])
    due_cmd = [GUANAI, "--db", url, "due", "--staff", staff_id, "--as-of", "2025-11-20"]
    wall(due_cmd, ENV)  # the first run writes byte code and the window cache, as any first use would
    due = median_of(runs, lambda: wall(due_cmd, ENV)[0])
    helps = median_of(runs, lambda: wall([GUANAI, "--help"], ENV)[0])
    return {"due_cli_ms": round(due * 1000, 1), "floor_ms": round(floor * 1000, 1),
            "due_vs_floor": round(due / floor, 2), "help_cli_ms": round(helps * 1000, 1)}


def reports(url: str, folder: Path, runs: int) -> dict[str, Any]:
    """`report county` for the whole county vs `compliance --by school` on the same database and
    as_of (fresh processes, medians); and `report summary` (.docx) for the school nearest 600 pupils."""
    county_code = sqlite3.connect(url.removeprefix("sqlite:///")).execute(
        "SELECT code FROM org_unit WHERE kind = 'county'").fetchone()[0]
    base = [GUANAI, "--db", url]
    compliance = median_of(runs, lambda: wall([*base, "compliance", "--org", county_code, "--by", "school",
                                              "--as-of", AS_OF, "--json"], ENV)[0])
    county = median_of(runs, lambda: wall([*base, "report", "county", "--org", county_code, "--as-of", AS_OF,
                                          "-o", str(folder / "county.xlsx"), "--force"], ENV)[0])
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    school, pupils = min(conn.execute("SELECT school, COUNT(*) FROM child GROUP BY school").fetchall(),
                         key=lambda r: abs(r[1] - 600))
    conn.close()
    summary = median_of(runs, lambda: wall([*base, "report", "summary", "--org", school, "--as-of", AS_OF,
                                           "-o", str(folder / "summary.docx"), "--force"], ENV)[0])
    return {"report_county_s": round(county, 3), "compliance_by_school_s": round(compliance, 3),
            "report_vs_compliance": round(county / compliance, 2), "report_summary_s": round(summary, 3),
            "report_summary_pupils": pupils}


def simulate(url: str, runs: int) -> dict[str, Any]:
    """`programme simulate` of the published programme's file over the autumn term vs `compliance
    --by staff` of the same term (its windows all due by AS_OF): the same obligations, counted once
    as a draft's and once as the published version's."""
    base = [GUANAI, "--db", url]
    term = ["--from", "2025-09-01", "--to", "2026-01-16"]
    compliance = median_of(runs, lambda: wall([*base, "compliance", "--by", "staff", *term, "--as-of", AS_OF,
                                              "--json"], ENV)[0])
    simulated = median_of(runs, lambda: wall([*base, "programme", "simulate", str(generate.PROGRAMME), *term,
                                             "--json"], ENV)[0])
    return {"simulate_s": round(simulated, 3), "compliance_by_staff_s": round(compliance, 3),
            "simulate_vs_compliance": round(simulated / compliance, 2)}


def pg_form(sql: str) -> str:
    """A hand-written query in PostgreSQL's dialect: JSON operator and typed comparisons."""
    query = sql.format(with_="(r.payload::json ->> 'with')")
    for column, cast in (("c.enrolled_on <= w.start_d", "date"), ("c.left_on > w.due_d", "date"),
                         ("r.occurred_at >= w2.start_utc", "timestamp"), ("r.occurred_at < w2.end_utc", "timestamp"),
                         ("r.occurred_at >= w.start_utc", "timestamp"), ("r.occurred_at < w.end_utc", "timestamp")):
        query = query.replace(column, f"{column}::{cast}")
    return query


def pg_county(county: generate.County, imported: str, schema: str = "bench") -> str:
    """The county on PostgreSQL (GUANAI_TEST_PG) in a schema of its own, with the records guanai
    stored in the SQLite county (streamed by COPY); its URL."""
    import psycopg
    from sqlalchemy import create_engine, text

    base = os.environ["GUANAI_TEST_PG"]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    generate.prepare_db(county, url)
    dsn = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as conn, conn.cursor() as cur:
        stored = sqlite3.connect(imported.removeprefix("sqlite:///"))
        with cur.copy(f"COPY record ({generate.INSERT_COLUMNS}) FROM STDIN") as copy:
            for row in stored.execute(f"SELECT {generate.INSERT_COLUMNS} FROM record ORDER BY id"):
                copy.write_row(row)
        stored.close()
        conn.commit()
    # VACUUM as well as ANALYZE: 2 million rows just copied in would otherwise wake autovacuum in
    # the middle of the measurements
    with psycopg.connect(dsn, options=f"-csearch_path={schema}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return url


def pg_drop(schema: str = "bench") -> None:
    """Drop the county's schema and the group roles guanai made for it."""
    from guanai.core.store.access import group_names
    from sqlalchemy import create_engine, text

    admin = create_engine(os.environ["GUANAI_TEST_PG"])
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        for role in group_names(conn.execute(text("SELECT current_database()")).scalar(), schema).values():
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                conn.execute(text(f"DROP OWNED BY {role}"))
                conn.execute(text(f"DROP ROLE {role}"))
    admin.dispose()


def pg_ratio(county: generate.County, imported: str, runs: int) -> dict[str, Any] | None:
    base = os.environ.get("GUANAI_TEST_PG")
    if not base:
        return None
    import psycopg

    url = pg_county(county, imported)
    dsn = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, options="-csearch_path=bench") as conn:
        with conn.cursor() as cur:
            windows_table(cur, "format")
        conn.commit()
        settle()
        answer: dict[tuple[str, str], tuple[int, int]] = {}

        def once(query: str) -> float:
            with conn.cursor() as cur:
                start = time.perf_counter()
                cur.execute(query)
                rows = cur.fetchall()
                elapsed = time.perf_counter() - start
            answer.update({(s, d): (e, m) for s, d, e, m in rows})
            return elapsed

        # Both hand-written forms once; the faster one is the baseline (median of `runs`).
        forms = [pg_form(sql) for sql in (SQL_AGGREGATE, SQL_CORRELATED)]
        first = [once(q) for q in forms]
        fastest = forms[first.index(min(first))]
        best = median_of(runs, lambda: once(fastest))
    ours_s, _, mine = ours(url, runs)
    rls = rls_overhead(url, county.schools[0].code, runs)
    pg_drop()
    assert mine == answer, "PostgreSQL: guanai and the hand-written SQL disagree"
    return {"pg_compliance_s": round(ours_s, 3), "pg_sql_s": round(best, 3),
            "pg_compliance_vs_sql": round(ours_s / best, 2), **rls}


def rls_overhead(url: str, school: str, runs: int) -> dict[str, Any]:
    """A school user's `compliance --org SCHOOL` (row-level security on) against the owner's (the
    table owner: no policies applied) on the same database; the answers must be equal."""
    user = f"bench_{school.lower()}_{os.getpid()}"
    wall([GUANAI, "--db", url, "user", "add", user, "--org", school, "--role", "school"], ENV)
    as_user = url.replace("postgres@", f"{user}@", 1)
    try:
        cmd = ["compliance", "--org", school, "--by", "duty", "--as-of", AS_OF, "--json"]
        owner_s = median_of(runs, lambda: wall([GUANAI, "--db", url, *cmd], ENV)[0])
        user_s = median_of(runs, lambda: wall([GUANAI, "--db", as_user, *cmd], ENV)[0])
        assert wall([GUANAI, "--db", url, *cmd], ENV)[2] == wall([GUANAI, "--db", as_user, *cmd], ENV)[2]
    finally:
        wall([GUANAI, "--db", url, "user", "remove", user], ENV)
    return {"rls_owner_s": round(owner_s, 3), "rls_user_s": round(user_s, 3), "rls_overhead": round(user_s / owner_s, 2)}


def audit_verify(folder: Path, rows: int = 100_000) -> dict[str, Any]:
    """`guanai audit verify` of an untouched log of `rows` rows (written through the chain's own
    writer, 5,000 a transaction; not timed)."""
    from guanai.core.store.db import Store, audit

    store = Store(f"sqlite:///{folder / 'audit.db'}")
    store.init()
    for start in range(0, rows, 5000):
        with store.write() as conn:
            audit(conn, [{"action": "insert", "table_name": "record", "row_key": f"r{start + i}", "org": "S001",
                          "after": {"count": i}} for i in range(min(5000, rows - start))], "bench")
    store.engine.dispose()
    seconds, _, _ = wall([GUANAI, "--db", str(store.url), "audit", "verify"], ENV)
    return {"audit_rows": rows, "audit_verify_s": round(seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=40000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder")
    parser.add_argument("--only", choices=("all", "pg"), default="all",
                        help="pg: the county's import, then the PostgreSQL figures alone (pg_compliance_vs_sql, "
                             "rls_overhead)")
    args = parser.parse_args()
    start_spawner()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="guanai-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    n = args.children
    result: dict[str, Any] = {"children": n, "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
                              "date": date.today().isoformat()}
    county = generate.plan(n)
    figures, imported = import_benchmark(county, folder, args.runs)
    result.update(figures)
    if args.only == "pg":
        result.update(pg_ratio(county, imported, args.runs) or {})
        print(json.dumps(result, ensure_ascii=False) if args.json else result)
        return
    scaling, sql_scaling = {}, {}
    for size in (n // 4, n, 4 * n):
        url = imported if size == n else build(size, folder)[1] if size < n else grown(imported, folder, 4)
        settle()
        progress(f"{size} children: database ready; compliance …")
        runs = args.runs if size == n else 1
        sql_s, answer = hand_sql_sqlite(url.removeprefix("sqlite:///"), runs)
        ours_s, rss_kb, mine = ours(url, runs)
        assert mine == answer, f"{size} children: guanai and the hand-written SQL disagree"
        scaling[str(size)] = round(ours_s, 3)
        sql_scaling[str(size)] = round(sql_s, 3)
        if size == n:
            result.update({"compliance_s": round(ours_s, 3), "sql_s": round(sql_s, 3),
                           "compliance_vs_sql": round(ours_s / sql_s, 2), "peak_rss_mb": round(rss_kb / 1024, 1),
                           "obligations": sum(e for e, _ in mine.values())})
            settle()
            result.update(startup(url, county.schools[0].staff[0], max(5, args.runs)))
            progress("start-up timed")
            result.update(reports(url, folder, args.runs))
            progress("reports timed")
            result.update(simulate(url, args.runs))
            progress("simulate timed")
            result.update(audit_verify(folder))
            progress("audit verify timed")
            pg = pg_ratio(county, imported, args.runs)
            if pg:
                result.update(pg)
    result["sql_form"] = ("aggregate join", "correlated subquery")[CHOSEN["form"]]
    result["scaling"] = scaling
    result["scaling_x4"] = round(scaling[str(4 * n)] / scaling[str(n)], 2)
    result["sql_scaling"] = sql_scaling  # the hand-written SQL at the same sizes: the database's own growth
    result["sql_scaling_x4"] = round(sql_scaling[str(4 * n)] / sql_scaling[str(n)], 2)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
