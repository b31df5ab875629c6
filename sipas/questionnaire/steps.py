"""Which step (section) comes before or after another, given the answers so far."""

from __future__ import annotations

from collections.abc import Mapping, Set

from sipas.questionnaire.logic import AnswerValue, is_visible, visible_sections
from sipas.questionnaire.schema import Item, Questionnaire, Section


def steps(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue]
) -> tuple[Section, ...]:
    """The sections a respondent goes through, given the answers so far."""
    return visible_sections(questionnaire, answers)


def next_section(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue], current: str
) -> Section | None:
    """The first shown section after ``current``, or None after the last one."""
    position = questionnaire.section_index(current)
    shown = {section.code for section in steps(questionnaire, answers)}
    for section in questionnaire.sections[position + 1 :]:
        if section.code in shown:
            return section
    return None


def previous_section(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue], current: str
) -> Section | None:
    """The last shown section before ``current``, or None on the first one."""
    position = questionnaire.section_index(current)
    shown = {section.code for section in steps(questionnaire, answers)}
    for section in reversed(questionnaire.sections[:position]):
        if section.code in shown:
            return section
    return None


def step_number(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue], current: str
) -> tuple[int, int]:
    """(position of ``current`` from 1, number of steps) for the progress bar.

    The number counts the steps still to come as if every filter not yet reached
    opened its questions (the national form's service steps before "used a
    service" is answered), so it only falls when a filter closes them, and never
    jumps up near the end."""
    position = questionnaire.section_index(current)
    passed = {
        item.code
        for section in questionnaire.sections[:position]
        for item in section.items
    }
    codes = [
        section.code
        for section in questionnaire.sections
        if section.code == current
        or any(
            _may_be_asked(item, answers, questionnaire, passed)
            for item in section.items
        )
    ]
    return codes.index(current) + 1, len(codes)


def _may_be_asked(
    item: Item,
    answers: Mapping[str, AnswerValue],
    questionnaire: Questionnaire,
    passed: Set[str],
) -> bool:
    """True if ``item`` is asked, or would be should a filter not yet reached (not
    among the ``passed`` items) open it."""
    rule = item.show_if
    if rule is None:
        return True
    if not _may_be_asked(questionnaire.item(rule.item), answers, questionnaire, passed):
        return False
    if rule.item not in passed and answers.get(rule.item) in (None, "", [], ()):
        return True
    return is_visible(item, answers, questionnaire)
