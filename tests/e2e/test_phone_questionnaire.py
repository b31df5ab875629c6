"""A citizen answers the whole questionnaire on a 360×740 phone in Chromium."""

from __future__ import annotations

import uuid

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


def answer_visible_questions(page, questionnaire, keep: bool = False) -> None:
    """Answer every question shown on the current step, as a person would
    (``keep``: leave the questions already answered as they are)."""
    section_code = page.locator("input[name=section]").input_value()
    section = questionnaire.sections[questionnaire.section_index(section_code)]
    for item in section.items:
        block = page.locator(f"#q-{item.code}")
        if block.count() == 0 or not block.is_visible():
            continue
        if keep and block.locator("input:checked").count():
            continue
        value = answer_for(item, gave_feedback=True)
        if item.type in (ItemType.scale, ItemType.single_choice):
            block.locator(f"input[value='{value}']").check()
        elif item.type is ItemType.multi_choice:
            for code in value:
                block.locator(f"input[value='{code}']").check()
        else:
            block.locator("textarea, input").first.fill(str(value))


def go_on(page) -> None:
    """Tap "next" and wait for the next step, which must show no error. The last
    step is sent with fetch (kept on the phone when offline), then the script
    opens the thank-you page."""
    left = page.url
    page.locator(".actions button[value=next]").click()
    page.wait_for_url(lambda address: address != left)
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 0, page.content()[:3000]


def stored_responses(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Response))


def test_phone_questionnaire_end_to_end(live_server, phone, output_dir):
    base_url, app = live_server
    with app.app_context():
        wave, _unit = demo_target(UNIT)
        questionnaire = parsed(wave.questionnaire)
    page = phone
    page.goto(f"{base_url}/s/{UNIT}")
    assert page.locator("html").get_attribute("lang") == "vi"
    form_id = page.locator("input[name=form_id]").input_value()
    before = stored_responses(app)
    step = 0
    saw_branch = False
    while "/thanks/" not in page.url:
        step += 1
        assert_accessible(page)
        # the full title heads the first step only; later ones have a short header
        header = page.locator("main").inner_text()
        assert (questionnaire.title.get_text("vi") in header) == (step == 1)
        assert "Trung tâm Phục vụ hành chính công phường Hạ Long" in header
        assert f"Bước {step}/" in header
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
        go_on(page)
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
        page.locator(".actions button[value=next]").click()
        page.wait_for_url("**/thanks/**")
    assert "/thanks/" in page.url
    assert page.locator(".receipt-code").inner_text() == receipt

    assert stored_responses(app) == before + 1  # other tests share the server
    with app.app_context():
        stored = db.session.scalars(
            sa.select(Response).filter_by(uuid=uuid.UUID(form_id))
        ).all()
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
    page.locator(".actions button[value=next]").click()
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


def _checked(page, codes) -> dict[str, str | None]:
    """The option checked on the page for each question code (None: none)."""
    return {
        code: page.evaluate(
            "code => document.querySelector(`[name='${code}']:checked`)?.value ?? null",
            code,
        )
        for code in codes
    }


def _switch_language(page, name: str, language: str) -> None:
    with page.expect_navigation():  # to the same step (the same address)
        page.get_by_role("button", name=name).click()
    assert page.locator("html").get_attribute("lang") == language


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_language_switch_keeps_the_answers_of_the_step(
    live_server, browser, output_dir, javascript
):
    """Half a step answered, English, one more answer, Vietnamese: nothing is
    lost on the way, and the answers end up in the stored response."""
    base_url, app = live_server
    with app.app_context():
        wave, _unit = demo_target(UNIT)
        questionnaire = parsed(wave.questionnaire)
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        has_touch=True,
        is_mobile=True,
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.goto(f"{base_url}/s/{UNIT}")
    form_id = page.locator("input[name=form_id]").input_value()
    answer_visible_questions(page, questionnaire)
    page.locator(".actions button[value=next]").click()
    page.wait_for_url("**step=*")
    section = questionnaire.sections[1]
    first, second, third, *rest = [item.code for item in section.items]
    page.locator(f"#q-{first} input[value='2']").check()
    page.locator(f"#q-{second} input[value='5']").check()

    _switch_language(page, "English", "en")
    assert page.locator("input[name=section]").input_value() == section.code
    assert section.title.get_text("en") in page.locator("main").inner_text()
    assert page.locator(".error-summary").count() == 0
    assert _checked(page, [first, second, third]) == {
        first: "2",
        second: "5",
        third: None,
    }
    suffix = "" if javascript else "-nojs"
    page.screenshot(path=str(output_dir / f"phone-switched-en{suffix}.png"))
    page.locator(f"#q-{third} input[value='1']").check()

    _switch_language(page, "Tiếng Việt", "vi")
    assert section.title.get_text("vi") in page.locator("main").inner_text()
    assert _checked(page, [first, second, third]) == {
        first: "2",
        second: "5",
        third: "1",
    }
    page.screenshot(path=str(output_dir / f"phone-switched-vi{suffix}.png"))
    while "/thanks/" not in page.url:
        answer_visible_questions(page, questionnaire, keep=True)
        left = page.url
        page.locator(".actions button[value=next]").click()
        page.wait_for_url(lambda address, left=left: address != left)
        page.wait_for_load_state()
    context.close()

    with app.app_context():
        response = db.session.scalar(
            sa.select(Response).filter_by(uuid=uuid.UUID(form_id))
        )
        stored = {a.item_code: a.value for a in response.answers}
    assert {code: stored[code] for code in (first, second, third)} == {
        first: "2",
        second: "5",
        third: "1",
    }
    assert all(code in stored for code in rest)


def test_enter_in_an_answer_goes_on_rather_than_switching_language(live_server, phone):
    """The language buttons come first in the page, yet Enter means "Continue"."""
    base_url, _app = live_server
    page = phone
    page.goto(f"{base_url}/s/{UNIT}")
    page.locator("input[type=radio]").first.check()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator(".error-summary").is_visible()  # the rest is unanswered


def test_a_form_url_opened_in_another_browser_shows_a_new_form(
    live_server, phone, browser, output_dir
):
    """The address of a half-answered form names no form: another phone that opens
    it (or adds the old ``?f=``) starts its own, and the first phone goes on."""
    base_url, app = live_server
    with app.app_context():
        wave, _unit = demo_target(UNIT)
        questionnaire = parsed(wave.questionnaire)
    phone.goto(f"{base_url}/s/{UNIT}")
    form_id = phone.locator("input[name=form_id]").input_value()
    answer_visible_questions(phone, questionnaire)
    go_on(phone)
    assert form_id not in phone.url
    second_step = phone.locator("input[name=section]").input_value()
    context = browser.new_context(viewport={"width": 360, "height": 740})
    other = context.new_page()
    for address in (phone.url, f"{phone.url}&f={form_id}"):
        other.goto(address)
        assert other.locator("input[name=form_id]").input_value() != form_id
        assert other.locator("input[name=section]").input_value() != second_step
        assert other.locator("input:checked").count() == 0
    other.screenshot(path=str(output_dir / "phone-copied-url.png"), full_page=True)
    context.close()
    phone.reload()
    assert phone.locator("input[name=form_id]").input_value() == form_id
    assert phone.locator("input[name=section]").input_value() == second_step
