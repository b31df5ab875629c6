"""Spam and low-quality answers: responses kept but flagged, excluded from statistics.

The rules are pure checks; :func:`assess` applies them to a response being recorded
(every channel goes through ``services.responses.record``). Paper forms typed in by
staff are exempt from the time rules: their timings are the typist's, not the
respondent's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from sipas.extensions import db
from sipas.models import Channel, Response
from sipas.questionnaire import AnswerValue, Questionnaire, criteria_values

log = logging.getLogger(__name__)

TOO_FAST = "too_fast"
DEVICE_RATE = "device_rate"
STRAIGHT_LINING = "straight_lining"
#: Prefix of the reason of a kiosk response that failed validation ("invalid:<detail>").
INVALID_PREFIX = "invalid:"
#: Straight-lining is only judged on this many answered criteria or more.
STRAIGHT_LINING_MIN_CRITERIA = 10

#: Channels whose timings are not the respondent's own.
TIME_RULES_EXEMPT = frozenset({Channel.paper})
#: The device-rate rule counts one device's responses within this window.
DEVICE_WINDOW = timedelta(minutes=1)


def is_too_fast(duration_seconds: int | None, min_seconds: int) -> bool:
    """Answered in less than ``min_seconds`` (unknown durations are not judged)."""
    return duration_seconds is not None and duration_seconds < min_seconds


def is_device_rate_exceeded(earlier_in_minute: int, max_per_minute: int) -> bool:
    """This response would be more than ``max_per_minute`` from one device."""
    return earlier_in_minute + 1 > max_per_minute


def is_straight_lining(
    criteria: Mapping[str, int | None],
    min_answered: int = STRAIGHT_LINING_MIN_CRITERIA,
) -> bool:
    """At least ``min_answered`` criteria answered, every one with the same score."""
    scores = [score for score in criteria.values() if score is not None]
    return len(scores) >= min_answered and len(set(scores)) == 1


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
) -> str | None:
    """The reason code to flag ``response`` with, or None when it looks genuine.

    ``earlier_in_minute``: the device's responses in the minute before, when the
    caller has counted them already (a batch); else they are counted here.
    """
    config = current_app.config
    if response.channel not in TIME_RULES_EXEMPT:
        if is_too_fast(response.duration_seconds, int(config["QUALITY_MIN_SECONDS"])):
            return TOO_FAST
        if earlier_in_minute is None:
            earlier_in_minute = recent_device_count(response)
        if is_device_rate_exceeded(
            earlier_in_minute, int(config["QUALITY_MAX_PER_DEVICE_MINUTE"])
        ):
            return DEVICE_RATE
    if is_straight_lining(criteria_values(questionnaire, answers)):
        return STRAIGHT_LINING
    return None
