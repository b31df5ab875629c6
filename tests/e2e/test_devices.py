"""Revoking a kiosk in a real browser: a confirmation page first, reached and
answered with the keyboard, with and without JavaScript; pictured at desk and
phone size."""

from __future__ import annotations

import pytest

from sipas.extensions import db
from sipas.models import Device
from sipas.services.responses import devices
from sipas.services.units.lookup import unit_by_code
from tests.e2e import kiosk_pages
from tests.e2e.conftest import assert_accessible
from tests.e2e.kiosk_pages import UNIT, vi

kiosk_server = kiosk_pages.kiosk_server
SIZES = {"desk": (1366, 768), "phone": (360, 740)}


def register(app, name: str) -> int:
    with app.app_context():
        unit = unit_by_code(UNIT)
        device, _token = devices.create_device(unit, name, None)
        db.session.commit()
        return device.id


def is_active(app, device_id: int) -> bool:
    with app.app_context():
        return db.session.get(Device, device_id).is_active


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def admin(browser, kiosk_server, request):
    """An administrator's browser, logged in; JavaScript on, then off."""
    url, app = kiosk_server
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, java_script_enabled=request.param
    )
    page = context.new_page()
    page.javascript = request.param
    page.goto(f"{url}/auth/login")
    page.get_by_label(vi(app, "Username")).fill("admin")
    page.get_by_label(vi(app, "Password")).fill("admin-test-password")
    page.get_by_label(vi(app, "Password")).press("Enter")
    page.wait_for_url(f"{url}/admin/")
    yield page
    context.close()


def focus_by_tab(page, name: str) -> None:
    """Press Tab until the focused element's accessible text is ``name``."""
    for _press in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"«{name}» is not reachable with Tab")


def picture_both_sizes(page, output_dir, name: str) -> None:
    """Screenshots at both sizes; the page never scrolls sideways (a wide table
    scrolls in its own box)."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate("document.documentElement.scrollWidth") == width
        page.screenshot(path=str(output_dir / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def test_revoking_asks_first_by_keyboard_with_or_without_javascript(
    kiosk_server, admin, output_dir
):
    url, app = kiosk_server
    page = admin
    name = f"Quầy 1 tầng trệt ({'JS' if page.javascript else 'no JS'})"
    device_id = register(app, name)
    page.goto(f"{url}/admin/devices")
    if page.javascript:  # axe needs it
        assert_accessible(page)
        picture_both_sizes(page, output_dir, "admin-devices")
    revoke_label = f"{vi(app, 'Revoke')} {name}"

    # Cancel goes back and changes nothing
    focus_by_tab(page, revoke_label)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/devices/{device_id}/revoke")
    question = vi(app, "Revoke kiosk %(name)s?", name=name)
    assert page.get_by_role("heading", level=1).inner_text() == question
    if page.javascript:
        assert_accessible(page)
        picture_both_sizes(page, output_dir, "admin-devices-revoke")
    focus_by_tab(page, vi(app, "Cancel, keep it"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/devices")
    assert is_active(app, device_id)

    # the confirmation's button revokes
    focus_by_tab(page, revoke_label)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/devices/{device_id}/revoke")
    focus_by_tab(page, vi(app, "Revoke kiosk %(name)s", name=name))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/admin/devices")
    assert page.get_by_role("status").inner_text() == vi(
        app, "Kiosk %(name)s revoked.", name=name
    )
    assert not is_active(app, device_id)
    row = page.get_by_role("row").filter(has_text=name)
    assert vi(app, "Revoked") in row.inner_text()
    assert row.get_by_role("link", name=revoke_label).count() == 0
