"""Benchmark: `programme check` of a generated programme with 2,000 duties.

Prints median wall times of several runs, in-process, for: the bare libyaml event parse of the
same file (the floor any YAML-based checker pays), ruamel.yaml's pure-Python round-trip load
(for reference: what the loader used before), and guanai's full load + validate + check.
Usage: python bench/check_programme.py [--duties N] [--runs R] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

STEPS = ["talk", "phone_call", "home_visit", "support_visit", "homework_help", "study_plan"]
EVERY = ["week", "month", "quarter", "term", "year"]


def generate(n: int) -> str:
    lines = [
        "id: bench", "title: 基准方案", "calendar:", "  terms:",
        "    - {id: 2025-autumn, name: 2025年秋季学期, start: 2025-09-01, end: 2026-01-16}",
        "    - {id: 2026-spring, name: 2026年春季学期, start: 2026-03-02, end: 2026-07-10}",
        "phases:", "  - {id: implement, name: 组织实施阶段, start: 2025-09-13, end: 2026-06-30}",
        "duties:",
    ]
    for i in range(n):
        extra = ", during: [implement]" if i % 3 == 0 else ""
        lines.append(f"  - {{id: duty-{i}, name: 职责{i}, group: 组{i % 7}, scope: child, by: proxy_parent, "
                     f"step: {STEPS[i % len(STEPS)]}, every: {EVERY[i % len(EVERY)]}, grace_days: {i % 4}{extra}}}")
    return "\n".join(lines) + "\n"


def median_time(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duties", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from guanai.core.loader import load_programme
    from guanai.core.plugins import load_registry
    from guanai.core.yamlsafe import _events
    from ruamel.yaml import YAML

    registry = load_registry()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(generate(args.duties), encoding="utf-8")
        first = load_programme(path, registry)
        assert first.programme is not None and not first.errors, [d.render() for d in first.errors[:3]]
        text = path.read_text("utf-8")
        floor_s = median_time(lambda: sum(1 for _ in _events(text)), args.runs)
        rt_s = median_time(lambda: YAML(typ="rt").load(text), max(1, args.runs // 2))
        check_s = median_time(lambda: load_programme(path, registry), args.runs)
    result = {"duties": args.duties, "runs": args.runs, "yaml_events_s": round(floor_s, 3),
              "ruamel_rt_load_s": round(rt_s, 3), "check_s": round(check_s, 3),
              "check_vs_events": round(check_s / floor_s, 1)}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")


if __name__ == "__main__":
    main()
