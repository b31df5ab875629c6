"""Commands stopped with Ctrl+C (sipas/cli/stopping.py): a word in the user's
language and status 130, as a shell reports an interrupted command, nothing of the
unfinished work stored (a question answered no: tests/backup/test_backup.py)."""

from __future__ import annotations

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import sipas
from sipas.cli import stats as stats_cli
from sipas.cli.stopping import INTERRUPTED
from sipas.extensions import db
from sipas.models import Response


def ctrl_c(*_args, **_kwargs):
    raise KeyboardInterrupt


def test_an_import_stopped_half_way_stores_nothing_and_says_so(
    app, monkeypatch, tmp_path
):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sipas", "questionnaire", "sync"]).exit_code == 0
    assert runner.invoke(args=["sipas", "demo", "--responses", "20"]).exit_code == 0
    exported = tmp_path / "demo.csv"
    args = ["sipas", "export", "demo", "--format", "csv", "-o", str(exported)]
    assert runner.invoke(args=args).exit_code == 0
    db.session.execute(sa.delete(Response))
    db.session.commit()
    # Ctrl+C comes in a statement of the store (SQLite: as it spreads the first
    # answers, its indexes dropped; PostgreSQL: as ids are taken): SQLAlchemy
    # lets the connection go, and nothing may use it again on the way out
    dialect = type(db.engine.dialect)
    execute = dialect.do_execute

    def do_execute(self, cursor, statement, parameters, context=None):
        if statement.startswith("INSERT INTO answers") or "nextval(" in statement:
            raise KeyboardInterrupt
        return execute(self, cursor, statement, parameters, context)

    monkeypatch.setattr(dialect, "do_execute", do_execute)
    result = runner.invoke(args=["sipas", "import", "demo", str(exported)])
    assert result.exit_code == INTERRUPTED
    assert "Đã dừng (Ctrl+C)." in result.output
    assert "Aborted" not in result.output
    assert "Traceback" not in result.output
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_the_statistics_command_stopped_says_so_in_its_language(monkeypatch, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("stratum,psu,weight,A1\nS1,P1,1,5\n", encoding="utf-8")
    monkeypatch.setattr(stats_cli, "read_flat_file", ctrl_c)
    arguments = [str(data), "--questionnaire", "sipas-2017"]
    result = CliRunner().invoke(stats_cli.stats_command, arguments)
    assert result.exit_code == INTERRUPTED
    assert "Đã dừng (Ctrl+C)." in result.output
    monkeypatch.setenv("SIPAS_BABEL_DEFAULT_LOCALE", "en")
    english = CliRunner().invoke(stats_cli.stats_command, arguments)
    assert "Stopped (Ctrl+C)." in english.output


def test_ctrl_c_while_a_command_loads_the_application(monkeypatch, capsys):
    # `flask sipas …` builds the application inside Click's command line: stopped
    # there, it said Click's English "Aborted!" with status 1
    monkeypatch.setattr(sipas, "configure_settings", ctrl_c)
    with click.Context(click.Command("flask")), pytest.raises(SystemExit) as stopped:
        sipas.create_app({"TESTING": True})
    assert stopped.value.code == INTERRUPTED
    assert capsys.readouterr().err == "\nĐã dừng (Ctrl+C).\n"


def test_ctrl_c_while_a_server_or_a_test_builds_the_application_goes_on(monkeypatch):
    monkeypatch.setattr(sipas, "configure_settings", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        sipas.create_app({"TESTING": True})
