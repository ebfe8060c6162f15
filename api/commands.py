"""guanai.api's helpers for a plugin's commands (part of the API, owned by guanai.api): the
`CommandContext` built from the options guanai adds (`--org`, `--as-of`, `--term`) by
`context_options`, the output helpers every command uses, and the one way a plugin writes —
`NewRecord` and `save`, checked, stored and audited like `guanai record`."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click


def command_context(ctx: click.Context, org: str | None = None, as_of: str | None = None,
                    term: str | None = None) -> Any:
    """The CommandContext for a plugin command's options (as ``context_options`` adds them)."""
    from guanai.core.commands.engine import prepare
    from guanai.core.store.context import CommandContext

    c = prepare(ctx, org, as_of)
    return CommandContext(c.schools, c.asof.day, term, c.store, c.segs, c.registry, _owner(ctx, c.registry))


def _owner(ctx: click.Context, registry: Any) -> str:
    """The plugin whose command is running (its `settings` are the context's)."""
    root = ctx.find_root().command
    name = ctx.command_path.split()[1] if len(ctx.command_path.split()) > 1 else ""
    return getattr(root, "_owners", {}).get(name, "")


def context_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give a plugin command ``--org``, ``--as-of`` and ``--term``, and pass it a ``CommandContext``
    as its first argument (``gctx``) instead of those options."""
    import functools

    from guanai.core.i18n import t

    @click.option("--term", "term_id", metavar="ID", help=t("cli.opt.term"))
    @click.option("--as-of", "as_of", metavar="DATE", help=t("cli.opt.as_of"))
    @click.option("--org", metavar="CODE", help=t("cli.opt.org"))
    @click.pass_context
    @functools.wraps(func)
    def command(ctx: click.Context, org: str | None, as_of: str | None, term_id: str | None, **kwargs: Any) -> Any:
        return func(command_context(ctx, org, as_of, term_id), **kwargs)

    return command


def print_table(title: str | None, headers: Sequence[str], rows: Sequence[Sequence[Any]],
                justify: Sequence[str] = ()) -> None:
    """A table on the terminal, laid out like guanai's own (Chinese-width aware, no markup read)."""
    from guanai.core.output import console, table

    console().print(table(title, headers, rows, justify))


def write_json(data: Any) -> None:
    """JSON on stdout as guanai's commands write it (UTF-8, dates as ISO text, decimals as text)."""
    from guanai.core.output import dump_json

    dump_json(data)


@dataclass
class NewRecord:
    """A record a plugin command hands to guanai (``save``): checked exactly like
    ``guanai record`` (step, subject, time, payload model, ``on_record`` hooks), then stored.
    ``row`` and ``columns`` (payload field → header) place its errors in the sheet it came from."""

    step: str
    subject_kind: str  # child | school | staff | class
    subject: str
    at: Any  # local time: text as in `--at`, or a datetime
    payload: dict[str, Any] = field(default_factory=dict)
    by: str | None = None
    key: str | None = None
    row: int = 0
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class Sheet:
    """A table read by ``read_sheet``: its rows (spreadsheet number, values by field; bad cells are
    already problems) and the problems found, each placed ``FILE:ROW:COLUMN``."""

    file: str
    rows: list[tuple[int, dict[str, Any]]]
    _table: Any = None
    _problems: list[Any] = field(default_factory=list)

    def problem(self, row: int, field_name: str, message: str) -> None:
        """Report a problem in a cell, in the plugin's own words; nothing is stored then."""
        from guanai.core.store.importing import cell_problem

        self._problems.append(cell_problem(self._table, row, field_name, "plugin.cell", message=message))


def read_sheet(path: str, columns: dict[str, tuple[str, ...]], required: Iterable[str] = (),
               ids: Iterable[str] = ()) -> Sheet:
    """Read a .csv or .xlsx the way guanai's imports do (encodings, header row, sheets, bounds, the
    text gate): ``columns`` maps each field to the headers accepted for it; ``ids`` are read as ids
    (text only, NFKC), the others as text."""
    from guanai.core.store.importing import parse_rows
    from guanai.core.tabular import Column, read_table

    required, ids = set(required), set(ids)
    cols = [Column(name, spelled, "id" if name in ids else "text", required=name in required)
            for name, spelled in columns.items()]
    table = read_table(path, cols)
    parsed = parse_rows(table, cols)
    return Sheet(table.file, [(row.number, dict(row.values)) for row in parsed.rows], table, list(parsed.problems))


def save(gctx: Any, found: Sequence[NewRecord], source: str, dry_run: bool = False,
         sheet: Sheet | None = None) -> tuple[int, int]:
    """Check and store ``found`` all or nothing (nothing with ``dry_run``); every problem — the
    sheet's and the records' — is reported at once and nothing is stored. Returns (new, existing)."""
    from guanai.core.store.importing import cell_problem
    from guanai.core.store.records import Draft, option_where, save_records

    def placed(new: NewRecord) -> Any:
        """Where a record's problems are told: its row and column in the sheet, or its option."""
        if sheet is None:
            return option_where({})
        table = sheet._table

        def where(field_name: str, code: str, params: dict[str, Any]) -> Any:
            return cell_problem(table, new.row, new.columns.get(field_name) or field_name, code, **params)

        return where

    drafts = [Draft(new.step, new.subject_kind, new.subject, new.at, dict(new.payload), new.by, None, new.key,
                    placed(new)) for new in found]
    saved = save_records(gctx._store, gctx._registry, drafts, source, dry_run=dry_run,
                         found=list(sheet._problems) if sheet is not None else None)
    return saved.inserted, saved.existing
