"""Quality rules: each raises a signal, kept on the response; one signal marks a
response for review and it counts, a combination excludes it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sipas.extensions import db
from sipas.models import Channel, ResponseStatus
from sipas.questionnaire import quality as rules
from sipas.questionnaire.quality import (
    DEVICE_RATE,
    FAR_TOO_FAST,
    STRAIGHT_LINING,
    TOO_FAST,
    Verdict,
    answered_questions,
    decide,
)
from sipas.services.questionnaires import parsed
from sipas.services.responses import store
from tests.factories import demo_target, valid_answers


@pytest.mark.parametrize(
    ("signals", "verdict"),
    [
        ((), Verdict.counted),
        ((STRAIGHT_LINING,), Verdict.review),
        ((TOO_FAST,), Verdict.review),
        ((DEVICE_RATE,), Verdict.review),
        ((STRAIGHT_LINING, TOO_FAST), Verdict.excluded),
        ((TOO_FAST, DEVICE_RATE), Verdict.excluded),
        ((STRAIGHT_LINING, DEVICE_RATE), Verdict.excluded),
        ((STRAIGHT_LINING, TOO_FAST, DEVICE_RATE), Verdict.excluded),
        # under half the floor pace: conclusive alone
        ((TOO_FAST, FAR_TOO_FAST), Verdict.excluded),
        ((FAR_TOO_FAST,), Verdict.excluded),
        # one rule seen twice is still one piece of evidence
        ((STRAIGHT_LINING, STRAIGHT_LINING), Verdict.review),
    ],
)
def test_the_decision_table(signals, verdict):
    assert decide(signals) is verdict


def test_a_conclusive_signal_added_later_excludes_alone(monkeypatch):
    """The table is open: a new signal is one more entry with its weight."""
    burst = rules.Signal("phone_burst", 8, weight=rules.EXCLUDE_AT)
    monkeypatch.setattr(rules, "_BY_CODE", {**rules._BY_CODE, "phone_burst": burst})
    assert decide(["phone_burst"]) is Verdict.excluded
    assert decide([STRAIGHT_LINING]) is Verdict.review


def test_signal_masks_round_trip():
    mask = rules.signal_mask([DEVICE_RATE, STRAIGHT_LINING])
    assert mask == 5
    assert rules.signal_codes(mask) == (STRAIGHT_LINING, DEVICE_RATE)
    assert rules.signal_codes(0) == ()


@pytest.mark.parametrize(
    ("seconds", "answered", "per_answer", "too_fast"),
    [
        (54, 35, 1.0, False),  # the real 54-second phone response
        (34, 35, 1.0, True),
        (35, 35, 1.0, False),
        (20, 12, 1.0, False),  # a short route through the questionnaire
        (20, 30, 1.0, True),
        (50, 35, 1.5, True),  # kiosk
        (65, 35, 2.0, True),  # interview
        (None, 35, 1.0, False),  # unknown duration: not judged
        (0, 0, 1.0, False),  # nothing answered: nothing to judge
    ],
)
def test_too_fast_is_scaled_by_the_questions_answered(
    seconds, answered, per_answer, too_fast
):
    assert rules.is_too_fast(seconds, answered, per_answer) is too_fast


@pytest.mark.parametrize(
    ("seconds", "signals"),
    [(40, ()), (39, (TOO_FAST,)), (20, (TOO_FAST,)), (19, (TOO_FAST, FAR_TOO_FAST))],
)
def test_far_under_the_floor_pace_is_a_signal_of_its_own(seconds, signals):
    assert rules.speed_signals(seconds, 40, 1.0) == signals


def test_answered_questions_count_a_multi_choice_once():
    answers = {"A1": "4", "expectations": ("a", "b"), "comment": "", "sex": ()}
    assert answered_questions(answers) == 2


def test_device_rate_rule():
    assert not rules.is_device_rate_exceeded(2, 3)
    assert rules.is_device_rate_exceeded(3, 3)


def test_straight_lining_needs_ten_identical_answers():
    ten_fours = {f"A{k}": 4 for k in range(10)}
    assert rules.is_straight_lining(ten_fours)
    assert not rules.is_straight_lining({f"A{k}": 4 for k in range(9)})
    assert not rules.is_straight_lining({**ten_fours, "A3": 5})
    # not applicable / unanswered criteria are left out
    assert rules.is_straight_lining({**ten_fours, "B1": None})


def _record(channel, seconds=None, device=None, answers=None, submitted=None):
    wave, unit = demo_target()
    submitted = submitted or datetime.now(UTC)
    submission = store.Submission(
        uuid=uuid.uuid4(),
        wave=wave,
        unit=unit,
        channel=channel,
        started_at=submitted - timedelta(seconds=seconds)
        if seconds is not None
        else None,
        submitted_at=submitted,
        device_code=device,
    )
    return store.record(
        submission, answers or valid_answers(parsed(wave.questionnaire))
    ).response


def _answers(**changes):
    wave, _ = demo_target()
    return {**valid_answers(parsed(wave.questionnaire)), **changes}


def _satisfied_throughout():
    """ "Hài lòng" (4) to every criterion: an honest straight-liner."""
    wave, _ = demo_target()
    criteria = parsed(wave.questionnaire).criteria
    return _answers(**{item.code: "4" for item in criteria})


def _signals(response) -> tuple[str, ...]:
    return rules.signal_codes(response.quality_signals)


@pytest.mark.parametrize(
    ("channel", "setting", "per_answer"),
    [
        (Channel.web, "QUALITY_SECONDS_PER_ANSWER_WEB", 1.0),
        (Channel.kiosk, "QUALITY_SECONDS_PER_ANSWER_KIOSK", 1.5),
        (Channel.interview, "QUALITY_SECONDS_PER_ANSWER_INTERVIEW", 2.0),
    ],
)
def test_speed_thresholds_per_channel_scale_with_the_answers(
    demo_app, channel, setting, per_answer
):
    assert demo_app.config[setting] == per_answer  # the documented default
    answered = answered_questions(_answers())
    limit = per_answer * answered
    slow = _record(channel, seconds=int(limit) + 1)
    quick = _record(channel, seconds=int(limit) - 1)
    assert _signals(slow) == ()
    assert _signals(quick) == (TOO_FAST,)
    # too fast alone: marked, and it counts
    assert quick.status is ResponseStatus.complete
    # the setting moves the line
    demo_app.config[setting] = per_answer / 2
    assert _signals(_record(channel, seconds=int(limit) - 1)) == ()


def test_a_54_second_phone_response_counts_unmarked(demo_app):
    response = _record(Channel.web, seconds=54)
    assert answered_questions(_answers()) >= 33
    assert response.status is ResponseStatus.complete
    assert response.quality_signals == 0


def test_fewer_answers_allow_a_shorter_time(demo_app):
    """Skipped optional questions shorten the floor: 20 answers at 1 s each."""
    answers = _answers()
    for code in ("comment", "expectations", "sex", "age_group", "ethnicity"):
        answers[code] = ""
    answered = answered_questions(answers)
    response = _record(Channel.web, seconds=answered + 1, answers=answers)
    assert _signals(response) == ()
    assert _signals(_record(Channel.web, seconds=answered + 1)) == (TOO_FAST,)


@pytest.mark.parametrize("channel", [Channel.web, Channel.paper, Channel.kiosk])
def test_a_citizen_satisfied_with_everything_counts(demo_app, channel):
    response = _record(channel, seconds=300, answers=_satisfied_throughout())
    assert response.status is ResponseStatus.complete
    assert response.status_reason is None
    assert _signals(response) == (STRAIGHT_LINING,)


def test_straight_lining_and_speeding_together_exclude(demo_app):
    response = _record(Channel.web, seconds=25, answers=_satisfied_throughout())
    assert response.status is ResponseStatus.flagged
    assert response.status_reason == "straight_lining,too_fast"
    assert _signals(response) == (STRAIGHT_LINING, TOO_FAST)


@pytest.mark.parametrize("channel", [Channel.web, Channel.kiosk, Channel.interview])
def test_a_speed_run_is_excluded_on_its_own(demo_app, channel):
    response = _record(channel, seconds=8)
    assert response.status is ResponseStatus.flagged
    assert response.status_reason == "too_fast,far_too_fast"


def test_paper_forms_are_exempt_from_the_time_rules(demo_app):
    start = datetime.now(UTC)
    for k in range(5):
        response = _record(
            Channel.paper,
            seconds=5,
            device="typist",
            submitted=start + timedelta(seconds=k),
        )
        assert response.status is ResponseStatus.complete
        assert response.quality_signals == 0


def test_a_fourth_response_in_a_minute_from_one_device(demo_app):
    start = datetime.now(UTC) - timedelta(minutes=5)
    made = [
        _record(
            Channel.kiosk, 120, "kiosk-1", submitted=start + timedelta(seconds=15 * k)
        )
        for k in range(4)
    ]
    db.session.flush()
    assert [_signals(r) for r in made[:3]] == [(), (), ()]
    # the fourth counts, marked; a fifth that is also quick is excluded
    assert _signals(made[3]) == (DEVICE_RATE,)
    assert made[3].status is ResponseStatus.complete
    moment = start + timedelta(seconds=50)
    quick = _record(Channel.kiosk, 40, "kiosk-1", submitted=moment)
    assert quick.status is ResponseStatus.flagged
    assert quick.status_reason == "too_fast,device_rate"
    # another kiosk, or the same one a minute later, is fine
    assert _record(Channel.kiosk, 120, "kiosk-2", submitted=start).quality_signals == 0
    later = _record(
        Channel.kiosk, 120, "kiosk-1", submitted=start + timedelta(minutes=3)
    )
    assert later.quality_signals == 0


def test_excluded_responses_are_listed_with_the_reasons_in_words(demo_client, login_as):
    from sipas.models import Role

    _record(Channel.web, seconds=5, answers=_satisfied_throughout())
    db.session.commit()
    login_as(demo_client, Role.admin)
    html = demo_client.get("/admin/responses?status=flagged").get_data(as_text=True)
    assert "straight_lining,too_fast" not in html
    shown = "Cùng một mức đánh giá cho mọi tiêu chí + Trả lời quá nhanh so với số câu"
    assert shown in html
