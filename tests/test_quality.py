"""Spam and quality rules: each rule, its setting, and who is exempt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sipas.extensions import db
from sipas.models import Channel, ResponseStatus
from sipas.services import quality, responses
from sipas.services.questionnaires import parsed
from tests.factories import demo_target, valid_answers


def test_too_fast_rule():
    assert quality.is_too_fast(59, 60)
    assert not quality.is_too_fast(60, 60)
    assert not quality.is_too_fast(None, 60)


def test_device_rate_rule():
    assert not quality.is_device_rate_exceeded(2, 3)
    assert quality.is_device_rate_exceeded(3, 3)


def test_straight_lining_needs_ten_identical_answers():
    ten_fours = {f"A{k}": 4 for k in range(10)}
    assert quality.is_straight_lining(ten_fours)
    assert not quality.is_straight_lining({f"A{k}": 4 for k in range(9)})
    assert not quality.is_straight_lining({**ten_fours, "A3": 5})
    # not applicable / unanswered criteria are left out
    assert quality.is_straight_lining({**ten_fours, "B1": None})


def _record(channel, seconds=None, device=None, answers=None, submitted=None):  # type: ignore[no-untyped-def]
    wave, unit = demo_target()
    submitted = submitted or datetime.now(UTC)
    submission = responses.Submission(
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
    return responses.record(
        submission, answers or valid_answers(parsed(wave.questionnaire))
    ).response


@pytest.mark.parametrize("channel", [Channel.web, Channel.kiosk, Channel.interview])
def test_a_quick_response_is_flagged(demo_app, channel):
    response = _record(channel, seconds=20)
    assert response.status is ResponseStatus.flagged
    assert response.status_reason == "too_fast"
    assert _record(channel, seconds=90).status is ResponseStatus.complete


def test_the_minimum_time_is_a_setting(demo_app):
    demo_app.config["QUALITY_MIN_SECONDS"] = 10
    assert _record(Channel.web, seconds=20).status is ResponseStatus.complete


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


def test_a_fourth_response_in_a_minute_from_one_device(demo_app):
    start = datetime.now(UTC) - timedelta(minutes=5)
    made = [
        _record(
            Channel.kiosk, 120, "kiosk-1", submitted=start + timedelta(seconds=15 * k)
        )
        for k in range(4)
    ]
    db.session.flush()
    assert [r.status_reason for r in made] == [None, None, None, "device_rate"]
    # another kiosk, or the same one a minute later, is fine
    assert _record(Channel.kiosk, 120, "kiosk-2", submitted=start).status_reason is None
    later = _record(
        Channel.kiosk, 120, "kiosk-1", submitted=start + timedelta(minutes=3)
    )
    assert later.status is ResponseStatus.complete


def test_identical_scores_everywhere_are_flagged_on_every_channel(demo_app):
    wave, _ = demo_target()
    questionnaire = parsed(wave.questionnaire)
    answers = valid_answers(questionnaire)
    answers.update({item.code: "3" for item in questionnaire.criteria})
    for channel in (Channel.web, Channel.paper):
        response = _record(channel, seconds=600, answers=answers)
        assert response.status is ResponseStatus.flagged
        assert response.status_reason == "straight_lining"


def test_flagged_responses_are_listed_with_the_reason_in_vietnamese(
    demo_client, login_as
):
    from sipas.models import Role

    _record(Channel.web, seconds=5)
    db.session.commit()
    login_as(demo_client, Role.admin)
    html = demo_client.get("/admin/responses?status=flagged").get_data(as_text=True)
    assert "too_fast" not in html
    assert "Answered too fast" in html or "Trả lời quá nhanh" in html
