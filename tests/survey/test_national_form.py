"""The national form (sipas-2023) on the phone and the kiosk, through the routes:
every step in turn, the service steps skipped for non-users, the three-way answers
on screen, kiosk responses synchronised and stored."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Channel, Response, ResponseStatus
from sipas.services.questionnaires import parsed
from sipas.services.responses import devices
from sipas.services.units.lookup import unit_by_code
from tests.factories import NATIONAL_FORM, make_national_wave, section_answers
from tests.survey.test_phone import URL, walk_to_end

UNIT = "QN-HALONG-TT"


@pytest.fixture
def national(demo_app):
    """The open national round and its questionnaire."""
    wave = make_national_wave()
    return wave, parsed(wave.questionnaire)


def walk(client, survey_page, questionnaire, overrides=None, progress=None):
    """Answer every step; return the codes of the steps shown and the last POST
    (``progress`` collects each step's "Bước k/n" as (k, n))."""
    shown = []

    def seen(page) -> None:
        shown.append(page.section)
        if progress is not None:
            found = re.search(r"Bước (\d+)/(\d+)", page.html)
            progress.append((int(found.group(1)), int(found.group(2))))

    posted, _page = walk_to_end(
        client, survey_page, questionnaire, overrides=overrides, seen=seen
    )
    return shown, posted


def stored_answers() -> dict[str, str]:
    return dict(db.session.execute(sa.select(Answer.item_code, Answer.value)).all())


def test_a_service_user_goes_through_every_step_and_all_is_stored(
    demo_client, survey_page, national
):
    wave, questionnaire = national
    progress = []
    shown, posted = walk(demo_client, survey_page, questionnaire, progress=progress)
    assert shown == [section.code for section in questionnaire.sections]
    assert progress == [(k, 27) for k in range(1, 28)]
    assert "Cảm ơn" in demo_client.get(posted.location).get_data(as_text=True)
    response = db.session.scalar(sa.select(Response))
    assert response.wave_id == wave.id
    assert response.questionnaire.code == NATIONAL_FORM
    answers = stored_answers()
    assert set(answers) == {item.code for item in questionnaire.items}
    assert answers["P1_N1"] == "none"
    assert answers["NC10"] == "not_needed"
    assert bin(response.criteria_answered).count("1") == 51


def test_whoever_used_no_service_skips_the_service_steps(
    demo_client, survey_page, national
):
    _wave, questionnaire = national
    no_service = {"service_use": {"used_service": "no"}}
    progress = []
    shown, _posted = walk(demo_client, survey_page, questionnaire, no_service, progress)
    # the count includes the service steps until the filter closes them
    assert progress == [(k, 27) for k in range(1, 21)] + [(21, 21)]
    assert shown[-2:] == ["service_use", "needs"]
    assert not any(code.startswith("service_") for code in shown[:-2])
    answers = stored_answers()
    assert answers["used_service"] == "no"
    assert not set(answers) & {"S_N1", "A1", "B4", "E_filter", "E1"}
    assert {"P9_4", "NC1", "comment"} <= set(answers)


def test_a_perception_step_offers_none_some_many(demo_client, survey_page, national):
    _wave, questionnaire = national
    page = survey_page(demo_client.get(URL))
    posted = demo_client.post(
        URL, data=page.post_data(section_answers(questionnaire, page.section))
    )
    html = demo_client.get(posted.location).get_data(as_text=True)
    perception = questionnaire.sections[1]
    assert survey_page(demo_client.get(posted.location)).section == perception.code
    for item in perception.items:
        assert item.label["vi"] in html
    for label in ("Không có", "Một số", "Nhiều"):
        assert html.count(f">{label}<") >= len(perception.items), label


def test_the_kiosk_gets_the_national_form(demo_client, national):
    _wave, questionnaire = national
    body = demo_client.get(f"/kiosk/{UNIT}/questionnaire.json").get_json()
    assert body["code"] == NATIONAL_FORM
    assert body["wave"] == "national"
    sent = [item["code"] for section in body["sections"] for item in section["items"]]
    assert sent == [item.code for item in questionnaire.items]


def test_a_kiosk_response_on_the_national_form_is_synchronised(demo_client, national):
    _wave, questionnaire = national
    _device, token = devices.create_device(unit_by_code(UNIT), "Quầy 1", None)
    db.session.commit()
    answers = {
        code: value
        for section in questionnaire.sections
        for code, value in section_answers(questionnaire, section.code).items()
    }
    for k, item in enumerate(questionnaire.criteria):
        answers[item.code] = "5" if k % 3 == 0 else "4"  # not straight-lining
    submitted = datetime.now(UTC)
    item = {
        "uuid": str(uuid.uuid4()),
        "unit_code": UNIT,
        "answers": answers,
        "started_at": (submitted - timedelta(minutes=9)).isoformat(),
        "submitted_at": submitted.isoformat(),
        "language": "vi",
    }
    reply = demo_client.post(
        "/api/sync",
        json={"app_version": "2026.11.25", "unsent": 1, "responses": [item]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200
    assert reply.get_json()["acknowledged"] == [item["uuid"]]
    response = db.session.scalar(sa.select(Response))
    assert response.channel is Channel.kiosk
    assert response.status is ResponseStatus.complete, response.status_reason
    assert stored_answers() == {code: str(value) for code, value in answers.items()}
