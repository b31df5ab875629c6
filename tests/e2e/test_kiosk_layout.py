"""The kiosk's screens on a 1080×1920 and a 1920×1080 display: every option and
button is on screen (or an unmistakable cue says the screen scrolls), touch
targets stay large, and an optional question can be skipped, storing nothing."""

from __future__ import annotations

import re
import unicodedata

from tests.e2e import kiosk_pages as ui
from tests.e2e.conftest import assert_accessible, wait_until

kiosk_server = ui.kiosk_server
kiosk = ui.kiosk

#: Where each button of the screen is, against the window; the scroll cue's state.
MEASURE = """() => {
  const cue = document.getElementById('k-more');
  const box = b => b.getBoundingClientRect();
  const buttons = [...document.querySelectorAll('.choices button, .nav button')];
  const inside = r => r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight
    && r.right <= window.innerWidth;
  const targets = [...document.querySelectorAll('button')].filter(b => !b.hidden);
  return {
    cue: Boolean(cue && !cue.hidden && box(cue).height > 0),
    outside: buttons.filter(b => !inside(box(b))).map(b => b.textContent.trim()),
    small: targets.filter(b => box(b).height < 48 || box(b).width < 48)
      .map(b => b.textContent.trim()),
  };
}"""


def slug(text: str) -> str:
    """Vietnamese text as a short ASCII file name part."""
    plain = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    plain = plain.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40]


def check_fits(page, question: str) -> bool:
    """Every button in view, or the cue shown (True: the screen scrolls)."""
    seen = page.evaluate(MEASURE)
    assert seen["small"] == [], question
    if seen["outside"]:
        assert seen["cue"], f"«{question}»: {seen['outside']} off screen, no cue"
    else:
        assert not seen["cue"], f"«{question}» fits but shows the cue"
    return bool(seen["outside"])


def refuse_one_over(page) -> None:
    """Choose options of a multiple choice until one is refused, and tap it."""
    for option in page.locator(".choices button").all():
        if option.get_attribute("aria-disabled") == "true":
            option.tap(force=True)
            page.locator(".limit-note").wait_for()
            return
        option.tap()


def test_every_question_fits_or_says_it_scrolls(kiosk_server, kiosk, output_dir):
    url, app = kiosk_server
    page = kiosk
    ui.open_kiosk(page, url)
    page.locator(".start-button").tap()
    scrolling: list[str] = []
    pictured: set[str] = set()
    while (kind := ui.screen_type(page)) != "thanks":
        question = page.inner_text("h1")
        if check_fits(page, question):
            scrolling.append(question)
        layout = (".choices.long", ".choices.many", ".nav .skip")
        name = kind + "".join(str(page.locator(css).count()) for css in layout)
        if name not in pictured:
            pictured.add(name)
            picture = f"kiosk-fit-{page.orientation}-{slug(question)}.png"
            page.screenshot(path=str(output_dir / picture))
        if kind == "multi_choice":  # with the message of a refused tap, too
            refuse_one_over(page)
            if check_fits(page, question):
                scrolling.append(f"{question} (refused)")
        ui.go_on(page, lambda kind=kind: ui.answer_one(page, kind))
    # at these sizes nothing should need scrolling at all
    assert scrolling == []


def test_the_scroll_cue_shows_where_a_screen_runs_below(
    kiosk_server, browser, output_dir
):
    """The portrait kiosk at 200 % zoom: question 1 does not fit, and says so."""
    url, app = kiosk_server
    page = browser.new_page(
        viewport={"width": 540, "height": 960}, device_scale_factor=2, has_touch=True
    )
    ui.open_kiosk(page, url)
    page.locator(".start-button").tap()
    cue = page.locator("#k-more")
    cue.wait_for()
    assert cue.inner_text() == ui.vi(app, "Scroll down to see more")
    assert page.evaluate(MEASURE)["outside"]
    assert_accessible(page)
    page.screenshot(path=str(output_dir / "kiosk-scroll-cue-portrait-200-percent.png"))
    cue.tap()  # it scrolls, and goes once the end is in sight
    wait_until(page, "() => window.scrollY >= Math.round(window.innerHeight * 0.6)")
    page.mouse.wheel(0, 5000)
    cue.wait_for(state="hidden")
    assert page.locator(".nav .back").is_visible()
    page.close()


def test_skipping_an_optional_question_stores_nothing(kiosk_server, browser):
    url, app = kiosk_server
    page = browser.new_page(viewport={"width": 1080, "height": 1920}, has_touch=True)
    before = ui.kiosk_count(app)
    ui.open_kiosk(page, url)
    page.locator(".start-button").tap()
    skip = page.locator(".nav button.skip")
    # required questions: no way past but an answer
    while (kind := ui.screen_type(page)) != "multi_choice":
        assert skip.count() == 0
        ui.go_on(page, lambda kind=kind: ui.answer_one(page, kind))
    # every optional one offers Skip; a choice made, then skipped, is not kept
    assert skip.inner_text() == ui.vi(app, "Skip")
    ui.go_on(page, lambda: skip.tap())
    ui.go_on(page, lambda: skip.tap())  # the comment
    ui.go_on(page, lambda: page.locator(".choices button").first.tap())  # sex
    ui.go_on(page, lambda: page.locator(".nav .back").tap())
    assert page.locator(".choices button").first.get_attribute("aria-pressed") == "true"
    ui.go_on(page, lambda: skip.tap())
    while ui.screen_type(page) != "thanks":
        ui.go_on(page, lambda: skip.tap())
    ui.wait_for_sync(page, app, before + 1)
    answered = set(ui.newest_answers(app))
    optional = {"expectations", "comment", "sex", "age_group", "ethnicity"}
    assert not optional & answered
    assert {"field", "A1", "overall"} <= answered
    page.close()
