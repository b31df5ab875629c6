"""An unfinished phone form belongs to the browser that started it (issue 18 item 11):
its id in a URL or a post opens nothing elsewhere, and its own browser keeps going."""

from __future__ import annotations

import pytest

from sipas.extensions import db
from sipas.models import ResponseDraft
from tests.factories import section_answers

UNIT = "QN-HALONG-TT"
URL = f"/s/{UNIT}"


@pytest.fixture
def started(demo_client, survey_page, questionnaire):
    """A citizen's form with its first step answered: (their page, their answers)."""
    first = survey_page(demo_client.get(URL))
    answers = section_answers(questionnaire, first.section)
    posted = demo_client.post(URL, data=first.post_data(answers))
    assert posted.status_code == 302
    return survey_page(demo_client.get(posted.location)), answers


def draft_answers(form_id) -> dict:
    db.session.expire_all()
    return dict(db.session.get(ResponseDraft, form_id).answers)


def test_step_urls_carry_no_form_id(demo_client, survey_page, questionnaire):
    first = survey_page(demo_client.get(URL))
    answers = section_answers(questionnaire, first.section)
    posted = demo_client.post(URL, data=first.post_data(answers))
    assert str(first.form_id) not in posted.location
    assert "f=" not in posted.location
    assert survey_page(demo_client.get(posted.location)).form_id == first.form_id


def test_a_copied_form_url_shows_nothing_in_another_browser(
    demo_app, started, survey_page
):
    page, answers = started
    other = demo_app.test_client()
    seen = other.get(f"{URL}?f={page.form_id}&step={page.section}")
    assert seen.status_code == 200
    theirs = survey_page(seen)
    assert theirs.form_id != page.form_id
    assert theirs.section != page.section  # a new form starts at the first step
    assert str(page.form_id) not in theirs.html
    assert all(f'value="{v}" checked' not in theirs.html for v in answers.values())


def test_another_browser_cannot_change_the_draft(
    demo_app, started, survey_page, questionnaire
):
    page, _answers = started
    before = draft_answers(page.form_id)
    other = demo_app.test_client()
    theirs = survey_page(other.get(URL))
    data = theirs.post_data(section_answers(questionnaire, page.section))
    data.update(form_id=str(page.form_id), section=page.section)
    posted = other.post(URL, data=data)
    assert posted.status_code == 302
    assert posted.location == URL
    assert draft_answers(page.form_id) == before
    back = theirs.post_data({}, move="back")
    back.update(form_id=str(page.form_id), section=page.section)
    other.post(URL, data=back)
    assert draft_answers(page.form_id) == before


def test_the_own_browser_keeps_going_after_a_repeated_post(
    demo_client, started, survey_page, questionnaire
):
    """A step sent twice (the network dropped the first answer) still moves on."""
    page, _answers = started
    data = page.post_data(section_answers(questionnaire, page.section))
    first = demo_client.post(URL, data=data)
    again = demo_client.post(URL, data=data)
    assert first.status_code == again.status_code == 302
    assert again.location == first.location
    following = survey_page(demo_client.get(again.location))
    assert following.form_id == page.form_id
    assert following.section != page.section
    assert set(section_answers(questionnaire, page.section)) <= set(
        draft_answers(page.form_id)
    )
