"""Storing responses: validated in full, one transaction, idempotent by UUID."""

from __future__ import annotations

import logging
import uuid as uuid_module
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    Questionnaire,
    ValidatedAnswers,
    criteria_masks,
    validate_answers,
)
from sipas.questionnaire.choices import choice_layout, pack_choices
from sipas.questionnaire.quality import Verdict
from sipas.services.questionnaires import parsed
from sipas.services.responses import quality

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
    validated = _validated(submission, questionnaire, raw_answers)
    response = _new_response(submission, validated.answers)
    _judge(response, questionnaire, validated)
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


@dataclass(frozen=True)
class Checked:
    """A submission with its answers validated (nothing stored yet)."""

    submission: Submission
    questionnaire: Questionnaire
    validated: ValidatedAnswers


def check_many(
    items: Sequence[tuple[Submission, Mapping[str, object]]],
) -> list[Checked]:
    """Validate the answers of many submissions: the costly part of
    :func:`record_many`, which only reads (so it can run before a write lock is
    taken: see sipas.api.sync). Raises InvalidAnswers unless invalid answers are
    kept; repeats of a UUID in ``items`` are checked once."""
    checked: dict[uuid_module.UUID, Checked] = {}
    for submission, raw_answers in items:
        if submission.uuid not in checked:
            questionnaire = parsed(submission.wave.questionnaire)
            validated = _validated(submission, questionnaire, raw_answers)
            checked[submission.uuid] = Checked(submission, questionnaire, validated)
    return list(checked.values())


def record_many(
    items: Sequence[tuple[Submission, Mapping[str, object]]],
) -> set[uuid_module.UUID]:
    """Store many responses as :func:`record` would, in a few statements; the UUIDs
    stored by this call (the others were stored before, or are repeats in ``items``).
    """
    return store_checked(check_many(items))


def store_checked(items: Sequence[Checked]) -> set[uuid_module.UUID]:
    """Store checked submissions as :func:`record` would; the UUIDs stored now.

    The same checks and quality rules as one by one, with the queries done once for
    the whole batch: which UUIDs are stored already, whether each wave and unit take
    part, each device's responses of the minute before (the device-rate rule counts
    those, and the batch's own earlier ones). The rows go in with one INSERT … ON
    CONFLICT (uuid) DO NOTHING … RETURNING, so a batch sent twice at the same moment
    by another worker stores each response once; then one INSERT of their answers.
    Raises SubmissionRefused (nothing written) like :func:`record`.
    """
    if not _has_insert_ignoring_conflicts():
        return {
            item.submission.uuid
            for item in items
            if record(item.submission, item.validated.answers).is_new
        }
    stored = stored_uuids([item.submission.uuid for item in items])
    fresh = [item for item in items if item.submission.uuid not in stored]
    if not fresh:
        return set()
    targets: set[tuple[int, int]] = set()
    device_times = _recent_device_times([item.submission for item in fresh])
    deliveries = _deliveries([item.submission for item in fresh])
    rows: list[dict[str, object]] = []
    answers_of: dict[uuid_module.UUID, Mapping[str, AnswerValue]] = {}
    for item in fresh:
        submission = item.submission
        if (submission.wave.id, submission.unit.id) not in targets:
            _check_target(submission)
            targets.add((submission.wave.id, submission.unit.id))
        response = _new_response(submission, {})
        earlier = None
        if submission.device_code:
            times = device_times.setdefault(submission.device_code, [])
            earlier = _in_minute_before(times, response.submitted_at)
            times.append(response.submitted_at)
        _judge(
            response,
            item.questionnaire,
            item.validated,
            earlier_in_minute=earlier,
            delivery=deliveries.get(submission.device_code or ""),
        )
        rows.append(_row_values(submission, response))
        answers_of[submission.uuid] = item.validated.answers
    inserted = _insert_ignoring_conflicts(rows)
    answer_values = [
        {"response_id": response_id, "item_code": code, "value": value}
        for response_uuid, response_id in inserted.items()
        for code, value in answer_pairs(answers_of[response_uuid])
    ]
    if answer_values:
        # Core on the table: the ORM's bulk path costs more than the database
        db.session.execute(Answer.__table__.insert(), answer_values)
    log.info("%d responses stored in one batch", len(inserted))
    return set(inserted)


def _validated(
    submission: Submission,
    questionnaire: Questionnaire,
    raw_answers: Mapping[str, object],
) -> ValidatedAnswers:
    """The answers checked against the questionnaire; InvalidAnswers when they break
    its rules, unless the submission keeps invalid answers (flagged)."""
    validated = validate_answers(
        questionnaire,
        raw_answers,
        section_codes=None if submission.enforce_required else (),
    )
    if not validated.is_valid and not submission.keep_invalid:
        raise InvalidAnswers(validated.problems)
    return validated


def _judge(
    response: Response,
    questionnaire: Questionnaire,
    validated: ValidatedAnswers,
    earlier_in_minute: int | None = None,
    delivery: quality.DeviceDelivery | None = None,
) -> None:
    """Criteria masks, the quality signals, and the flag of invalid answers or of
    signals that together exclude the response (sipas/questionnaire/quality.py)."""
    response.criteria_answered, response.criteria_satisfied = criteria_masks(
        questionnaire, validated.answers
    )
    response.choice_codes = pack_choices(
        choice_layout(questionnaire), validated.answers
    )
    assessment = quality.assess(
        response, questionnaire, validated.answers, earlier_in_minute, delivery
    )
    response.quality_signals = assessment.mask
    if not validated.is_valid:
        response.status = ResponseStatus.flagged
        response.status_reason = invalid_reason(validated.problems)
    elif assessment.verdict is Verdict.excluded:
        response.status = ResponseStatus.flagged
        response.status_reason = assessment.reason
        log.info("response %s flagged: %s", response.uuid, assessment.reason)
    elif assessment.signals:
        log.info("response %s counted, marked: %s", response.uuid, assessment.reason)


def _has_insert_ignoring_conflicts() -> bool:
    return db.session.get_bind().dialect.name in ("sqlite", "postgresql")


def _insert_ignoring_conflicts(
    rows: list[dict[str, object]],
) -> dict[uuid_module.UUID, int]:
    """Insert response rows whose UUID is not stored yet; {uuid: id} of those."""
    table = Response.__table__
    statement: sa.Insert
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        statement = postgresql.insert(table).on_conflict_do_nothing(
            index_elements=["uuid"]
        )
    else:
        from sqlalchemy.dialects import sqlite

        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["uuid"])
    statement = statement.returning(table.c.uuid, table.c.id)
    return dict(db.session.execute(statement, rows).all())


def stored_uuids(uuids: list[uuid_module.UUID]) -> set[uuid_module.UUID]:
    """Those of ``uuids`` stored already (one query)."""
    if not uuids:
        return set()
    return set(
        db.session.scalars(sa.select(Response.uuid).where(Response.uuid.in_(uuids)))
    )


def _recent_device_times(
    submissions: Iterable[Submission],
) -> dict[str, list[datetime]]:
    """Per device, the times of its stored responses that fall in the minute before
    any of ``submissions`` (one query per device)."""
    moments: dict[str, list[datetime]] = {}
    for submission in submissions:
        if submission.device_code:
            moments.setdefault(submission.device_code, []).append(
                _submitted_at(submission)
            )
    found: dict[str, list[datetime]] = {}
    for code, times in moments.items():
        found[code] = [
            _aware(moment)
            for moment in db.session.scalars(
                sa.select(Response.submitted_at).where(
                    Response.device_code == code,
                    Response.submitted_at > min(times) - quality.DEVICE_WINDOW,
                    Response.submitted_at <= max(times),
                )
            )
        ]
    return found


def _deliveries(submissions: Iterable[Submission]) -> dict[str, quality.DeviceDelivery]:
    """Per device, this delivery judged whole: what the server received from it in
    the throughput window, and all of its new responses here."""
    new_per_device: dict[str, int] = {}
    for submission in submissions:
        if submission.device_code:
            code = submission.device_code
            new_per_device[code] = new_per_device.get(code, 0) + 1
    return {
        code: quality.device_delivery(code, count)
        for code, count in new_per_device.items()
    }


def _in_minute_before(times: list[datetime], moment: datetime) -> int:
    """How many of ``times`` fall in the minute up to ``moment`` (the query of
    quality.recent_device_count, on times already read)."""
    since = moment - quality.DEVICE_WINDOW
    return sum(1 for t in times if since < t <= moment)


def _row_values(submission: Submission, response: Response) -> dict[str, object]:
    """The columns of a response row built by _new_response (not added)."""
    return {
        "uuid": submission.uuid,
        "wave_id": submission.wave.id,
        "unit_id": submission.unit.id,
        "questionnaire_id": submission.wave.questionnaire_id,
        "channel": response.channel,
        "language": response.language,
        "device_code": response.device_code,
        "paper_serial": response.paper_serial,
        "entered_by_id": response.entered_by_id,
        "started_at": response.started_at,
        "submitted_at": response.submitted_at,
        "received_at": response.received_at,
        "duration_seconds": response.duration_seconds,
        "status": response.status or ResponseStatus.complete,
        "status_reason": response.status_reason,
        "criteria_answered": response.criteria_answered,
        "criteria_satisfied": response.criteria_satisfied,
        "choice_codes": response.choice_codes,
        "quality_signals": response.quality_signals,
    }


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
    submitted_at = _submitted_at(submission)
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
        received_at=utcnow(),
        duration_seconds=duration,
    )
    response.answers = answer_rows(answers)
    return response


def answer_rows(answers: Mapping[str, AnswerValue]) -> list[Answer]:
    """One answer row per value (a multi-choice answer gives several)."""
    return [
        Answer(item_code=code, value=value) for code, value in answer_pairs(answers)
    ]


def answer_pairs(answers: Mapping[str, AnswerValue]) -> Iterator[tuple[str, str]]:
    """(item code, value) of each answer row."""
    for code, answer in answers.items():
        for value in (answer,) if isinstance(answer, str) else answer:
            yield code, value


def _submitted_at(submission: Submission) -> datetime:
    """When the respondent finished: as the submission says, or now."""
    return _aware(submission.submitted_at) if submission.submitted_at else utcnow()


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; ours are always UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
