"""Shared output: --json / --csv / rich table, one decorator, results to stdout."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--csv", "as_csv", is_flag=True, help="CSV")(func)
    func = click.option("--json", "as_json", is_flag=True, help="JSON")(func)
    return func


def _default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def dump_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))


def dump_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, (dict,)):
        return json.dumps(value, ensure_ascii=False, default=_default)
    if value is None:
        return ""
    return _default(value) if isinstance(value, (date, datetime, Decimal)) else value


def console(stderr: bool = False):
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out = Console(stderr=stderr, highlight=False, soft_wrap=False, width=160)
    return out


def table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[Any]], justify: Sequence[str] = ()):
    from rich import box
    from rich.table import Table

    tab = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", show_edge=False, pad_edge=False)
    for i, header in enumerate(headers):
        tab.add_column(header, justify=(justify[i] if i < len(justify) else "left"))  # type: ignore[arg-type]
    for row in rows:
        tab.add_row(*("" if v is None else str(v) for v in row))
    return tab


ANSI = {"red": "\x1b[31m", "yellow": "\x1b[33m"}


def text_width(text: str) -> int:
    """Columns a string takes in a terminal: Chinese characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = (),
                styles: Sequence[str | None] = ()) -> str:
    """A table laid out like the rich ones (header, a rule, rows) without importing rich: the
    teacher's `due` is the command people run most, and rich costs a tenth of a second to load.
    Row styles (red, yellow) are applied only on a terminal."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([text_width(h)] + [text_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    colour = sys.stdout.isatty() and "NO_COLOR" not in __import__("os").environ

    def line(values: Sequence[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            pad = " " * (widths[i] - text_width(v))
            parts.append(pad + v if i in right else v + pad)
        return "   ".join(parts).rstrip()

    out = [line(list(headers)), "─" * (sum(widths) + 3 * (len(widths) - 1))]
    for i, row in enumerate(cells):
        text = line(row)
        style = styles[i] if i < len(styles) else None
        out.append(f"{ANSI[style]}{text}\x1b[0m" if colour and style in ANSI else text)
    return "\n".join(out)
