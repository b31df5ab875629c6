"""Response quality: the rules that raise a signal, and the decision they lead to.

Pure: plain values in, plain values out. ``sipas.services.responses.quality``
gathers the inputs (settings, a device's recent responses) and stores what these
return.

A signal is evidence, not a verdict. Each signal weighs; a response is left out of
the statistics only when the weight of its signals reaches :data:`EXCLUDE_AT`:

============================  ===========================================
Signals of a response         Decision
============================  ===========================================
none                          counted
one signal of weight 1        counted, marked for review
signals weighing 2 or more    excluded (status *flagged*) until reviewed
============================  ===========================================

Every signal but one weighs 1, so two different signals exclude and one alone
never does: a citizen satisfied with everything ("Hài lòng" to every criterion)
is counted, and so is a quick but otherwise ordinary phone response; a quick
response that also gives one answer throughout is not. The exception is
``far_too_fast``, raised (with ``too_fast``) below :data:`FAR_TOO_FAST_SHARE` of
the channel's floor pace: nobody reads and taps 35 questions in 15 seconds, so it
is conclusive on its own (weight 2). A new signal is one more
:class:`Signal` in :data:`SIGNALS` with the next free bit (stored bits never
change meaning); one conclusive on its own weighs :data:`EXCLUDE_AT`.

The rules that cannot be fooled by what a client claims (issue 18):

* ``no_timing``: a kiosk response without its start time. The kiosk app always
  sends one, so its absence is suspicious, not clean (weight 1).
* ``device_throughput``: judged on the server's own receive times, never the
  device's clock. One person at a time: a kiosk cannot deliver, within the
  window before a delivery (from its enrolment at the earliest), more than its
  plausible pace allows. Which responses of an implausible delivery are real is
  unknowable, so every new one of it is flagged (conclusive, weight 2).
* ``source_burst``: more phone completions for one unit from one network address
  within a short window than a shared address (carrier NAT, an office Wi-Fi)
  plausibly carries; alone it only marks (weight 1), since honest phones share
  addresses.
* ``duplicate_answers``: within such a burst, the same answers, word for word, as
  another completion from that address (weight 1): with the burst, it excludes.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from sipas.questionnaire.logic import AnswerValue

STRAIGHT_LINING = "straight_lining"
TOO_FAST = "too_fast"
FAR_TOO_FAST = "far_too_fast"
DEVICE_RATE = "device_rate"
NO_TIMING = "no_timing"
DEVICE_THROUGHPUT = "device_throughput"
SOURCE_BURST = "source_burst"
DUPLICATE_ANSWERS = "duplicate_answers"

#: Straight-lining is only judged on this many answered criteria or more.
STRAIGHT_LINING_MIN_CRITERIA = 10
#: The weight of signals at which a response is excluded.
EXCLUDE_AT = 2
#: Below this share of the floor pace a response is far too fast to be read.
FAR_TOO_FAST_SHARE = 0.5


@dataclass(frozen=True)
class Signal:
    """A quality rule's code, its bit in ``responses.quality_signals`` and its
    weight of evidence."""

    code: str
    bit: int
    weight: int = 1


#: Every signal, in the order pages list them. Bits are stored: never reuse one.
SIGNALS: tuple[Signal, ...] = (
    Signal(STRAIGHT_LINING, 1),
    Signal(TOO_FAST, 2),
    Signal(FAR_TOO_FAST, 8, weight=EXCLUDE_AT),
    Signal(DEVICE_RATE, 4),
    Signal(NO_TIMING, 16),
    Signal(DEVICE_THROUGHPUT, 32, weight=EXCLUDE_AT),
    Signal(SOURCE_BURST, 64),
    Signal(DUPLICATE_ANSWERS, 128),
)
SIGNAL_CODES: tuple[str, ...] = tuple(signal.code for signal in SIGNALS)
_BY_CODE = {signal.code: signal for signal in SIGNALS}


class Verdict(enum.StrEnum):
    """What the signals of a response lead to."""

    counted = "counted"
    #: counted, and listed for an administrator to look at
    review = "review"
    #: kept but left out of every statistic until an administrator accepts it
    excluded = "excluded"


def decide(signals: Collection[str]) -> Verdict:
    """The decision for a response with ``signals`` (codes), by their total weight
    (each distinct signal counted once):

    ======  =====================================================
    weight  decision
    ======  =====================================================
    0       ``counted``
    1       ``review``: counted, marked for an administrator
    >= 2    ``excluded``: flagged, out of the statistics until accepted
    ======  =====================================================
    """
    weight = sum(_BY_CODE[code].weight for code in set(signals))
    if weight >= EXCLUDE_AT:
        return Verdict.excluded
    return Verdict.review if signals else Verdict.counted


def signal_mask(codes: Iterable[str]) -> int:
    """The stored bit mask of signal ``codes``."""
    mask = 0
    for code in codes:
        mask |= _BY_CODE[code].bit
    return mask


def signal_codes(mask: int) -> tuple[str, ...]:
    """The signal codes of a stored bit mask, in :data:`SIGNALS` order."""
    return tuple(signal.code for signal in SIGNALS if mask & signal.bit)


def signal_bit(code: str) -> int:
    """The bit of signal ``code`` (KeyError for an unknown one)."""
    return _BY_CODE[code].bit


def answered_questions(answers: Mapping[str, AnswerValue]) -> int:
    """How many questions have an answer (a multi-choice answer counts once)."""
    return sum(1 for value in answers.values() if value not in ("", (), []))


def is_too_fast(
    duration_seconds: int | None, answered: int, seconds_per_answer: float
) -> bool:
    """Faster than ``seconds_per_answer`` for each answered question (unknown
    durations, and responses with no answer, are not judged)."""
    if duration_seconds is None or answered <= 0:
        return False
    return duration_seconds < seconds_per_answer * answered


def speed_signals(
    duration_seconds: int | None, answered: int, seconds_per_answer: float
) -> tuple[str, ...]:
    """``too_fast`` under the floor pace, with ``far_too_fast`` under
    :data:`FAR_TOO_FAST_SHARE` of it."""
    if not is_too_fast(duration_seconds, answered, seconds_per_answer):
        return ()
    far = is_too_fast(
        duration_seconds, answered, seconds_per_answer * FAR_TOO_FAST_SHARE
    )
    return (TOO_FAST, FAR_TOO_FAST) if far else (TOO_FAST,)


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


def is_throughput_exceeded(
    delivered: int, window_seconds: float, max_per_minute: int
) -> bool:
    """More responses ``delivered`` (by the server's receive times) within
    ``window_seconds`` than a device finishing ``max_per_minute`` at most could
    have produced, with one minute's worth of grace for the one in progress."""
    allowed = max_per_minute * (max(window_seconds, 0.0) / 60.0 + 1.0)
    return delivered > allowed


def is_source_burst(earlier_in_window: int, max_in_window: int) -> bool:
    """This completion would be more than ``max_in_window`` from one source."""
    return earlier_in_window + 1 > max_in_window


def source_signals(
    earlier_digests: Collection[str], digest: str, max_in_window: int
) -> tuple[str, ...]:
    """``source_burst`` when a source's completions within the window exceed
    ``max_in_window``, with ``duplicate_answers`` when, in that burst, an earlier
    completion gave exactly the same answers (``digest``)."""
    if not is_source_burst(len(earlier_digests), max_in_window):
        return ()
    if digest in earlier_digests:
        return (SOURCE_BURST, DUPLICATE_ANSWERS)
    return (SOURCE_BURST,)
