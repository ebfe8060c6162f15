"""Many writers at once, and a crash half-way: the database stays exact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

WORKER = Path(__file__).parent / "helpers" / "record_worker.py"
GUANAI = Path(sys.executable).parent / "guanai"
LIU = "G510722201203150022"


def _workers(url: str, specs: list[tuple[int, int, str]]) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([sys.executable, str(WORKER), url, str(w), str(n), prefix],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for w, n, prefix in specs]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


def test_eight_processes_record_250_each(school):
    results = _workers(school.url, [(w, 250, f"w{w}") for w in range(8)])
    assert [(r.returncode, r.stderr) for r in results] == [(0, "")] * 8
    assert school.count("record") == 2000
    assert school.rows("audit_log", "action", order="id", table_name="record").count(("insert",)) == 2000


def test_concurrent_writers_of_the_same_ids_store_each_once(school):
    results = _workers(school.url, [(w, 100, "same") for w in range(4)])
    assert [(r.returncode, r.stderr) for r in results] == [(0, "")] * 4
    assert school.count("record") == 100


def _in_write(url: str) -> bool:
    """Whether the importer is inside its write transaction, writing records."""
    if url.startswith("sqlite"):
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        return wal.exists() and wal.stat().st_size > 2_000_000  # inserted pages spilling, not committed
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'guanai' "
                "AND query LIKE 'INSERT INTO record%' AND state = 'active'")).scalar())
    finally:
        engine.dispose()


def test_import_killed_half_way_leaves_nothing_and_rerun_completes(school, tmp_path):
    n = 40_000
    lines = ["类型,学籍号,工号,时间,编号,时长"]
    lines += [f"talk,{LIU},T001,2025-10-{1 + i % 28:02d} {8 + i % 10}:{i % 60:02d},K{i},{1 + i % 50}"
              for i in range(n)]
    f = tmp_path / "big.csv"
    f.write_text("\n".join(lines), encoding="utf-8")
    env = {**os.environ, "GUANAI_DB": school.url}
    proc = subprocess.Popen([str(GUANAI), "record", "import", str(f)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not _in_write(school.url):
        assert proc.poll() is None, "the import finished before it could be killed half-way"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert school.count("record") == 0
    rerun = subprocess.run([str(GUANAI), "record", "import", str(f)], env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout == f"导入 {n} 条记录：新增 {n}，已存在 0。\n"
    again = subprocess.run([str(GUANAI), "record", "import", str(f)], env=env, capture_output=True, text=True)
    assert again.stdout == f"导入 {n} 条记录：新增 0，已存在 {n}。\n"
    assert school.count("record") == n
