"""The form class built at run time from a questionnaire section."""

from __future__ import annotations

from wtforms import RadioField, SelectMultipleField, TextAreaField

from sipas.questionnaire import ProblemKind
from sipas.questionnaire.logic import AnswerProblem
from sipas.services.questionnaires import parsed
from sipas.survey.forms import form_class
from tests.factories import demo_target


def section_of(questionnaire, item_code):
    return next(
        s for s in questionnaire.sections if questionnaire.item(item_code) in s.items
    )


def test_one_field_per_item_with_labels_in_the_language(demo_app):
    wave, _unit = demo_target()
    questionnaire = parsed(wave.questionnaire)
    section = section_of(questionnaire, "A1")
    with demo_app.test_request_context():
        form_vi = form_class(questionnaire, section, "vi")(formdata=None)
        form_en = form_class(questionnaire, section, "en")(formdata=None)
        codes = [item.code for item, _field in form_vi.item_fields()]
        assert codes == [item.code for item in section.items]
        assert isinstance(form_vi.A1, RadioField)
        assert form_vi.A1.label.text == questionnaire.item("A1").label["vi"]
        assert form_en.A1.label.text == questionnaire.item("A1").label["en"]
        labels = [choice.label for choice in form_vi.A1.choices]
        assert labels[0] == "Rất không hài lòng"
        assert [choice.value for choice in form_vi.A1.choices] == [
            "1",
            "2",
            "3",
            "4",
            "5",
            "9",
        ]


def test_classes_are_built_once_per_section_and_language(demo_app):
    wave, _unit = demo_target()
    questionnaire = parsed(wave.questionnaire)
    section = section_of(questionnaire, "A1")
    assert form_class(questionnaire, section, "vi") is form_class(
        questionnaire, section, "vi"
    )
    assert form_class(questionnaire, section, "vi") is not form_class(
        questionnaire, section, "en"
    )


def test_field_kinds_and_posted_answers(demo_app):
    wave, _unit = demo_target()
    questionnaire = parsed(wave.questionnaire)
    section = section_of(questionnaire, "comment")
    data = {"expectations": ["information", "lower_fees"], "comment": "Tốt", "Z1": "x"}
    with demo_app.test_request_context(method="POST", data=data):
        form = form_class(questionnaire, section, "vi")()
        assert isinstance(form.expectations, SelectMultipleField)
        assert isinstance(form.comment, TextAreaField)
        assert form.comment.render_kw["maxlength"] == 1000
        answers = form.answers()
        assert answers["expectations"] == ["information", "lower_fees"]
        assert answers["comment"] == "Tốt"
        assert answers["Z1"] == ["x"]  # unknown names are kept so they get refused


def test_problems_land_beside_their_question_in_vietnamese(demo_app):
    wave, _unit = demo_target()
    questionnaire = parsed(wave.questionnaire)
    section = section_of(questionnaire, "comment")
    with demo_app.test_request_context(method="POST", data={}):
        form = form_class(questionnaire, section, "vi")()
        form.show_problems(
            (
                AnswerProblem("comment", ProblemKind.too_long, 1000),
                AnswerProblem("Z1", ProblemKind.unknown_item),
            )
        )
        assert form.comment.errors == [
            "Vui lòng rút gọn câu trả lời, tối đa 1000 ký tự."
        ]
        assert form.form_errors == ["Phiếu khảo sát không có câu hỏi “Z1”."]
        assert form.has_problems
