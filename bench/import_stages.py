"""Where `guanai record import` spends its time, stage by stage, in µs per record.

Generates a county (bench/generate.py), then times in-process, as `record import` runs them and
with the same garbage-collection setting: reading the CSV, reading cells, drafts, checks, and the
insert (`executemany` through the driver). Medians of --runs; nothing is committed.

Usage: python bench/import_stages.py [--children 4000] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
import run  # noqa: E402


class Undo(Exception):
    """Raised inside the write transaction to roll it back: each run inserts the same records."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from guanai.core.commands.records import RECORD_COLUMNS, _step_headers, read_drafts
    from guanai.core.plugins import load_registry
    from guanai.core.store import records
    from guanai.core.store.db import Store, utcnow
    from guanai.core.store.importing import iter_rows
    from guanai.core.tabular import read_table

    folder = Path(tempfile.mkdtemp(prefix="guanai-stages-"))
    county = generate.plan(args.children)
    csv_path, n = generate.write_files(county, folder / "files")
    _, url = run.build(args.children, folder, records=False)
    registry = load_registry()
    headers = _step_headers(registry)
    store = Store(url)
    gc.disable()  # as record import runs (core/store/importing.py: gc_paused)
    times: dict[str, list[float]] = {}

    def timed(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        times.setdefault(name, []).append(time.perf_counter() - start)
        return out

    for _ in range(args.runs):
        table = timed("reading the CSV", read_table, csv_path, RECORD_COLUMNS)
        problems: list[Any] = []
        rows = timed("reading cells", lambda *a, **k: list(iter_rows(*a, **k)), table, RECORD_COLUMNS, problems,
                     keep_extra=False)
        drafts = timed("drafts", read_drafts, table, rows, problems, headers)
        with contextlib.suppress(Undo), store.write() as conn:
            checked, found = timed("checks", records._check, conn, registry, drafts, utcnow())
            assert not found and not problems, "the generated file should be clean"
            extra = {"recorded_at": utcnow(), "recorded_by": "bench", "source": "bench"}
            timed("insert", records._insert_sqlite, conn, checked, extra)
            raise Undo  # roll back: the next run inserts the same records again
    print(f"{n} records, {args.children} children; µs per record (median of {args.runs}):")
    for name, values in times.items():
        print(f"  {name:<16} {statistics.median(values) / n * 1e6:6.1f}")


if __name__ == "__main__":
    main()
