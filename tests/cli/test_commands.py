"""`flask sipas …` commands."""

from __future__ import annotations

import shutil

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import QuestionnaireVersion, Unit, User, Wave
from sipas.services.waves.lookup import wave_by_code
from tests.conftest import QUESTIONNAIRE_DIR


def table_counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (QuestionnaireVersion, Unit, Wave, User)
    )


def test_check_accepts_the_shipped_files(runner):
    result = runner.invoke(args=["sipas", "questionnaire", "check"])
    assert result.exit_code == 0, result.output
    assert "sipas-2017" in result.output


def test_check_reports_file_and_line_and_exits_1(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (QUESTIONNAIRE_DIR / "sipas-2017.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    line_no = next(i for i, line in enumerate(lines) if "type: scale" in line)
    lines[line_no] = lines[line_no].replace("type: scale", "type: slider")
    bad.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(args=["sipas", "questionnaire", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:{line_no + 1}:" in result.output


def test_sync_stores_once_and_a_change_is_a_new_revision(runner, tmp_path):
    first = runner.invoke(args=["sipas", "questionnaire", "sync"])
    assert first.exit_code == 0, first.output
    stored = table_counts()[0]
    again = runner.invoke(args=["sipas", "questionnaire", "sync"])
    assert "không thay đổi" in again.output  # Vietnamese is the default language
    assert table_counts()[0] == stored
    revisions = db.session.scalars(
        sa.select(QuestionnaireVersion.revision).filter_by(code="sipas-2017")
    ).all()
    changed = tmp_path / "sipas-2017-v2.yaml"
    shutil.copy(QUESTIONNAIRE_DIR / "sipas-2017-v2.yaml", changed)
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("Rất hài lòng", "Rất rất hài lòng", 1), "utf-8")
    result = runner.invoke(args=["sipas", "questionnaire", "sync", str(changed)])
    following = max(revisions) + 1
    assert f"bản sửa đổi {following}" in result.output
    after = db.session.scalars(
        sa.select(QuestionnaireVersion.revision).filter_by(code="sipas-2017")
    ).all()
    assert sorted(after) == [*sorted(revisions), following]


def test_sync_makes_the_newest_version_the_latest_revision(runner):
    """File names sort version 2 first ("sipas-2017-v2" < "sipas-2017."): sync stores
    versions in their own order, so new rounds get version 2."""
    result = runner.invoke(args=["sipas", "questionnaire", "sync"])
    assert result.exit_code == 0, result.output
    stored = db.session.execute(
        sa.select(QuestionnaireVersion.version, QuestionnaireVersion.revision)
        .filter_by(code="sipas-2017")
        .order_by(QuestionnaireVersion.revision)
    ).all()
    assert [tuple(row) for row in stored] == [(1, 1), (2, 2)]


def test_sync_of_a_bad_file_stores_nothing(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: x\nversion: [\n", encoding="utf-8")
    good = QUESTIONNAIRE_DIR / "sipas-2017.yaml"
    result = runner.invoke(args=["sipas", "questionnaire", "sync", str(good), str(bad)])
    assert result.exit_code == 1
    assert str(bad) in result.output
    assert table_counts()[0] == 0


def test_demo_is_idempotent_and_prints_password_once(app):
    runner = app.test_cli_runner()
    app.config["ADMIN_PASSWORD"] = None
    runner.invoke(args=["sipas", "questionnaire", "sync"])
    first = runner.invoke(args=["sipas", "demo", "--responses", "300"])
    assert first.exit_code == 0, first.output
    assert "mật khẩu" in first.output
    after_first = table_counts()
    second = runner.invoke(args=["sipas", "demo", "--responses", "300"])
    assert second.exit_code == 0
    assert "mật khẩu" not in second.output
    assert table_counts() == after_first
    wave = wave_by_code("demo")
    assert wave.status == "open"
    assert len(wave.wave_units) >= 3
    assert all(wu.population for wu in wave.wave_units)


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
