"""`flask sipas user …`: create accounts, change roles, disable and enable them."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from sipas.cli.common import fail, unit_or_fail
from sipas.extensions import db
from sipas.language import N_
from sipas.models import Role, Unit, User
from sipas.services import accounts

user_cli = AppGroup("user", help=N_("Manage staff accounts."))

ROLE_NAMES = click.Choice([role.value for role in Role])


def _unit(code: str | None) -> Unit | None:
    if code is None:
        return None
    return unit_or_fail(code)


def _user(username: str) -> User:
    user = accounts.find_user(username)
    if user is None:
        fail(_("Unknown user “%(name)s”.", name=username))
    return user


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(
        _("Password"),
        hide_input=True,
        confirmation_prompt=_("Repeat the password"),
    )


@user_cli.command("create")
@click.argument("username")
@click.option(
    "--role", type=ROLE_NAMES, required=True, help=N_("admin, analyst or surveyor")
)
@click.option(
    "--unit", "unit_code", help=N_("Code of the unit the account is scoped to.")
)
@click.option(
    "--password-stdin", is_flag=True, help=N_("Read the password from stdin.")
)
def create_command(
    username: str, role: str, unit_code: str | None, password_stdin: bool
) -> None:
    """Create an account; the password is asked twice without echo."""
    unit = _unit(unit_code)
    if accounts.find_user(username) is not None:
        fail(_("The username “%(name)s” is taken.", name=username))
    password = _read_password(password_stdin)
    try:
        user = accounts.create_user(
            username, password, Role(role), unit, actor=None, check_policy=True
        )
    except accounts.AccountError as error:
        fail(str(error.message))
    db.session.commit()
    click.echo(
        _("Account “%(name)s” created (%(role)s).", name=user.username, role=role)
    )


@user_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=ROLE_NAMES)
@click.option(
    "--unit", "unit_code", help=N_("Code of the unit the account is scoped to.")
)
def set_role_command(username: str, role: str, unit_code: str | None) -> None:
    """Change an account's role and unit scope."""
    user = _user(username)
    unit = _unit(unit_code) if unit_code else user.unit
    try:
        accounts.update_role(user, Role(role), unit, actor=None)
    except accounts.AccountError as error:
        fail(str(error.message))
    db.session.commit()
    click.echo(_("Account “%(name)s” is now %(role)s.", name=user.username, role=role))


def _set_enabled(username: str, enabled: bool) -> None:
    user = _user(username)
    accounts.set_enabled(user, enabled, actor=None)
    db.session.commit()
    if enabled:
        click.echo(_("Account “%(name)s” enabled.", name=user.username))
    else:
        click.echo(_("Account “%(name)s” disabled.", name=user.username))


@user_cli.command("disable")
@click.argument("username")
def disable_command(username: str) -> None:
    """Stop an account from logging in and end its sessions."""
    _set_enabled(username, False)


@user_cli.command("enable")
@click.argument("username")
def enable_command(username: str) -> None:
    """Allow a disabled account to log in again."""
    _set_enabled(username, True)
