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
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field  # `field` is a Column attribute
from pathlib import Path
from typing import Any

from guanai.core.diagnostics import Diagnostic, InputError
from guanai.core.i18n import t

HEADER_SCAN_ROWS = 12
MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    """A column an import knows: its field, the headers accepted for it, and how to read it."""

    field: str
    headers: tuple[str, ...]
    kind: str = "text"  # text, id, name, date, month_date, gender, bool, phone, int, choice, list
    required: bool = False
    choices: dict[str, str] = dataclass_field(default_factory=dict)  # normalised spelling -> stored value
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
        grid, merged_across = _read_xlsx(path, name, columns)
    elif suffix in (".csv", ".txt"):
        if lazy:
            return _lazy_csv(path, name, columns)
        with _csv_rows(path, _encoding(path, name), name) as rows:
            grid, merged_across = list(enumerate(rows, start=1)), set()
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
        head = list(enumerate(itertools.islice(rows, HEADER_SCAN_ROWS), start=1))
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


SHEET: ContextVar[str | None] = ContextVar("guanai_sheet", default=None)  # --sheet NAME of the import command being run
MAX_XML_BYTES = 160 * 1024 * 1024  # a workbook's parts uncompressed: ~1M plain cells; bombs hold GBs
MAX_COLUMNS = 512  # a school's widest sheet has ~40 columns; Excel allows 16,384


def _read_xlsx(path: Path, name: str, columns: Sequence[Column]
               ) -> tuple[list[tuple[int, list[Any]]], set[tuple[int, int]]]:
    """The grid of the workbook's data sheet, read streaming (openpyxl's read-only parser), with
    its merged cells. Refused before parsing: parts that unpack to more than MAX_XML_BYTES (a
    59 MB file can hold GBs of XML); while parsing: a cell beyond MAX_COLUMNS, a truncated part."""
    from zipfile import BadZipFile, ZipFile

    from openpyxl import load_workbook

    def bad(code: str, **params: object) -> InputError:
        return InputError([Diagnostic(name, 0, 0, "", code, tuple(params.items()))])

    try:
        with ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XML_BYTES:
            raise bad("table.xlsx_too_big", size=unpacked // (1024 * 1024), limit=MAX_XML_BYTES // (1024 * 1024))
        book = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError, SyntaxError, TypeError) as exc:
        raise bad("table.bad_xlsx", error=str(exc) or type(exc).__name__) from None
    try:
        sheet = _pick_sheet(book, name, columns)
        return _sheet_grid(book, sheet, name)
    except (KeyError, ValueError, SyntaxError, TypeError, OSError) as exc:  # a truncated or broken part
        raise bad("table.bad_xlsx", error=str(exc) or type(exc).__name__) from None
    finally:
        book.close()


def _pick_sheet(book: Any, name: str, columns: Sequence[Column]) -> Any:
    """The sheet to read: the one --sheet names; else the visible sheet with a header row guanai
    knows (the active one when none has); several such sheets are refused: which one is meant?"""
    wanted = SHEET.get()
    if wanted is not None:
        if wanted not in book.sheetnames:
            raise InputError([Diagnostic(name, 0, 0, "", "table.no_sheet",
                                         (("sheet", wanted), ("sheets", "、".join(book.sheetnames))))])
        return book[wanted]
    visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
    if len(visible) > 1:
        known = _known(columns)
        data = [ws for ws in visible if _header_hits(list(_sheet_rows(ws, name, HEADER_SCAN_ROWS)), set(), known)]
        if len(data) > 1:
            raise InputError([Diagnostic(name, 0, 0, "", "table.several_sheets",
                                         (("sheets", "、".join(ws.title for ws in data)),))])
        if data:
            visible = data
    active = book.active
    sheet = active if active in visible else (visible or book.worksheets)[0]
    if len(book.worksheets) > 1:
        print(t("table.sheet_used", file=name, sheet=sheet.title), file=sys.stderr)
    return sheet


def _sheet_rows(sheet: Any, name: str, limit: int | None = None, parser_out: list[Any] | None = None
                ) -> Iterator[tuple[int, list[Any]]]:
    """(row number, values) of the rows a sheet's XML holds, empty rows left out; a value beyond
    MAX_COLUMNS is refused (a cell at XFD1048576 would otherwise make a grid of 17 billion)."""
    from openpyxl.worksheet._reader import WorkSheetParser

    book = sheet.parent
    with sheet._get_source() as src:
        parser = WorkSheetParser(src, sheet._shared_strings, data_only=True, epoch=book.epoch,
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        for number, cells in parser.parse():
            if limit is not None and number > limit:
                return
            values: list[Any] = []
            for cell in cells:
                value = cell["value"]
                if value is None or (isinstance(value, str) and not value):
                    continue
                column = cell["column"]
                if column > MAX_COLUMNS:
                    raise InputError([Diagnostic(name, number, 0, "", "table.too_wide",
                                                 (("column", column), ("limit", MAX_COLUMNS)))])
                if column > len(values):
                    values.extend([None] * (column - len(values)))
                values[column - 1] = value
            if values:
                yield number, values
        if parser_out is not None:
            parser_out.append(parser)


def _sheet_grid(book: Any, sheet: Any, name: str) -> tuple[list[tuple[int, list[Any]]], set[tuple[int, int]]]:
    from openpyxl.utils.cell import range_boundaries

    parsers: list[Any] = []
    rows = list(_sheet_rows(sheet, name, parser_out=parsers))
    merged_across: set[tuple[int, int]] = set()  # (row, col) 1-based row, 0-based col: in a horizontal merge
    merges = parsers[0].merged_cells if parsers else None
    if merges:
        by_number = dict(rows)
        for ref in merges.mergeCell:
            bounds = range_boundaries(ref.ref)
            if None in bounds:
                continue  # a whole row or column: no header
            min_col, min_row, max_col, max_row = (int(b) for b in bounds)  # type: ignore[arg-type]
            if max_col > MAX_COLUMNS or max_row - min_row > 1000:
                continue  # a merge no header needs
            top = by_number.get(min_row, [])
            value = top[min_col - 1] if min_col - 1 < len(top) else None
            for r in range(min_row, max_row + 1):
                row = by_number.get(r)
                if row is None:
                    row = by_number[r] = []
                    rows.append((r, row))
                if len(row) < max_col:
                    row.extend([None] * (max_col - len(row)))
                for c in range(min_col - 1, max_col):
                    row[c] = value
                    if max_col > min_col:
                        merged_across.add((r, c))
        rows.sort(key=lambda pair: pair[0])
    return rows, merged_across


def _known(columns: Sequence[Column]) -> dict[str, str]:
    return {norm(h): col.field for col in columns for h in (col.field, *col.headers)}


def _header_hits(grid: list[tuple[int, list[Any]]], merged_across: set[tuple[int, int]],
                 known: dict[str, str]) -> tuple[int, int, list[str], list[str | None]] | None:
    """The row among the first HEADER_SCAN_ROWS that names most known columns (two at least):
    (its index in `grid`, hits, labels, fields)."""
    best: tuple[int, int, list[str], list[str | None]] | None = None
    previous = {number: values for number, values in grid[:HEADER_SCAN_ROWS]}
    for i, (number, values) in enumerate(grid[:HEADER_SCAN_ROWS]):
        if number > HEADER_SCAN_ROWS:
            break
        labels, fields = [], []
        above = previous.get(number - 1)
        for c, value in enumerate(values):
            label, fld = _label(above, merged_across, number, c, value, known)
            labels.append(label)
            fields.append(fld)
        hits = len({f for f in fields if f})
        if hits >= 2 and (best is None or hits > best[1]):
            best = (i, hits, labels, fields)
    return best


def _locate_header(name: str, grid: list[tuple[int, list[Any]]], merged_across: set[tuple[int, int]],
                   columns: Sequence[Column]) -> Table:
    """`grid`: (spreadsheet row number, values) of the non-empty rows, in order."""
    best = _header_hits(grid, merged_across, _known(columns))
    if best is None:
        expected = "、".join(col.headers[0] for col in columns if col.required)
        raise InputError([Diagnostic(name, 1, 1, "", "table.no_header", (("expected", expected),))])
    i, _, labels, fields = best
    header_row = grid[i][0]
    index: dict[str, int] = {}
    extra: dict[str, int] = {}
    problems = []
    for c, (label, fld) in enumerate(zip(labels, fields, strict=True)):
        if fld is None:
            if label:
                extra[label] = c
            continue
        if fld in index:
            problems.append(Diagnostic(name, header_row, 0, "", "table.duplicate_column",
                                       (("other", labels[index[fld]]),), column=label))
            continue
        index[fld] = c
    for col in columns:
        if col.required and col.field not in index:
            problems.append(Diagnostic(name, header_row, 0, "", "table.missing_column",
                                       (("column", col.headers[0]),), column=col.headers[0]))
    if problems:
        raise InputError(problems)
    rows = [(number, row) for number, row in grid[i + 1:] if not blank_row(row)]
    return Table(name, labels, index, extra, rows, header_row)


def _label(above: list[Any] | None, merged_across: set[tuple[int, int]], number: int, c: int, value: Any,
           known: dict[str, str]) -> tuple[str, str | None]:
    label = "" if value is None else str(value).strip()
    if above is not None and (number - 1, c) in merged_across and c < len(above):
        group = above[c]
        if group is not None and group != value:
            combined = f"{str(group).strip()}{label}"
            if norm(combined) in known:
                return combined, known[norm(combined)]
    return label, known.get(norm(label))
