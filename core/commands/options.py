"""What the commands share: their common options, and help written as catalogue keys.

Commands are module-level click objects (sqlite-utils' style), built once per process, while the
language is chosen per run (`--lang`, GUANAI_LANG). So a command's help, epilog and options' help
are written as catalogue keys (`"cli.due.help"`) and `localise` puts them into the run's language
when the command is looked up (core/cli.py's LazyGroup does, for every command it hands out)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import click
from guanai.core.diagnostics import Diagnostic, InputError, diag
from guanai.core.i18n import has, t

KEYS_ATTR = "_guanai_help_keys"  # where a command or parameter keeps the keys its texts came from


def localise(command: click.Command) -> click.Command:
    """`command` with its help, epilog and options' help in the current language (idempotent)."""
    texts: list[tuple[Any, str]] = [(command, "help"), (command, "epilog"), (command, "short_help")]
    texts += [(param, "help") for param in command.params]
    for obj, attr in texts:
        keys = obj.__dict__.setdefault(KEYS_ATTR, {})
        key = keys.setdefault(attr, getattr(obj, attr, None))
        if isinstance(key, str) and has(key):
            setattr(obj, attr, t(key))
    return command


org_option = click.option("--org", metavar="CODE", help="cli.opt.org")
school_option = click.option("--school", required=True, metavar="CODE", help="cli.opt.school")
class_option = click.option("--class", "class_name", metavar="NAME", help="cli.opt.class")
as_of_option = click.option("--as-of", "when", metavar="WHEN", help="cli.opt.as_of_when")
known_at_option = click.option("--known-at", metavar="WHEN", help="cli.opt.known_at")
contacts_option = click.option("--show-contacts", is_flag=True, help="cli.opt.show_contacts")
dry_run_option = click.option("--dry-run", is_flag=True, help="cli.opt.dry_run")
json_option = click.option("--json", "as_json", is_flag=True, help="JSON")


def limit_option(default: int, help: str = "cli.opt.limit") -> Callable[[Any], Any]:
    return click.option("--limit", type=click.IntRange(1), default=default, show_default=True, help=help)


def _use_sheet(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    from guanai.core.tabular import SHEET

    SHEET.set(value)


def sheet_option(func: Any) -> Any:
    """--sheet NAME: which sheet of an .xlsx to import (read by core/tabular.py)."""
    return click.option("--sheet", metavar="NAME", expose_value=False, callback=_use_sheet, help="cli.opt.sheet")(func)


def import_command(help_key: str, *extra: Callable[[Any], Any]) -> Callable[[Any], click.Command]:
    """An `… import FILE [--dry-run] [--sheet NAME]` command with `extra` options before them."""

    def wrap(func: Any) -> click.Command:
        func = dry_run_option(func)
        func = sheet_option(func)
        for option in reversed(extra):
            func = option(func)
        func = click.argument("file", type=click.Path(dir_okay=False, exists=True))(func)
        return click.command("import", help=f"{help_key}.help", epilog=f"{help_key}.example")(click.pass_context(func))

    return wrap


def _as_in_a_cell(value: str) -> date | None:
    """A date written as an import's cells may write it (core/cells.day), or None."""
    from guanai.core.cells import CellError, day

    try:
        return day(value)
    except CellError:
        return None


def parse_cli_choice(value: str | None, choices: dict[str, str], option: str) -> str | None:
    """A coded value typed in words or as its code (`--category 留守` or `left_behind`): the code."""
    from guanai.core.cells import CellError, choice

    try:
        return choice(value, choices)
    except CellError as exc:
        raise InputError([diag(option, None, "", exc.code, **exc.params)]) from None


def parse_cli_date(value: str | None, option: str) -> date | None:
    """A calendar date typed on the command line (`--from 2025-09-01`), in the years guanai keeps."""
    from guanai.core.dates import parse_day
    from pydantic_core import PydanticCustomError

    if value is None:
        return None
    from guanai.core.cells import FIRST_YEAR, LAST_YEAR

    try:
        day = parse_day(value)
    except PydanticCustomError as exc:
        written = _as_in_a_cell(value) if exc.type == "date.format" else None  # 2026/9/1, 2026年9月1日
        if written is None:
            raise InputError([diag(option, None, "", exc.type, **(exc.context or {}))]) from None
        day = written
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InputError([diag(option, None, "", "cell.year", value=day.isoformat(), first=FIRST_YEAR,
                               last=LAST_YEAR)])
    return day


def parse_when(value: str | None, option: str) -> date | datetime | None:
    """A date (end of that day) or a local date-time."""
    from guanai.core import cells

    if value is None:
        return None
    try:
        day, (h, m, s), offset = cells.moment(value)
    except cells.CellError as exc:
        raise InputError([Diagnostic(option, 0, 0, "", exc.code, tuple(exc.params.items()))]) from None
    if " " not in value.strip() and "T" not in value and offset is None:
        return day
    moment = datetime(day.year, day.month, day.day, h, m, s)
    if offset is not None:
        moment = datetime.fromisoformat(f"{moment.isoformat()}{'+00:00' if offset == 'Z' else offset}")
    return moment
