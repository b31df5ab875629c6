"""The kiosk in a real browser: taps, offline without loss, idle reset, axe, pictures.

A registered device syncs through the real POST /api/sync; the spam rules flag these
fast answers, so the counts below take every kiosk response whatever its status.
"""

from __future__ import annotations

import time
import uuid as uuid_module

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import Channel, Response, ResponseStatus
from sipas.services import questionnaires
from sipas.services.responses import store
from sipas.services.results import sums
from sipas.services.waves.lookup import find_open_target
from sipas.stats.indices import Options
from tests.e2e import kiosk_pages
from tests.e2e.conftest import assert_accessible, wait_until
from tests.e2e.kiosk_pages import (
    TOKEN,
    UNIT,
    answer_one,
    complete_one,
    kiosk_count,
    open_kiosk,
    screen_type,
    unsent,
    wait_for_next,
)

kiosk_server = kiosk_pages.kiosk_server
kiosk = kiosk_pages.kiosk


def test_offline_kiosk_loses_nothing(kiosk_server, browser):
    url, app = kiosk_server
    context = browser.new_context(
        viewport={"width": 1080, "height": 1920}, has_touch=True
    )
    page = context.new_page()
    open_kiosk(page, url)
    assert page.url == f"{url}/kiosk/{UNIT}", "the token leaves the address bar"
    assert page.evaluate("localStorage.getItem('sipas.kiosk.token')") == TOKEN
    assert context.cookies() == []
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)") == (
        f"{url}/kiosk/"
    )
    # the worker controls the page and holds the page, questionnaire and assets
    wait_until(page, "() => navigator.serviceWorker.controller !== null")
    cached = (
        "caches.open('sipas-kiosk-v1').then(c => c.keys())"
        ".then(keys => keys.map(r => new URL(r.url).pathname))"
    )
    wanted = {
        f"/kiosk/{UNIT}",
        f"/kiosk/{UNIT}/questionnaire.json",
        "/static/js/kiosk.js",
        "/static/css/kiosk.css",
    }
    deadline = time.monotonic() + 20
    while not wanted <= set(page.evaluate(cached)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert wanted <= set(page.evaluate(cached))
    before = kiosk_count(app)

    context.set_offline(True)
    for _respondent in range(5):
        complete_one(page)
        page.locator(".screen.thanks button").click()
        page.wait_for_selector(".start-button")
    assert unsent(page) == 5
    # a reload without a network: the service worker serves the kiosk
    page.reload()
    page.wait_for_selector(".start-button")
    assert unsent(page) == 5
    assert kiosk_count(app) == before

    context.set_offline(False)  # the `online` event starts a sync
    deadline = time.monotonic() + 20
    while kiosk_count(app) < before + 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    while unsent(page) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert unsent(page) == 0
    assert kiosk_count(app) == before + 5
    assert context.cookies() == []
    # a further sync sends nothing twice
    page.evaluate("window.sipasKiosk.sync()")
    assert kiosk_count(app) == before + 5
    context.close()
    # a test robot answers in seconds: a spam-speed run, kept but flagged and left
    # out of the wave's statistics
    with app.app_context():
        stored = db.session.scalars(
            sa.select(Response).where(Response.channel == Channel.kiosk)
        ).all()
        assert {r.status for r in stored} == {ResponseStatus.flagged}
        assert all("too_fast" in r.status_reason.split(",") for r in stored)
        wave = stored[0].wave
        counted = sums.wave_analysis(wave, Options()).n_rows
        assert counted == db.session.scalar(
            sa.select(sa.func.count()).where(
                Response.wave_id == wave.id,
                Response.status == ResponseStatus.complete,
            )
        )
        assert counted == 0


def test_keyboard_answers_and_back(kiosk_server, browser):
    url, app = kiosk_server
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    open_kiosk(page, url)
    page.keyboard.press("Tab")
    page.locator(".start-button").focus()
    page.keyboard.press("Enter")
    # go to the first scale question with the keyboard
    while (kind := screen_type(page)) != "scale":
        before = page.inner_text("#k-progress")
        answer_one(page, kind, tap=False)
        wait_for_next(page, before)
    before = page.inner_text("#k-progress")
    page.keyboard.press("5")
    wait_for_next(page, before)
    page.locator(".nav .back").click()
    assert page.inner_text("#k-progress") == before
    assert (
        page.get_attribute('.choices button[data-code="5"]', "aria-pressed") == "true"
    )
    context.close()


def test_idle_prompt_then_reset(kiosk_server, browser, output_dir):
    """The kiosk's own timers run on a clock the test moves: the prompt and the
    reset come after exactly the configured seconds, however slow the machine."""
    url, app = kiosk_server
    idle_ms = app.config["KIOSK_IDLE_SECONDS"] * 1000
    reset_ms = app.config["KIOSK_RESET_SECONDS"] * 1000
    context = browser.new_context(
        viewport={"width": 1080, "height": 1920}, has_touch=True
    )
    page = context.new_page()
    page.clock.install()
    open_kiosk(page, url)
    page.locator(".start-button").tap()
    page.locator("#k-contrast").tap()
    assert "hc" in page.locator("html").get_attribute("class")
    answer_one(page, screen_type(page))
    page.clock.run_for(idle_ms - 1000)
    assert page.locator("#k-idle").count() == 0  # not yet
    page.clock.run_for(1500)
    page.wait_for_selector("#k-idle", timeout=5000)
    assert_accessible(page)
    page.screenshot(path=str(output_dir / "kiosk-idle-portrait.png"))
    page.locator("#k-idle button").tap()  # still here: nothing is lost
    assert page.locator("#k-idle").count() == 0
    assert page.locator(".question-screen").count() == 1
    page.clock.run_for(idle_ms + 500)
    page.wait_for_selector("#k-idle", timeout=5000)  # and away again
    page.clock.run_for(reset_ms + 500)
    page.wait_for_selector(".start-button", timeout=5000)
    assert page.locator("#k-idle").count() == 0
    # the next respondent starts from nothing, in Vietnamese, normal contrast
    assert "hc" not in page.locator("html").get_attribute("class")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.locator(".start-button").tap()
    assert page.get_attribute(".choices button >> nth=0", "aria-pressed") == "false"
    context.close()


def test_every_screen_passes_axe_and_is_pictured(kiosk_server, kiosk, output_dir):
    url, app = kiosk_server
    page = kiosk
    name = page.orientation
    open_kiosk(page, url)
    assert_accessible(page)
    page.screenshot(path=str(output_dir / f"kiosk-start-{name}.png"))
    page.locator(".start-button").tap()
    seen: set[str] = set()
    while (kind := screen_type(page)) != "thanks":
        if kind not in seen:
            seen.add(kind)
            assert_accessible(page)
            page.screenshot(path=str(output_dir / f"kiosk-{kind}-{name}.png"))
            if kind == "scale":
                page.locator("#k-contrast").click()
                assert_accessible(page)
                page.screenshot(path=str(output_dir / f"kiosk-contrast-{name}.png"))
                page.locator("#k-contrast").click()
        before = page.inner_text("#k-progress")
        answer_one(page, kind)
        if screen_type(page) != "thanks":
            wait_for_next(page, before)
    assert {"scale", "single_choice", "multi_choice", "text"} <= seen
    assert_accessible(page)
    page.screenshot(path=str(output_dir / f"kiosk-thanks-{name}.png"))


def test_thanks_returns_to_start_by_itself(kiosk_server, browser):
    url, _app = kiosk_server
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.clock.install()  # the thank-you's eight seconds on a clock the test moves
    open_kiosk(page, url)
    complete_one(page, tap=False)
    page.clock.run_for(7500)
    assert page.locator(".screen.thanks").count() == 1  # not yet
    page.clock.run_for(1000)
    page.wait_for_selector(".start-button", timeout=5000)
    context.close()


def test_phone_keeps_the_last_step_when_offline(kiosk_server, browser):
    """/s/: the final "send" without a network keeps the answers on the phone and
    sends them once, by itself, when the network is back."""
    from tests.e2e.test_phone_questionnaire import answer_visible_questions

    url, app = kiosk_server
    with app.app_context():
        target = find_open_target(UNIT)
        questionnaire = questionnaires.parsed(target.wave.questionnaire)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{url}/s/{UNIT}")
    while page.locator("form[data-final]").count() == 0:
        if page.locator("#q-E_filter").count():
            page.locator("#q-E_filter input[value='yes']").check()
        answer_visible_questions(page, questionnaire)
        page.locator(".actions button[value=next]").click()
        page.wait_for_load_state()
    answer_visible_questions(page, questionnaire)
    form_id = page.locator("input[name=form_id]").input_value()

    context.set_offline(True)
    page.locator(".actions button[value=next]").click()
    note = page.locator("#offline-note")
    note.wait_for(state="visible")
    with app.test_request_context(), force_locale("vi"):
        expected = _("Saved on this device; it will be sent when you are back online.")
    assert note.inner_text() == expected
    assert page.evaluate(f"localStorage.getItem('sipas.pending.{form_id}') !== null")
    with app.app_context():
        assert store.find_by_uuid(uuid_module.UUID(form_id)) is None

    context.set_offline(False)
    page.wait_for_url(f"**/s/{UNIT}/thanks/{form_id}", timeout=15000)
    assert page.evaluate(f"localStorage.getItem('sipas.pending.{form_id}')") is None
    # a second "online" resends nothing: still one response for the form
    page.evaluate("window.dispatchEvent(new Event('online'))")
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count(Response.id)).filter_by(
                uuid=uuid_module.UUID(form_id)
            )
        )
    assert count == 1
    context.close()


def test_language_switch_and_200_percent_zoom(kiosk_server, browser):
    """English on a tap; at 200 % zoom (half the CSS pixels) nothing is cut off."""
    url, _app = kiosk_server
    context = browser.new_context(
        viewport={"width": 540, "height": 960}, device_scale_factor=2, has_touch=True
    )
    page = context.new_page()
    open_kiosk(page, url)
    body = page.evaluate(
        "fetch(window.location.pathname + '/questionnaire.json').then(r => r.json())"
    )
    first = body["sections"][0]["items"][0]
    page.locator(".start-button").tap()
    assert page.inner_text("h1") == first["label"]["vi"]
    page.locator("#k-langs button[data-lang=en]").tap()
    assert page.inner_text("h1") == first["label"]["en"]
    assert page.locator("html").get_attribute("lang") == "en"
    while (kind := screen_type(page)) != "scale":
        before = page.inner_text("#k-progress")
        answer_one(page, kind)
        wait_for_next(page, before)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    for button in page.locator(".choices button").all():
        box = button.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 540
    context.close()
