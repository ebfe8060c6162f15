"""The `guanai` command line. Heavy modules are imported inside the commands that need them."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from guanai.core.i18n import set_lang, t
from guanai.core.output import output_options


def _lang_from_argv(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


class GuanaiGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from guanai.core.diagnostics import InputError

        try:
            return super().invoke(ctx)
        except InputError as exc:
            for d in exc.diagnostics:
                click.echo(d.render(), err=True)
            ctx.exit(2)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # last resort: users never see a traceback
            if os.environ.get("GUANAI_DEBUG") == "1":
                raise
            click.echo(t("cli.internal_error", error=f"{type(exc).__name__}: {exc}"), err=True)
            ctx.exit(2)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        click.echo(t("cli.overview"), nl=False)
        super().format_help(ctx, formatter)


def build_cli() -> click.Group:
    """The click app; the help texts come from the catalogue in the current language."""
    from importlib.metadata import version

    @click.group(cls=GuanaiGroup, invoke_without_command=True, help=t("cli.help"),
                 context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.version_option(version("guanai"), "--version", prog_name="guanai", message="%(prog)s %(version)s")
    @click.option("--lang", type=click.Choice(["zh", "en"]), help=t("cli.opt.lang"))
    @click.option("--db", envvar="GUANAI_DB", default="sqlite:///guanai.db", show_default=True, help=t("cli.opt.db"))
    @click.pass_context
    def cli(ctx: click.Context, lang: str | None, db: str) -> None:
        if lang:
            set_lang(lang)
        ctx.obj = {"db": db}
        if ctx.invoked_subcommand is None:
            click.echo(t("cli.overview"), nl=False)

    @cli.group(help=t("cli.programme.help"))
    def programme() -> None:
        """Group of programme commands; the subcommands do the work."""

    @programme.command("check", help=t("cli.check.help"), epilog=t("cli.check.example"))
    @click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
    @output_options
    def check(files: tuple[str, ...], as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.programme import check_files

        sys.exit(check_files(files, as_json, as_csv))

    @programme.command("schema", help=t("cli.schema.help"), epilog=t("cli.schema.example"))
    def schema() -> None:
        from guanai.core.schema import schema_text

        click.echo(schema_text(), nl=False)

    @programme.command("show", help=t("cli.show.help"), epilog=t("cli.show.example"))
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--month", metavar="YYYY-MM", help=t("cli.opt.month"))
    @output_options
    def show(file: str, month: str | None, as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.programme import show_programme

        show_programme(file, month, as_json, as_csv)

    @programme.command("calendar", help=t("cli.calendar.help"), epilog=t("cli.calendar.example"))
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--from", "start", metavar="DATE", help=t("cli.opt.from"))
    @click.option("--to", "end", metavar="DATE", help=t("cli.opt.to"))
    @output_options
    def calendar(file: str, start: str | None, end: str | None, as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.programme import show_calendar

        show_calendar(file, start, end, as_json, as_csv)

    @cli.group(help=t("cli.plugins.help"))
    def plugins() -> None:
        """Group of plugin commands; the subcommands do the work."""

    @plugins.command("list", help=t("cli.plugins_list.help"), epilog=t("cli.plugins_list.example"))
    @output_options
    def plugins_list(as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.plugins import list_plugins

        list_plugins(as_json, as_csv)

    return cli


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: bad input exits 2 with a one-line message, never a traceback."""
    args = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_from_argv(args)
    if lang:
        set_lang(lang)
    return build_cli().main(args=args, prog_name="guanai", standalone_mode=True)
