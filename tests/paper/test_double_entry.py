"""Double entry: comparison, settlement, the response each form produces, the wave
setting for unverified forms and the per-surveyor figures."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import (
    AuditEvent,
    Channel,
    PaperEntry,
    Response,
    ResponseStatus,
    Role,
    WaveStatus,
)
from sipas.questionnaire.choices import choice_layout
from sipas.questionnaire.numbering import question_numbers
from sipas.services.paper.entry import response_uuid
from sipas.services.paper.figures import surveyor_figures
from sipas.services.questionnaires import parsed
from sipas.services.results import sums
from sipas.services.units.lookup import unit_by_code
from sipas.stats.choice_codes import packed_matrix, single_numbers
from sipas.stats.indices import Options
from tests.conftest import CSRF_PATTERN
from tests.entry_helpers import issue, post_form, typed_form
from tests.factories import demo_target, make_response


def _rows(wave) -> int:
    return sums.wave_analysis(wave, Options()).n_rows


def _paper_responses() -> list[Response]:
    return list(
        db.session.scalars(sa.select(Response).filter_by(channel=Channel.paper))
    )


@pytest.fixture
def team(demo_app, login_as):
    """Forms 1–3 issued to the demo centre; two surveyors, a third one, an admin.
    Some web responses already in the wave."""
    wave, unit = demo_target()
    issue(wave, unit, 1, 2, 3)
    for _ in range(3):
        make_response()
    db.session.commit()
    clients = {}
    users = {}
    for name, role in (
        ("a", Role.surveyor),
        ("b", Role.surveyor),
        ("c", Role.surveyor),
        ("admin", Role.admin),
    ):
        clients[name] = demo_app.test_client()
        scope = None if role is Role.admin else unit_by_code("QN")
        users[name] = login_as(clients[name], role, unit=scope)
    return wave, unit, clients, users


def _settle_page(client, wave, serial):
    return client.get(f"/entry/review/{wave.code}/{serial}")


def _settle(client, wave, serial, choices: dict[str, str], **others: str):
    page = _settle_page(client, wave, serial).get_data(as_text=True)
    data = {"csrf_token": CSRF_PATTERN.search(page).group(1)}
    data.update({f"choice_{code}": choice for code, choice in choices.items()})
    data.update({f"other_{code}": value for code, value in others.items()})
    return client.post(f"/entry/review/{wave.code}/{serial}", data=data)


def test_identical_entries_verify_the_form_once(team):
    wave, unit, clients, users = team
    before = _rows(wave)
    post_form(clients["a"], wave, unit, 1, typed_form(wave, A1="2"))
    assert _paper_responses() == []
    assert _rows(wave) == before
    saved = post_form(clients["b"], wave, unit, 1, typed_form(wave, A1="2"))
    assert saved.status_code == 302
    (response,) = _paper_responses()
    assert response.uuid == response_uuid(wave, 1)
    assert response.status is ResponseStatus.complete
    assert response.paper_serial == "000001-" + response.paper_serial[-1]
    assert {a.value for a in response.answers if a.item_code == "A1"} == {"2"}
    entries = db.session.scalars(sa.select(PaperEntry)).all()
    assert {e.response_id for e in entries} == {response.id}
    assert _rows(wave) == before + 1
    # nothing to settle
    assert 'href="/entry/review/demo/1"' not in clients["admin"].get(
        "/entry/review"
    ).get_data(as_text=True)


def test_differences_are_listed_for_a_third_person_only(team):
    wave, unit, clients, _users = team
    post_form(clients["a"], wave, unit, 2, typed_form(wave))
    post_form(clients["b"], wave, unit, 2, typed_form(wave, C3="5", sex="2"))
    assert _paper_responses() == []
    for who in ("admin", "c"):
        listing = clients[who].get("/entry/review").get_data(as_text=True)
        assert 'href="/entry/review/demo/2"' in listing
    for who in ("a", "b"):
        assert 'href="/entry/review/demo/2"' not in clients[who].get(
            "/entry/review"
        ).get_data(as_text=True)
        assert _settle_page(clients[who], wave, 2).status_code == 403
    page = _settle_page(clients["c"], wave, 2).get_data(as_text=True)
    assert page.count('class="differs"') == 2
    assert 'name="choice_C3"' in page
    assert 'name="choice_sex"' in page
    assert 'name="choice_A1"' not in page
    assert "Rất hài lòng" in page  # B's C3, as text


def test_the_settle_page_names_questions_by_their_paper_number(team):
    wave, unit, clients, _users = team
    post_form(clients["a"], wave, unit, 2, typed_form(wave))
    post_form(clients["b"], wave, unit, 2, typed_form(wave, C3="5", sex="2"))
    questionnaire = parsed(wave.questionnaire)
    numbers = question_numbers(questionnaire)
    page = _settle_page(clients["c"], wave, 2).get_data(as_text=True)
    sex = questionnaire.item("sex").label.get_text("vi")
    assert f'<span class="item-code">Câu {numbers["sex"]}</span> {sex}' in page
    assert f"Câu trả lời cho câu {numbers['sex']} trên phiếu giấy" in page
    assert '<span class="criterion-code">[C3]</span>' in page
    assert '<span class="item-code">sex</span>' not in page
    missing = _settle(clients["c"], wave, 2, {"C3": "second"})
    assert f'<a href="#choice-sex">Câu {numbers["sex"]}: ' in missing.get_data(
        as_text=True
    )


def test_settlement_makes_one_response_with_the_settled_values(team):
    wave, unit, clients, users = team
    before = _rows(wave)
    post_form(clients["a"], wave, unit, 2, typed_form(wave))
    post_form(clients["b"], wave, unit, 2, typed_form(wave, C3="5", sex="2"))
    missing = _settle(clients["admin"], wave, 2, {"C3": "second"})
    assert missing.status_code == 400
    done = _settle(clients["admin"], wave, 2, {"C3": "second", "sex": "other"}, sex="3")
    assert done.status_code == 302
    (response,) = _paper_responses()
    values = {a.item_code: a.value for a in response.answers}
    assert values["C3"] == "5"
    assert values["sex"] == "other"  # key 3 typed from the paper
    assert values["A1"] == "4"
    assert response.status is ResponseStatus.complete
    # the choices packed from the settled answers, not the first typing's
    layout = choice_layout(parsed(wave.questionnaire))
    matrix = packed_matrix([response.choice_codes], layout)
    sex = layout.slot("sex")
    assert sex.options[single_numbers(matrix, sex)[0] - 1] == "other"
    trips = layout.slot("trips")
    assert trips.options[single_numbers(matrix, trips)[0] - 1] == values["trips"]
    settled = db.session.scalar(sa.select(PaperEntry).filter_by(round=3))
    assert settled.entered_by_id == users["admin"].id
    assert settled.response_id == response.id
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="paper.settle"))
    assert event.details["items"] == ["C3", "sex"]
    assert _rows(wave) == before + 1
    # settled once: gone from the list, its page no longer exists
    assert _settle_page(clients["c"], wave, 2).status_code == 404
    assert 'href="/entry/review/demo/2"' not in clients["admin"].get(
        "/entry/review"
    ).get_data(as_text=True)


def test_settling_checks_the_skip_rules(team):
    wave, unit, clients, _users = team
    post_form(clients["a"], wave, unit, 2, typed_form(wave))
    no_feedback = typed_form(wave, E_filter="2", E1="", E2="", E3="", E4="")
    post_form(clients["b"], wave, unit, 2, no_feedback)
    choices = {"E_filter": "second", "E1": "first", "E2": "second", "E3": "second"}
    choices["E4"] = "second"
    refused = _settle(clients["c"], wave, 2, choices)
    assert refused.status_code == 400
    assert _paper_responses() == []
    choices["E1"] = "second"
    assert _settle(clients["c"], wave, 2, choices).status_code == 302
    (response,) = _paper_responses()
    assert not any(
        a.item_code.startswith("E") and a.item_code != "E_filter"
        for a in response.answers
    )


def test_counting_unverified_forms_keeps_one_response_per_form(team):
    wave, unit, clients, _users = team
    wave.counts_unverified_paper = True
    db.session.commit()
    before = _rows(wave)
    post_form(clients["a"], wave, unit, 3, typed_form(wave, A1="1"))
    (response,) = _paper_responses()
    assert response.status is ResponseStatus.complete
    assert _rows(wave) == before + 1
    post_form(clients["b"], wave, unit, 3, typed_form(wave, A1="5"))
    assert len(_paper_responses()) == 1
    _settle(clients["admin"], wave, 3, {"A1": "second"})
    (response,) = _paper_responses()
    db.session.refresh(response)
    assert {a.value for a in response.answers if a.item_code == "A1"} == {"5"}
    assert _rows(wave) == before + 1


def test_the_wave_setting_is_audited_and_applied(team):
    wave, unit, clients, _users = team
    post_form(clients["a"], wave, unit, 1, typed_form(wave))
    before = _rows(wave)
    page = clients["admin"].get("/entry/stats", query_string={"wave": wave.code})
    token = CSRF_PATTERN.search(page.get_data(as_text=True)).group(1)
    url = f"/entry/stats/{wave.code}/setting"
    turned_on = clients["admin"].post(
        url, data={"csrf_token": token, "counts_unverified": "y"}
    )
    assert turned_on.status_code == 302
    db.session.refresh(wave)
    assert wave.counts_unverified_paper is True
    assert len(_paper_responses()) == 1
    assert _rows(wave) == before + 1
    clients["admin"].post(url, data={"csrf_token": token})
    db.session.refresh(wave)
    assert wave.counts_unverified_paper is False
    (response,) = _paper_responses()
    assert response.status is ResponseStatus.flagged
    assert _rows(wave) == before
    events = db.session.scalars(
        sa.select(AuditEvent).filter_by(action="wave.paper_setting")
    ).all()
    assert [e.details["counts_unverified_paper"] for e in events] == [True, False]
    # a verifying second entry brings it back, with the verified answers
    post_form(clients["b"], wave, unit, 1, typed_form(wave))
    db.session.refresh(response)
    assert response.status is ResponseStatus.complete
    assert _rows(wave) == before + 1


def test_per_surveyor_figures(team):
    wave, unit, clients, users = team
    post_form(clients["a"], wave, unit, 1, typed_form(wave))
    post_form(clients["b"], wave, unit, 1, typed_form(wave))
    post_form(clients["a"], wave, unit, 2, typed_form(wave))
    post_form(clients["b"], wave, unit, 2, typed_form(wave, C3="5"))
    post_form(clients["c"], wave, unit, 3, typed_form(wave))
    figures = {f.user.username: f for f in surveyor_figures(wave)}
    a = figures[users["a"].username]
    assert (a.forms, a.double_entered, a.disagreeing) == (2, 2, 1)
    assert a.disagreement_rate == 0.5
    compared = a.compared_items
    assert compared > 60  # two forms of 30-odd items each
    assert a.differences_per_100_items == pytest.approx(100 / compared)
    assert a.median_seconds is not None
    c = figures[users["c"].username]
    assert (c.forms, c.double_entered, c.disagreement_rate) == (1, 0, None)
    page = clients["admin"].get("/entry/stats", query_string={"wave": wave.code})
    html = page.get_data(as_text=True)
    assert users["a"].username in html
    assert "50,0%" in html


def test_a_closed_round_refuses_settlement_cleanly(team):
    wave, unit, clients, _users = team
    post_form(clients["a"], wave, unit, 2, typed_form(wave))
    post_form(clients["b"], wave, unit, 2, typed_form(wave, C3="5"))
    wave.status = WaveStatus.closed
    db.session.commit()
    refused = _settle(clients["admin"], wave, 2, {"C3": "second"})
    assert refused.status_code == 302
    assert _paper_responses() == []
    assert db.session.scalar(sa.select(PaperEntry).filter_by(round=3)) is None
