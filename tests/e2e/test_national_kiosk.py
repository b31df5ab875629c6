"""The national form on a kiosk in Chromium, portrait and landscape: a respondent
taps through all its questions (three-way perceptions and needs as buttons, the
service questions behind their filter) and the response reaches the server."""

from __future__ import annotations

import pytest

from sipas.extensions import db
from sipas.services.questionnaires import parsed
from tests.e2e import kiosk_pages
from tests.e2e.conftest import assert_accessible, demo_app, serving
from tests.e2e.kiosk_pages import (
    answer_until,
    complete_one,
    enrol_device,
    kiosk_count,
    newest_answers,
    open_kiosk,
    start_one,
    vi,
    wait_for_sync,
)
from tests.factories import make_national_wave

pytestmark = pytest.mark.e2e

kiosk = kiosk_pages.kiosk  # portrait and landscape


@pytest.fixture(scope="module")
def national_kiosk(tmp_path_factory):
    """A server whose centres collect for a round on the national form, with an
    enrolled kiosk; and that form."""
    app = demo_app(tmp_path_factory.mktemp("national-kiosk"))
    with app.app_context():
        questionnaire = parsed(make_national_wave().questionnaire)
        enrol_device()
        db.session.commit()
    with serving(app) as (url, served):
        yield url, served, questionnaire


def test_the_national_form_is_answered_on_a_kiosk(national_kiosk, kiosk, output_dir):
    url, app, questionnaire = national_kiosk
    page = kiosk
    before = kiosk_count(app)
    open_kiosk(page, url)
    start_one(page)
    perception = questionnaire.item("P1_N1")
    answer_until(page, perception.label["vi"])
    # the count includes the service questions the filter ahead may open
    position = questionnaire.items.index(perception) + 1
    total = len(questionnaire.items)
    assert page.inner_text("#k-progress") == vi(
        app, "Question %(n)s of %(total)s", n=position, total=total
    )
    # the section's lead frames the statement as a question
    section = questionnaire.sections[questionnaire.section_index("perception_p1")]
    assert page.inner_text(".section-lead") == section.description["vi"]
    buttons = page.locator(".choices button").all_inner_texts()
    assert [text.strip() for text in buttons] == ["Không có", "Một số", "Nhiều"]
    assert_accessible(page)
    page.screenshot(path=str(output_dir / f"national-kiosk-{page.orientation}.png"))
    asked = complete_one(page, started=True)
    wait_for_sync(page, app, before + 1)
    stored = newest_answers(app)
    # every question after the first perception was asked; all are stored but the
    # comment, left empty
    assert asked == len(questionnaire.items) - questionnaire.items.index(perception)
    assert set(stored) == {item.code for item in questionnaire.items} - {"comment"}
    assert stored["P1_N1"] == ["none"]
    assert stored["NC10"] == ["not_needed"]
