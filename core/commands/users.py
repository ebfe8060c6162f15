"""`guanai user add | list | remove`: PostgreSQL login roles bound to an org unit, whose rows
PostgreSQL itself limits to the schools under that unit (row-level security, migration 0005)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click
from guanai.core.commands import app_of
from guanai.core.commands.options import json_option
from guanai.core.diagnostics import Refusal
from guanai.core.i18n import t

ROLES = ("teacher", "school", "township", "county", "admin")
ORG_KIND = {"teacher": "school", "school": "school", "township": "township", "county": "county", "admin": "county"}


def _postgres(ctx: click.Context):  # noqa: ANN202 — a Store
    store = app_of(ctx).store
    if store.dialect != "postgresql":
        raise Refusal("user.needs_postgres")
    return store


@dataclass(frozen=True)
class UserOptions:
    name: str
    org: str
    role: str
    staff_id: str | None = None
    password_stdin: bool = False


@click.command("add", help="cli.user_add.help", epilog="cli.user_add.example")
@click.argument("name")
@click.option("--org", required=True, metavar="CODE", help="cli.opt.user_org")
@click.option("--role", required=True, type=click.Choice(ROLES), help="cli.opt.user_role")
@click.option("--staff", "staff_id", metavar="ID", help="cli.opt.user_staff")
@click.option("--password-stdin", is_flag=True, help="cli.opt.password_stdin")
@click.pass_context
def user_add_command(ctx: click.Context, **options: Any) -> None:
    """A PostgreSQL login that sees only the rows of its org unit (and a teacher, their children)."""
    add_user(ctx, UserOptions(**options))


@click.command("list", help="cli.user_list.help")
@json_option
@click.pass_context
def user_list_command(ctx: click.Context, as_json: bool) -> None:
    """guanai's users: name, org unit, role, staff member."""
    list_users(ctx, as_json)


@click.command("remove", help="cli.user_remove.help")
@click.argument("name")
@click.pass_context
def user_remove_command(ctx: click.Context, name: str) -> None:
    """Drop a user's login; the audit keeps what they did."""
    remove_user(ctx, name)


def add_user(ctx: click.Context, opts: UserOptions) -> None:
    import secrets

    from guanai.core.store import access, facts

    name, org, role, staff_id = opts.name, opts.org, opts.role, opts.staff_id
    store = _postgres(ctx)
    if access.bad_user_name(name):
        raise Refusal("pg.user.bad_name", value=name)
    if role == "teacher" and not staff_id:
        raise Refusal("user.teacher_needs_staff")
    password = sys.stdin.readline().rstrip("\n") if opts.password_stdin else secrets.token_urlsafe(15)
    if len(password) < 8:
        raise Refusal("user.short_password")
    with store.write() as conn:
        kind = facts.org_kind(conn, org)
        if kind is None:
            raise Refusal("org.unknown", code=org)
        if kind != ORG_KIND[role]:
            raise Refusal("user.org_kind", role=role, org=org, kind=kind, need=ORG_KIND[role])
        if staff_id is not None and facts.staff_schools(conn, [staff_id]).get(staff_id) != org:
            raise Refusal("user.staff_elsewhere", staff=staff_id, org=org)
        if access.role_exists(conn, name):
            raise Refusal("user.exists", name=name)
        access.add_user(conn, name, password, org, role, staff_id)
    click.echo(t("user.added", name=name, org=org, role=t(f"user.role.{role}")))
    if not opts.password_stdin:
        click.echo(t("user.password_once", password=password))


def list_users(ctx: click.Context, as_json: bool) -> None:
    from guanai.core.output import console, dump_json, table
    from guanai.core.store.access import users

    store = _postgres(ctx)
    with store.read() as conn:
        rows = users(conn)
    if as_json:
        dump_json(rows)
        return
    console().print(table(None, [t("user.col.name"), t("user.col.org"), t("user.col.role"), t("user.col.staff")],
                          [(r["name"], f"{r['org_name']}（{r['org']}）", t(f"user.role.{r['role']}"), r["staff"] or "—")
                           for r in rows]))


def remove_user(ctx: click.Context, name: str) -> None:
    from guanai.core.store.access import remove_user as remove

    store = _postgres(ctx)
    with store.write() as conn:
        if not remove(conn, name):
            raise Refusal("user.unknown", name=name)
    click.echo(t("user.removed", name=name))
