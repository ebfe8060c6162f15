"""`guanai explain --duty ID (--child | --school | --staff | --class …)`: every window of one duty for
one subject, with the records that closed it — the count behind a compliance figure, window by
window. A view (plain data) built from the engine's own derivation, and one renderer per format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import as_of_option, known_at_option
from guanai.core.diagnostics import Diagnostic, InputError
from guanai.core.i18n import t
from guanai.core.output import console, dump_csv, dump_json, output_options, table

if TYPE_CHECKING:  # the service loads the engine (SQLAlchemy): not for `explain --help`
    from guanai.core.services.explain import ExplainView

COLUMNS = ["duty", "window", "start", "due", "grace_days", "status", "required", "done", "responsible", "records"]


@dataclass(frozen=True)
class ExplainOptions:
    duty: str
    child_id: str | None = None
    school: str | None = None
    staff_id: str | None = None
    class_name: str | None = None
    when: str | None = None
    known_at: str | None = None
    as_json: bool = False
    as_csv: bool = False


@click.command("explain", help="cli.explain.help", epilog="cli.explain.example")
@click.option("--duty", required=True, metavar="ID", help="cli.opt.duty")
@click.option("--child", "child_id", metavar="ID", help="cli.opt.child")
@click.option("--school", metavar="CODE", help="cli.opt.school")
@click.option("--staff", "staff_id", metavar="ID", help="cli.opt.record_staff")
@click.option("--class", "class_name", metavar="NAME", help="cli.opt.explain_class")
@as_of_option
@known_at_option
@output_options
@click.pass_context
def explain_command(ctx: click.Context, **options: Any) -> None:
    """Every window of one duty for one child, school, teacher or class, and the records that closed it."""
    explain(ctx, ExplainOptions(**options))


def explain(ctx: click.Context, opts: ExplainOptions) -> None:
    view = explain_view(ctx, opts)
    if opts.as_json:
        dump_json(view.rows)
    elif opts.as_csv:
        dump_csv(view.rows, COLUMNS)
    else:
        _explain_text(view)


def explain_view(ctx: click.Context, opts: ExplainOptions) -> ExplainView:
    from guanai.core.commands.engine import say_missing_plugins
    from guanai.core.commands.options import parse_when
    from guanai.core.services.explain import explain as explained

    kind, subject = _subject(opts)
    moment, known = parse_when(opts.when, "--as-of"), parse_when(opts.known_at, "--known-at")
    view = explained(app_of(ctx), opts.duty, kind, subject, opts.school, moment, known)
    say_missing_plugins(view.missing_plugins)
    return view


def _subject(opts: ExplainOptions) -> tuple[str, str]:
    """The one subject asked about: (kind, id); a class is named within its school."""
    if opts.class_name is not None:
        if not opts.school or opts.child_id or opts.staff_id:
            raise InputError([Diagnostic("--class", 0, 0, "", "explain.class_needs_school")])
        return "class", opts.class_name
    given = [(k, v) for k, v in (("child", opts.child_id), ("school", opts.school), ("staff", opts.staff_id)) if v]
    if len(given) != 1:
        raise InputError([Diagnostic("--child", 0, 0, "", "explain.one_subject")])
    return given[0]


def _explain_text(view: ExplainView) -> None:
    from guanai.core.obligations import MET, OVERDUE
    from guanai.core.render import long_date, responsible_text

    out = console()
    out.print(t("explain.title", duty=view.name, subject=view.subject, when=long_date(view.day)))
    body = [[r["window_name"], f"{r['start']} — {r['due']}", t(f"status.{r['status']}"), f"{r['done']}/{r['required']}",
             responsible_text(view.staff_names.get(r["responsible"], r["responsible"]), view.by), t("list.sep").join(x[5:16].replace("T", " ") for x in r["records"])]
            for r in view.rows]
    out.print(table(None, [t("explain.col.window"), t("explain.col.dates"), t("explain.col.status"),
                           t("explain.col.progress"), t("explain.col.responsible"), t("explain.col.records")], body))
    out.print(t("explain.summary", n=len(view.rows), met=sum(r["status"] == MET for r in view.rows),
                overdue=sum(r["status"] == OVERDUE for r in view.rows)))
