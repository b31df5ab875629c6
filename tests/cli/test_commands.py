"""`flask sipas …` commands."""

from __future__ import annotations

import os
import signal

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import QuestionnaireVersion, Unit, User, Wave
from sipas.services.waves.lookup import wave_by_code


def table_counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (QuestionnaireVersion, Unit, Wave, User)
    )


def test_demo_is_idempotent_and_prints_password_once(app):
    runner = app.test_cli_runner()
    app.config["ADMIN_PASSWORD"] = None
    runner.invoke(args=["sipas", "questionnaire", "sync"])
    first = runner.invoke(args=["sipas", "demo", "--responses", "300"])
    assert first.exit_code == 0, first.output
    assert "mật khẩu" in first.output
    assert "Đã thêm 300 phiếu trả lời vào đợt năm nay và 210 phiếu" in first.output
    after_first = table_counts()
    second = runner.invoke(args=["sipas", "demo", "--responses", "300"])
    assert second.exit_code == 0
    assert "mật khẩu" not in second.output
    assert table_counts() == after_first
    wave = wave_by_code("demo")
    assert wave.status == "open"
    assert len(wave.wave_units) >= 3
    assert all(wu.population for wu in wave.wave_units)


def test_demo_counts_are_written_as_the_language_writes_numbers(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["sipas", "questionnaire", "sync"])
    result = runner.invoke(args=["sipas", "demo", "--responses", "1500"])
    assert result.exit_code == 0, result.output
    assert "Đã thêm 1.500 phiếu trả lời vào đợt năm nay và 1.050 phiếu" in result.output


def test_demo_uses_the_configured_admin_password(app):
    app.config["ADMIN_PASSWORD"] = "mật-khẩu-thử"
    runner = app.test_cli_runner()
    runner.invoke(args=["sipas", "questionnaire", "sync"])
    result = runner.invoke(args=["sipas", "demo", "--responses", "0"])
    assert "mật khẩu" not in result.output
    user = db.session.scalar(sa.select(User).filter_by(username="admin"))
    assert user.check_password("mật-khẩu-thử")


def test_demo_without_questionnaire_explains(runner):
    result = runner.invoke(args=["sipas", "demo"])
    assert result.exit_code == 1
    assert "questionnaire sync" in result.output


def test_the_worker_stops_on_ctrl_c_while_it_tidies_up(app, monkeypatch):
    """A worker a script starts in the background inherits SIGINT ignored; Ctrl+C
    must still stop it before Huey's consumer takes the signals over (the moment
    it tidies up the jobs a dead worker left)."""

    def tidying_up() -> None:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C, in the middle of it
        raise AssertionError("SIGINT was ignored: the worker would run on")

    monkeypatch.setattr("sipas.cli.jobs.tidy_up", tidying_up)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = app.test_cli_runner().invoke(args=["sipas", "jobs", "worker"])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 130
    assert "Đã dừng (Ctrl+C)." in result.output
