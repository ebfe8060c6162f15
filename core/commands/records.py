"""`guanai record STEP …` (one record) and `guanai record import FILE` (many)."""

from __future__ import annotations

import functools
from typing import Any

import click
from guanai.core import cells
from guanai.core.app import app_of
from guanai.core.diagnostics import Diagnostic, InputError
from guanai.core.i18n import t
from guanai.core.store.records import Draft, option_where

SUBJECT_OPTIONS = {"child": "--child", "school": "--school", "staff": "--staff", "class": "--class"}


def record_one(ctx: click.Context, step: str, child: str | None, school: str | None, staff: str | None,
               cls: str | None, by: str | None, at: str | None, settings: tuple[str, ...], key: str | None) -> None:
    from guanai.core.store.records import save_records

    problems: list[Diagnostic] = []
    child, staff, school, by, key = (_option(option, value, problems) for option, value in (
        ("--child", child), ("--staff", staff), ("--school", school), ("--by", by), ("--id", key)))
    cls = _option("--class", cls, problems, cells.name)
    if problems:
        raise InputError(problems)
    given = {k: v for k, v in (("child", child), ("staff", staff), ("class", cls)) if v}
    if school and not cls:
        given["school"] = school
    if len(given) != 1:
        raise InputError([Diagnostic("--child", 0, 0, "", "record.one_subject")])
    kind, subject = next(iter(given.items()))
    payload: dict[str, Any] = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError([Diagnostic("--set", 0, 0, "", "record.set_format", (("value", item),))])
        if name.strip() in payload:
            raise InputError([Diagnostic(f"--set {name.strip()}", 0, 0, "", "record.set_twice", (("key", name.strip()),))])
        payload[name.strip()] = value
    store = app_of(ctx).store
    options = {"step": "STEP", "by": "--by", "at": "--at", "key": "--id", **SUBJECT_OPTIONS}
    draft = Draft(step, kind, subject, at if at is not None else _now_text(ctx), payload, by,
                  school if kind == "class" else None, key, option_where(options))
    saved = save_records(store, app_of(ctx).registry, [draft], "cli")
    if saved.existing:
        click.echo(t("record.already", key=key))
    else:
        click.echo(t("record.saved", step=step, subject=subject))


def _option(option: str, value: str | None, problems: list[Diagnostic], read: Any = None) -> str | None:
    """An option's text through the same reader as an imported cell (trimmed, NFKC for ids,
    no control characters, bounded); an option given but blank is refused, not ignored."""
    if value is None:
        return None
    try:
        found = (read or functools.partial(cells.identifier, limit=128 if option == "--id" else cells.LIMITS["id"]))(value)
    except cells.CellError as exc:
        problems.append(Diagnostic(option, 0, 0, "", exc.code, tuple(exc.params.items())))
        return None
    if found is None:
        problems.append(Diagnostic(option, 0, 0, "", "cell.required"))
    return found


def _now_text(ctx: click.Context) -> str:
    """The command's moment with the machine's UTC offset: a record without --at happened now."""
    return app_of(ctx).started.astimezone().isoformat(timespec="seconds")


def import_records(ctx: click.Context, file: str, dry_run: bool) -> None:
    from guanai.core.store.importing import cell_problem, gc_paused
    from guanai.core.store.record_import import RECORD_COLUMNS, import_table, step_headers
    from guanai.core.tabular import norm, read_table

    store = app_of(ctx).store
    registry = app_of(ctx).registry
    with gc_paused():
        table = read_table(file, RECORD_COLUMNS, lazy=True)
        headers = step_headers(registry)
        unknown = [cell_problem(table, table.header_row, label, "record.unknown_column")
                   for label in table.extra if norm(label) not in headers]
        if unknown:  # without knowing every column no row can be read
            raise InputError(unknown)
        saved, total = import_table(store, registry, table, headers, file, dry_run=dry_run)
    if dry_run:
        click.echo(t("record.import_dry", total=total, new=saved.inserted, same=saved.existing))
        return
    click.echo(t("record.import_done", total=total, new=saved.inserted, same=saved.existing))
