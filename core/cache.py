"""A file cache for pure functions of files (start-up time): JSON under `GUANAI_CACHE_DIR`, by
default ~/.cache/guanai. Each entry's name carries everything its value depends on; deleting the
folder changes no answer, and a damaged or unreadable entry is computed again."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def folder() -> Path:
    if os.environ.get("GUANAI_CACHE_DIR"):
        return Path(os.environ["GUANAI_CACHE_DIR"])
    try:
        return Path.home() / ".cache" / "guanai"
    except RuntimeError:  # no home directory (some service accounts): a cache beside the temp files
        import tempfile

        return Path(tempfile.gettempdir()) / "guanai-cache"


def cached_json(name: str, compute: Callable[[], Any], read: Callable[[Any], T] = lambda data: data,
                stale: str | None = None) -> T:
    """`read(data)` of the cached entry `name`, or of `compute()` (JSON data), kept for next time.
    Writing an entry removes the others matching the glob `stale` (older versions of it)."""
    path = folder() / f"{name}.json"
    with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
        return read(json.loads(path.read_text(encoding="utf-8")))
    data = compute()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with contextlib.suppress(OSError):  # a read-only home: compute each time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        for old in path.parent.glob(stale) if stale else ():
            if old != path:
                old.unlink(missing_ok=True)
    return read(data)
