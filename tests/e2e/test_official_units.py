"""An administrator loads Quảng Ninh's official units in a real browser: choose the
province, preview, confirm; on a desk and on a phone, axe clean at each step."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.models import UnitLevel
from sipas.services.units.lookup import unit_by_code, unit_by_official_code
from tests.e2e.conftest import assert_accessible, demo_app, serving

pytestmark = pytest.mark.e2e


def vi(app, message: str, **values: str) -> str:
    """The Vietnamese interface text of ``message``."""
    with app.test_request_context(), force_locale("vi"):
        return _(message, **values)


def test_admin_previews_then_loads_a_province(window, output_dir, tmp_path):
    app = demo_app(tmp_path)
    page = window
    width = page.viewport_size["width"]
    with serving(app) as (url, _app):
        page.goto(f"{url}/auth/login")
        page.get_by_label(vi(app, "Username")).fill("admin")
        page.get_by_label(vi(app, "Password")).fill("admin-test-password")
        page.get_by_role("button", name=vi(app, "Log in")).click()
        page.wait_for_url(f"{url}/admin/")
        page.goto(f"{url}/admin/units")
        title = vi(app, "Load the official list of administrative units")
        page.get_by_role("link", name=title).click()
        page.wait_for_url(f"{url}/admin/units/official")
        assert_accessible(page)
        page.get_by_label(vi(app, "Province or city"), exact=True).select_option("22")
        page.get_by_label(vi(app, "With the units before 1/7/2025")).check()
        page.screenshot(path=str(output_dir / f"admin-units-official-{width}.png"))
        page.get_by_role("button", name=vi(app, "Preview the changes")).click()
        page.wait_for_load_state()
        heading = vi(
            app, "What will change in %(province)s", province="Tỉnh Quảng Ninh"
        )
        assert page.get_by_role("heading", name=heading).is_visible()
        assert_accessible(page)
        preview = output_dir / f"admin-units-official-preview-{width}.png"
        page.screenshot(path=str(preview), full_page=True)
        with app.app_context():
            assert unit_by_official_code("06652", UnitLevel.commune) is None
        load = vi(app, "Load %(province)s", province="Tỉnh Quảng Ninh")
        page.get_by_role("button", name=load).click()
        page.wait_for_load_state()
        assert "Tỉnh Quảng Ninh" in page.inner_text(".flash")
        assert_accessible(page)
        page.screenshot(
            path=str(output_dir / f"admin-units-official-done-{width}.png"),
            full_page=True,
        )
        with app.app_context():
            assert unit_by_official_code("06652", UnitLevel.commune).name == (
                "Phường Hà Tu"
            )
            assert unit_by_code("X06688-cu").successor.code == "QN-HALONG"
