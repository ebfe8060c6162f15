"""A small smoke run of the benchmark generator: deterministic, importable by `guanai record
import`, and the hand-written SQL baseline agrees with `guanai compliance` (as bench/run.py asserts)."""

from __future__ import annotations

import json
import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402
import run  # noqa: E402


def test_generator_is_deterministic_and_its_files_import(cli, tmp_path):
    county = generate.plan(300)
    again = generate.plan(300)
    assert [(s.code, s.size, s.completion) for s in county.schools] == [
        (s.code, s.size, s.completion) for s in again.schools]
    assert sum(s.size for s in county.schools) == 300
    path, n = generate.write_files(county, tmp_path / "files")
    url = f"sqlite:///{tmp_path / 'c.db'}"
    generate.prepare_db(county, url)
    result = cli("--db", url, "record", "import", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"导入 {n} 条记录：新增 {n}，已存在 0。\n"
    # The raw baseline inserts exactly the rows guanai stores (same content, same digests).
    import sqlite3

    columns = "key, step, subject_kind, subject, school, by_staff, occurred_at, payload, digest"
    with sqlite3.connect(tmp_path / "c.db") as conn:
        stored = conn.execute(f"SELECT {columns} FROM record ORDER BY key").fetchall()
    assert stored == sorted(row[:9] for row in generate.record_rows(county))
    args = ["--db", url, "compliance", "--by", "school,duty", "--as-of", run.AS_OF, "--json"]
    for duty in run.CHILD_DUTIES:
        args += ["--duty", duty]
    out = json.loads(cli(*args).stdout)
    ours = {(r["key"]["school"], r["key"]["duty"]): (r["expected"], r["met"]) for r in out["rows"] if r["expected"]}
    _, baseline = run.hand_sql_sqlite(str(tmp_path / "c.db"), 1)
    assert ours == baseline
    rate = out["total"]["met"] / out["total"]["expected"]
    assert 0.75 < rate < 0.95  # ~85% overall, uneven by school
    # The 4N scaling county is the county copied: twice the county, exactly twice every count.
    grown = run.grown(url, tmp_path, 2)
    args[1] = grown
    doubled = json.loads(cli(*args).stdout)
    assert (doubled["total"]["expected"], doubled["total"]["met"]) == (2 * out["total"]["expected"], 2 * out["total"]["met"])
    copies = {(r["key"]["school"], r["key"]["duty"]): (r["expected"], r["met"]) for r in doubled["rows"] if r["expected"]}
    assert copies == {**ours, **{(f"{school}-1", duty): v for (school, duty), v in ours.items()}}
    assert copies == run.hand_sql_sqlite(grown.removeprefix("sqlite:///"), 1)[1]


def test_the_web_benchmark_runs_and_stops_by_itself_without_errors():
    """bench/web.py on a small county: the page answers each teacher, the bounded load ends, no error."""
    import os
    import subprocess

    import pytest

    if not os.environ.get("GUANAI_TEST_PG"):
        pytest.skip("bench/web.py measures the page on PostgreSQL: set GUANAI_TEST_PG (.ci/run does)")
    pytest.importorskip("starlette", reason="the web extra is in the test extra")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "web.py"), "--children", "600", "--teachers", "3",
                           "--requests", "2", "--runs", "2"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert (found["load_teachers"], found["load_requests"], found["load_errors"]) == (3, 6, 0)
    assert found["items"] > 0 and found["page_ms"] > 0
