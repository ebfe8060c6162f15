"""The `guanai` command line. Heavy modules are imported inside the commands that need them."""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import click
from guanai.core.app import DEFAULT_DB, App
from guanai.core.i18n import current_lang, set_lang, t
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
            if os.environ.get("GUANAI_DEBUG") == "1":
                raise
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
        from guanai.core.plugins import load_registry

        pm = load_registry().pm
        builtin = dict(self.commands)
        for impl in pm.hook.register_commands.get_hookimpls():
            before = dict(self.commands)
            try:
                impl.function(cli=self)
            except Exception as exc:  # a broken plugin must not take the CLI down
                self.commands = before
                click.echo(t("plugin.register_failed", plugin=impl.plugin_name, error=f"{type(exc).__name__}: {exc}"),
                           err=True)
                continue
            for name, command in builtin.items():
                if self.commands.get(name) is not command:
                    self.commands[name] = command
                    click.echo(t("plugin.command_clash", plugin=impl.plugin_name, command=name), err=True)
            self._owners = {**self._owners, **{name: impl.plugin_name for name in self.commands
                                               if name not in before}}

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        click.echo(t("cli.overview"), nl=False)
        super().format_help(ctx, formatter)


def _error_text(exc: BaseException) -> str:
    """An unexpected error in one line: for a database error the driver's first line only (never
    the statement or its parameters, which hold rows of personal data)."""
    orig = getattr(exc, "orig", None)  # sqlalchemy.exc.DBAPIError, without importing SQLAlchemy
    if orig is not None:
        lines = str(orig).strip().splitlines()
        return f"{type(orig).__name__}: {lines[0] if lines else ''}"
    return f"{type(exc).__name__}: {exc}"


def build_cli() -> click.Group:
    """The click app; the help texts come from the catalogue in the current language."""
    @click.group(cls=GuanaiGroup, invoke_without_command=True, help=t("cli.help"),
                 context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.version_option(None, "--version", package_name="guanai", prog_name="guanai",
                          message="%(prog)s %(version)s")  # the version is read only when asked for
    @click.option("--lang", type=click.Choice(["zh", "en"]), help=t("cli.opt.lang"))
    @click.option("--db", envvar="GUANAI_DB", default=DEFAULT_DB, show_default=True, help=t("cli.opt.db"))
    @click.pass_context
    def cli(ctx: click.Context, lang: str | None, db: str) -> None:
        if lang:
            set_lang(lang)
        app = ctx.obj = App(db, lang or current_lang())  # the one App of this command (core/app.py)
        ctx.call_on_close(app.close)
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
    @click.option("--builtin-only", is_flag=True, help=t("cli.opt.builtin_only"))
    def schema(builtin_only: bool) -> None:
        from guanai.core.schema import schema_text

        click.echo(schema_text(builtin_only), nl=False)

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

    from guanai.core.commands.simulate import diff_command, simulate_command

    programme.add_command(simulate_command)
    programme.add_command(diff_command)

    @programme.command("publish", help=t("cli.publish.help"), epilog=t("cli.publish.example"))
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--to", "orgs", multiple=True, metavar="ORG", help=t("cli.opt.publish_to"))
    @click.option("--from", "start", metavar="DATE", help=t("cli.opt.publish_from"))
    @click.pass_context
    def publish(ctx: click.Context, file: str, orgs: tuple[str, ...], start: str | None) -> None:
        from guanai.core.commands.facts import publish as do_publish

        do_publish(ctx, file, orgs, start)

    @cli.command("init", help=t("cli.init.help"), epilog=t("cli.init.example"))
    @click.pass_context
    def init(ctx: click.Context) -> None:
        from guanai.core.commands.facts import init_db

        init_db(ctx)

    _fact_commands(cli)

    @cli.group(help=t("cli.plugins.help"))
    def plugins() -> None:
        """Group of plugin commands; the subcommands do the work."""

    @plugins.command("list", help=t("cli.plugins_list.help"), epilog=t("cli.plugins_list.example"))
    @output_options
    def plugins_list(as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.plugins import list_plugins

        list_plugins(as_json, as_csv)

    @plugins.command("check", help=t("cli.plugins_check.help"), epilog=t("cli.plugins_check.example"))
    def plugins_check() -> None:
        from guanai.core.commands.plugins import check_plugins

        sys.exit(check_plugins())

    @cli.group(help=t("cli.plugin.help"))
    def plugin() -> None:
        """Group of plugin author commands."""

    @plugin.command("new", help=t("cli.plugin_new.help"), epilog=t("cli.plugin_new.example"))
    @click.argument("name")
    @click.option("--title", default="检查", show_default=True, help=t("cli.opt.plugin_title"))
    @click.option("--dir", "parent", default=".", type=click.Path(file_okay=False), help=t("cli.opt.plugin_dir"))
    def plugin_new(name: str, title: str, parent: str) -> None:
        from pathlib import Path

        from guanai.core.scaffold import new_plugin

        folder = new_plugin(name, title, Path(parent))
        click.echo(t("scaffold.done", folder=str(folder), name=name))

    @plugins.command("show", help=t("cli.plugins_show.help"), epilog=t("cli.plugins_show.example"))
    @click.argument("name")
    @click.option("--json", "as_json", is_flag=True, help="JSON")
    def plugins_show(name: str, as_json: bool) -> None:
        from guanai.core.commands.plugins import show_plugin

        show_plugin(name, as_json)

    return cli


def _import_command(group: click.Group, help_key: str, **extra: Any) -> Any:
    """An `… import FILE [--dry-run]` command; `extra` are its further options."""

    def wrap(func: Any) -> Any:
        func = click.option("--dry-run", is_flag=True, help=t("cli.opt.dry_run"))(func)
        func = sheet_option(func)
        for option in reversed(list(extra.values())):
            func = option(func)
        func = click.argument("file", type=click.Path(dir_okay=False, exists=True))(func)
        return group.command("import", help=t(f"{help_key}.help"), epilog=t(f"{help_key}.example"))(
            click.pass_context(func))

    return wrap


def _fact_commands(cli: click.Group) -> None:
    """org / roster / staff / assign / record / children / records commands."""
    school_opt = click.option("--school", required=True, metavar="CODE", help=t("cli.opt.school"))
    left_opt = click.option("--mark-left", is_flag=True, help=t("cli.opt.mark_left"))
    org_opt = click.option("--org", metavar="CODE", help=t("cli.opt.org"))
    contacts_opt = click.option("--show-contacts", is_flag=True, help=t("cli.opt.show_contacts"))

    @cli.group(help=t("cli.org.help"))
    def org() -> None:
        """Group of org unit commands."""

    @_import_command(org, "cli.org_import")
    def org_import(ctx: click.Context, file: str, dry_run: bool) -> None:
        from guanai.core.commands.facts import import_orgs

        import_orgs(ctx, file, dry_run)

    @cli.group(help=t("cli.roster.help"))
    def roster() -> None:
        """Group of roster commands."""

    transfer_opt = click.option("--transfer", is_flag=True, help=t("cli.opt.transfer"))

    @_import_command(roster, "cli.roster_import", school=school_opt, mark_left=left_opt, transfer=transfer_opt)
    def roster_import(ctx: click.Context, file: str, school: str, mark_left: bool, transfer: bool,
                      dry_run: bool) -> None:
        from guanai.core.commands.facts import import_people

        import_people(ctx, "child", file, school, mark_left, dry_run, transfer)

    @cli.group(help=t("cli.staff.help"))
    def staff() -> None:
        """Group of staff commands."""

    staff_transfer_opt = click.option("--transfer", is_flag=True, help=t("cli.opt.staff_transfer"))

    @_import_command(staff, "cli.staff_import", school=school_opt, mark_left=left_opt, transfer=staff_transfer_opt)
    def staff_import(ctx: click.Context, file: str, school: str, mark_left: bool, transfer: bool,
                     dry_run: bool) -> None:
        from guanai.core.commands.facts import import_people

        import_people(ctx, "staff", file, school, mark_left, dry_run, transfer)

    @staff.command("list", help=t("cli.staff_list.help"), epilog=t("cli.staff_list.example"))
    @org_opt
    @click.option("--role", help=t("cli.opt.staff_role"))
    @contacts_opt
    @output_options
    @click.pass_context
    def staff_list(ctx: click.Context, org: str | None, role: str | None, show_contacts: bool,
                   as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.listings import list_staff

        list_staff(ctx, org, role, show_contacts, as_json, as_csv)

    @cli.group(help=t("cli.assign.help"))
    def assign() -> None:
        """Group of pairing commands."""

    role_opt = click.option("--role", required=True, metavar="ROLE", help=t("cli.opt.role"))

    @_import_command(assign, "cli.assign_import", role=role_opt)
    def assign_import(ctx: click.Context, file: str, role: str, dry_run: bool) -> None:
        from guanai.core.commands.facts import import_pairings

        import_pairings(ctx, file, role, dry_run)

    @assign.command("auto", help=t("cli.assign_auto.help"), epilog=t("cli.assign_auto.example"))
    @school_opt
    @role_opt
    @click.option("--from", "start", metavar="DATE", help=t("cli.opt.assign_from"))
    @click.option("--dry-run", is_flag=True, help=t("cli.opt.dry_run"))
    @click.pass_context
    def assign_auto(ctx: click.Context, school: str, role: str, start: str | None, dry_run: bool) -> None:
        from guanai.core.commands.facts import auto_pairings

        auto_pairings(ctx, school, role, dry_run, start)

    @assign.command("check", help=t("cli.assign_check.help"), epilog=t("cli.assign_check.example"))
    @org_opt
    @click.option("--as-of", metavar="DATE", help=t("cli.opt.as_of"))
    @click.option("--from", "start", metavar="DATE", help=t("cli.opt.check_from"))
    @click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help=t("cli.opt.check_limit"))
    @output_options
    @click.pass_context
    def assign_check(ctx: click.Context, org: str | None, as_of: str | None, start: str | None, limit: int,
                     as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.facts import check_pairings

        sys.exit(check_pairings(ctx, org, as_of, as_json, as_csv, limit, start))

    @assign.command("list", help=t("cli.assign_list.help"), epilog=t("cli.assign_list.example"))
    @org_opt
    @click.option("--role", metavar="ROLE", help=t("cli.opt.list_role"))
    @click.option("--staff", "staff_id", metavar="ID", help=t("cli.opt.list_staff"))
    @click.option("--class", "class_name", metavar="NAME", help=t("cli.opt.class"))
    @click.option("--as-of", metavar="DATE", help=t("cli.opt.as_of"))
    @output_options
    @click.pass_context
    def assign_list(ctx: click.Context, org: str | None, role: str | None, staff_id: str | None,
                    class_name: str | None, as_of: str | None, as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.stats import assign_list as run

        run(ctx, org, role, staff_id, class_name, as_of, as_json, as_csv)

    @cli.group(help=t("cli.audit.help"))
    def audit() -> None:
        """Group of audit commands."""

    @audit.command("list", help=t("cli.audit_list.help"), epilog=t("cli.audit_list.example"))
    @org_opt
    @click.option("--action", metavar="ACTION", help=t("cli.opt.audit_action"))
    @click.option("--since", metavar="DATE", help=t("cli.opt.audit_since"))
    @click.option("--limit", type=click.IntRange(1), default=200, show_default=True, help=t("cli.opt.limit"))
    @output_options
    @click.pass_context
    def audit_list(ctx: click.Context, org: str | None, action: str | None, since: str | None, limit: int,
                   as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.audit import list_audit

        list_audit(ctx, org, action, since, limit, as_json, as_csv)

    @audit.command("verify", help=t("cli.audit_verify.help"))
    @click.pass_context
    def audit_verify(ctx: click.Context) -> None:
        from guanai.core.commands.audit import verify_audit

        sys.exit(verify_audit(ctx))

    @cli.command("export", help=t("cli.export.help"), epilog=t("cli.export.example"))
    @click.option("--child", "child_id", required=True, metavar="ID", help=t("cli.opt.child"))
    @click.option("-o", "--output", required=True, metavar="FILE.json", type=click.Path(dir_okay=False),
                  help=t("cli.opt.report_output"))
    @click.pass_context
    def export(ctx: click.Context, child_id: str, output: str) -> None:
        from guanai.core.commands.pipl import export_child

        export_child(ctx, child_id, output)

    @cli.command("purge", help=t("cli.purge.help"), epilog=t("cli.purge.example"))
    @click.option("--left-before", required=True, metavar="DATE", help=t("cli.opt.left_before"))
    @click.option("--dry-run", is_flag=True, help=t("cli.opt.purge_dry_run"))
    @click.option("--yes", is_flag=True, help=t("cli.opt.yes"))
    @click.pass_context
    def purge(ctx: click.Context, left_before: str, dry_run: bool, yes: bool) -> None:
        from guanai.core.commands.pipl import purge as run

        run(ctx, left_before, dry_run, yes)

    @cli.group(help=t("cli.user.help"))
    def user() -> None:
        """Group of user commands."""

    @user.command("add", help=t("cli.user_add.help"), epilog=t("cli.user_add.example"))
    @click.argument("name")
    @click.option("--org", required=True, metavar="CODE", help=t("cli.opt.user_org"))
    @click.option("--role", required=True, type=click.Choice(["teacher", "school", "township", "county"]),
                  help=t("cli.opt.user_role"))
    @click.option("--staff", "staff_id", metavar="ID", help=t("cli.opt.user_staff"))
    @click.option("--password-stdin", is_flag=True, help=t("cli.opt.password_stdin"))
    @click.pass_context
    def user_add(ctx: click.Context, name: str, org: str, role: str, staff_id: str | None,
                 password_stdin: bool) -> None:
        from guanai.core.commands.users import add_user

        add_user(ctx, name, org, role, staff_id, password_stdin)

    @user.command("list", help=t("cli.user_list.help"))
    @click.option("--json", "as_json", is_flag=True, help="JSON")
    @click.pass_context
    def user_list(ctx: click.Context, as_json: bool) -> None:
        from guanai.core.commands.users import list_users

        list_users(ctx, as_json)

    @user.command("remove", help=t("cli.user_remove.help"))
    @click.argument("name")
    @click.pass_context
    def user_remove(ctx: click.Context, name: str) -> None:
        from guanai.core.commands.users import remove_user

        remove_user(ctx, name)

    cli.add_command(RecordGroup("record", help=t("cli.record.help"), epilog=t("cli.record.example")))
    _engine_commands(cli, org_opt)

    @cli.group(help=t("cli.children.help"))
    def children() -> None:
        """Group of children commands."""

    @children.command("list", help=t("cli.children_list.help"), epilog=t("cli.children_list.example"))
    @org_opt
    @click.option("--class", "cls", metavar="NAME", help=t("cli.opt.class"))
    @click.option("--category", help=t("cli.opt.category"))
    @click.option("--include-left", is_flag=True, help=t("cli.opt.include_left"))
    @contacts_opt
    @output_options
    @click.pass_context
    def children_list(ctx: click.Context, org: str | None, cls: str | None, category: str | None,
                      include_left: bool, show_contacts: bool, as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.listings import list_children

        list_children(ctx, org, cls, category, include_left, show_contacts, as_json, as_csv)

    @children.command("show", help=t("cli.children_show.help"), epilog=t("cli.children_show.example"))
    @click.argument("child_id", metavar="ID")
    @click.option("--as-of", "when", metavar="WHEN", help=t("cli.opt.as_of_when"))
    @contacts_opt
    @click.option("--json", "as_json", is_flag=True, help="JSON")
    @click.pass_context
    def children_show(ctx: click.Context, child_id: str, when: str | None, show_contacts: bool, as_json: bool) -> None:
        from guanai.core.commands.listings import show_child

        show_child(ctx, child_id, when, show_contacts, as_json)

    @cli.group(help=t("cli.records.help"))
    def records() -> None:
        """Group of record listing commands."""

    @records.command("list", help=t("cli.records_list.help"), epilog=t("cli.records_list.example"))
    @org_opt
    @click.option("--child", "child_id", metavar="ID", help=t("cli.opt.child"))
    @click.option("--by", metavar="STAFF", help=t("cli.opt.by"))
    @click.option("--step", help=t("cli.opt.step"))
    @click.option("--from", "start", metavar="DATE", help=t("cli.opt.from"))
    @click.option("--to", "end", metavar="DATE", help=t("cli.opt.to"))
    @click.option("--limit", type=click.IntRange(1), default=1000, show_default=True, help=t("cli.opt.limit"))
    @output_options
    @click.pass_context
    def records_list(ctx: click.Context, org: str | None, child_id: str | None, by: str | None,
                     step: str | None, start: str | None, end: str | None, limit: int,
                     as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.listings import list_records

        list_records(ctx, org, child_id, by, step, start, end, limit, as_json, as_csv)


def _engine_commands(cli: click.Group, org_opt: Any) -> None:
    """due / compliance / indicators / explain / demo."""

    @cli.command("demo", help=t("cli.demo.help"), epilog=t("cli.demo.example"))
    @click.option("--db", "target", default="guanai-demo.db", show_default=True, metavar="PATH",
                  help=t("cli.opt.demo_db"))
    @click.pass_context
    def demo(ctx: click.Context, target: str) -> None:
        from guanai.core.commands.demo import run_demo

        run_demo(ctx, target)

    as_of_opt = click.option("--as-of", "when", metavar="WHEN", help=t("cli.opt.as_of_when"))
    known_opt = click.option("--known-at", metavar="WHEN", help=t("cli.opt.known_at"))

    @cli.command("due", help=t("cli.due.help"), epilog=t("cli.due.example"))
    @org_opt
    @click.option("--staff", "staff_id", metavar="ID", help=t("cli.opt.due_staff"))
    @click.option("--class", "class_name", metavar="NAME", help=t("cli.opt.class"))
    @as_of_opt
    @known_opt
    @click.option("--limit", type=click.IntRange(1), default=200, show_default=True, help=t("cli.opt.limit"))
    @click.option("--ics", metavar="FILE", type=click.Path(dir_okay=False), help=t("cli.opt.ics"))
    @output_options
    @click.pass_context
    def due(ctx: click.Context, org: str | None, staff_id: str | None, class_name: str | None, when: str | None,
            known_at: str | None, limit: int, ics: str | None, as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.engine import due as run

        run(ctx, org, staff_id, class_name, when, known_at, limit, as_json, as_csv, ics)

    @cli.command("compliance", help=t("cli.compliance.help"), epilog=t("cli.compliance.example"))
    @org_opt
    @click.option("--by", default="duty", show_default=True, metavar="KEYS", help=t("cli.opt.compliance_by"))
    @click.option("--group", help=t("cli.opt.group"))
    @click.option("--duty", "duties", multiple=True, metavar="ID", help=t("cli.opt.duty"))
    @click.option("--sort", type=click.Choice(["key", "rate"]), default="key", help=t("cli.opt.sort"))
    @click.option("--from", "start", metavar="DATE", help=t("cli.opt.period_from"))
    @click.option("--to", "end", metavar="DATE", help=t("cli.opt.period_to"))
    @as_of_opt
    @known_opt
    @output_options
    @click.pass_context
    def compliance(ctx: click.Context, org: str | None, by: str, group: str | None, duties: tuple[str, ...],
                   sort: str, start: str | None, end: str | None, when: str | None, known_at: str | None,
                   as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.engine import compliance as run

        run(ctx, org, by, group, duties, when, known_at, sort, as_json, as_csv, start, end)

    @cli.command("indicators", help=t("cli.indicators.help"), epilog=t("cli.indicators.example"))
    @org_opt
    @as_of_opt
    @known_opt
    @output_options
    @click.pass_context
    def indicators(ctx: click.Context, org: str | None, when: str | None, known_at: str | None,
                   as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.engine import indicators as run

        run(ctx, org, when, known_at, as_json, as_csv)

    @cli.command("stats", help=t("cli.stats.help"), epilog=t("cli.stats.example"))
    @org_opt
    @click.option("--by", metavar="KEYS", help=t("cli.opt.stats_by"))
    @as_of_opt
    @output_options
    @click.pass_context
    def stats(ctx: click.Context, org: str | None, by: str | None, when: str | None, as_json: bool,
              as_csv: bool) -> None:
        from guanai.core.commands.stats import stats as run

        run(ctx, org, by, when, as_json, as_csv)

    @cli.group(help=t("cli.report.help"))
    def report() -> None:
        """Group of report commands."""

    output_opt = click.option("-o", "--output", required=True, metavar="FILE", type=click.Path(dir_okay=False),
                              help=t("cli.opt.report_output"))

    def report_options(func: Any) -> Any:
        """What every report takes: the org, the period (--term, or --from/--to), as_of and the file."""
        for option in reversed((click.option("--org", required=True, metavar="CODE", help=t("cli.opt.org")),
                                click.option("--term", "term_id", metavar="ID", help=t("cli.opt.term")),
                                click.option("--from", "start", metavar="DATE", help=t("cli.opt.report_from")),
                                click.option("--to", "end", metavar="DATE", help=t("cli.opt.report_to")),
                                as_of_opt, output_opt)):
            func = option(func)
        return func

    @report.command("summary", help=t("cli.report_summary.help"), epilog=t("cli.report_summary.example"))
    @report_options
    @click.option("--template", metavar="FILE.docx", help=t("cli.opt.report_template"))
    @click.pass_context
    def report_summary(ctx: click.Context, org: str, term_id: str | None, start: str | None, end: str | None,
                       when: str | None, output: str, template: str | None) -> None:
        from guanai.core.commands.reports import summary

        summary(ctx, org, term_id, start, end, when, output, template)

    @report.command("ledger", help=t("cli.report_ledger.help"), epilog=t("cli.report_ledger.example"))
    @report_options
    @click.option("--show-contacts", is_flag=True, help=t("cli.opt.show_contacts"))
    @click.pass_context
    def report_ledger(ctx: click.Context, org: str, term_id: str | None, start: str | None, end: str | None,
                      when: str | None, output: str, show_contacts: bool) -> None:
        from guanai.core.commands.reports import ledger

        ledger(ctx, org, term_id, start, end, when, output, show_contacts)

    @report.command("county", help=t("cli.report_county.help"), epilog=t("cli.report_county.example"))
    @report_options
    @click.pass_context
    def report_county(ctx: click.Context, org: str, term_id: str | None, start: str | None, end: str | None,
                      when: str | None, output: str) -> None:
        from guanai.core.commands.reports import county

        county(ctx, org, term_id, start, end, when, output)

    @cli.command("explain", help=t("cli.explain.help"), epilog=t("cli.explain.example"))
    @click.option("--duty", required=True, metavar="ID", help=t("cli.opt.duty"))
    @click.option("--child", "child_id", metavar="ID", help=t("cli.opt.child"))
    @click.option("--school", metavar="CODE", help=t("cli.opt.school"))
    @click.option("--staff", "staff_id", metavar="ID", help=t("cli.opt.record_staff"))
    @click.option("--class", "class_name", metavar="NAME", help=t("cli.opt.explain_class"))
    @as_of_opt
    @known_opt
    @output_options
    @click.pass_context
    def explain(ctx: click.Context, duty: str, child_id: str | None, school: str | None, staff_id: str | None,
                class_name: str | None, when: str | None, known_at: str | None, as_json: bool, as_csv: bool) -> None:
        from guanai.core.commands.engine import explain as run

        run(ctx, duty, child_id, school, staff_id, when, known_at, as_json, as_csv, class_name)


class RecordGroup(click.Group):
    """`record import FILE`, and `record STEP …` for every step type the plugins provide."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from guanai.core.plugins import load_registry

        return ["import", *sorted(load_registry().steps)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "import":
            return _record_import
        return _record_step(name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0]
        return name, self.get_command(ctx, name), args[1:]


def _use_sheet(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    from guanai.core.tabular import SHEET

    SHEET.set(value)


def sheet_option(func: Any) -> Any:
    """--sheet NAME: which sheet of an .xlsx to import (read by core/tabular.py)."""
    return click.option("--sheet", metavar="NAME", expose_value=False, callback=_use_sheet,
                        help=t("cli.opt.sheet"))(func)


@click.command("import", help=t("cli.record_import.help"), epilog=t("cli.record_import.example"))
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--dry-run", is_flag=True, help=t("cli.opt.dry_run"))
@sheet_option
@click.pass_context
def _record_import(ctx: click.Context, file: str, dry_run: bool) -> None:
    from guanai.core.commands.records import import_records

    import_records(ctx, file, dry_run)


def _record_step(step: str) -> click.Command:
    from guanai.core.plugins import load_registry

    known = load_registry().steps.get(step)
    title = f"{known.title}（{step}）" if known else step
    text, example = t("cli.record_step.help", step=title), t("cli.record.example")
    if known is not None:  # the step's own fields and an example made from them
        fields = "\n".join(f"  {f.name}{'（必填）' if f.required else ''}：{f.description or f.type}（{f.type}）"
                           for f in known.field_info())
        text = f"{text}：{known.description}\n\n\b\n{t('cli.record_step.fields')}\n{fields}"
        example = t("cli.record_step.example", example=known.example())

    @click.command(step, help=text, short_help=title, epilog=example)
    @click.option("--child", metavar="ID", help=t("cli.opt.child"))
    @click.option("--school", metavar="CODE", help=t("cli.opt.record_school"))
    @click.option("--staff", metavar="ID", help=t("cli.opt.record_staff"))
    @click.option("--class", "cls", metavar="NAME", help=t("cli.opt.record_class"))
    @click.option("--by", metavar="STAFF", help=t("cli.opt.by"))
    @click.option("--at", metavar="WHEN", help=t("cli.opt.at"))
    @click.option("--set", "settings", multiple=True, metavar="K=V", help=t("cli.opt.set"))
    @click.option("--id", "key", metavar="KEY", help=t("cli.opt.key"))
    @click.pass_context
    def command(ctx: click.Context, child: str | None, school: str | None, staff: str | None, cls: str | None,
                by: str | None, at: str | None, settings: tuple[str, ...], key: str | None) -> None:
        from guanai.core.commands.records import record_one

        record_one(ctx, step, child, school, staff, cls, by, at, settings, key)

    return command


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
