"""A process that records N talks one by one, each in its own transaction (concurrency tests).

Usage: python record_worker.py DB_URL WORKER N KEY_PREFIX
"""

import sys

from guanai.core.plugins import load_registry
from guanai.core.store.db import Store
from guanai.core.store.records import Draft, option_where, save_records

CHILD = "G510722201203150022"


def main() -> None:
    url, worker, n, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    store, registry = Store(url).ready(), load_registry()
    for i in range(n):
        draft = Draft("talk", "child", CHILD, f"2025-10-{1 + i % 28:02d} 10:{i % 60:02d}",
                      {"minutes": str(1 + i % 50)}, "T001", key=f"{prefix}-{i}", where=option_where({}))
        save_records(store, registry, [draft], f"worker {worker}")


if __name__ == "__main__":
    main()
