"""`flask sipas user …`: create, set-role, disable, enable; clear errors, exit 1."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import AuditEvent, Role
from sipas.services import accounts

PASSWORD = "mat-khau-dai-du"


@pytest.fixture
def cli(demo_app):
    runner = demo_app.test_cli_runner()

    def run(*args: str, stdin: str | None = None):
        result = runner.invoke(args=["sipas", "user", *args], input=stdin)
        db.session.expire_all()
        return result

    return run


def last_event() -> AuditEvent:
    return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()[-1]


def test_create_with_password_from_stdin(cli):
    result = cli(
        "create",
        "pt1",
        "--role",
        "analyst",
        "--unit",
        "QN",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_user("pt1")
    assert (user.role, user.unit.code) == (Role.analyst, "QN")
    assert user.check_password(PASSWORD)
    event = last_event()
    assert (event.action, event.user_id, event.object_id) == (
        "user.create",
        None,
        str(user.id),
    )


def test_create_prompts_twice_without_echo(cli):
    result = cli("create", "boss", "--role", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert accounts.find_user("boss").check_password(PASSWORD)


def test_create_refuses_mismatched_prompt(cli):
    result = cli(
        "create", "boss", "--role", "admin", stdin=f"{PASSWORD}\nother-one-123\n"
    )
    assert result.exit_code != 0
    assert accounts.find_user("boss") is None


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["create", "x", "--role", "analyst", "--unit", "NOPE"], PASSWORD),
        (["create", "x", "--role", "analyst"], PASSWORD),
        (["create", "admin", "--role", "admin"], PASSWORD),
        (["create", "x", "--role", "surveyor", "--unit", "QN"], "short"),
        (["create", "xxxxxxxxxxxx", "--role", "admin"], "xxxxxxxxxxxx"),
    ],
)
def test_create_errors_exit_1_and_store_nothing(cli, args, stdin):
    users_before = db.session.scalar(sa.select(sa.func.count(accounts.User.id)))
    result = cli(*args, "--password-stdin", stdin=stdin + "\n")
    assert result.exit_code == 1
    assert result.output.strip()
    users_after = db.session.scalar(sa.select(sa.func.count(accounts.User.id)))
    assert users_after == users_before


def test_error_messages_name_the_problem(cli):
    result = cli(
        "create",
        "x",
        "--role",
        "analyst",
        "--unit",
        "NOPE",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert "NOPE" in result.output
    result = cli("disable", "ghost")
    assert result.exit_code == 1
    assert "ghost" in result.output


def test_set_role_disable_enable(cli, demo_app):
    cli(
        "create",
        "dtv",
        "--role",
        "surveyor",
        "--unit",
        "QN-HALONG-TT",
        "--password-stdin",
        stdin=PASSWORD,
    )
    result = cli("set-role", "dtv", "analyst", "--unit", "QN")
    assert result.exit_code == 0, result.output
    user = accounts.find_user("dtv")
    assert (user.role, user.unit.code) == (Role.analyst, "QN")
    assert last_event().action == "user.update"

    result = cli("set-role", "dtv", "admin")
    assert result.exit_code == 0
    assert accounts.find_user("dtv").unit is None

    assert cli("disable", "dtv").exit_code == 0
    assert not accounts.find_user("dtv").is_enabled
    assert last_event().action == "user.disable"
    assert cli("enable", "DTV").exit_code == 0
    assert accounts.find_user("dtv").is_enabled
    assert last_event().action == "user.enable"


def test_set_role_errors(cli):
    assert cli("set-role", "ghost", "admin").exit_code == 1
    assert cli("set-role", "admin", "analyst").exit_code == 1  # analysts need a unit
    assert cli("set-role", "admin", "analyst", "--unit", "NOPE").exit_code == 1
    assert cli("set-role", "admin", "boss").exit_code == 2  # not a role (click)
    assert accounts.find_user("admin").role is Role.admin
