"""Form classes built at run time from a questionnaire section."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, RadioField, SelectMultipleField, TextAreaField
from wtforms.fields import StringField
from wtforms.fields.choices import SelectChoice

from sipas.questionnaire import (
    AnswerProblem,
    Item,
    ItemType,
    ProblemKind,
    Questionnaire,
    Section,
)
from sipas.questionnaire.schema import DEFAULT_TEXT_MAX_LENGTH

#: Names posted by the page itself, never answers.
CONTROL_FIELDS = frozenset({"csrf_token", "form_id", "section", "move", "language"})

#: What each problem kind means to the respondent; gettext fills the placeholders.
PROBLEM_MESSAGES: dict[ProblemKind, Callable[[AnswerProblem], str]] = {
    ProblemKind.required: lambda p: _("Please answer this question."),
    ProblemKind.not_a_choice: lambda p: _("Please choose one of the options shown."),
    ProblemKind.not_single: lambda p: _("Please choose only one option."),
    ProblemKind.too_many_choices: lambda p: _(
        "Please choose at most %(limit)d options.", limit=p.limit
    ),
    ProblemKind.too_long: lambda p: _(
        "Please shorten your answer to at most %(limit)d characters.", limit=p.limit
    ),
    ProblemKind.not_a_number: lambda p: _("Please enter a whole number."),
    ProblemKind.out_of_range: lambda p: _(
        "Please enter a number in the allowed range."
    ),
    ProblemKind.unknown_item: lambda p: _(
        "This questionnaire has no question “%(code)s”.", code=p.item_code
    ),
    ProblemKind.hidden_item: lambda p: _(
        "This question does not apply to your answers."
    ),
}


def problem_message(problem: AnswerProblem) -> str:
    """The translated explanation of one problem."""
    return PROBLEM_MESSAGES[problem.kind](problem)


class SectionForm(FlaskForm):
    """Base of every generated form: one questionnaire section (one step)."""

    form_id = HiddenField()
    section = HiddenField()

    questionnaire: Questionnaire
    section_def: Section

    def item_fields(self) -> list[tuple[Item, Field]]:
        """The section's questions with their fields, in order."""
        return [(item, self[item.code]) for item in self.section_def.items]

    def answers(self) -> dict[str, object]:
        """What was posted for this section's items, plus any unexpected names."""
        posted: dict[str, object] = {
            item.code: field.data for item, field in self.item_fields()
        }
        for name in request.form:
            if name not in CONTROL_FIELDS and name not in posted:
                posted[name] = request.form.getlist(name)
        return posted

    def show_problems(self, problems: tuple[AnswerProblem, ...]) -> None:
        """Attach each problem to its question, or to the form when it has none here."""
        for problem in problems:
            field = self._fields.get(problem.item_code)
            if field is not None and problem.item_code not in CONTROL_FIELDS:
                field.errors = [*field.errors, problem_message(problem)]
            else:
                self.form_errors.append(problem_message(problem))

    @property
    def has_problems(self) -> bool:
        """True once any question or the form itself carries an error."""
        return bool(self.form_errors) or any(f.errors for _, f in self.item_fields())


def form_class(questionnaire: Questionnaire, section: Section, language: str) -> type:
    """The form class for one section in one language (built once, then cached)."""
    return _build_form_class(questionnaire, section.code, language)


@lru_cache(maxsize=256)
def _build_form_class(
    questionnaire: Questionnaire, section_code: str, language: str
) -> type[SectionForm]:
    """Create a SectionForm subclass with one field per item of the section."""
    section = questionnaire.sections[questionnaire.section_index(section_code)]
    attributes: dict[str, object] = {
        "questionnaire": questionnaire,
        "section_def": section,
    }
    for item in section.items:
        attributes[item.code] = _field_for(item, language)
    name = f"Section_{section_code}_{language}"
    return type(name, (SectionForm,), attributes)


def _field_for(item: Item, language: str) -> Field:
    """A WTForms field without validators: the rules are checked in one place."""
    label = item.label.get_text(language)
    choices = [
        SelectChoice(choice.code, choice.label.get_text(language))
        for choice in item.choices
    ]
    if item.type in (ItemType.single_choice, ItemType.scale):
        return RadioField(label, choices=choices, validate_choice=False)
    if item.type is ItemType.multi_choice:
        return SelectMultipleField(label, choices=choices, validate_choice=False)
    if item.type is ItemType.text:
        limit = item.max_length or DEFAULT_TEXT_MAX_LENGTH
        return TextAreaField(label, render_kw={"maxlength": limit, "rows": 4})
    return StringField(label, render_kw={"inputmode": "numeric"})


def prefill(form: SectionForm, answers: Mapping[str, Any]) -> None:
    """Show stored draft answers in a freshly built (GET) form."""
    for item, field in form.item_fields():
        value = answers.get(item.code)
        if value is None:
            continue
        field.data = list(value) if item.type is ItemType.multi_choice else value


def csrf_failure_message() -> str:
    """Explains an expired page without losing the answers shown on it."""
    return _(
        "This page was open for a long time and has expired for your safety. "
        "Your answers are still shown below: please check them and continue again."
    )
