"""Turning a read table into typed rows, collecting every bad cell as FILE:ROW:COLUMN."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from guanai.core import cells
from guanai.core.diagnostics import Diagnostic
from guanai.core.tabular import Column, Table

READERS: dict[str, Any] = {
    "text": cells.text,
    "name": cells.name,
    "id": cells.identifier,
    "phone": cells.phone,
    "date": cells.day,
    "month_date": lambda v: cells.day(v, month_ok=True),
    "gender": cells.gender,
    "bool": cells.yes_no,
    "list": cells.items,
}


MEMO_CELLS = 200_000  # distinct cells remembered per column


@dataclass(slots=True)
class Row:
    """One data row: its spreadsheet number and the typed values of the columns present."""

    number: int
    values: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Parsed:
    table: Table
    rows: list[Row]
    problems: list[Diagnostic]

    def problem(self, number: int, field_name: str, code: str, /, **params: object) -> None:
        self.problems.append(cell_problem(self.table, number, field_name, code, **params))

    def reported(self, number: int, field_name: str) -> bool:
        """Whether the cell already has a problem (a cell that could not be read is not also empty)."""
        column = cell_problem(self.table, number, field_name, "").column
        return any(p.line == number and p.column == column for p in self.problems)


def cell_problem(table: Table, number: int, field_name: str, code: str, /, **params: object) -> Diagnostic:
    index = table.columns.get(field_name, table.extra.get(field_name))
    column = table.labels[index] if index is not None else field_name
    col = index + 1 if index is not None else 0  # sorts a row's problems left to right
    return Diagnostic(table.file, number, col, "", code, tuple(params.items()), column=column)


def cell(values: list[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def parse_rows(table: Table, columns: Sequence[Column], keep_extra: bool = True) -> Parsed:
    """Read every cell of the known columns; bad cells become problems, never exceptions.

    `keep_extra` also keeps the cells of unknown columns per row (a roster's profile fields).
    """
    parsed = Parsed(table, [], [])
    parsed.rows = list(iter_rows(table, columns, parsed.problems, keep_extra))
    return parsed


def iter_rows(table: Table, columns: Sequence[Column], problems: list[Diagnostic],
              keep_extra: bool = True) -> Iterator[Row]:
    """parse_rows one row at a time (a large file's rows need not all be held); bad cells are
    appended to `problems` as the rows are read."""
    # Cells repeat (the same child, teacher, step, minute on many rows): each distinct cell of a
    # column is read once (a year of records: ~40% of the import's reading time, measured).
    readers: list[tuple[Column, int, Any, dict[Any, Any] | None]] = [
        (col, table.columns[col.field], _reader(col), None if col.kind == "list" else {})  # lists are mutable
               for col in columns if col.field in table.columns]
    for number, values in table.rows:
        row = Row(number, {})
        width = len(values)
        for col, index, read, memo in readers:
            raw = values[index] if index < width else None
            key = (raw.__class__, raw)
            found = memo.get(key) if memo is not None else None
            if found is None:
                try:
                    found = (read(raw), None)
                except cells.CellError as exc:
                    found = (None, exc)
                if memo is not None and len(memo) < MEMO_CELLS:
                    memo[key] = found
            value, error = found
            if error is not None:
                problems.append(cell_problem(table, number, col.field, error.code, **error.params))
                continue
            if col.required and (value is None or value == []):
                problems.append(cell_problem(table, number, col.field, "cell.required"))
                continue
            row.values[col.field] = value
        if keep_extra and table.extra:
            _extra_cells(table, row, values, problems)
        yield row


def _extra_cells(table: Table, row: Row, values: list[Any], problems: list[Diagnostic]) -> None:
    """The row's cells under columns guanai does not know (profile fields): kept as cleaned text."""
    for label, index in table.extra.items():
        raw = cell(values, index)
        if cells.blank(raw):
            continue
        if isinstance(raw, str):
            try:
                raw = cells.clean(raw, cells.LIMITS["free"], lines=True)
            except cells.CellError as exc:
                problems.append(cell_problem(table, row.number, label, exc.code, **exc.params))
                continue
        row.extra[label] = raw


def _reader(col: Column) -> Any:
    if col.kind == "choice":
        return lambda raw: cells.choice(raw, col.choices)
    if col.limit is not None:
        read: Any = READERS[col.kind]
        return lambda raw: read(raw, col.limit)
    return READERS[col.kind]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a large file is read and checked.

    Its rows are acyclic (lists, dicts, strings: freed by reference counting), but their number
    makes each full collection scan hundreds of thousands of live objects: a third of a year's
    import went to the collector (measured, docs/BENCHMARKS.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def duplicates(parsed: Parsed, key: str, code: str = "import.duplicate_id") -> None:
    """Report a second row carrying the same key (the first one wins nothing: both are named)."""
    first: dict[Any, int] = {}
    for row in parsed.rows:
        value = row.values.get(key)
        if value is None:
            continue
        if value in first:
            parsed.problem(row.number, key, code, value=value, row=first[value])
        else:
            first[value] = row.number


def school_year_start(today: date) -> date:
    """1 September of the school year `today` is in."""
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)
