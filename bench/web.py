"""The teachers' page at county scale (issue 30), on PostgreSQL, each teacher on their own login.

Measures, on the generated county (bench/generate.py) copied to GUANAI_TEST_PG:
  page_ms, page_p95_ms        server time of 我的任务 (GET /tasks: `due --staff` grouped by child)
                              for one teacher, unloaded (the Server-Timing header; median of --runs)
  api_due_ms                  the same list as JSON (GET /api/due)
  items                       how many open items that teacher's list holds
  load_*                      --teachers teachers signed in at once, each asking --requests pages
                              back to back (a bounded run that stops by itself): requests, errors,
                              client-side median and p95, server median, requests per second

The server is `guanai serve`'s application (uvicorn, one process) in a subprocess on 127.0.0.1,
living at AS_OF (mid-term) so that the lists are a term's, not a vacation's.

Usage: GUANAI_TEST_PG=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
       python bench/web.py [--children 40000] [--teachers 50] [--requests 10] [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402
import run  # noqa: E402

AS_OF = datetime(2025, 12, 10, 2, 0, tzinfo=UTC)  # Wednesday 2025-12-10 10:00 in the county (Asia/Shanghai)
SCHEMA = "bench_web"


def serve(url: str, port: int) -> None:
    """The server process: the page at AS_OF, as `guanai serve --insecure-trust` (the test server trusts)."""
    import uvicorn
    from guanai.core.web.sessions import Backend
    from guanai.core.web.views import make_app

    uvicorn.run(make_app(Backend(url, "postgresql"), clock=lambda: AS_OF), host="127.0.0.1", port=port,
                log_level="warning", access_log=False)


def teachers(county: generate.County, url: str, n: int) -> list[str]:
    """A login for the first staff member of each of n schools (the biggest schools first)."""
    from guanai.core.store import access
    from guanai.core.store.db import Store

    store = Store(url)
    names = []
    with store.write() as conn:
        for school in sorted(county.schools, key=lambda s: -s.size)[:n]:
            name = f"bw_{school.code.lower()}"
            access.add_user(conn, name, "bench-password", school.code, "teacher", school.staff[0])
            names.append(name)
    store.engine.dispose()
    return names


def drop_users(url: str, names: list[str]) -> None:
    from guanai.core.store import access
    from guanai.core.store.db import Store

    store = Store(url)
    with store.write() as conn:
        for name in names:
            access.remove_user(conn, name)
    store.engine.dispose()


def server_ms(response: Any) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])


def signed_in(base: str, name: str) -> Any:
    import httpx

    web = httpx.Client(base_url=base, timeout=120)
    r = web.post("/login", data={"username": name, "password": "bench-password"}, headers={"accept": "application/json"})
    r.raise_for_status()
    return web


def one_teacher(base: str, name: str, runs: int) -> dict[str, Any]:
    web = signed_in(base, name)
    web.get("/tasks").raise_for_status()  # warm: programme models, plugins
    pages, due = [], []
    for _ in range(runs):  # interleaved: both see the same database state (autovacuum, caches)
        r = web.get("/tasks")
        r.raise_for_status()
        pages.append(server_ms(r))
        due.append(web.get("/api/due"))
    web.close()
    return {"page_ms": round(statistics.median(pages), 1), "page_p95_ms": round(sorted(pages)[int(0.95 * (runs - 1))], 1),
            "api_due_ms": round(statistics.median(server_ms(r) for r in due), 1), "items": len(due[-1].json())}


def load(base: str, names: list[str], requests: int) -> dict[str, Any]:
    """Every teacher signed in, then all asking at once (a barrier), `requests` pages each."""
    clients = [signed_in(base, name) for name in names]
    barrier = threading.Barrier(len(clients))
    lock = threading.Lock()
    client_ms: list[float] = []
    server: list[float] = []
    errors: list[str] = []

    def teacher(web: Any) -> None:
        barrier.wait()
        for _ in range(requests):
            start = time.perf_counter()
            try:
                r = web.get("/tasks")
                took = (time.perf_counter() - start) * 1000
                with lock:
                    if r.status_code != 200:
                        errors.append(str(r.status_code))
                    else:
                        client_ms.append(took)
                        server.append(server_ms(r))
            except Exception as exc:  # a timeout or a refused connection is an error of the run
                with lock:
                    errors.append(type(exc).__name__)

    threads = [threading.Thread(target=teacher, args=(web,)) for web in clients]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    elapsed = time.perf_counter() - start
    for web in clients:
        web.close()
    ordered = sorted(client_ms)
    return {"load_teachers": len(names), "load_requests": len(client_ms) + len(errors), "load_errors": len(errors),
            "load_median_ms": round(statistics.median(ordered), 1) if ordered else None,
            "load_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1) if ordered else None,
            "load_server_median_ms": round(statistics.median(server), 1) if server else None,
            "load_per_s": round(len(client_ms) / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=40000)
    parser.add_argument("--teachers", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    if not os.environ.get("GUANAI_TEST_PG"):
        sys.exit("bench/web.py measures the page on PostgreSQL: set GUANAI_TEST_PG")
    folder = Path(tempfile.mkdtemp(prefix="guanai-bench-web-"))
    county, imported = run.build(args.children, folder)
    run.progress(f"{args.children} children generated; copying to PostgreSQL …")
    url = run.pg_county(county, imported, SCHEMA)
    names = teachers(county, url, args.teachers)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        result: dict[str, Any] = {"children": args.children, "schools": len(county.schools),
                                  "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
                                  "as_of": AS_OF.isoformat()}
        result.update(one_teacher(base, names[0], args.runs))
        run.progress("one teacher timed; the load …")
        result.update(load(base, names, args.requests))
    finally:
        server.terminate()
        server.wait(30)
        drop_users(url, names)
        run.pg_drop(SCHEMA)
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
