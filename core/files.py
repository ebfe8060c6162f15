"""Files guanai writes: whole or not at all, and readable by their owner only.

Every file guanai writes holds children's data or could (a 台账 lists names, a workbook with
--show-contacts full phones, an export everything held about a child): each is written to a
temporary file beside the target, created with mode 0600 whatever the umask, and renamed onto
the target only once complete — a half-written file never replaces an older one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE = 0o600


@contextmanager
def private_target(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside `path` (mode 0600) to write the whole file to; renamed onto `path`
    when the block ends without an error, removed otherwise."""
    from guanai.core.diagnostics import Refusal

    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:  # -o 报告/2025秋/总结.docx: the folders are made; one that cannot be is said, exit 2
        target.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, PRIVATE))
    except OSError as exc:
        raise Refusal("output.cannot_write", path=str(target), reason=exc.strerror or type(exc).__name__) from None
    if target.is_dir():
        tmp.unlink(missing_ok=True)
        raise Refusal("output.is_folder", path=str(target))
    try:
        yield tmp
        os.chmod(tmp, PRIVATE)  # a writer that made the file anew (rather than opening ours) gets it too
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def write_private(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `path` whole, mode 0600."""
    with private_target(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_private_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` whole, mode 0600."""
    with private_target(path) as tmp:
        tmp.write_bytes(data)
