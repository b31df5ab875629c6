"""What the kiosk browser tests share: a server with an enrolled device, opening
the kiosk, and answering its screens as a respondent would."""

from __future__ import annotations

import hashlib
import secrets
import time

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import Channel, Response
from sipas.models.devices import Device
from sipas.services.units.lookup import unit_by_code
from tests.e2e.conftest import demo_app, serving, wait_until

UNIT = "QN-HALONG-TT"
TOKEN = secrets.token_urlsafe(32)


def enrol_device(unit_code: str = UNIT, token: str = TOKEN) -> Device:
    """A registered kiosk for the unit with ``token`` (added, not committed)."""
    unit = unit_by_code(unit_code)
    device = Device(
        unit=unit,
        name=f"Kiosk test {secrets.token_hex(3)}",
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    db.session.add(device)
    return device


@pytest.fixture(scope="module")
def kiosk_server(tmp_path_factory):
    """A server of its own: the tests count the kiosk responses it stores."""
    app = demo_app(tmp_path_factory.mktemp("kiosk"))
    with app.app_context():
        enrol_device()
        db.session.commit()
    with serving(app) as served:
        yield served


@pytest.fixture(params=[(1080, 1920), (1920, 1080)], ids=["portrait", "landscape"])
def kiosk(browser, request):
    """A kiosk screen, portrait or landscape, with touch."""
    width, height = request.param
    context = browser.new_context(
        viewport={"width": width, "height": height}, has_touch=True
    )
    page = context.new_page()
    page.orientation = "portrait" if height > width else "landscape"
    yield page
    context.close()


def vi(app, message: str, **values: object) -> str:
    """The Vietnamese interface text of ``message``."""
    with app.test_request_context(), force_locale("vi"):
        return _(message, **values)


def kiosk_count(app) -> int:
    """Kiosk responses the server has stored, whatever their status."""
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(Response.id)).filter_by(channel=Channel.kiosk)
        )


def newest_answers(app) -> dict[str, list[str]]:
    """The stored answers of the newest kiosk response, values sorted per item."""
    with app.app_context():
        response = db.session.scalar(
            sa.select(Response)
            .filter_by(channel=Channel.kiosk)
            .order_by(Response.id.desc())
            .limit(1)
        )
        assert not (response.status_reason or "").startswith("invalid"), (
            response.status_reason
        )
        stored: dict[str, list[str]] = {}
        for answer in response.answers:
            stored.setdefault(answer.item_code, []).append(answer.value)
        return {code: sorted(values) for code, values in stored.items()}


def unsent(page) -> int:
    """Finished questionnaires still in the kiosk's IndexedDB outbox."""
    return page.evaluate("window.sipasKiosk.outboxAll().then(r => r.length)")


def open_kiosk(page, url: str, unit: str = UNIT, token: str | None = TOKEN) -> None:
    """Open the kiosk of ``unit`` (through its enrolment link when ``token`` is
    given) and wait for its first screen."""
    if token:
        page.goto(f"{url}/kiosk/{unit}/enrol#token={token}")
    else:
        page.goto(f"{url}/kiosk/{unit}")
    page.wait_for_selector("html[data-screen]")


def screen_type(page) -> str:
    """'start', 'thanks', 'blocked' or the type of the question on screen."""
    page.wait_for_selector(".screen")
    for name in ("thanks", "start", "blocked"):
        if page.locator(f".screen.{name}").count():
            return name
    return page.get_attribute(".question-screen", "data-type")


def answer_one(page, kind: str, *, tap: bool = True) -> None:
    """Answer the question on screen as a respondent would."""
    act = (lambda loc: loc.tap()) if tap else (lambda loc: loc.click())
    if kind == "scale":
        act(page.locator('.choices button[data-code="4"]'))
    elif kind == "single_choice":
        act(page.locator(".choices button").first)
    elif kind == "multi_choice":
        act(page.locator(".choices button").first)
        act(page.locator(".actions button.primary"))
    else:
        act(page.locator(".actions button.primary"))  # empty text: go on


def wait_for_next(page, progress: str) -> None:
    """Wait until another question than the one ``progress`` named is on screen."""
    wait_until(
        page,
        "b => { const p = document.querySelector('#k-progress');"
        " return !p || p.textContent !== b; }",
        progress,
    )


def go_on(page, act) -> None:
    """Run ``act`` (a tap that leaves the question) and wait for the next screen."""
    before = page.inner_text("#k-progress")
    act()
    wait_for_next(page, before)


def start_one(page, *, tap: bool = True) -> None:
    """Tap the start button and wait for the first question."""
    start = page.locator(".start-button")
    start.tap() if tap else start.click()
    page.locator("#k-progress").wait_for()


def complete_one(page, *, tap: bool = True, started: bool = False) -> int:
    """From the start screen (or, ``started``, the first question) to the
    thank-you; the number of questions asked."""
    if not started:
        start_one(page, tap=tap)
    asked = 0
    while (kind := screen_type(page)) != "thanks":
        go_on(page, lambda kind=kind: answer_one(page, kind, tap=tap))
        asked += 1
    return asked


def answer_until(page, label: str) -> None:
    """Answer question after question until the one asking ``label`` is on screen."""
    while page.inner_text("h1") != label:
        kind = screen_type(page)
        assert kind not in ("thanks", "start"), f"«{label}» never came"
        go_on(page, lambda kind=kind: answer_one(page, kind))


def wait_for_sync(page, app, expected: int, seconds: float = 20) -> None:
    """Wait until the server holds ``expected`` kiosk responses and the outbox is
    empty."""
    deadline = time.monotonic() + seconds
    while kiosk_count(app) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    while unsent(page) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (kiosk_count(app), unsent(page)) == (expected, 0)
