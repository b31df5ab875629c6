"""Builders for test data: valid answers from a questionnaire, stored responses."""

from __future__ import annotations

import uuid

from sipas.extensions import db
from sipas.models import Channel, Unit, UnitLevel, Wave
from sipas.questionnaire import Item, ItemType, Questionnaire
from sipas.questionnaire.logic import is_visible
from sipas.services.questionnaires import parsed
from sipas.services.responses import store as responses
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code


def answer_for(item: Item, *, gave_feedback: bool = True) -> object:
    """A valid answer to ``item``; the filter before factor E follows the flag."""
    if item.code == "E_filter":
        return "yes" if gave_feedback else "no"
    if item.type is ItemType.scale:
        # satisfied throughout, but not the same score everywhere: identical answers
        # to every criterion raise the straight-lining signal (responses/quality.py)
        return "5" if item.code == "D3" else "4"
    if item.type is ItemType.single_choice:
        return item.choices[0].code
    if item.type is ItemType.multi_choice:
        return [choice.code for choice in item.choices[:2]]
    if item.type is ItemType.text:
        return "Cán bộ nhiệt tình, chu đáo."
    return str(item.min_value or 1)


def section_answers(
    questionnaire: Questionnaire, section_code: str, *, gave_feedback: bool = True
) -> dict[str, object]:
    """Valid answers for every item of one section, skip rules respected (the
    answers before it are those of `valid_answers`)."""
    section = questionnaire.sections[questionnaire.section_index(section_code)]
    answers = valid_answers(questionnaire, gave_feedback=gave_feedback)
    return {
        item.code: answers[item.code] for item in section.items if item.code in answers
    }


def valid_answers(
    questionnaire: Questionnaire, *, gave_feedback: bool = True
) -> dict[str, object]:
    """Valid answers to the whole questionnaire: the first option of a choice, so
    conditional procedure questions (an apology when late) stay unasked."""
    answers: dict[str, object] = {}
    for item in questionnaire.items:
        if is_visible(item, answers, questionnaire):
            answers[item.code] = answer_for(item, gave_feedback=gave_feedback)
    return answers


def demo_target(unit_code: str = "QN-HALONG-TT") -> tuple[Wave, Unit]:
    """The demo wave and one of its centres."""
    wave = wave_by_code("demo")
    unit = unit_by_code(unit_code)
    return wave, unit


def make_response(
    unit_code: str = "QN-HALONG-TT",
    answers: dict[str, object] | None = None,
    channel: Channel = Channel.web,
    response_uuid: uuid.UUID | None = None,
) -> responses.Recorded:
    """Store one response in the demo wave (answers default to a valid full set)."""
    wave, unit = demo_target(unit_code)
    questionnaire = parsed(wave.questionnaire)
    submission = responses.Submission(
        uuid=response_uuid or uuid.uuid4(), wave=wave, unit=unit, channel=channel
    )
    return responses.record(submission, answers or valid_answers(questionnaire))


def make_unit(
    code: str,
    name: str | None = None,
    level: UnitLevel = UnitLevel.centre,
    parent: Unit | None = None,
) -> Unit:
    """Add one unit (flushed, so it has an id)."""
    unit = Unit(code=code, name=name or f"Đơn vị {code}", level=level, parent=parent)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_previous_wave(
    current: Wave, responses: int, seed: int, title: str = "Đợt trước"
) -> Wave:
    """A closed wave of 2025 over the same units and design as ``current``, with
    ``responses`` synthetic responses (flushed, not committed)."""
    from datetime import date

    from sipas.models import WaveStatus, WaveUnit
    from sipas.services import synthetic

    previous = Wave(
        code="previous",
        title=title,
        questionnaire=current.questionnaire,
        status=WaveStatus.closed,
        starts_on=date(2025, 1, 1),
        strata_level=current.strata_level,
        psu_level=current.psu_level,
        weighting=current.weighting,
    )
    previous.wave_units = [
        WaveUnit(unit=wu.unit, population=wu.population, target_sample=wu.target_sample)
        for wu in current.wave_units
    ]
    db.session.add(previous)
    db.session.flush()
    synthetic.add_demo_responses(previous, responses, seed=seed)
    return previous


def sample_whole_centres(wave: Wave) -> Wave:
    """Give ``wave`` the design the demo had before issue 15 (one stratum, each
    centre one PSU), under which no two centres can be compared (committed)."""
    wave.strata_level = UnitLevel.province
    wave.psu_level = UnitLevel.centre
    db.session.commit()
    return wave
