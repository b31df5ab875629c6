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
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from sipas.extensions import db
from sipas.models import Channel, Response, ResponseStatus
from sipas.questionnaire import AnswerValue, Questionnaire, criteria_values
from sipas.questionnaire.quality import (
    DEVICE_RATE,
    SIGNAL_CODES,
    STRAIGHT_LINING,
    TOO_FAST,
    Verdict,
    answered_questions,
    decide,
    is_device_rate_exceeded,
    is_straight_lining,
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


def assess(
    response: Response,
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue],
    earlier_in_minute: int | None = None,
) -> Assessment:
    """The signals ``response`` raises and the decision they lead to.

    ``earlier_in_minute``: the device's responses in the minute before, when the
    caller has counted them already (a batch); else they are counted here.
    """
    found: set[str] = set()
    if response.channel not in TIME_RULES_EXEMPT:
        minimum = seconds_per_answer(response.channel)
        if minimum is not None:
            answered = answered_questions(answers)
            found.update(speed_signals(response.duration_seconds, answered, minimum))
        if earlier_in_minute is None:
            earlier_in_minute = recent_device_count(response)
        limit = int(current_app.config["QUALITY_MAX_PER_DEVICE_MINUTE"])
        if is_device_rate_exceeded(earlier_in_minute, limit):
            found.add(DEVICE_RATE)
    if is_straight_lining(criteria_values(questionnaire, answers)):
        found.add(STRAIGHT_LINING)
    signals = tuple(code for code in SIGNAL_CODES if code in found)
    return Assessment(signals, decide(signals))


def has_signal(code: str):
    """SQL condition: the response raised signal ``code``."""
    return Response.quality_signals.bitwise_and(signal_bit(code)) != 0


def has_any_signal():
    """SQL condition: the response raised at least one signal."""
    return Response.quality_signals != 0


@dataclass(frozen=True)
class RuleCount:
    """What one rule did to the responses shown: how many it helped exclude, and
    how many it marked for review while they still count."""

    code: str
    excluded: int
    review: int


@dataclass(frozen=True)
class QualitySummary:
    """Per rule counts, and the responses with any signal (each counted once)."""

    rules: tuple[RuleCount, ...]
    excluded: int
    review: int


def quality_summary(wave_id: int, unit_ids: Collection[int] | None) -> QualitySummary:
    """Per rule, the wave's responses (within ``unit_ids`` if given) it excluded
    and those it marked while they count; one grouped query."""
    query = (
        sa.select(Response.status, Response.quality_signals, sa.func.count())
        .where(Response.wave_id == wave_id, Response.quality_signals != 0)
        .group_by(Response.status, Response.quality_signals)
    )
    if unit_ids is not None:
        query = query.where(Response.unit_id.in_(sorted(unit_ids)))
    tallies = {
        ResponseStatus.flagged: dict.fromkeys(SIGNAL_CODES, 0),
        ResponseStatus.complete: dict.fromkeys(SIGNAL_CODES, 0),
    }
    totals = dict.fromkeys(tallies, 0)
    for status, mask, count in db.session.execute(query):
        if status in tallies:
            totals[status] += count
            for code in signal_codes(mask):
                tallies[status][code] += count
    excluded, review = tallies[ResponseStatus.flagged], tallies[ResponseStatus.complete]
    return QualitySummary(
        rules=tuple(RuleCount(c, excluded[c], review[c]) for c in SIGNAL_CODES),
        excluded=totals[ResponseStatus.flagged],
        review=totals[ResponseStatus.complete],
    )
