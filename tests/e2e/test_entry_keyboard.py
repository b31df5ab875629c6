"""Paper entry in a real browser, keyboard only: surveyor 1 types a form, surveyor 2
types it again with one difference, an administrator settles it against the paper,
and the form counts once in the wave's statistics."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Channel, PaperEntry, Response, Role
from sipas.questionnaire.entry_keys import decode
from sipas.questionnaire.serials import form_code, format_serial
from sipas.services import accounts, synthetic
from sipas.services.questionnaires import parsed
from sipas.services.results import sums
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from sipas.stats.indices import Options
from tests.conftest import STAFF_PASSWORD
from tests.e2e.conftest import assert_accessible, demo_app, serving, wait_until
from tests.e2e.typist import key_plan, log_in, type_form
from tests.entry_helpers import issue, typed_form

pytestmark = pytest.mark.e2e

UNIT = "QN-HALONG-TT"


@pytest.fixture(scope="module")
def entry_server(tmp_path_factory):
    """A server of its own (other tests count responses): the demo data, 60 web
    responses, forms 1–3 issued to the centre, two surveyors of the centre and one
    of the province."""
    app = demo_app(tmp_path_factory.mktemp("entry"))
    with app.app_context():
        wave = wave_by_code("demo")
        synthetic.add_demo_responses(wave, 60, seed=5)
        unit = unit_by_code(UNIT)
        issue(wave, unit, 1, 2, 3)
        for name in ("typist-1", "typist-2"):
            accounts.create_user(name, STAFF_PASSWORD, Role.surveyor, unit=unit)
        # a surveyor of the whole province: several units to choose from
        province = unit_by_code("QN")
        accounts.create_user("typist-3", STAFF_PASSWORD, Role.surveyor, unit=province)
        db.session.commit()
    with serving(app) as served:
        yield served


@pytest.fixture
def desk(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _rows(app) -> int:
    with app.app_context():
        wave = wave_by_code("demo")
        return sums.wave_analysis(wave, Options()).n_rows


def _plan(app, **changes: str):
    with app.app_context():
        wave = wave_by_code("demo")
        questionnaire = parsed(wave.questionnaire)
        answers = decode(questionnaire, typed_form(wave, **changes)).answers
        return key_plan(questionnaire, answers)


def _enter_form(
    page, url: str, plan, check_accessibility: bool = False, shot=None
) -> None:
    page.goto(f"{url}/entry/?wave=demo&unit={UNIT}")
    # the page puts the focus in the serial box; keys typed before would be lost
    wait_until(page, "() => document.activeElement.name === 'serial'")
    serial = format_serial(1)
    if check_accessibility:  # the first typist also mistypes the check digit once
        # the serial box has the focus; a wrong check digit is refused at once
        wrong = serial[:-1] + str((int(serial[-1]) + 1) % 10)
        page.keyboard.type(wrong)
        wait_until(page, "() => document.querySelector('#serial-status').textContent")
        assert "/form" not in page.url
        page.keyboard.press("Control+A")
    page.keyboard.type(serial)
    page.wait_for_url("**/form?serial=*")
    # autofocus is applied at the next rendering, which may follow the load event
    wait_until(page, "() => document.activeElement.id === 'k-field'")
    if check_accessibility:
        assert_accessible(page)
    type_form(page, plan)
    if shot is not None:  # the review screen, for people to look at
        page.screenshot(path=str(shot), full_page=True)
    page.wait_for_url("**/form")  # the review, after the last key
    wait_until(page, "() => document.activeElement.value === 'save'")
    if check_accessibility:
        assert_accessible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/entry/?wave=demo*")


def test_double_entry_and_settlement_with_the_keyboard(
    entry_server, browser, desk, output_dir
):
    url, app = entry_server
    before = _rows(app)

    log_in(desk, url, "typist-1", STAFF_PASSWORD)
    _enter_form(
        desk,
        url,
        _plan(app),
        check_accessibility=True,
        shot=output_dir / "entry-review.png",
    )
    assert _rows(app) == before  # one entry does not count yet

    second = browser.new_context().new_page()
    log_in(second, url, "typist-2", STAFF_PASSWORD)
    _enter_form(second, url, _plan(app, overall="5"))
    assert "000001-" in second.locator(".flash").inner_text()
    second.context.close()
    assert _rows(app) == before

    admin = browser.new_context().new_page()
    log_in(admin, url, "admin", "admin-test-password")
    admin.goto(f"{url}/entry/review")
    link = admin.get_by_role("link", name=format_serial(1))
    link.focus()
    admin.keyboard.press("Enter")
    admin.wait_for_url("**/entry/review/demo/1")
    assert admin.locator("tr.differs").count() == 1
    admin.screenshot(path=str(output_dir / "entry-settle.png"), full_page=True)
    admin.locator('input[name="choice_overall"][value="second"]').focus()
    admin.keyboard.press("Space")
    admin.locator("form button[type=submit]").last.focus()
    admin.keyboard.press("Enter")
    admin.wait_for_url("**/entry/review")
    admin.context.close()

    assert _rows(app) == before + 1
    with app.app_context():
        (response,) = db.session.scalars(
            sa.select(Response).where(
                Response.channel == Channel.paper, Response.paper_serial.is_not(None)
            )
        ).all()
        assert {a.value for a in response.answers if a.item_code == "overall"} == {"5"}
        entries = db.session.scalars(sa.select(PaperEntry).order_by(PaperEntry.round))
        typed = [(e.round, e.entered_by.username, e.keystrokes) for e in entries]
    assert [(r, name) for r, name, _keys in typed] == [
        (1, "typist-1"),
        (2, "typist-2"),
        (3, "admin"),
    ]
    assert typed[0][2] >= len(_plan(app))


def _wait_for_answer_page(page, serial: int) -> None:
    page.wait_for_url(f"**/entry/demo/{UNIT}/form?serial={format_serial(serial)}")
    wait_until(page, "() => document.activeElement.id === 'k-field'")


def test_a_barcode_scanner_opens_the_form_before_anything_is_chosen(
    entry_server, desk, output_dir
):
    """A surveyor of several units scans form 2: the scanner types the printed code
    and Enter into /entry/, which opens that form of that unit at once."""
    url, _app = entry_server
    log_in(desk, url, "typist-3", STAFF_PASSWORD)
    desk.wait_for_url("**/entry/")
    assert desk.locator(".entry-choose").is_visible()  # units to choose from …
    wait_until(desk, "() => document.activeElement.name === 'serial'")
    assert_accessible(desk)
    desk.screenshot(path=str(output_dir / "entry-index-province.png"), full_page=True)
    # … but the code printed on the form names its round and unit
    desk.keyboard.type(form_code("demo", UNIT, 2))
    desk.keyboard.press("Enter")
    _wait_for_answer_page(desk, 2)


def test_a_scan_into_the_serial_box_of_a_chosen_unit_is_not_cut_short(
    entry_server, desk
):
    """The serial box of a chosen unit checks typed serials as they come; a scanned
    code must arrive whole (it used to be cut at 12 characters and overwritten)."""
    url, _app = entry_server
    log_in(desk, url, "typist-3", STAFF_PASSWORD)
    desk.goto(f"{url}/entry/?wave=demo&unit={UNIT}")
    wait_until(desk, "() => document.activeElement.name === 'serial'")
    desk.keyboard.type(form_code("demo", UNIT, 3))
    desk.keyboard.press("Enter")
    _wait_for_answer_page(desk, 3)


def test_one_round_and_one_unit_start_at_the_serial_box(entry_server, desk, output_dir):
    """A surveyor of one centre in one open round has nothing to choose: after the
    login the cursor is in the serial box, and the serial opens the form."""
    url, _app = entry_server
    log_in(desk, url, "typist-2", STAFF_PASSWORD)
    desk.wait_for_url("**/entry/")
    assert desk.locator(".entry-choose").count() == 0
    wait_until(desk, "() => document.activeElement.name === 'serial'")
    desk.screenshot(path=str(output_dir / "entry-index-one-unit.png"), full_page=True)
    desk.keyboard.type(format_serial(3))
    _wait_for_answer_page(desk, 3)
