"""The upload service: a file read as a workbook or YAML, its problems in Vietnamese
at their place, publication as the next revision, and the files written back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import QuestionnaireVersion, Wave
from sipas.questionnaire import QuestionnaireError, load_file, load_text
from sipas.services import questionnaires
from sipas.services.questionnaires import formats, upload
from sipas.services.questionnaires.messages import translated
from tests.conftest import QUESTIONNAIRE_DIR
from tests.questionnaire import test_index_tree
from tests.questionnaire.test_loader import MINIMAL, mutate
from tests.questionnaire.test_xlsform import minimal_workbook, put

#: Bad inputs of the YAML rules (old text, new text) beside those of the index tree.
BAD_FILES = [
    ("type: text", "type: essay"),
    ('en: "Seats"}', 'en: "Seats"}, colour: red'),
    ("code: comment", "code: filter"),
    ("choices: satisfaction5, factor: A", "choices: stars, factor: A"),
    ('in: ["yes"]', 'in: ["maybe"]'),
    ("show_if: {item: filter", "show_if: {item: comment"),
    ('label: {vi: "Chỗ ngồi", en: "Seats"}', 'label: {vi: "Chỗ ngồi"}'),
    ("code: A1,", "code: 1,"),
    ("version: 1", "version: one"),
    ("factor: A,", "factor: Z,"),
]


def _messages(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_text(text, "form.yaml")
    return [problem.message for problem in caught.value.problems]


@pytest.mark.parametrize(("old", "new"), BAD_FILES)
def test_every_finding_of_a_bad_file_is_said_in_vietnamese(app, old, new):
    with app.test_request_context():
        for message in _messages(mutate(old, new)):
            assert translated(message) != message, message


@pytest.mark.parametrize(
    ("old", "new"), [case[:2] for case in test_index_tree.BAD_TREES]
)
def test_every_finding_of_a_bad_index_tree_is_said_in_vietnamese(app, old, new):
    with app.test_request_context():
        for message in _messages(test_index_tree.mutate(old, new)):
            assert translated(message) != message, message


def test_a_workbook_problem_keeps_its_cell_and_is_in_vietnamese(app):
    data = minimal_workbook(put("survey", "B5", "filter"))
    with app.test_request_context(), pytest.raises(upload.UploadRefused) as caught:
        upload.read_upload("form.xlsx", data)
    (problem,) = caught.value.problems
    assert (problem.sheet, problem.cell, problem.header) == ("survey", "B5", "name")
    assert "đã được dùng ở dòng 3" in problem.message


def test_a_yaml_problem_keeps_its_line(app):
    text = mutate("type: text", "type: essay")
    with app.test_request_context(), pytest.raises(upload.UploadRefused) as caught:
        upload.read_upload("form.yml", text.encode())
    (problem,) = caught.value.problems
    assert problem.line == next(
        n for n, line in enumerate(text.splitlines(), 1) if "essay" in line
    )
    assert "không nhận ra" in problem.message


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("form.xlsx", b"not a workbook", "không phải"),
        ("form.yaml", "code: ö".encode("latin-1"), "UTF-8"),
        ("form.pdf", b"%PDF", ".xlsx"),
    ],
)
def test_files_that_are_no_questionnaire_are_refused_in_words(app, name, data, words):
    with app.test_request_context(), pytest.raises(upload.UploadRefused) as caught:
        upload.read_upload(name, data)
    assert words in caught.value.problems[0].message


@pytest.mark.parametrize("path", sorted(QUESTIONNAIRE_DIR.glob("*.yaml")), ids=str)
def test_the_yaml_and_workbook_written_back_give_the_same_hash(path):
    loaded = load_file(path)
    again_yaml = load_text(formats.to_yaml(loaded.definition), "again.yaml")
    again_xlsx = upload.read_upload("again.xlsx", formats.to_xlsx(loaded.definition))
    assert again_yaml.sha256 == again_xlsx.sha256 == loaded.sha256


def test_publish_makes_the_next_revision_and_names_the_rounds_kept(demo_app):
    stored = db.session.scalar(sa.select(sa.func.count(QuestionnaireVersion.id)))
    old = questionnaires.latest_version("sipas-2017")
    definition = load_file(QUESTIONNAIRE_DIR / "sipas-2017-v2.yaml").definition
    changed = formats.to_yaml(definition).replace("Rất hài lòng", "Rất rất hài lòng")
    loaded = load_text(changed, "changed.yaml")
    publication = upload.publish(loaded, user=None)
    assert publication.stored.is_new
    assert publication.stored.version.revision == old.revision + 1
    assert [wave.code for wave in publication.waves_kept] == ["demo"]
    assert db.session.scalar(sa.select(Wave.questionnaire_id)) == old.id
    again = upload.publish(loaded, user=None)
    assert not again.stored.is_new
    assert again.waves_kept == ()
    count = sa.select(sa.func.count(QuestionnaireVersion.id))
    assert db.session.scalar(count) == stored + 1  # one new version, not two


def test_the_minimal_form_is_published_as_revision_1(app):
    publication = upload.publish(load_text(MINIMAL, "mini.yaml"), user=None)
    assert publication.stored.version.revision == 1
    assert publication.waves_kept == ()
