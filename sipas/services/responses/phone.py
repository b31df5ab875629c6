"""The phone questionnaire step by step: a draft per form instance, then a response."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Channel, Response, ResponseDraft
from sipas.models.base import utcnow
from sipas.questionnaire import AnswerProblem, Questionnaire, Section, validate_answers
from sipas.questionnaire.steps import next_section, previous_section
from sipas.services.questionnaires import parsed
from sipas.services.responses import sources, store
from sipas.services.waves.lookup import SurveyTarget


class Move(StrEnum):
    """What the respondent pressed."""

    back = "back"
    next = "next"
    #: the language switch: keep what was typed and show the same step again
    stay = "stay"


@dataclass(frozen=True)
class StepOutcome:
    """Result of one step: problems to show, the step to go to, or a response."""

    problems: tuple[AnswerProblem, ...] = ()
    section: Section | None = None
    response: Response | None = None


def questionnaire_of(target: SurveyTarget) -> Questionnaire:
    """The parsed questionnaire version the target's wave uses."""
    return parsed(target.wave.questionnaire)


def find_draft(
    form_uuid: uuid_module.UUID, target: SurveyTarget
) -> ResponseDraft | None:
    """The unfinished answers of this form instance, if they belong to ``target``."""
    draft = db.session.get(ResponseDraft, form_uuid)
    if (
        draft is None
        or draft.unit_id != target.unit.id
        or draft.wave_id != target.wave.id
    ):
        return None
    return draft


def post_step(
    target: SurveyTarget,
    form_uuid: uuid_module.UUID,
    section: Section,
    posted: Mapping[str, object],
    *,
    move: Move,
    language: str,
    source: str | None = None,
) -> StepOutcome:
    """Check the answers of one step, keep them in the draft, and move on.

    Going back or staying (a language switch) keeps what was typed without insisting
    on required answers; going on requires this step to be complete. After the last
    step the whole questionnaire is validated again and stored as one response
    (idempotent on ``form_uuid``), judged with the others from its ``source`` (the
    client's address, hashed: sipas.services.responses.sources).
    """
    questionnaire = questionnaire_of(target)
    draft = find_draft(form_uuid, target)
    reached = reached_section(questionnaire, draft)
    if questionnaire.section_index(section.code) > questionnaire.section_index(
        reached.code
    ):
        # a step posted before the earlier ones were answered: back to where they are
        return StepOutcome(section=reached)
    merged = {**(draft.answers if draft else {}), **posted}
    checked_sections = (section.code,) if move is Move.next else ()
    validated = validate_answers(questionnaire, merged, section_codes=checked_sections)
    problems = _problems_of_step(validated.problems, section, posted, move)
    if problems:
        return StepOutcome(problems=problems)
    answers = dict(validated.answers)
    destination: Section | None
    if move is Move.stay:
        destination = section
    elif move is Move.back:
        destination = previous_section(questionnaire, answers, section.code) or section
    else:
        destination = next_section(questionnaire, answers, section.code)
        if destination is None:
            response = _submit(target, form_uuid, draft, answers, language, source)
            return StepOutcome(response=response)
    _save_draft(target, form_uuid, draft, answers, destination.code, language)
    return StepOutcome(section=destination)


def reached_section(
    questionnaire: Questionnaire, draft: ResponseDraft | None
) -> Section:
    """The furthest step this form instance has reached."""
    if draft is None or draft.current_section is None:
        return questionnaire.sections[0]
    return questionnaire.sections[questionnaire.section_index(draft.current_section)]


def _problems_of_step(
    problems: tuple[AnswerProblem, ...],
    section: Section,
    posted: Mapping[str, object],
    move: Move,
) -> tuple[AnswerProblem, ...]:
    """Problems to fix on this step (including anything posted that is wrong)."""
    own_codes = {item.code for item in section.items} | set(posted)
    if move is not Move.next:
        return tuple(
            p for p in problems if p.item_code in posted and p.kind != "required"
        )
    return tuple(p for p in problems if p.item_code in own_codes)


def _save_draft(
    target: SurveyTarget,
    form_uuid: uuid_module.UUID,
    draft: ResponseDraft | None,
    answers: Mapping[str, object],
    section_code: str,
    language: str,
) -> ResponseDraft:
    """Create or update the draft of this form instance."""
    if draft is None:
        draft = ResponseDraft(
            form_uuid=form_uuid, wave_id=target.wave.id, unit_id=target.unit.id
        )
        db.session.add(draft)
    draft.answers = _json_ready(answers)
    draft.current_section = section_code
    draft.language = language
    db.session.flush()
    return draft


def _submit(
    target: SurveyTarget,
    form_uuid: uuid_module.UUID,
    draft: ResponseDraft | None,
    answers: Mapping[str, object],
    language: str,
    source: str | None,
) -> Response:
    """Store the response and forget the draft, in the caller's transaction."""
    submission = store.Submission(
        uuid=form_uuid,
        wave=target.wave,
        unit=target.unit,
        channel=Channel.web,
        language=language,
        started_at=draft.started_at if draft else None,
    )
    recorded = store.record(submission, answers)
    if recorded.is_new and source is not None:
        db.session.flush()  # its id, for the completions of the window
        sources.note_completion(recorded.response, source, answers)
    # a statement, not an ORM delete: a concurrent double submit may have removed it
    db.session.execute(sa.delete(ResponseDraft).filter_by(form_uuid=form_uuid))
    return recorded.response


def _json_ready(answers: Mapping[str, object]) -> dict[str, object]:
    """Tuples (multi-choice answers) become lists for the JSON column."""
    return {
        code: list(value) if isinstance(value, tuple) else value
        for code, value in answers.items()
    }


def purge_stale_drafts(older_than_days: int) -> int:
    """Delete drafts untouched for ``older_than_days``; return how many."""
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = cast(
        "sa.CursorResult[Any]",
        db.session.execute(
            sa.delete(ResponseDraft).where(ResponseDraft.updated_at < cutoff)
        ),
    )
    return result.rowcount or 0
