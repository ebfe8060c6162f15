"""Where `guanai record import` spends its time, stage by stage, in µs per record.

Generates a county (bench/generate.py) and imports its year of records in-process as `record
import` does (`import_table`, same garbage-collection setting), as a dry run so that each run
starts from the same database: the fast lane's stages (core/store/record_import.py: FastLane),
the careful path for the rows it leaves, and the whole. Medians of --runs.

Usage: python bench/import_stages.py [--children 4000] [--runs 3]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from guanai.core.plugins import load_registry
    from guanai.core.store import record_import
    from guanai.core.store.db import Store
    from guanai.core.tabular import read_table

    folder = Path(tempfile.mkdtemp(prefix="guanai-stages-"))
    county = generate.plan(args.children)
    csv_path, n = generate.write_files(county, folder / "files")
    _, url = run.build(args.children, folder, records=False)
    registry = load_registry()
    headers = record_import.step_headers(registry)
    store = Store(url)
    times: dict[str, list[float]] = {}
    lanes: list[Any] = []

    class Lane(record_import.FastLane):
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            lanes.append(self)

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            start = time.perf_counter()
            out = fn(*a, **k)
            times.setdefault(name, []).append(time.perf_counter() - start)
            return out
        return wrapper

    record_import.FastLane = Lane  # type: ignore[misc]
    record_import.check_drafts = timed("careful path: checks", record_import.check_drafts)
    record_import.insert_checked = timed("careful path: insert", record_import.insert_checked)
    gc.disable()  # as record import runs (core/store/importing.py: gc_paused)
    careful = 0
    for _ in range(args.runs):
        start = time.perf_counter()
        table = read_table(csv_path, record_import.RECORD_COLUMNS, lazy=True)
        saved, total = record_import.import_table(store, registry, table, headers, str(csv_path), dry_run=True)
        times.setdefault("whole import (dry run)", []).append(time.perf_counter() - start)
        assert total == n and saved.inserted == n, (total, saved)
        for stage, seconds in lanes[-1].times.items():
            times.setdefault(f"fast lane: {stage}", []).append(seconds)
        careful = n - lanes[-1].taken
    print(f"{n} records, {args.children} children, {careful} by the careful path; "
          f"µs per record of the file (median of {args.runs}):")
    for name, values in times.items():
        print(f"  {name:<64} {statistics.median(values) / n * 1e6:6.2f}")


if __name__ == "__main__":
    main()
