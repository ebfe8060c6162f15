"""`guanai record STEP …` (one record) and `guanai record import FILE` (many)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import dry_run_option, localise, sheet_option
from guanai.core.diagnostics import Diagnostic, InputError
from guanai.core.i18n import t


class RecordGroup(click.Group):
    """`record import FILE`, and `record STEP …` for every step type the plugins provide."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return ["import", *sorted(app_of(ctx).registry.steps)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "import":
            return localise(record_import_command)
        from guanai.core.store.record_import import step_titles

        registry = app_of(ctx).registry
        return step_command(step_titles(registry).get(name, name), registry)  # `record 成长日记` is `record growth_diary`

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0]
        return name, self.get_command(ctx, name), args[1:]


record_group = RecordGroup("record", help="cli.record.help", epilog="cli.record.example")


@click.command("import", help="cli.record_import.help", epilog="cli.record_import.example")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@dry_run_option
@sheet_option
@click.pass_context
def record_import_command(ctx: click.Context, file: str, dry_run: bool) -> None:
    """Import a file of records (one per row), all or nothing, every error at once."""
    import_records(ctx, file, dry_run)


@dataclass(frozen=True)
class RecordOptions:
    """One record: its step, its subject (one of child, school, staff, class), who, when, what."""

    step: str
    child: str | None = None
    school: str | None = None
    staff: str | None = None
    cls: str | None = None
    by: str | None = None
    at: str | None = None
    settings: tuple[str, ...] = ()
    key: str | None = None
    purpose: str | None = None


def step_command(step: str, registry: Any) -> click.Command:
    """`record STEP`, its help made from the step's own fields and an example (a plugin's step or
    one a published programme declares)."""
    known = registry.steps.get(step)
    title = f"{known.title}（{step}）" if known else step
    text, example = t("cli.record_step.help", step=title), t("cli.record.example")
    if known is not None:  # the step's own fields and an example made from them
        fields = "\n".join(f"  {f.name}{'（必填）' if f.required else ''}：{f.description or f.type}（{f.type}）"
                           for f in known.field_info())
        text = f"{text}：{known.description}\n\n\b\n{t('cli.record_step.fields')}\n{fields}"
        example = t("cli.record_step.example", example=known.example())

    @click.command(step, help=text, short_help=title, epilog=example)
    @click.option("--child", metavar="ID", help="cli.opt.child")
    @click.option("--school", metavar="CODE", help="cli.opt.record_school")
    @click.option("--staff", metavar="ID", help="cli.opt.record_staff")
    @click.option("--class", "cls", metavar="NAME", help="cli.opt.record_class")
    @click.option("--by", metavar="STAFF", help="cli.opt.by")
    @click.option("--at", metavar="WHEN", help="cli.opt.at")
    @click.option("--set", "settings", multiple=True, metavar="K=V", help="cli.opt.set")
    @click.option("--id", "key", metavar="KEY", help="cli.opt.key")
    @click.option("--for", "purpose", metavar="DUTY", help="cli.opt.for")
    @click.pass_context
    def command(ctx: click.Context, **options: Any) -> None:
        record_one(ctx, RecordOptions(step, **options))

    return localise(command)


def record_one(ctx: click.Context, opts: RecordOptions) -> None:
    from guanai.core.store.records import CLI_NAMES, draft_of, save_records

    pairs: list[tuple[str, str]] = []
    for item in opts.settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError([Diagnostic("--set", 0, 0, "", "record.set_format", (("value", item),))])
        pairs.append((name.strip(), value))
    registry = app_of(ctx).registry
    given = {"child": opts.child, "staff": opts.staff, "school": opts.school, "class": opts.cls, "by": opts.by,
             "key": opts.key, "at": opts.at, "for_item": opts.purpose}
    draft = draft_of(registry, opts.step, given, pairs, CLI_NAMES, _now_text(ctx))
    saved = save_records(app_of(ctx).store, registry, [draft], "cli")
    if saved.existing:
        click.echo(t("record.already", key=draft.key))
    else:
        kind_of = registry.steps.get(opts.step)  # the step in the plugin's words: 谈心, not talk
        click.echo(t("record.saved", step=getattr(kind_of, "title", None) or opts.step, subject=draft.subject))


def _now_text(ctx: click.Context) -> str:
    """The command's moment with the machine's UTC offset: a record without --at happened now."""
    return app_of(ctx).started.astimezone().isoformat(timespec="seconds")


def import_records(ctx: click.Context, file: str, dry_run: bool) -> None:
    from guanai.core.store.importing import cell_problem, gc_paused
    from guanai.core.store.record_import import RECORD_COLUMNS, import_table
    from guanai.core.store.records import step_headers
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
