"""Which step (section) comes before or after another, given the answers so far."""

from __future__ import annotations

from collections.abc import Mapping

from sipas.questionnaire.logic import AnswerValue, visible_sections
from sipas.questionnaire.schema import Questionnaire, Section


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
    """(position of ``current`` from 1, number of steps) for the progress bar."""
    codes = [section.code for section in steps(questionnaire, answers)]
    if current not in codes:
        codes.append(current)
        codes.sort(key=questionnaire.section_index)
    return codes.index(current) + 1, len(codes)
