"""A citizen answers the whole questionnaire on a 360×740 phone in Chromium."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Response
from sipas.questionnaire import ItemType
from sipas.services.questionnaires import parsed
from tests.e2e.conftest import assert_accessible
from tests.factories import answer_for, demo_target

pytestmark = pytest.mark.e2e

UNIT = "QN-HALONG-TT"


def answer_visible_questions(page, questionnaire) -> None:
    """Answer every question shown on the current step, as a person would."""
    section_code = page.locator("input[name=section]").input_value()
    section = questionnaire.sections[questionnaire.section_index(section_code)]
    for item in section.items:
        block = page.locator(f"#q-{item.code}")
        if block.count() == 0 or not block.is_visible():
            continue
        value = answer_for(item, gave_feedback=True)
        if item.type in (ItemType.scale, ItemType.single_choice):
            block.locator(f"input[value='{value}']").check()
        elif item.type is ItemType.multi_choice:
            for code in value:
                block.locator(f"input[value='{code}']").check()
        else:
            block.locator("textarea, input").first.fill(str(value))


def test_phone_questionnaire_end_to_end(live_server, phone, output_dir):
    base_url, app = live_server
    with app.app_context():
        wave, _unit = demo_target(UNIT)
        questionnaire = parsed(wave.questionnaire)
    page = phone
    page.goto(f"{base_url}/s/{UNIT}")
    assert page.locator("html").get_attribute("lang") == "vi"
    step = 0
    saw_branch = False
    while "/thanks/" not in page.url:
        step += 1
        assert_accessible(page)
        if page.locator("#q-E_filter").count():
            # the E criteria stay hidden until the filter is answered "yes"
            assert not page.locator("#q-E1").is_visible()
            page.locator("#q-E_filter input[value='yes']").check()
            assert page.locator("#q-E1").is_visible()
            saw_branch = True
        answer_visible_questions(page, questionnaire)
        page.screenshot(
            path=str(output_dir / f"phone-step-{step:02d}.png"), full_page=True
        )
        last_step_url = page.url
        page.locator("button[value=next]").click()
        # the last step is sent with fetch (kept on the phone when offline), then
        # the script opens the thank-you page
        page.wait_for_url(lambda address, left=last_step_url: address != left)
        page.wait_for_load_state()
        assert page.locator(".error-summary").count() == 0, page.content()[:3000]
    assert saw_branch
    receipt = page.locator(".receipt-code").inner_text()
    assert "Cảm ơn" in page.locator("h1").inner_text()
    assert_accessible(page)
    page.screenshot(path=str(output_dir / "phone-thanks.png"), full_page=True)

    # the back button and a second tap on "send" store nothing new
    page.go_back()
    page.wait_for_load_state()
    if "/thanks/" not in page.url:  # the step came back from the browser's cache
        assert page.url == last_step_url
        page.locator("button[value=next]").click()
        page.wait_for_url("**/thanks/**")
    assert "/thanks/" in page.url
    assert page.locator(".receipt-code").inner_text() == receipt

    with app.app_context():
        stored = db.session.scalars(sa.select(Response)).all()
        assert len(stored) == 1
        codes = set(
            db.session.scalars(
                sa.select(Answer.item_code).filter_by(response_id=stored[0].id)
            )
        )
        assert {"E1", "E2", "E3", "E4"} <= codes


def test_error_is_announced_beside_the_question(live_server, phone, output_dir):
    base_url, _app = live_server
    page = phone
    page.goto(f"{base_url}/s/{UNIT}")
    page.locator("button[value=next]").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert (
        "Vui lòng trả lời câu hỏi này."
        in page.locator(".error-message").first.inner_text()
    )
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert_accessible(page)
    page.screenshot(path=str(output_dir / "phone-error.png"), full_page=True)
