"""`guanai record STEP …` (one record) and `guanai record import FILE` (many)."""

from __future__ import annotations

from typing import Any

import click
from guanai.core.diagnostics import Diagnostic, InputError
from guanai.core.i18n import t
from guanai.core.store.records import Draft, option_where
from guanai.core.tabular import Column

RECORD_COLUMNS = (
    Column("step", ("类型", "记录类型", "step"), "text", required=True),
    Column("child", ("学籍号", "child"), "id"),
    Column("school", ("学校", "学校代码", "school"), "id"),
    Column("staff", ("对象工号", "staff"), "id"),
    Column("class", ("班级", "class"), "text"),
    Column("by", ("工号", "记录人", "by"), "id"),
    Column("at", ("时间", "日期", "at"), "text", required=True),
    Column("key", ("编号", "id"), "id"),
)
SUBJECT_OPTIONS = {"child": "--child", "school": "--school", "staff": "--staff", "class": "--class"}


def record_one(ctx: click.Context, step: str, child: str | None, school: str | None, staff: str | None,
               cls: str | None, by: str | None, at: str | None, settings: tuple[str, ...], key: str | None) -> None:
    from guanai.core.commands.facts import open_store
    from guanai.core.plugins import load_registry
    from guanai.core.store.records import save_records

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
        payload[name.strip()] = value
    store = open_store(ctx)
    options = {"step": "STEP", "by": "--by", "at": "--at", "key": "--id", **SUBJECT_OPTIONS}
    draft = Draft(step, kind, subject, at if at is not None else _now_text(), payload, by,
                  school if kind == "class" else None, key, option_where(options))
    saved = save_records(store, load_registry(), [draft], "cli")
    if saved.existing:
        click.echo(t("record.already", key=key))
    else:
        click.echo(t("record.saved", step=step, subject=subject))


def _now_text() -> str:
    from datetime import datetime

    return datetime.now().astimezone().isoformat(timespec="seconds")


def import_records(ctx: click.Context, file: str, dry_run: bool) -> None:
    from guanai.core.commands.facts import open_store
    from guanai.core.plugins import load_registry
    from guanai.core.store.importing import cell_problem, gc_paused, iter_rows
    from guanai.core.store.records import save_records
    from guanai.core.tabular import norm, read_table

    store = open_store(ctx)
    registry = load_registry()
    with gc_paused():
        table = read_table(file, RECORD_COLUMNS)
        headers = _step_headers(registry)
        unknown = [cell_problem(table, table.header_row, label, "record.unknown_column")
                   for label in table.extra if norm(label) not in headers]
        if unknown:  # without knowing every column no row can be read
            raise InputError(unknown)
        problems: list[Diagnostic] = []
        rows = iter_rows(table, RECORD_COLUMNS, problems, keep_extra=False)  # step fields: read_drafts
        drafts = read_drafts(table, rows, problems, headers)
        table.rows = []  # every cell is in the drafts now: the file's grid is freed before checking
        saved = save_records(store, registry, drafts, file, dry_run=dry_run, found=problems)
    if dry_run:
        click.echo(t("record.import_dry", total=len(drafts), new=saved.inserted, same=saved.existing))
        return
    click.echo(t("record.import_done", total=len(drafts), new=saved.inserted, same=saved.existing))


BLANK = {"", None}


def read_drafts(table: Any, rows: Any, problems: list[Diagnostic],
                headers: dict[str, dict[str, str]]) -> list[Draft]:
    """The drafts of a record file's `rows` (parsed, in table order); problems are appended."""
    from guanai.core.store.importing import cell_problem
    from guanai.core.tabular import norm
    extras = [(label, index, headers[norm(label)]) for label, index in table.extra.items()]
    layouts: dict[str, Any] = {}
    drafts = []
    for (_, values), row in zip(table.rows, rows, strict=True):
        v = row.values
        if "step" not in v:
            continue  # an empty 类型 cell: already reported
        subjects = [k for k in ("child", "staff", "class") if v.get(k)] or (["school"] if v.get("school") else [])
        if len(subjects) != 1:
            problems.append(cell_problem(table, row.number, "child", "record.one_subject_row"))
            continue
        kind = subjects[0]
        step = v["step"]
        layout = layouts.get(step) or layouts.setdefault(step, _layout(step, extras))
        payload = _step_cells(values, layout)
        if payload is None:  # a cell outside the step's columns, a blank-looking cell or a short row
            payload, where_label = {}, {}
            width = len(values)
            for label, index, fields in extras:
                raw = values[index] if index < width else None
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    continue
                name = fields.get(step)
                if name is None:
                    problems.append(cell_problem(table, row.number, label, "record.field_not_of_step", step=step))
                    continue
                payload[name] = raw.strip() if isinstance(raw, str) else raw
                where_label[name] = label
        else:
            where_label = {name: layout[2][name] for name in payload}
        drafts.append(Draft(step, kind, v[kind], v.get("at"), payload, v.get("by"),
                            v.get("school") if kind == "class" else None, v.get("key"),
                            _row_where(table, row.number, where_label)))
    return drafts


def _layout(step: str, extras: list[tuple[str, int, dict[str, str]]]) -> tuple[Any, ...]:
    """Where a step's payload sits in a row: (its cells, a getter of every other extra cell, the
    label of each field, the row width needed)."""
    from operator import itemgetter

    own = [(index, fields[step]) for _, index, fields in extras if step in fields]
    others = [index for _, index, fields in extras if step not in fields]
    getter = itemgetter(*others) if len(others) > 1 else (lambda values: (values[others[0]],)) if others else (
        lambda values: ())
    labels = {fields[step]: label for label, _, fields in extras if step in fields}
    width = max((index for _, index, _ in extras), default=-1) + 1
    return own, getter, labels, width


def _step_cells(values: list[Any], layout: tuple[Any, ...]) -> dict[str, Any] | None:
    """The payload of a row whose cells are plain: its own cells trimmed, every other cell empty.
    None sends the row to the careful path (which names each problem)."""
    own, getter, _, width = layout
    if len(values) < width or not set(getter(values)) <= BLANK:
        return None
    payload = {}
    for index, name in own:
        raw = values[index]
        if raw is None or raw == "":
            continue
        if isinstance(raw, str):
            raw = raw.strip()
            if not raw:
                return None
        payload[name] = raw
    return payload


def _row_where(table: Any, number: int, labels: dict[str, str]) -> Any:
    def where(field_name: str, code: str, params: dict[str, Any]) -> Diagnostic:
        from guanai.core.store.importing import cell_problem  # only when there is a problem

        return cell_problem(table, number, labels.get(field_name, field_name), code, **params)

    return where


def _step_headers(registry: Any) -> dict[str, dict[str, str]]:
    """Normalised header -> {step: field} for every payload field of every step type."""
    from guanai.core.tabular import norm

    out: dict[str, dict[str, str]] = {}
    for step in registry.steps.values():
        for name, info in step.payload.model_fields.items():
            spellings = {name, info.alias or name}
            if info.description:
                spellings.add(info.description.split("：")[0].split("（")[0])
            for spelling in spellings:
                out.setdefault(norm(spelling), {})[step.name] = info.alias or name
    return out
