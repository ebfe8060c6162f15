"""The one writer of .xlsx files guanai hands out (`--xlsx` of the listings, the reports' workbooks):
Chinese headers, cells neutralised against formula injection by celltext.safe_cell (the CSVs'
rule), identifiers and phones kept as text, and laid out to print: A4 landscape, the header
repeated on every page and frozen on screen, columns wide enough for Chinese text."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from guanai.core.celltext import cell_value, safe_cell, text_width
from guanai.core.files import private_target

MAX_WIDTH = 60  # characters; longer text wraps
LINE_HEIGHT = 15  # points: one line of 11 pt text
TEXT_ALIGN: Any = None  # set on first use
NUMBER_ALIGN: Any = None  # set on first use (openpyxl is imported only when a workbook is written)


@dataclass
class Chart:
    """A native Excel chart of one column against the labels of another (0-based column indexes),
    over the sheet's first `rows` data rows; drawn by the viewer, so Chinese labels need no font."""

    kind: str  # bar | line
    title: str
    values: int
    labels: int
    rows: int
    start: int = 0  # the first data row charted (0-based): the weakest 20 of 200 schools, say
    series: int = 1  # columns values … values + series - 1, one line or bar each, named by their headers
    percent: bool = True  # shares from 0 to 100%; else counts from 0


@dataclass
class Sheet:
    """One sheet: its name, an optional title line above the header, the header and the rows."""

    name: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    title: str | None = None
    subtitle: str | None = None  # the unit and the period, under the title
    percent: Sequence[int] = ()  # columns holding shares (0.714 shown as 71.4%)
    widths: dict[int, int] = field(default_factory=dict)  # column -> width in characters, when fixed
    charts: Sequence[Chart] = ()


def value_of(value: Any) -> Any:
    """A cell's value as the workbook stores it: numbers and dates typed, text neutralised."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: the local time as shown elsewhere
    if isinstance(value, Fraction):  # a Rate: the figure the documents show (22.4%), not 22.45%
        from guanai.core.render import rate_tenths

        return rate_tenths(value) / 1000
    if isinstance(value, (int, float, Decimal, date, datetime)):
        return float(value) if isinstance(value, Decimal) else value
    plain = cell_value(value)
    return safe_cell(plain) if isinstance(plain, str) else plain


def write(path: str | os.PathLike[str], sheets: Sequence[Sheet]) -> None:
    """Write the workbook to `path` (a temporary file first: a half-written file never replaces an
    older one)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    for blank in list(book.worksheets):
        book.remove(blank)
    for spec in sheets:
        ws = book.create_sheet(_sheet_name(spec.name))
        first = _heading(ws, spec)
        widths = _body(ws, spec, first)
        header_lines = 1
        for col, width in enumerate(widths, 1):
            chosen = spec.widths.get(col - 1, min(width, MAX_WIDTH * 2) / 2 * 2.1 + 3)
            ws.column_dimensions[get_column_letter(col)].width = chosen
            header_lines = max(header_lines, -(-int(text_width(str(spec.headers[col - 1])) * 1.05) // int(chosen)))
        if header_lines > 1:  # a header wider than its column wraps: its row shows every line
            ws.row_dimensions[first].height = LINE_HEIGHT * header_lines
        ws.freeze_panes = ws.cell(row=first + 1, column=1)
        if spec.headers:
            ws.auto_filter.ref = f"A{first}:{get_column_letter(len(spec.headers))}{first + max(len(spec.rows), 1)}"
            ws.print_area = f"A1:{get_column_letter(len(spec.headers))}{first + max(len(spec.rows), 1)}"
        _page(ws, first)
        for chart in spec.charts:  # each chart on a sheet of its own, after its table: printed whole, never over it
            sheet = book.create_sheet(_sheet_name(f"{spec.name}{CHART_SUFFIX}"))
            drawn = _chart(ws, chart, first)
            drawn.width, drawn.height = 25, max(drawn.height, 15)  # cm: a landscape A4 page
            sheet.add_chart(drawn, "A1")
            _page(sheet, 0)
    with private_target(path) as tmp:
        book.save(tmp)


def _heading(ws: Any, spec: Sheet) -> int:
    """The title and subtitle rows (merged across the table) and the header row; returns the
    header's row number."""
    from openpyxl.styles import Alignment, Font, PatternFill

    first = 1
    span = max(len(spec.headers), 1)
    for text, font in ((spec.title, Font(bold=True, size=14)), (spec.subtitle, Font(size=10))):
        if text:
            cell = ws.cell(row=first, column=1, value=safe_cell(text))
            cell.font = font
            cell.alignment = Alignment(horizontal="center" if font.b else "left", vertical="center",
                                       wrap_text=not font.b)
            if span > 1:
                ws.merge_cells(start_row=first, start_column=1, end_row=first, end_column=span)
            if not font.b and len(text) > 60:
                ws.row_dimensions[first].height = 15 * (1 + len(text) // 90)
            first += 1
    for col, header in enumerate(spec.headers, 1):
        cell = ws.cell(row=first, column=col, value=safe_cell(str(header)))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF4")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.border = _thin()
    return first


def _thin() -> Any:
    """The thin border every table cell prints with (one object: openpyxl keeps one style)."""
    global _THIN
    if _THIN is None:
        from openpyxl.styles import Border, Side

        side = Side(style="thin", color="808080")
        _THIN = Border(left=side, right=side, top=side, bottom=side)
    return _THIN


_THIN: Any = None


def _body(ws: Any, spec: Sheet, first: int) -> list[float]:
    """The rows under the header, each cell typed and formatted; returns each column's width."""
    from openpyxl.styles import Alignment

    widths: list[float] = [text_width(str(h)) for h in spec.headers]
    border = _thin()
    for r, row in enumerate(spec.rows, first + 1):
        lines = 1
        for col, raw in enumerate(row, 1):
            value = value_of(raw)
            cell = ws.cell(row=r, column=col, value=value)
            cell.border = border
            widths[col - 1] = max(widths[col - 1], _format(cell, value, col - 1 in spec.percent, raw))
            if isinstance(value, str):
                lines = max(lines, value.count("\n") + 1)
        if lines > 1:  # a cell of several lines (a parent's name, phone, workplace): the row shows them all,
            ws.row_dimensions[r].height = LINE_HEIGHT * lines  # and its other cells stand in the middle
            for cell in ws[r]:
                cell.alignment = Alignment(horizontal=cell.alignment.horizontal, vertical="center",
                                           wrap_text=cell.alignment.wrap_text)
    if not spec.rows and spec.headers:  # an empty sheet says so, rather than printing a bare header
        ws.cell(row=first + 1, column=1, value=EMPTY_SHEET).border = border
        if len(spec.headers) > 1:
            ws.merge_cells(start_row=first + 1, start_column=1, end_row=first + 1, end_column=len(spec.headers))
    return widths


EMPTY_SHEET = "本期无记录"


def _format(cell: Any, value: Any, percent: bool, raw: Any = None) -> float:
    """Format one cell for its value; returns the width the value needs."""
    from openpyxl.styles import Alignment

    if isinstance(value, str):
        cell.number_format = "@"  # text: 学籍号 and phones keep their digits
        if "\n" in value or text_width(value) > MAX_WIDTH * 2:  # lines of their own, or too long: wrapped
            cell.alignment = Alignment(wrap_text=True, vertical="top", indent=1)
        else:  # a space after the previous column's number: 92.6% never runs into 3/3
            global TEXT_ALIGN
            TEXT_ALIGN = TEXT_ALIGN or Alignment(horizontal="left", indent=1)
            cell.alignment = TEXT_ALIGN
        return min(max(text_width(line) for line in value.split("\n")) + 2, MAX_WIDTH * 2)
    if isinstance(value, (date, datetime)):
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
        cell.alignment = Alignment(horizontal="center")
        return 16 if isinstance(value, datetime) else 11
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        global NUMBER_ALIGN
        NUMBER_ALIGN = NUMBER_ALIGN or _number_align()
        cell.alignment = NUMBER_ALIGN  # a space before the next column's text: 92.6% never runs into 3/3
    if percent and isinstance(value, (int, float)):
        cell.number_format = "0.0%"
        return 9
    if isinstance(value, int) and not isinstance(value, bool):  # 11,605: as the documents write it
        cell.number_format = "#,##0"
        return len(f"{value:,}") + 2
    if isinstance(raw, Decimal):  # an amount (312.50 元), a measure (150.5 厘米): its decimals as recorded, grouped
        places = max(-int(raw.as_tuple().exponent), 0)
        cell.number_format = "#,##0" + ("." + "0" * places if places else "")
        return len(f"{raw:,}") + 2
    return len(str(value)) if value is not None else 0


def _number_align() -> Any:
    from openpyxl.styles import Alignment

    return Alignment(horizontal="right", indent=1)


def _page(ws: Any, header_row: int) -> None:
    """A4 landscape, one page wide, the header (row `header_row`, 0 for none) on every printed page."""
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    for footer in (ws.oddFooter, ws.evenFooter):  # 第 1 页 共 12 页 at the foot of every page
        footer.center.text = "第 &P 页 共 &N 页"
        footer.center.size = 9


CHART_SUFFIX = "图"  # 学校排名 → 学校排名图


def _chart(ws: Any, spec: Chart, header_row: int) -> Any:
    from openpyxl.chart import BarChart, LineChart, Reference

    chart: Any = BarChart() if spec.kind == "bar" else LineChart()
    if spec.kind == "bar":
        chart.type = "bar"  # horizontal: long school names read well
        chart.height = max(7.5, 0.5 * spec.rows + 2)
    else:
        chart.height = 7.5
    chart.width = 16
    chart.title = spec.title
    if spec.series == 1:
        chart.legend = None
    if spec.percent:
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    else:
        chart.y_axis.scaling.min = 0
    first, last = header_row + 1 + spec.start, header_row + spec.start + spec.rows
    data = Reference(ws, min_col=spec.values + 1, max_col=spec.values + spec.series,
                     min_row=first - (spec.series > 1), max_row=last)
    labels = Reference(ws, min_col=spec.labels + 1, min_row=first, max_row=last)
    chart.add_data(data, titles_from_data=spec.series > 1)
    chart.set_categories(labels)
    if spec.kind == "bar":
        chart.x_axis.scaling.orientation = "maxMin"  # the first row at the top
    return chart


def _sheet_name(name: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31] or "Sheet"
