"""Storing responses: validated in full, one transaction, idempotent by UUID."""

from __future__ import annotations

import logging
import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from sipas.extensions import db
from sipas.models import (
    Answer,
    Channel,
    Response,
    ResponseStatus,
    Unit,
    Wave,
    WaveStatus,
    WaveUnit,
)
from sipas.models.base import utcnow
from sipas.questionnaire import (
    AnswerProblem,
    AnswerValue,
    criteria_masks,
    validate_answers,
)
from sipas.services import quality
from sipas.services.questionnaires import parsed

log = logging.getLogger(__name__)

#: Crockford's base-32 alphabet: no I, L, O, U, so a receipt is easy to read aloud.
_RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class InvalidAnswers(Exception):
    """The answers break the questionnaire's rules; nothing was stored."""

    def __init__(self, problems: tuple[AnswerProblem, ...]) -> None:
        super().__init__(", ".join(f"{p.item_code}:{p.kind}" for p in problems))
        self.problems = problems


class SubmissionRefused(Exception):
    """The wave is not open or the unit is not part of it; nothing was stored."""


@dataclass(frozen=True)
class Submission:
    """Where and how a response was given, besides its answers."""

    uuid: uuid_module.UUID
    wave: Wave
    unit: Unit
    channel: Channel
    language: str = "vi"
    started_at: datetime | None = None
    device_code: str | None = None
    paper_serial: str | None = None
    entered_by_id: int | None = None
    #: False for paper forms: a box the respondent left blank is stored as no answer.
    enforce_required: bool = True
    #: When the respondent finished (a kiosk syncing later); default: now.
    submitted_at: datetime | None = None
    #: Store answers that break the rules anyway, flagged "invalid:<detail>" with the
    #: valid part of the answers (kiosk sync: a response is never rejected nor lost).
    keep_invalid: bool = False


@dataclass(frozen=True)
class Recorded:
    """The stored response and whether this call created it."""

    response: Response
    is_new: bool


def receipt_code(response_uuid: uuid_module.UUID) -> str:
    """A short code shown to the respondent, derived from the response UUID."""
    number = response_uuid.int >> (128 - 50)
    chars = []
    for _ in range(10):
        number, digit = divmod(number, 32)
        chars.append(_RECEIPT_ALPHABET[digit])
    code = "".join(reversed(chars))
    return f"{code[:5]}-{code[5:]}"


def find_by_uuid(response_uuid: uuid_module.UUID) -> Response | None:
    """The response stored for a form instance, if any."""
    return db.session.scalar(sa.select(Response).filter_by(uuid=response_uuid))


def record(submission: Submission, raw_answers: Mapping[str, object]) -> Recorded:
    """Validate and store one response with its answers; a repeat returns the first.

    Everything is checked before anything is written, and the response and its answers
    go in together inside a savepoint, so a failure leaves nothing behind.
    """
    existing = find_by_uuid(submission.uuid)
    if existing is not None:
        return Recorded(existing, is_new=False)
    _check_target(submission)
    questionnaire = parsed(submission.wave.questionnaire)
    validated = validate_answers(
        questionnaire,
        raw_answers,
        section_codes=None if submission.enforce_required else (),
    )
    if not validated.is_valid and not submission.keep_invalid:
        raise InvalidAnswers(validated.problems)
    response = _new_response(submission, validated.answers)
    response.criteria_answered, response.criteria_satisfied = criteria_masks(
        questionnaire, validated.answers
    )
    if not validated.is_valid:
        response.status = ResponseStatus.flagged
        response.status_reason = invalid_reason(validated.problems)
    elif reason := quality.assess(response, questionnaire, validated.answers):
        response.status = ResponseStatus.flagged
        response.status_reason = reason
        log.info("response %s flagged: %s", response.uuid, reason)
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        # Another request stored the same form instance a moment ago.
        existing = find_by_uuid(submission.uuid)
        if existing is None:
            raise
        return Recorded(existing, is_new=False)
    log.info("response %s stored for %s", response.uuid, submission.unit.code)
    return Recorded(response, is_new=True)


def invalid_reason(problems: tuple[AnswerProblem, ...]) -> str:
    """The status reason of a response kept despite ``problems``."""
    detail = ",".join(f"{p.item_code}:{p.kind}" for p in problems)
    return quality.INVALID_PREFIX + detail


def _check_target(submission: Submission) -> None:
    """Refuse answers for a wave that is not open or a unit outside it."""
    if submission.wave.status is not WaveStatus.open:
        raise SubmissionRefused(f"wave {submission.wave.code} is not open")
    takes_part = db.session.scalar(
        sa.select(WaveUnit.id).filter_by(
            wave_id=submission.wave.id, unit_id=submission.unit.id
        )
    )
    if takes_part is None:
        raise SubmissionRefused(
            f"unit {submission.unit.code} is not in wave {submission.wave.code}"
        )


def _new_response(
    submission: Submission, answers: Mapping[str, AnswerValue]
) -> Response:
    """Build (not add) the response and one answer row per value."""
    submitted_at = (
        _aware(submission.submitted_at) if submission.submitted_at else utcnow()
    )
    started_at = submission.started_at
    duration = None
    if started_at is not None:
        duration = max(0, int((submitted_at - _aware(started_at)).total_seconds()))
    response = Response(
        uuid=submission.uuid,
        wave=submission.wave,
        unit=submission.unit,
        questionnaire_id=submission.wave.questionnaire_id,
        channel=submission.channel,
        language=submission.language,
        device_code=submission.device_code,
        paper_serial=submission.paper_serial,
        entered_by_id=submission.entered_by_id,
        started_at=started_at,
        submitted_at=submitted_at,
        duration_seconds=duration,
    )
    response.answers = answer_rows(answers)
    return response


def answer_rows(answers: Mapping[str, AnswerValue]) -> list[Answer]:
    """One answer row per value (a multi-choice answer gives several)."""
    return [
        Answer(item_code=code, value=value)
        for code, answer in answers.items()
        for value in ((answer,) if isinstance(answer, str) else answer)
    ]


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; ours are always UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
