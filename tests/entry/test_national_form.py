"""Keyboard entry of national paper forms (sipas-2023): keys follow the printed
numbering of the three-way answers, the skip after "used a service" applies as on
paper, and two matching entries store the paper response."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Channel, Response, ResponseStatus, Role
from sipas.questionnaire.entry_keys import KeyProblem, decode
from sipas.questionnaire.logic import visible_items
from sipas.questionnaire.paper_codes import option_keys
from sipas.services.questionnaires import parsed
from sipas.services.units.lookup import unit_by_code
from tests.entry_helpers import issue, post_form, typed_form
from tests.factories import make_national_wave


@pytest.fixture
def desk(demo_app, login_as):
    """The national round with forms 1–2 issued to a centre, two surveyors."""
    wave = make_national_wave()
    unit = unit_by_code("QN-HALONG-TT")
    issue(wave, unit, 1, 2)
    db.session.commit()
    clients = []
    for _ in range(2):
        client = demo_app.test_client()
        login_as(client, Role.surveyor, unit=unit_by_code("QN"))
        clients.append(client)
    return wave, unit, clients


def test_three_way_answers_are_keyed_as_printed(desk):
    wave, _unit, _clients = desk
    questionnaire = parsed(wave.questionnaire)
    assert option_keys(questionnaire.item("P1_N1")) == [
        ("1", "none"),
        ("2", "some"),
        ("3", "many"),
    ]
    decoded = decode(questionnaire, typed_form(wave, P1_N1="3", NC1="2"))
    assert decoded.is_valid
    assert (decoded.answers["P1_N1"], decoded.answers["NC1"]) == ("many", "needed")


def test_a_non_user_leaves_the_service_questions_blank(desk):
    wave, _unit, _clients = desk
    questionnaire = parsed(wave.questionnaire)
    asked = {item.code for item in visible_items(questionnaire, {"used_service": "no"})}
    hidden = {item.code for item in questionnaire.items} - asked
    assert {"submission_channel", "S_N1", "A1", "B4", "E_filter", "E1"} <= hidden
    typed_anyway = typed_form(wave, used_service="2")
    assert decode(questionnaire, typed_anyway).problems == dict.fromkeys(
        hidden, KeyProblem.skipped
    )
    blank = {**typed_anyway, **dict.fromkeys(hidden, "")}
    decoded = decode(questionnaire, blank)
    assert decoded.is_valid
    assert set(decoded.answers) == asked


def test_two_matching_entries_store_the_paper_response(desk):
    wave, unit, (first, second) = desk
    typed = typed_form(wave, P2_N3="2", P2_3="9", NC5="3")
    assert post_form(first, wave, unit, 1, typed).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == 0
    assert post_form(second, wave, unit, 1, typed).status_code == 302
    (response,) = db.session.scalars(sa.select(Response)).all()
    assert response.channel is Channel.paper
    assert response.status is ResponseStatus.complete
    answers = {answer.item_code: answer.value for answer in response.answers}
    assert len(answers) == len(parsed(wave.questionnaire).items)
    assert (answers["P2_N3"], answers["P2_3"], answers["NC5"]) == (
        "some",
        "9",
        "very_needed",
    )
