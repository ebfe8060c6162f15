"""Reading the tables schools really make: .csv (UTF-8, UTF-8 with BOM, GB18030/GBK) and .xlsx.

A table becomes header labels as the user wrote them plus rows numbered the way the
spreadsheet numbers them, so every message can say `FILE:ROW:COLUMN`. In .xlsx files a title
row above the header is skipped, merged header cells are filled in, and a two-level header
(父亲 over 姓名 / 电话 / 务工地) is read as 父亲电话 when that is a known column.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guanai.core.diagnostics import Diagnostic, InputError

HEADER_SCAN_ROWS = 12
MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    """A column an import knows: its field, the headers accepted for it, and how to read it."""

    field: str
    headers: tuple[str, ...]
    kind: str = "text"  # text, id, name, date, month_date, gender, bool, phone, int, choice, list
    required: bool = False
    choices: dict[str, str] = field(default_factory=dict)  # normalised spelling -> stored value
    limit: int | None = None  # most characters (text, name, id); None: the kind's (cells.LIMITS)


@dataclass
class Table:
    """A read table: `labels[i]` is the header of column i as written; rows keep their numbers."""

    file: str
    labels: list[str]
    columns: dict[str, int]  # field -> index
    extra: dict[str, int]  # header as written -> index, for headers no Column knows
    rows: Iterable[tuple[int, list[Any]]]  # a list, or an iterator when read lazily
    header_row: int = 1
    text: bool = False  # every cell is text, '' when empty (a .csv)


def norm(header: Any) -> str:
    """A header as compared: no spaces, no required-marks, no unit in brackets, lower case."""
    text = "" if header is None else str(header)
    text = re.sub(r"[\s*＊]", "", text)
    text = re.sub(r"[（(][^）)]*[）)]$", "", text)
    return text.lower()


def read_table(path: str | Path, columns: Sequence[Column], display: str | None = None,
               lazy: bool = False) -> Table:
    """Read FILE into a Table whose header row is the best match for `columns`.

    `lazy`: a .csv's rows are read as they are iterated (once), not held in memory; blank rows
    after the first few are kept (the reader drops them: `blank_row`)."""
    path = Path(path)
    name = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError([Diagnostic(name, 0, 0, "", "table.cannot_read", (("error", exc.strerror),))]) from None
    if size > MAX_BYTES:
        raise InputError([Diagnostic(name, 0, 0, "", "table.too_big", (("size", size),))])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        grid, merged_across = _read_xlsx(path, name)
    elif suffix in (".csv", ".txt"):
        if lazy:
            return _lazy_csv(path, name, columns)
        with _csv_rows(path, _encoding(path, name), name) as rows:
            grid, merged_across = [list(row) for row in rows], set()
    else:
        raise InputError([Diagnostic(name, 0, 0, "", "table.format", (("suffix", suffix or "?"),))])
    return _locate_header(name, grid, merged_across, columns)


def _encoding(path: Path, name: str) -> str:
    """utf-8 (with or without BOM) when the whole file decodes as such, else GB18030; read in
    chunks, so a large file is never held decoded twice."""
    for encoding, decoder in (("utf-8-sig", codecs.getincrementaldecoder("utf-8-sig")()),
                              ("gb18030", codecs.getincrementaldecoder("gb18030")())):
        try:
            with path.open("rb") as f:
                while chunk := f.read(1 << 22):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    # gb18030 decodes almost anything; this is for truly broken files
    raise InputError([Diagnostic(name, 0, 0, "", "table.encoding")])


@contextmanager
def _csv_rows(path: Path, encoding: str, name: str) -> Iterator[Iterator[list[str]]]:
    """The rows of a .csv as csv.reader reads them (tab-separated when its first line says so);
    what the reader cannot read is an InputError at its line."""
    with path.open(encoding=encoding, newline="") as f:
        first = f.readline()
        f.seek(0)
        yield _read_or_say(csv.reader(f, delimiter="\t" if first.count("\t") > first.count(",") else ","), name)


def _read_or_say(reader: Any, name: str) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:  # a cell over the csv module's size limit is the one seen in practice
        if "field limit" in str(exc):
            problem = Diagnostic(name, reader.line_num, 0, "", "table.cell_too_long", (("limit", csv.field_size_limit()),))
        else:
            problem = Diagnostic(name, reader.line_num, 0, "", "table.bad_csv", (("error", str(exc)),))
        raise InputError([problem]) from None


def _lazy_csv(path: Path, name: str, columns: Sequence[Column]) -> Table:
    encoding = _encoding(path, name)
    with _csv_rows(path, encoding, name) as rows:
        head = list(itertools.islice(rows, HEADER_SCAN_ROWS))
    table = _locate_header(name, head, set(), columns)
    table.rows = itertools.chain(table.rows, _rest(path, encoding, name, len(head)))
    table.text = True
    return table


def _rest(path: Path, encoding: str, name: str, skip: int) -> Iterator[tuple[int, list[str]]]:
    """The rows after the first `skip`, numbered as the spreadsheet numbers them, blank ones too
    (a lazy table's reader drops them: `blank_row`; millions of rows are not filtered twice)."""
    with _csv_rows(path, encoding, name) as rows:
        yield from zip(itertools.count(skip + 1), itertools.islice(rows, skip, None))


def blank_row(values: Sequence[Any]) -> bool:
    return not any(v is not None and str(v).strip() for v in values)


def _read_xlsx(path: Path, name: str) -> tuple[list[list[Any]], set[tuple[int, int]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        # Not read-only: merged cell ranges are only known to a fully loaded sheet.
        book = load_workbook(path, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError([Diagnostic(name, 0, 0, "", "table.bad_xlsx", (("error", str(exc)),))]) from None
    sheet = book.worksheets[0]
    grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    merged_across: set[tuple[int, int]] = set()  # (row, col) 0-based cells in a horizontal merge
    for rng in sheet.merged_cells.ranges:
        top = grid[rng.min_row - 1][rng.min_col - 1]
        for r in range(rng.min_row - 1, rng.max_row):
            for c in range(rng.min_col - 1, rng.max_col):
                if r < len(grid) and c < len(grid[r]):
                    grid[r][c] = top
                    if rng.max_col > rng.min_col:
                        merged_across.add((r, c))
    return grid, merged_across


def _locate_header(name: str, grid: list[list[Any]], merged_across: set[tuple[int, int]],
                   columns: Sequence[Column]) -> Table:
    known = {norm(h): col.field for col in columns for h in (col.field, *col.headers)}
    best: tuple[int, int, list[str], list[str | None]] | None = None
    for r in range(min(HEADER_SCAN_ROWS, len(grid))):
        labels, fields = [], []
        for c, value in enumerate(grid[r]):
            label, fld = _label(grid, merged_across, r, c, value, known)
            labels.append(label)
            fields.append(fld)
        hits = len({f for f in fields if f})
        if hits >= 2 and (best is None or hits > best[1]):
            best = (r, hits, labels, fields)
    if best is None:
        expected = "、".join(col.headers[0] for col in columns if col.required)
        raise InputError([Diagnostic(name, 1, 1, "", "table.no_header", (("expected", expected),))])
    r, _, labels, fields = best
    index: dict[str, int] = {}
    extra: dict[str, int] = {}
    problems = []
    for c, (label, fld) in enumerate(zip(labels, fields, strict=True)):
        if fld is None:
            if label:
                extra[label] = c
            continue
        if fld in index:
            problems.append(Diagnostic(name, r + 1, 0, "", "table.duplicate_column",
                                       (("other", labels[index[fld]]),), column=label))
            continue
        index[fld] = c
    for col in columns:
        if col.required and col.field not in index:
            problems.append(Diagnostic(name, r + 1, 0, "", "table.missing_column",
                                       (("column", col.headers[0]),), column=col.headers[0]))
    if problems:
        raise InputError(problems)
    rows = [(i + 1, row) for i, row in enumerate(grid[r + 1:], start=r + 1) if not blank_row(row)]
    return Table(name, labels, index, extra, rows, r + 1)


def _label(grid: list[list[Any]], merged_across: set[tuple[int, int]], r: int, c: int, value: Any,
           known: dict[str, str]) -> tuple[str, str | None]:
    label = "" if value is None else str(value).strip()
    if r > 0 and (r - 1, c) in merged_across and c < len(grid[r - 1]):
        group = grid[r - 1][c]
        if group is not None and group != value:
            combined = f"{str(group).strip()}{label}"
            if norm(combined) in known:
                return combined, known[norm(combined)]
    return label, known.get(norm(label))
