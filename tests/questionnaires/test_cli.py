"""`flask sipas questionnaire check|sync|import`: files checked and stored as
frozen versions."""

from __future__ import annotations

import shutil

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import AuditEvent, QuestionnaireVersion
from sipas.questionnaire import load_file, write_workbook
from tests.cli.test_commands import table_counts
from tests.conftest import QUESTIONNAIRE_DIR
from tests.questionnaire.test_loader import MINIMAL
from tests.questionnaire.test_xlsform import minimal_workbook, put


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


def test_import_stores_a_workbook_as_the_next_revision_and_audits_it(runner, tmp_path):
    runner.invoke(args=["sipas", "questionnaire", "sync"])
    synced = table_counts()[0]
    loaded = load_file(QUESTIONNAIRE_DIR / "sipas-2017-v2.yaml")
    definition = {**loaded.definition, "version": 3}
    path = tmp_path / "sipas-2017-v3.xlsx"
    path.write_bytes(write_workbook(definition))
    result = runner.invoke(args=["sipas", "questionnaire", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "bản sửa đổi 3" in result.output
    stored = db.session.scalar(
        sa.select(QuestionnaireVersion).filter_by(code="sipas-2017", revision=3)
    )
    assert stored is not None
    assert stored.version == 3
    assert stored.source == "sipas-2017-v3.xlsx"
    assert stored.uploaded_by_id is None
    event = db.session.scalar(
        sa.select(AuditEvent).filter_by(action="questionnaire.publish")
    )
    assert event is not None
    assert event.details["sha256"] == stored.sha256
    again = runner.invoke(args=["sipas", "questionnaire", "import", str(path)])
    assert again.exit_code == 0
    assert "không thay đổi" in again.output
    assert table_counts()[0] == synced + 1


def test_import_of_a_yaml_file(runner, tmp_path):
    path = tmp_path / "mini.yml"
    path.write_text(MINIMAL, encoding="utf-8")
    result = runner.invoke(args=["sipas", "questionnaire", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(QuestionnaireVersion.code)) == "mini"


def test_import_lists_every_problem_at_its_cell_and_exits_1(runner, tmp_path):
    def edit(workbook):
        put("survey", "A4", "slider satisfaction5")(workbook)
        put("survey", "B5", "filter")(workbook)

    path = tmp_path / "bad.xlsx"
    path.write_bytes(minimal_workbook(edit))
    result = runner.invoke(args=["sipas", "questionnaire", "import", str(path)])
    assert result.exit_code == 1
    assert "survey!A4:" in result.output
    assert "survey!B5:" in result.output
    assert table_counts()[0] == 0


def test_import_of_a_bad_yaml_file_names_its_line(runner, tmp_path):
    path = tmp_path / "mini.yaml"
    path.write_text(MINIMAL.replace("type: text", "type: essay"), encoding="utf-8")
    result = runner.invoke(args=["sipas", "questionnaire", "import", str(path)])
    assert result.exit_code == 1
    line = MINIMAL.splitlines().index(
        next(ln for ln in MINIMAL.splitlines() if "type: text" in ln)
    )
    assert f"mini.yaml:{line + 1}:" in result.output
    assert table_counts()[0] == 0
