"""Every question type on the kiosk at its minimum, its maximum and one over, as a
respondent taps it, and what the server finally stores after the sync.

The shipped questionnaire (through the demo) has scales, required and optional
single choices, an optional multiple choice of at most 3 and a comment of at most
1000 characters; a small questionnaire of the test's own adds what it lacks: a
required multiple choice, a required text with a short limit and numbers.
"""

from __future__ import annotations

import secrets
import textwrap
from datetime import date

import pytest

from sipas.extensions import db
from sipas.models import UnitLevel, Wave, WaveStatus, WaveUnit
from sipas.services import questionnaires
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import find_open_target
from tests.e2e import kiosk_pages
from tests.e2e.conftest import assert_accessible, demo_app, serving
from tests.e2e.kiosk_pages import (
    TOKEN,
    UNIT,
    answer_one,
    answer_until,
    enrol_device,
    go_on,
    kiosk_count,
    newest_answers,
    open_kiosk,
    screen_type,
    vi,
    wait_for_sync,
)
from tests.factories import make_unit
from tests.questionnaire.test_loader import MINIMAL

TYPES_UNIT = "QN-KIOSK-THU"
TYPES_TOKEN = secrets.token_urlsafe(32)
#: What the shipped questionnaire lacks: a required multiple choice, a required
#: short text, a required and an optional number.
TYPES_QUESTIONNAIRE = MINIMAL.replace("code: mini", "code: kiosk-types").split(
    "sections:"
)[0] + textwrap.dedent(
    """\
      services:
        - {code: papers, label: {vi: "Nộp hồ sơ", en: "Handing in papers"}}
        - {code: advice, label: {vi: "Được hướng dẫn", en: "Advice"}}
        - {code: fees, label: {vi: "Nộp phí", en: "Paying fees"}}
        - {code: results, label: {vi: "Nhận kết quả", en: "Collecting results"}}
        - {code: complaint, label: {vi: "Góp ý", en: "Feedback"}}
    sections:
      - code: main
        title: {vi: "Phần chính", en: "Main part"}
        items:
          - {code: services, type: multi_choice, choices: services, max: 3,
             required: true,
             label: {vi: "Ông/Bà đã sử dụng những dịch vụ nào?",
                     en: "Which services did you use?"}}
          - {code: visits, type: number, min_value: 1, max_value: 20, required: true,
             label: {vi: "Ông/Bà đã đến bao nhiêu lần?",
                     en: "How many times did you come?"}}
          - {code: note, type: text, max_length: 20, required: true,
             label: {vi: "Một lời nhắn ngắn", en: "A short note"}}
          - {code: companions, type: number, min_value: 0, max_value: 9,
             label: {vi: "Có bao nhiêu người đi cùng Ông/Bà?",
                     en: "How many people came with you?"}}
          - {code: A1, type: scale, choices: satisfaction5, factor: A, required: true,
             label: {vi: "Ông/Bà hài lòng với chỗ ngồi chờ?",
                     en: "Are you satisfied with the waiting area?"}}
    """
)


def _add_types_wave(folder) -> None:
    """An open round of the small questionnaire at a unit of its own, and a kiosk
    enrolled there."""
    path = folder / "kiosk-types.yaml"
    path.write_text(TYPES_QUESTIONNAIRE, encoding="utf-8")
    questionnaires.sync([path])
    province = unit_by_code("QN")
    unit = make_unit(TYPES_UNIT, "Bộ phận Một cửa thử", UnitLevel.centre, province)
    wave = Wave(
        code="kiosk-types",
        title="Đợt thử các loại câu hỏi",
        questionnaire=questionnaires.latest_version("kiosk-types"),
        starts_on=date(2026, 1, 1),
        status=WaveStatus.open,
        strata_level=UnitLevel.province,
        psu_level=UnitLevel.centre,
    )
    wave.wave_units = [WaveUnit(unit=unit, population=100, target_sample=10)]
    db.session.add(wave)
    enrol_device(TYPES_UNIT, TYPES_TOKEN)


@pytest.fixture(scope="module")
def answers_server(tmp_path_factory):
    """The demo, plus a round of the small questionnaire; both kiosks enrolled."""
    folder = tmp_path_factory.mktemp("kiosk-answers")
    app = demo_app(folder)
    with app.app_context():
        enrol_device()
        _add_types_wave(folder)
        db.session.commit()
    with serving(app) as served:
        yield served


kiosk = kiosk_pages.kiosk


def labels(app, unit: str) -> dict[str, str]:
    """Vietnamese question text by item code, from the unit's questionnaire."""
    with app.app_context():
        target = find_open_target(unit)
        parsed = questionnaires.parsed(target.wave.questionnaire)
        return {item.code: item.label["vi"] for item in parsed.items}


def pressed(page) -> list[str]:
    """aria-pressed of every option on screen, in order."""
    return [
        b.get_attribute("aria-pressed") for b in page.locator(".choices button").all()
    ]


def next_button(page):
    return page.locator(".actions button.primary")


def check_multi_limit(page, app, limit: int, picture=None) -> None:
    """Pick ``limit`` options, see the next one refused, and go on with them;
    ``picture``: where to save the refusal on screen (and in high contrast)."""
    options = page.locator(".choices button")
    for index in range(limit):
        options.nth(index).tap()
    assert pressed(page)[:limit] == ["true"] * limit
    assert set(pressed(page)[limit:]) == {"false"}
    assert next_button(page).is_enabled(), "the maximum goes on"
    extra = options.nth(limit)
    # one over: refused, visibly and for screen readers, and nothing is lost
    assert extra.get_attribute("aria-disabled") == "true"
    extra.tap(force=True)  # a finger does not wait for it to be enabled
    assert extra.get_attribute("aria-pressed") == "false"
    note = page.locator(".choices ~ [role=status]")
    note.wait_for(state="visible")
    assert note.inner_text() == vi(
        app,
        "You have chosen %(n)s, the most allowed. To change, first remove one of them.",
        n=limit,
    )
    assert pressed(page)[:limit] == ["true"] * limit
    if picture:
        assert_accessible(page)
        page.screenshot(path=str(picture))
        page.locator("#k-contrast").tap()
        assert_accessible(page)
        page.screenshot(path=str(picture).replace(".png", "-contrast.png"))
        page.locator("#k-contrast").tap()
    # taking one back frees a place
    options.nth(0).tap()
    assert extra.get_attribute("aria-disabled") is None
    options.nth(0).tap()
    assert next_button(page).is_enabled()


def start(page, served, unit: str, token: str) -> tuple[dict[str, str], int]:
    """Begin a respondent at ``unit``'s kiosk: the questions' text by code and the
    kiosk responses stored so far."""
    url, app = served
    stored_before = kiosk_count(app)
    open_kiosk(page, url, unit, token)
    page.locator(".start-button").tap()
    return labels(app, unit), stored_before


def test_shipped_questionnaire_at_its_limits(answers_server, kiosk, output_dir):
    page, app = kiosk, answers_server[1]
    label, stored_before = start(page, answers_server, UNIT, TOKEN)

    # a required single choice offers no way past it but an answer
    assert page.inner_text("h1") == label["field"]
    assert page.locator(".nav button.skip").count() == 0
    go_on(page, lambda: page.locator(".choices button").last.tap())

    # scales: the lowest, the highest and "not applicable"; a key beyond does nothing
    answer_until(page, label["A1"])
    page.keyboard.press("6")
    assert page.inner_text("h1") == label["A1"]
    assert page.locator(".nav button.skip").count() == 0
    go_on(page, lambda: page.locator('.choices button[data-code="1"]').tap())
    go_on(page, lambda: page.locator('.choices button[data-code="5"]').tap())
    go_on(page, lambda: page.locator('.choices button[data-code="9"]').tap())

    # the multiple choice of at most 3, optional: none picked may go on
    answer_until(page, label["expectations"])
    assert set(pressed(page)) == {"false"}
    assert next_button(page).is_enabled()
    shot = output_dir / f"kiosk-multi-limit-{page.orientation}.png"
    check_multi_limit(page, app, 3, shot)
    go_on(page, lambda: next_button(page).tap())

    # the comment: 1000 characters are taken, a 1001st cannot be typed
    assert page.inner_text("h1") == label["comment"]
    comment = ("Cán bộ nhiệt tình, chu đáo. " * 40)[:1000]
    field = page.locator("#k-text")
    field.fill(comment)
    field.press("End")
    page.keyboard.type("x")
    assert field.input_value() == comment
    assert vi(app, "Characters left: %(n)s", n=0) in page.inner_text(".question-screen")
    page.screenshot(path=str(output_dir / f"kiosk-text-full-{page.orientation}.png"))
    go_on(page, lambda: next_button(page).tap())

    # the respondent questions: skipped to the end
    while screen_type(page) != "thanks":
        go_on(page, lambda: page.locator(".nav button.skip").tap())

    wait_for_sync(page, app, stored_before + 1)
    stored = newest_answers(app)
    assert stored["field"] == ["other"]
    assert (stored["A1"], stored["A2"], stored["A3"]) == (["1"], ["5"], ["9"])
    assert stored["expectations"] == sorted(
        ["information", "simpler_procedures", "shorter_time"]
    )
    assert stored["comment"] == [comment.strip()]
    assert not {"sex", "age_group", "ethnicity", "education", "occupation"} & set(
        stored
    )


def test_required_multi_choice_text_and_numbers(answers_server, kiosk, output_dir):
    page, app = kiosk, answers_server[1]
    label, stored_before = start(page, answers_server, TYPES_UNIT, TYPES_TOKEN)

    # required multiple choice: none picked cannot go on, 3 of 3 can, a 4th is refused
    assert page.inner_text("h1") == label["services"]
    assert set(pressed(page)) == {"false"}
    assert next_button(page).is_disabled()
    assert page.locator(".nav button.skip").count() == 0
    check_multi_limit(page, app, 3)
    go_on(page, lambda: next_button(page).tap())

    # a required number: below the least, above the most and words are refused
    assert page.inner_text("h1") == label["visits"]
    field = page.locator("#k-text")
    refusal = vi(app, "Enter a whole number from %(min)s to %(max)s.", min=1, max=20)
    for wrong in ("0", "21", "ba"):
        field.fill(wrong)
        next_button(page).tap()
        assert page.inner_text("h1") == label["visits"]
        assert page.locator("[role=alert]").inner_text() == refusal
        assert field.get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    page.screenshot(
        path=str(output_dir / f"kiosk-number-refused-{page.orientation}.png")
    )
    field.fill("1")  # the least is taken …
    go_on(page, lambda: next_button(page).tap())
    go_on(page, lambda: page.locator(".nav .back").tap())
    assert field.input_value() == "1"
    field.fill("20")  # … and so is the most
    go_on(page, lambda: next_button(page).tap())

    # a required text of at most 20 characters: empty cannot go on, a 21st is refused
    assert page.inner_text("h1") == label["note"]
    assert next_button(page).is_disabled()
    field.fill("Phục vụ rất tận tình")
    assert len(field.input_value()) == 20
    field.press("End")
    page.keyboard.type("!")
    assert field.input_value() == "Phục vụ rất tận tình"
    go_on(page, lambda: next_button(page).tap())

    # an optional number: skipped
    assert page.inner_text("h1") == label["companions"]
    go_on(page, lambda: page.locator(".nav button.skip").tap())
    answer_one(page, "scale")

    assert screen_type(page) == "thanks"
    wait_for_sync(page, app, stored_before + 1)
    assert newest_answers(app) == {
        "services": sorted(["papers", "advice", "fees"]),
        "visits": ["20"],
        "note": ["Phục vụ rất tận tình"],
        "A1": ["4"],
    }
