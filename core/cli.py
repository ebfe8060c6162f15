"""The `guanai` command line: the root group, and where each command lives. The commands sit beside
their logic in core/commands/ and are imported only when used; heavy modules load inside them."""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import click
from guanai.core.app import DEFAULT_DB, App
from guanai.core.i18n import current_lang, set_lang, speak_for_click, t


def _lang_from_argv(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


# Where each command lives: "module:attribute" under guanai.core.commands, imported only when the
# command is used (`guanai due` imports commands/engine.py and no other), or (help key, subcommands)
# for a group. Each command sits beside its logic in its module, as sqlite-utils writes them.
COMMANDS: dict[str, Any] = {
    "programme": ("cli.programme.help", {
        "check": "programme:check_command", "schema": "programme:schema_command", "show": "programme:show_command",
        "calendar": "programme:calendar_command", "next": "programme:next_command", "simulate": "simulate:simulate_command",
        "diff": "simulate:diff_command", "publish": "facts:publish_command",
        "versions": "facts:versions_command", "withdraw": "facts:withdraw_command"}),
    "init": "facts:init_command",
    "org": ("cli.org.help", {"import": "facts:org_import_command", "list": "listings:org_list_command"}),
    "roster": ("cli.roster.help", {"import": "facts:roster_import_command", "promote": "facts:roster_promote_command"}),
    "staff": ("cli.staff.help", {"import": "facts:staff_import_command", "list": "listings:staff_list_command"}),
    "assign": ("cli.assign.help", {
        "import": "facts:assign_import_command", "auto": "facts:assign_auto_command",
        "check": "facts:assign_check_command", "list": "stats:assign_list_command"}),
    "record": "records:record_group",
    "records": ("cli.records.help", {"list": "listings:records_list_command"}),
    "children": ("cli.children.help", {"list": "listings:children_list_command",
                                       "show": "listings:children_show_command"}),
    "due": "engine:due_command",
    "compliance": "engine:compliance_command",
    "indicators": "engine:indicators_command",
    "explain": "explain:explain_command",
    "stats": "stats:stats_command",
    "report": ("cli.report.help", {"summary": "reports:summary_command", "ledger": "reports:ledger_command",
                                   "county": "reports:county_command", "template": "reports:template_command"}),
    "audit": ("cli.audit.help", {"list": "audit:audit_list_command", "verify": "audit:audit_verify_command",
                                  "checkpoint": "audit:audit_checkpoint_command"}),
    "export": "pipl:export_command",
    "purge": "pipl:purge_command",
    "user": ("cli.user.help", {"add": "users:user_add_command", "list": "users:user_list_command",
                               "remove": "users:user_remove_command"}),
    "demo": "demo:demo_command",
    "serve": "serve:serve_command",
    "plugins": ("cli.plugins.help", {"list": "plugins:plugins_list_command", "check": "plugins:plugins_check_command",
                                     "show": "plugins:plugins_show_command"}),
    "plugin": ("cli.plugin.help", {"new": "plugins:plugin_new_command"}),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when asked for (click's "lazily loading subcommands"), each
    handed out in the run's language (core/commands/options.py)."""

    def __init__(self, *args: Any, lazy: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from guanai.core.commands.options import localise

        target = self.lazy.get(cmd_name)
        found = super().get_command(ctx, cmd_name) if target is None else _resolve(cmd_name, target)
        return localise(found) if found is not None else None


def _resolve(name: str, target: Any) -> click.Command:
    if isinstance(target, tuple):  # a group: its help key and its own commands
        help_key, commands = target
        return LazyGroup(name, help=help_key, lazy=commands)
    import importlib

    module, _, attr = target.partition(":")
    command: click.Command = getattr(importlib.import_module(f"guanai.core.commands.{module}"), attr)
    return command


class GuanaiGroup(LazyGroup):
    """The root group: errors as one line and an exit code, never a traceback; plugins' commands."""

    def invoke(self, ctx: click.Context) -> Any:
        from guanai.core.diagnostics import InputError, Refusal

        try:
            return super().invoke(ctx)
        except InputError as exc:
            for d in exc.diagnostics:
                click.echo(d.render(), err=True)
            if len(exc.diagnostics) > 1:
                click.echo(t("diag.summary_errors", n=len(exc.diagnostics)), err=True)
            ctx.exit(2)
        except Refusal as exc:
            click.echo(exc.message, err=True)
            ctx.exit(2)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # `guanai due … | head`: the reader has seen enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as exc:  # last resort: users never see a traceback
            self._last_resort(ctx, exc)

    def _last_resort(self, ctx: click.Context, exc: Exception) -> None:
        """An error nobody turned into a message: said in one line, exit 2 (a traceback with
        GUANAI_DEBUG=1)."""
        if os.environ.get("GUANAI_DEBUG") == "1":
            raise exc
        if isinstance(exc, MemoryError):  # a file far larger than one school's: nothing was written
            click.echo(t("cli.out_of_memory"), err=True)
            ctx.exit(2)
        owner = self._owners.get(ctx.invoked_subcommand or "")
        if owner is not None:  # a plugin's command: say whose, and how to go on without it
            click.echo(t("plugin.command_failed", plugin=owner, command=ctx.invoked_subcommand,
                         error=_error_text(exc)), err=True)
            ctx.exit(2)
        if hasattr(exc, "orig") or type(exc).__module__ == "sqlite3":  # the database's own failure
            from guanai.core.store.db import explain

            known = explain(exc, getattr(ctx.obj, "db_url", ""))
            if known is not None:
                click.echo(known.message, err=True)
                ctx.exit(2)
        click.echo(t("cli.internal_error", error=_error_text(exc)), err=True)
        ctx.exit(2)

    _plugin_commands_loaded = False
    _owners: dict[str, str] = {}  # command name -> the plugin that added it

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and not self._plugin_commands_loaded:
            self._load_plugin_commands()
            found = super().get_command(ctx, cmd_name)
        if found is not None and cmd_name in self._owners:
            from guanai.core.registry import trace_call

            trace_call(self._owners[cmd_name], "command", cmd_name)
        return found

    def _load_plugin_commands(self) -> None:
        """Let plugins add commands (register_commands), only when a command is not built in: `--help`
        stays fast and lists the built-in commands; `guanai plugins list` shows plugins' commands."""
        if self._plugin_commands_loaded:
            return
        self._plugin_commands_loaded = True
        from guanai.core.plugins import (
            Contained,
            call_plugin,
            contained,
            implementing,
            load_registry,
        )

        pm = load_registry().pm
        claimed: dict[str, str] = {}  # command name -> the plugin that added it
        taken: set[str] = set()  # names two plugins want: neither gets them
        for plugin in implementing(pm, "register_commands"):
            before = dict(self.commands)
            try:
                with contained(plugin, "register"):
                    call_plugin(pm, "register_commands", plugin, cli=self)
            except Contained as exc:  # a broken plugin must not take the CLI down
                self.commands = before
                click.echo(exc.problem.line(), err=True)
                continue
            for name in [n for n in self.commands if n in self.lazy]:  # a built-in name: the built-in stays
                del self.commands[name]
                click.echo(t("plugin.command_clash", plugin=plugin, command=name), err=True)
            for name in [n for n in self.commands if n not in before or self.commands[n] is not before[n]]:
                if name in claimed or name in taken:  # a second plugin's command of the same name
                    click.echo(t("plugin.command_taken", plugin=plugin, other=claimed.get(name, "?"),
                                 command=name), err=True)
                    taken.add(name)
                    self.commands.pop(name, None)
                    claimed.pop(name, None)
                else:
                    claimed[name] = plugin
        self._owners = {**self._owners, **claimed}

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        click.echo(t("cli.overview"), nl=False)
        super().format_help(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """`guanai --help` lists each built-in command by its help in the catalogue (a top-level
        command's key is cli.<name>.help, a group's its own) without importing its module; a test
        checks each line is the command's own help."""
        listing = LazyGroup(self.name, lazy={name: (key, {}) for name, key in listing_keys().items()})
        listing.format_commands(ctx, formatter)
        by_plugin: dict[str, list[tuple[str, str]]] = {}
        for owner, name, text in self._plugin_listing():  # each plugin's commands under its name
            by_plugin.setdefault(owner, []).append((name, text))
        for owner, rows in by_plugin.items():
            with formatter.section(t("cli.plugin_commands", plugin=owner)):
                formatter.write_dl(rows)

    def _plugin_listing(self) -> list[list[str]]:
        """(plugin, command, help) of every plugin command, for --help: cached under a key made of
        the installed plugins (entry points, the plugins folder's files and their times, the
        built-ins' files), so that --help does not import every plugin each time."""
        import hashlib
        import json
        from importlib import metadata
        from pathlib import Path

        from guanai.core.cache import cached_json
        from guanai.core.i18n import current_lang

        def compute() -> list[list[str]]:
            self._load_plugin_commands()
            return [[owner, name, self.commands[name].get_short_help_str(limit=80)]
                    for name, owner in sorted(self._owners.items()) if name in self.commands]

        here = Path(__file__).resolve().parent.parent / "plugins"
        folder = os.environ.get("GUANAI_PLUGINS_DIR")
        files = sorted([*here.glob("*.py"), *(Path(folder).glob("*.py") if folder else ())])
        key = json.dumps([sorted((ep.name, ep.value) for ep in metadata.entry_points(group="guanai")),
                          [(str(f), f.stat().st_mtime_ns) for f in files], os.environ.get("GUANAI_DISABLE_PLUGINS"),
                          current_lang()])
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        return cached_json(f"help-plugins-{digest}", compute, stale="help-plugins-*")


def listing_keys() -> dict[str, str]:
    """The help key of each top-level command, as `guanai --help` shows it."""
    return {name: target[0] if isinstance(target, tuple) else f"cli.{name}.help" for name, target in COMMANDS.items()}


def _error_text(exc: BaseException) -> str:
    """An unexpected error in one line: for a database error the driver's first line only (never
    the statement or its parameters, which hold rows of personal data)."""
    orig = getattr(exc, "orig", None)  # sqlalchemy.exc.DBAPIError, without importing SQLAlchemy
    if orig is not None:
        lines = str(orig).strip().splitlines()
        return f"{type(orig).__name__}: {lines[0] if lines else ''}"
    return f"{type(exc).__name__}: {exc}"


def _plugins_dir(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """--plugins-dir DIR: try the plugin modules in DIR (NAME.py) without packaging them; the same
    as GUANAI_PLUGINS_DIR (core/plugins.py reads it when the plugins are loaded)."""
    if value:
        os.environ["GUANAI_PLUGINS_DIR"] = value


def _use_lang(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value:
        set_lang(value)
    return value


def build_cli() -> click.Group:
    """The click app; its commands are found in COMMANDS when used, their help in the run's language
    (click's own words too: i18n.speak_for_click)."""
    speak_for_click()
    @click.group("guanai", cls=GuanaiGroup, invoke_without_command=True, help=t("cli.help"), lazy=COMMANDS,
                 context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.version_option(None, "--version", package_name="guanai", prog_name="guanai",
                          message="%(prog)s %(version)s")  # the version is read only when asked for
    @click.option("--lang", type=click.Choice(["zh", "en"]), help=t("cli.opt.lang"), is_eager=True,
                  callback=_use_lang)  # eager: the subcommand is looked up (and localised) before cli() runs
    @click.option("--db", envvar="GUANAI_DB", default=DEFAULT_DB, show_default=True, help=t("cli.opt.db"))
    @click.option("--plugins-dir", metavar="DIR", is_eager=True, expose_value=False, callback=_plugins_dir,
                  type=click.Path(file_okay=False, exists=True), help=t("cli.opt.plugins_dir"))
    @click.pass_context
    def cli(ctx: click.Context, lang: str | None, db: str) -> None:
        app = ctx.obj = App(db, lang or current_lang())  # the one App of this command (core/app.py)
        ctx.call_on_close(app.close)
        if ctx.invoked_subcommand is None:
            click.echo(t("cli.overview"), nl=False)

    return cli


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: bad input exits 2 with a one-line message, never a traceback."""
    # One short-lived process: collect cyclic garbage less often than CPython's default (700
    # allocations), which is tuned for long-running programs; loading SQLAlchemy triggered dozens
    # of collections (~30 ms of `due`'s start-up, docs/BENCHMARKS.md).
    gc.set_threshold(20_000, 50, 50)
    args = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_from_argv(args)
    if lang:
        set_lang(lang)
    return build_cli().main(args=args, prog_name="guanai", standalone_mode=True)
