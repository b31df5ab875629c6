"""Paper forms typed in twice: serial checks, the blind second entry, the automatic
comparison, settlement of differences, and the response each form produces.

A form counts in the statistics once it is verified (two identical entries, or a
settlement against the paper). With the wave's ``counts_unverified_paper`` set, the
first entry already produces the response; verification then updates its answers.
One response per form either way: its UUID is derived from the wave and serial.
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.exc import IntegrityError

from sipas.extensions import db
from sipas.models import (
    Channel,
    PaperEntry,
    PaperForm,
    Response,
    ResponseStatus,
    Role,
    Unit,
    User,
    Wave,
)
from sipas.models.base import utcnow
from sipas.questionnaire import criteria_masks, validate_answers
from sipas.questionnaire.choices import choice_layout, pack_choices
from sipas.questionnaire.entry_keys import (
    EntryValue,
    differing_items,
    stored_answers,
)
from sipas.questionnaire.serials import SerialError, format_serial, parse_serial
from sipas.services.audit import record_event
from sipas.services.questionnaires import parsed
from sipas.services.responses import bulk, store

log = logging.getLogger(__name__)

FIRST, SECOND, SETTLED = 1, 2, 3
#: Namespace of the response UUIDs made from a wave and a serial.
_PAPER_NAMESPACE = uuid_module.UUID("5b0e4c1e-3d59-4c7a-9d0e-7a1c2f6e8b11")
#: Why an unverified paper response is held back from the statistics.
UNVERIFIED_REASON = "paper form not verified yet"


class SerialState(StrEnum):
    """What the entry screen says about a typed serial."""

    ok = "ok"
    #: not a serial's shape (named so as not to hide str.format on every member;
    #: the value is SerialError's reason)
    malformed = "format"
    check = "check"
    not_issued = "not_issued"
    entered_twice = "entered_twice"
    own_entry = "own_entry"


@dataclass(frozen=True)
class SerialCheck:
    """The verdict on a typed serial and, when it may be entered, which round."""

    state: SerialState
    serial: int | None = None
    round: int | None = None

    @property
    def ok(self) -> bool:
        return self.state is SerialState.ok


class EntryRefused(Exception):
    """The serial may not be entered (again) by this user; nothing was stored."""

    def __init__(self, check: SerialCheck) -> None:
        super().__init__(check.state.value)
        self.check = check


def response_uuid(wave: Wave, serial: int) -> uuid_module.UUID:
    """The UUID of the one response a paper form produces."""
    return uuid_module.uuid5(_PAPER_NAMESPACE, f"{wave.id}:{serial}")


def entries_of(wave: Wave, serial: int) -> dict[int, PaperEntry]:
    """The stored entries of one form by round."""
    rows = db.session.scalars(
        sa.select(PaperEntry).filter_by(wave_id=wave.id, serial=serial)
    )
    return {entry.round: entry for entry in rows}


def check_serial(wave: Wave, unit: Unit, text: str, user: User) -> SerialCheck:
    """May ``user`` enter the form with serial ``text`` for ``unit`` now?"""
    try:
        serial = parse_serial(text or "")
    except SerialError as error:
        return SerialCheck(SerialState(error.reason))
    issued = db.session.scalar(
        sa.select(PaperForm.id).filter_by(
            wave_id=wave.id, serial=serial, unit_id=unit.id
        )
    )
    if issued is None:
        return SerialCheck(SerialState.not_issued, serial)
    entries = entries_of(wave, serial)
    if FIRST not in entries:
        return SerialCheck(SerialState.ok, serial, FIRST)
    if SECOND in entries:
        return SerialCheck(SerialState.entered_twice, serial)
    if entries[FIRST].entered_by_id == user.id:
        return SerialCheck(SerialState.own_entry, serial)
    return SerialCheck(SerialState.ok, serial, SECOND)


@dataclass(frozen=True)
class NewEntry:
    """One typed form, decoded and valid."""

    wave: Wave
    unit: Unit
    serial_text: str
    answers: Mapping[str, EntryValue]
    user: User
    started_at: datetime | None = None
    keystrokes: int | None = None


@dataclass(frozen=True)
class Saved:
    """What saving an entry did."""

    entry: PaperEntry
    #: Items the second entry answered differently from the first.
    differences: list[str] = field(default_factory=list)
    verified: bool = False


def save_entry(new: NewEntry) -> Saved:
    """Store a first or second entry; a second one is compared with the first."""
    check = check_serial(new.wave, new.unit, new.serial_text, new.user)
    if not check.ok or check.serial is None or check.round is None:
        raise EntryRefused(check)
    entry = _add_entry(new, check.serial, check.round)
    if check.round == FIRST:
        if new.wave.counts_unverified_paper:
            produce_response(new.wave, check.serial, entry, verified=False)
        return Saved(entry)
    first = entries_of(new.wave, check.serial)[FIRST]
    questionnaire = parsed(new.wave.questionnaire)
    differences = differing_items(questionnaire, first.answers, entry.answers)
    if differences:
        log.info("paper form %s: %s items differ", check.serial, len(differences))
        return Saved(entry, differences)
    response = produce_response(new.wave, check.serial, entry, verified=True)
    first.response_id = response.id
    return Saved(entry, [], verified=True)


def _add_entry(new: NewEntry, serial: int, round_: int) -> PaperEntry:
    submitted_at = utcnow()
    started_at = _aware(new.started_at) if new.started_at else None
    if started_at is not None and started_at > submitted_at:
        started_at = None
    entry = PaperEntry(
        wave=new.wave,
        unit=new.unit,
        serial=serial,
        round=round_,
        entered_by=new.user,
        started_at=started_at,
        submitted_at=submitted_at,
        seconds=(
            int((submitted_at - started_at).total_seconds()) if started_at else None
        ),
        keystrokes=new.keystrokes,
        answers=dict(new.answers),
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        # another surveyor saved the same round of this form a moment ago
        raise EntryRefused(SerialCheck(SerialState.entered_twice, serial)) from None
    return entry


def produce_response(
    wave: Wave, serial: int, entry: PaperEntry, *, verified: bool
) -> Response:
    """Create the form's response from ``entry``, or update the one it has."""
    response = store.find_by_uuid(response_uuid(wave, serial))
    if response is None:
        submission = _submission(wave, serial, entry)
        response = store.record(submission, stored_answers(entry.answers)).response
    else:
        _replace_answers(response, entry.answers)
    if verified:
        response.status = ResponseStatus.complete
        response.status_reason = None
    entry.response_id = response.id
    db.session.flush()
    return response


def produce_responses(wave: Wave, entries: Mapping[int, PaperEntry]) -> int:
    """The responses of forms that have none, made from their entries (serial →
    entry) as :func:`produce_response` makes one, unverified, in a few statements
    (store.record_many); how many were made."""
    items = [
        (_submission(wave, serial, entry), stored_answers(entry.answers))
        for serial, entry in entries.items()
    ]
    made = store.record_many(items)
    # every form's response, also one stored a moment ago by another request
    asked = [submission.uuid for submission, _answers in items]
    ids = dict(
        db.session.execute(
            sa.select(Response.uuid, Response.id).where(bulk.uuid_in(asked))
        ).all()
    )
    for serial, entry in entries.items():
        entry.response_id = ids.get(response_uuid(wave, serial), entry.response_id)
    db.session.flush()
    return len(made)


def _submission(wave: Wave, serial: int, entry: PaperEntry) -> store.Submission:
    """How the response of form ``serial`` is given: on paper, typed by the one
    who typed ``entry``, blank boxes as no answer."""
    return store.Submission(
        uuid=response_uuid(wave, serial),
        wave=wave,
        unit=entry.unit,
        channel=Channel.paper,
        started_at=entry.started_at,
        paper_serial=format_serial(serial),
        entered_by_id=entry.entered_by_id,
        enforce_required=False,
    )


def _replace_answers(response: Response, answers: Mapping[str, EntryValue]) -> None:
    """Put the verified answers in place of the first entry's."""
    questionnaire = parsed(response.questionnaire)
    validated = validate_answers(
        questionnaire, stored_answers(answers), section_codes=()
    )
    if not validated.is_valid:
        raise store.InvalidAnswers(validated.problems)
    response.answers.clear()
    db.session.flush()  # the old rows go before new ones with the same key arrive
    response.answers = store.answer_rows(validated.answers)
    response.criteria_answered, response.criteria_satisfied = criteria_masks(
        questionnaire, validated.answers
    )
    response.choice_codes = pack_choices(
        choice_layout(questionnaire), validated.answers
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- settling differences ---------------------------------------------------------


@dataclass(frozen=True)
class Disagreement:
    """A form whose two entries differ and that nobody has settled yet."""

    wave: Wave
    unit: Unit
    serial: int
    first: PaperEntry
    second: PaperEntry
    differences: list[str]

    @property
    def serial_text(self) -> str:
        return format_serial(self.serial)


def may_settle(user: User, first: PaperEntry, second: PaperEntry) -> bool:
    """Admins, or a third surveyor who typed neither entry."""
    if user.role is Role.admin:
        return True
    return user.role is Role.surveyor and user.id not in (
        first.entered_by_id,
        second.entered_by_id,
    )


def disagreement(wave: Wave, serial: int) -> Disagreement | None:
    """The unsettled disagreement on one form, if there is one."""
    entries = entries_of(wave, serial)
    if SETTLED in entries or FIRST not in entries or SECOND not in entries:
        return None
    return _compared(wave, entries[FIRST], entries[SECOND])


def _compared(wave: Wave, first: PaperEntry, second: PaperEntry) -> Disagreement | None:
    """The disagreement between a form's two entries, None when they agree."""
    differences = differing_items(
        parsed(wave.questionnaire), first.answers, second.answers
    )
    if not differences:
        return None
    return Disagreement(wave, first.unit, first.serial, first, second, differences)


def disagreements(user: User, visible: set[int] | None) -> list[Disagreement]:
    """Unsettled disagreements in ``visible`` units (None = all) that ``user`` may
    settle, oldest first.

    One query pairs each unsettled form's two entries and keeps the pairs whose
    answers are not the same text; only those are compared item by item (entries
    typed alike are most of them: 21 000 forms took 21 000 queries and 5 s)."""
    first, second, settled = (orm.aliased(PaperEntry) for _ in range(3))
    query = (
        sa.select(first, second)
        .join(
            second,
            sa.and_(
                second.wave_id == first.wave_id,
                second.serial == first.serial,
                second.round == SECOND,
            ),
        )
        .where(first.round == FIRST)
        .where(
            ~sa.exists().where(
                settled.wave_id == first.wave_id,
                settled.serial == first.serial,
                settled.round == SETTLED,
            )
        )
        .where(sa.cast(first.answers, sa.Text) != sa.cast(second.answers, sa.Text))
        .order_by(second.submitted_at, second.id)
    )
    if visible is not None:
        query = query.where(second.unit_id.in_(visible))
    found = []
    for first_entry, second_entry in db.session.execute(query):
        case = _compared(second_entry.wave, first_entry, second_entry)
        if case is not None and may_settle(user, first_entry, second_entry):
            found.append(case)
    return found


def settle(
    case: Disagreement, answers: Mapping[str, EntryValue], user: User
) -> PaperEntry:
    """Store the settled answers (round 3) and make the form's response from them."""
    entry = PaperEntry(
        wave=case.wave,
        unit=case.unit,
        serial=case.serial,
        round=SETTLED,
        entered_by=user,
        started_at=None,
        submitted_at=utcnow(),
        answers=dict(answers),
    )
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        raise EntryRefused(
            SerialCheck(SerialState.entered_twice, case.serial)
        ) from None
    response = produce_response(case.wave, case.serial, entry, verified=True)
    for typed in (case.first, case.second):
        typed.response_id = response.id
    record_event(
        "paper.settle",
        user=user,
        object_type="paper_form",
        object_id=f"{case.wave.code}:{case.serial_text}",
        details={
            "items": case.differences,
            "first_by": case.first.entered_by.username,
            "second_by": case.second.entered_by.username,
            "response": str(response.uuid),
        },
    )
    return entry
