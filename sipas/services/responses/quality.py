"""Spam and low-quality answers: the signals of a response being recorded, and the
counts and conditions pages use to review them.

The rules and the decision are pure (``sipas.questionnaire.quality``, rule table in
its docstring); :func:`assess` gathers their inputs for a response being recorded
(every channel goes through ``services.responses.record``). Paper forms typed in by
staff are exempt from the time rules: their timings are the typist's, not the
respondent's.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta

import sqlalchemy as sa
from flask import current_app

from sipas.extensions import db
from sipas.models import Channel, Device, Response, ResponseStatus, Unit
from sipas.models.base import utcnow
from sipas.questionnaire import AnswerValue, Questionnaire, criteria_values
from sipas.questionnaire.quality import (
    DEVICE_RATE,
    DEVICE_THROUGHPUT,
    NO_TIMING,
    SIGNAL_CODES,
    STRAIGHT_LINING,
    TOO_FAST,
    Verdict,
    answered_questions,
    decide,
    is_device_rate_exceeded,
    is_straight_lining,
    is_throughput_exceeded,
    signal_bit,
    signal_codes,
    signal_mask,
    speed_signals,
)

log = logging.getLogger(__name__)

__all__ = ["DEVICE_RATE", "STRAIGHT_LINING", "TOO_FAST"]

#: Prefix of the reason of a kiosk response that failed validation ("invalid:<detail>").
INVALID_PREFIX = "invalid:"
#: Channels whose timings are not the respondent's own (an import has none).
TIME_RULES_EXEMPT = frozenset({Channel.paper, Channel.imported})
#: The setting holding each timed channel's minimum seconds per answered question.
SECONDS_PER_ANSWER_SETTINGS = {
    Channel.web: "QUALITY_SECONDS_PER_ANSWER_WEB",
    Channel.kiosk: "QUALITY_SECONDS_PER_ANSWER_KIOSK",
    Channel.interview: "QUALITY_SECONDS_PER_ANSWER_INTERVIEW",
}
#: The device-rate rule counts one device's responses within this window.
DEVICE_WINDOW = timedelta(minutes=1)
#: Channels whose client is expected to send when the respondent started: the
#: kiosk app always does, so a kiosk response without it is suspicious.
TIMING_EXPECTED = frozenset({Channel.kiosk})
#: Prefix of ``Device.code``, the ``device_code`` of kiosk responses.
_DEVICE_PREFIX = "kiosk-"


@dataclass(frozen=True)
class Assessment:
    """The signals a response raised and what they lead to."""

    signals: tuple[str, ...]
    verdict: Verdict

    @property
    def mask(self) -> int:
        """The signals as stored in ``responses.quality_signals``."""
        return signal_mask(self.signals)

    @property
    def reason(self) -> str:
        """The status reason of an excluded response: its signal codes."""
        return ",".join(self.signals)


def seconds_per_answer(channel: Channel) -> float | None:
    """The configured minimum seconds per answered question (None: not timed)."""
    setting = SECONDS_PER_ANSWER_SETTINGS.get(channel)
    return None if setting is None else float(current_app.config[setting])


def recent_device_count(response: Response) -> int:
    """Responses from the same device in the minute before this one."""
    if not response.device_code:
        return 0
    since = response.submitted_at - DEVICE_WINDOW
    return (
        db.session.scalar(
            sa.select(sa.func.count(Response.id)).where(
                Response.device_code == response.device_code,
                Response.submitted_at > since,
                Response.submitted_at <= response.submitted_at,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class DeviceDelivery:
    """What the server itself received from one device: its window (seconds, from
    the later of its enrolment and the throughput window's start) and how many
    responses it took in that window, this delivery's new ones included."""

    window_seconds: float
    delivered: int

    def is_implausible(self) -> bool:
        """More than the device's plausible pace allows in the window."""
        limit = int(current_app.config["QUALITY_MAX_PER_DEVICE_MINUTE"])
        return is_throughput_exceeded(self.delivered, self.window_seconds, limit)


def device_delivery(device_code: str, new_responses: int) -> DeviceDelivery:
    """The delivery of ``new_responses`` from ``device_code`` now, with what the
    server received from it before within the window (one or two queries)."""
    now = utcnow()
    minutes = float(current_app.config["QUALITY_DEVICE_THROUGHPUT_MINUTES"])
    since = now - timedelta(minutes=minutes)
    enrolled = _enrolled_at(device_code)
    if enrolled is not None and enrolled > since:
        since = enrolled
    before = db.session.scalar(
        sa.select(sa.func.count(Response.id)).where(
            Response.device_code == device_code, Response.received_at > since
        )
    )
    return DeviceDelivery((now - since).total_seconds(), (before or 0) + new_responses)


def _enrolled_at(device_code: str):
    """When the device of ``device_code`` was registered (None: not a kiosk's)."""
    number = device_code.removeprefix(_DEVICE_PREFIX)
    if not number.isdigit():
        return None
    enrolled = db.session.scalar(
        sa.select(Device.created_at).where(Device.id == int(number))
    )
    return None if enrolled is None else _utc(enrolled)


def _utc(moment):
    """SQLite returns naive datetimes; ours are always UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def assess(
    response: Response,
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue],
    earlier_in_minute: int | None = None,
    delivery: DeviceDelivery | None = None,
) -> Assessment:
    """The signals ``response`` raises and the decision they lead to.

    ``earlier_in_minute``: the device's responses in the minute before, and
    ``delivery``: what the server received from the device, when the caller has
    counted them already (a batch); else they are counted here.
    """
    found: set[str] = set()
    if response.channel not in TIME_RULES_EXEMPT:
        found.update(_time_signals(response, answers, earlier_in_minute, delivery))
    if is_straight_lining(criteria_values(questionnaire, answers)):
        found.add(STRAIGHT_LINING)
    signals = tuple(code for code in SIGNAL_CODES if code in found)
    return Assessment(signals, decide(signals))


def _time_signals(
    response: Response,
    answers: Mapping[str, AnswerValue],
    earlier_in_minute: int | None,
    delivery: DeviceDelivery | None,
) -> set[str]:
    """The speed, timing and device rules (channels whose timings are the
    respondent's own)."""
    found: set[str] = set()
    minimum = seconds_per_answer(response.channel)
    if minimum is not None:
        answered = answered_questions(answers)
        found.update(speed_signals(response.duration_seconds, answered, minimum))
    if response.channel in TIMING_EXPECTED and response.started_at is None:
        found.add(NO_TIMING)
    if earlier_in_minute is None:
        earlier_in_minute = recent_device_count(response)
    limit = int(current_app.config["QUALITY_MAX_PER_DEVICE_MINUTE"])
    if is_device_rate_exceeded(earlier_in_minute, limit):
        found.add(DEVICE_RATE)
    if delivery is None and response.device_code:
        delivery = device_delivery(response.device_code, 1)
    if delivery is not None and delivery.is_implausible():
        found.add(DEVICE_THROUGHPUT)
    return found


def add_signals(response: Response, codes: Collection[str]) -> None:
    """Raise ``codes`` on a stored response (a rule that sees it only later, with
    the responses after it) and decide again, unless a person has decided: a
    response accepted or voided keeps its status, its signals are added."""
    mask = response.quality_signals | signal_mask(codes)
    if mask == response.quality_signals:
        return
    response.quality_signals = mask
    signals = signal_codes(mask)
    undecided = response.status is ResponseStatus.complete and not (
        response.status_reason
    )
    if response.status is ResponseStatus.flagged and _is_quality_reason(
        response.status_reason
    ):
        response.status_reason = ",".join(signals)
    elif undecided and decide(signals) is Verdict.excluded:
        response.status = ResponseStatus.flagged
        response.status_reason = ",".join(signals)
        log.info("response %s flagged: %s", response.uuid, response.status_reason)


def _is_quality_reason(reason: str | None) -> bool:
    """The reason is the rules' own (signal codes), not a person's nor invalid."""
    return bool(reason) and set((reason or "").split(",")) <= set(SIGNAL_CODES)


def has_signal(code: str) -> sa.ColumnElement[bool]:
    """SQL condition: the response raised signal ``code``. It says that the
    response raised a signal too: the database sees from that condition, not
    from the bit's, that the signalled responses' partial index holds it."""
    bit = Response.quality_signals.bitwise_and(signal_bit(code)) != 0
    return sa.and_(has_any_signal(), bit)


def has_any_signal() -> sa.ColumnElement[bool]:
    """SQL condition: the response raised at least one signal (the condition of
    the signalled responses' partial index)."""
    return Response.quality_signals != 0


@dataclass(frozen=True)
class RuleCount:
    """What one rule did to the responses shown: how many it helped exclude, and
    how many it marked for review while they still count."""

    code: str
    excluded: int
    review: int


@dataclass(frozen=True)
class UnitQuality:
    """What the rules did to one unit's responses: how many they excluded, how
    many they marked while they count, and per rule how many raised it."""

    unit_id: int
    code: str
    name: str
    excluded: int
    review: int
    rules: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class QualitySummary:
    """Per rule counts, and the responses with any signal (each counted once);
    and per unit with any signal, most excluded first."""

    rules: tuple[RuleCount, ...]
    excluded: int
    review: int
    units: tuple[UnitQuality, ...] = ()


def quality_summary(wave_id: int, unit_ids: Collection[int] | None) -> QualitySummary:
    """Per rule and per unit, the wave's responses (within ``unit_ids`` if given)
    the rules excluded and those they marked while they count; one grouped query."""
    query = (
        sa.select(
            Response.unit_id, Response.status, Response.quality_signals, sa.func.count()
        )
        .where(Response.wave_id == wave_id, Response.quality_signals != 0)
        .group_by(Response.unit_id, Response.status, Response.quality_signals)
    )
    if unit_ids is not None:
        query = query.where(Response.unit_id.in_(sorted(unit_ids)))
    tallies = {
        ResponseStatus.flagged: dict.fromkeys(SIGNAL_CODES, 0),
        ResponseStatus.complete: dict.fromkeys(SIGNAL_CODES, 0),
    }
    totals = dict.fromkeys(tallies, 0)
    per_unit: dict[int, _UnitTally] = {}
    for unit_id, status, mask, count in db.session.execute(query):
        if status in tallies:
            totals[status] += count
            for code in signal_codes(mask):
                tallies[status][code] += count
            per_unit.setdefault(unit_id, _UnitTally()).add(status, mask, count)
    excluded, review = tallies[ResponseStatus.flagged], tallies[ResponseStatus.complete]
    return QualitySummary(
        rules=tuple(RuleCount(c, excluded[c], review[c]) for c in SIGNAL_CODES),
        excluded=totals[ResponseStatus.flagged],
        review=totals[ResponseStatus.complete],
        units=_units_of(per_unit),
    )


@dataclass
class _UnitTally:
    excluded: int = 0
    review: int = 0
    rules: dict[str, int] = field(default_factory=dict)

    def add(self, status: ResponseStatus, mask: int, count: int) -> None:
        if status is ResponseStatus.flagged:
            self.excluded += count
        else:
            self.review += count
        for code in signal_codes(mask):
            self.rules[code] = self.rules.get(code, 0) + count


def _units_of(per_unit: Mapping[int, _UnitTally]) -> tuple[UnitQuality, ...]:
    """The units' rows, named, most excluded first."""
    if not per_unit:
        return ()
    names = {
        unit.id: unit
        for unit in db.session.scalars(sa.select(Unit).where(Unit.id.in_(per_unit)))
    }
    rows = [
        UnitQuality(
            unit_id,
            names[unit_id].code,
            names[unit_id].name,
            tally.excluded,
            tally.review,
            tuple(
                (c, (tally.rules or {})[c])
                for c in SIGNAL_CODES
                if c in (tally.rules or {})
            ),
        )
        for unit_id, tally in per_unit.items()
    ]
    return tuple(sorted(rows, key=lambda r: (-r.excluded, -r.review, r.code)))
