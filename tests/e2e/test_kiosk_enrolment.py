"""A kiosk that may not send what it is given says so before the first question
and takes no answers: opened without its token, enrolled for another unit, or
refused by the server (revoked). Answers already finished stay in its outbox
until it is enrolled again, and the screen says that instead of pretending."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Device, Unit
from sipas.services.responses import devices
from tests.e2e import kiosk_pages
from tests.e2e.conftest import assert_accessible
from tests.e2e.kiosk_pages import (
    UNIT,
    complete_one,
    enrol_device,
    kiosk_count,
    open_kiosk,
    screen_type,
    start_one,
    unsent,
    vi,
    wait_for_sync,
)

kiosk_server = kiosk_pages.kiosk_server
kiosk = kiosk_pages.kiosk
OTHER_UNIT = "QN-TIENYEN-TT"


def blocked_screen(page, reason: str, kept: int = 0) -> str:
    """Wait for the screen saying why the kiosk takes no answers, and for the
    count of the ``kept`` questionnaires it fills in once the outbox is read;
    its text."""
    page.locator(f".screen.blocked[data-reason={reason}]").wait_for(timeout=10000)
    if kept:
        page.locator("#k-kept").filter(has_text=str(kept)).wait_for(timeout=10000)
    assert page.locator(".start-button").count() == 0
    assert page.locator(".choices button").count() == 0
    return page.inner_text(".screen.blocked")


def staff_hint(app) -> str:
    """How staff enrol a kiosk, naming the back office's menu as it is."""
    path = " → ".join(vi(app, label) for label in ("Back office", "Rounds", "Kiosks"))
    return vi(
        app,
        "For staff: in %(path)s, register this kiosk (or issue it a new token), "
        "then open the enrolment link on this device.",
        path=path,
    )


def kept(app, n: int) -> str:
    return vi(
        app,
        "Finished questionnaires kept on this device: %(n)s. They will be sent "
        "once the kiosk is enrolled again.",
        n=n,
    )


def new_device(app) -> tuple[int, str]:
    """Another kiosk of the unit: its id and token."""
    token = secrets.token_urlsafe(32)
    with app.app_context():
        device = enrol_device(UNIT, token)
        db.session.commit()
        return device.id, token


def revoke(app, device_id: int) -> None:
    with app.app_context():
        devices.revoke_device(db.session.get(Device, device_id), None)
        db.session.commit()


def test_a_kiosk_without_its_token_says_so_and_takes_nothing(
    kiosk_server, kiosk, output_dir
):
    url, app = kiosk_server
    page = kiosk
    before = kiosk_count(app)
    open_kiosk(page, url, token=None)  # the kiosk's address, never enrolled
    text = blocked_screen(page, "not_set_up")
    assert page.inner_text("h1") == vi(app, "This kiosk is not set up")
    assert (
        vi(app, "It cannot take answers yet. Please tell the staff at the desk.")
        in text
    )
    assert staff_hint(app) in text
    assert_accessible(page)
    page.screenshot(path=str(output_dir / f"kiosk-not-set-up-{page.orientation}.png"))
    page.locator("main").tap()
    assert screen_type(page) == "blocked"
    # in English too, for the respondent who switched
    page.locator("#k-langs button[data-lang=en]").tap()
    assert page.inner_text("h1") == "This kiosk is not set up"
    assert unsent(page) == 0
    assert kiosk_count(app) == before


def test_a_kiosk_enrolled_for_another_unit_says_so(kiosk_server, kiosk, output_dir):
    url, app = kiosk_server
    page = kiosk
    open_kiosk(page, url)  # enrolled for UNIT …
    page.goto(f"{url}/kiosk/{OTHER_UNIT}")  # … and opened at another's address
    text = blocked_screen(page, "other_unit")
    with app.app_context():
        enrolled_for = db.session.scalar(sa.select(Unit.name).filter_by(code=UNIT))
    assert (
        vi(
            app,
            "It is enrolled for %(unit)s and takes no answers here. Please tell the "
            "staff at the desk.",
            unit=enrolled_for,
        )
        in text
    )
    assert staff_hint(app) in text
    page.screenshot(path=str(output_dir / f"kiosk-other-unit-{page.orientation}.png"))


def test_a_revoked_kiosk_keeps_its_outbox_until_enrolled_again(
    kiosk_server, kiosk, output_dir
):
    url, app = kiosk_server
    page = kiosk
    device_id, token = new_device(app)
    before = kiosk_count(app)
    open_kiosk(page, url, token=token)
    page.context.set_offline(True)
    complete_one(page)
    assert unsent(page) == 1
    # revoked while the kiosk was offline: back online, it asks and stops
    revoke(app, device_id)
    page.locator(".screen.thanks button").tap()
    page.context.set_offline(False)
    text = blocked_screen(page, "revoked", kept=1)
    assert page.inner_text("h1") == vi(app, "This kiosk is no longer registered")
    assert kept(app, 1) in text
    assert staff_hint(app) in text
    assert_accessible(page)
    page.screenshot(path=str(output_dir / f"kiosk-revoked-{page.orientation}.png"))
    assert (unsent(page), kiosk_count(app)) == (1, before)
    # a reload does not forget it
    page.reload()
    assert kept(app, 1) in blocked_screen(page, "revoked", kept=1)
    assert unsent(page) == 1
    # enrolled again with a new token: the kept questionnaire is sent
    with app.app_context():
        token = devices.reissue_token(db.session.get(Device, device_id), None)
        db.session.commit()
    open_kiosk(page, url, token=token)
    page.locator(".start-button").wait_for()
    wait_for_sync(page, app, before + 1)


def test_a_kiosk_revoked_during_a_respondent_tells_the_truth(
    kiosk_server, kiosk, output_dir
):
    url, app = kiosk_server
    page = kiosk
    device_id, token = new_device(app)
    page.clock.install()  # the thank-you's eight seconds on a clock the test moves
    open_kiosk(page, url, token=token)
    start_one(page)
    # revoked once the respondent has begun (before, the kiosk's first check may
    # see it and rightly refuse to start): the kiosk does not know yet
    revoke(app, device_id)
    complete_one(page, started=True)
    # the sync is refused: the thank-you says where the answers are, and no one
    # else is invited to start
    honest = vi(
        app,
        "Your answers are kept on this kiosk and will be sent once it is enrolled "
        "again.",
    )
    page.get_by_text(honest).wait_for(timeout=10000)
    assert page.locator(".screen.thanks button").count() == 0
    assert_accessible(page)
    page.screenshot(path=str(output_dir / f"kiosk-thanks-kept-{page.orientation}.png"))
    page.clock.run_for(8500)
    blocked_screen(page, "revoked")
    assert unsent(page) == 1
