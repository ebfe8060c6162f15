"""Shared output: --json / --csv / rich table, one decorator, results to stdout."""

from __future__ import annotations

import csv
import functools
import json
import sys
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

import click
from guanai.core.celltext import PERCENT, cell_value, json_default, printable, safe_cell, text_width

XLSX: ContextVar[str | None] = ContextVar("guanai_xlsx", default=None)  # --xlsx FILE of the running command


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--json, --csv and --xlsx FILE. --xlsx takes the --csv path of the command: the same rows and
    columns, written by core/spreadsheet.py to FILE with Chinese headers instead of to stdout."""

    @functools.wraps(func)
    def with_xlsx(*args: Any, xlsx: str | None = None, **kwargs: Any) -> Any:
        token = XLSX.set(xlsx)
        try:
            if xlsx is not None:
                kwargs["as_csv"] = True
            return func(*args, **kwargs)
        finally:
            XLSX.reset(token)

    with_xlsx = click.option("--xlsx", "xlsx", metavar="FILE", type=click.Path(dir_okay=False),
                             help="cli.opt.xlsx")(with_xlsx)  # a catalogue key: see core/commands/options.py
    with_xlsx = click.option("--csv", "as_csv", is_flag=True, help="CSV")(with_xlsx)
    return click.option("--json", "as_json", is_flag=True, help="JSON")(with_xlsx)


def dump_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=json_default))


def dump_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str], labels: str | None = None) -> None:
    """The rows as CSV on stdout — or, under --xlsx FILE, as a workbook with Chinese headers (the
    catalogue's `col.<labels>.<column>`, else `col.<column>`)."""
    target = XLSX.get()
    if target is not None:
        from guanai.core import spreadsheet
        from guanai.core.i18n import has, t

        headers = [t(f"col.{labels}.{c}") if labels and has(f"col.{labels}.{c}") else
                   t(f"col.{c}") if has(f"col.{c}") else c for c in columns]
        spreadsheet.write(target, [spreadsheet.Sheet(t("xlsx.sheet"), headers,
                                                     [[row.get(c) for c in columns] for row in rows],
                                                     percent=[i for i, c in enumerate(columns) if c in PERCENT])])
        click.echo(t("xlsx.written", path=target, n=len(rows)))
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(cell_value(row.get(k))) for k in columns})


def console(stderr: bool = False):
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out = Console(stderr=stderr, highlight=False, soft_wrap=False, width=160)
    return out


def table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[Any]], justify: Sequence[str] = ()):
    from rich import box
    from rich.table import Table
    from rich.text import Text

    tab = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", show_edge=False, pad_edge=False)
    for i, header in enumerate(headers):  # fold, never cut: a long task list wraps onto the next line
        tab.add_column(header, justify=(justify[i] if i < len(justify) else "left"),  # type: ignore[arg-type]
                       overflow="fold")
    for row in rows:
        # Text, not str: a name holding [bold] or [link=…] is shown, not read as rich markup
        tab.add_row(*(Text("" if v is None else printable(str(v))) for v in row))
    return tab


ANSI = {"red": "\x1b[31m", "yellow": "\x1b[33m"}


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = (),
                styles: Sequence[str | None] = ()) -> str:
    """A table laid out like the rich ones (header, a rule, rows) without importing rich: the
    teacher's `due` is the command people run most, and rich costs a tenth of a second to load.
    Row styles (red, yellow) are applied only on a terminal."""
    cells = [[("" if v is None else printable(str(v))) for v in row] for row in rows]
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
