"""The published results in a real browser: an administrator publishes a closed
round through its confirmation page; an anonymous visitor then reads the round's
and a unit's public page on a desktop and a phone (no horizontal scroll, axe
clean) and gets "page not found" before publication and after unpublishing."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import WaveStatus
from sipas.services import synthetic
from sipas.services.waves.admin import change_status
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import assert_accessible, demo_app, serving
from tests.e2e.typist import log_in

pytestmark = pytest.mark.e2e

UNIT = "QN-HALONG-TT"
SIZES = {"desktop": (1366, 768), "phone": (360, 740)}


@pytest.fixture(scope="module")
def closed_round(tmp_path_factory):
    """A server of its own with the demo round, 3 000 responses, closed."""
    app = demo_app(tmp_path_factory.mktemp("published"))
    with app.app_context():
        wave = wave_by_code("demo")
        synthetic.add_demo_responses(wave, 3000, seed=21)
        change_status(wave, WaveStatus.closed, None)
        db.session.commit()
    with serving(app) as served:
        yield served


def vi(app, message: str, **values) -> str:
    with app.test_request_context(), force_locale("vi"):
        return _(message, **values)


def anonymous_status(browser, url: str) -> int:
    context = browser.new_context()
    try:
        return context.new_page().goto(url).status
    finally:
        context.close()


def read_as_citizen(browser, url: str, name: str, output_dir) -> None:
    """The page at both sizes: no horizontal scroll, axe clean, a screenshot."""
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        response = page.goto(url)
        assert response.status == 200
        assert "set-cookie" not in response.headers
        assert "public" in response.headers["cache-control"]
        scroll = page.evaluate(
            "() => document.documentElement.scrollWidth"
            " - document.documentElement.clientWidth"
        )
        assert scroll <= 0, f"{name} scrolls sideways by {scroll}px at {size}"
        assert_accessible(page)
        page.screenshot(path=str(output_dir / f"public-{name}-{size}.png"))
        page.screenshot(
            path=str(output_dir / f"public-{name}-{size}-full.png"), full_page=True
        )
        context.close()


def test_publish_read_anonymously_unpublish(browser, closed_round, output_dir):
    url, app = closed_round
    public = f"{url}/ket-qua/demo"
    assert anonymous_status(browser, public) == 404
    assert anonymous_status(browser, f"{public}/{UNIT}") == 404

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    admin = context.new_page()
    log_in(admin, url, "admin", "admin-test-password")
    admin.goto(f"{url}/admin/waves/demo")
    admin.get_by_role("link", name=vi(app, "Publish the results…")).click()
    assert_accessible(admin)
    admin.screenshot(path=str(output_dir / "admin-publish-confirm.png"))
    admin.get_by_role("button", name=vi(app, "Publish the results")).click()
    admin.wait_for_url(f"{url}/admin/waves/demo#publication")
    assert_accessible(admin)
    admin.locator("#publication").screenshot(
        path=str(output_dir / "admin-wave-publication.png")
    )

    read_as_citizen(browser, f"{url}/ket-qua", "list", output_dir)
    read_as_citizen(browser, public, "round", output_dir)
    read_as_citizen(browser, f"{public}/{UNIT}", "unit", output_dir)
    landing = browser.new_page()
    landing.goto(url)
    landing.get_by_role("link", name=vi(app, "Published survey results")).click()
    landing.get_by_role("link", name=wave_title(app)).click()
    assert landing.url == public
    landing.close()

    admin.get_by_role("link", name=vi(app, "Unpublish the results")).click()
    admin.get_by_label(vi(app, "Reason")).fill("Cần rà soát số liệu một trung tâm")
    assert_accessible(admin)
    admin.get_by_role("button", name=vi(app, "Unpublish the results")).click()
    admin.wait_for_url(f"{url}/admin/waves/demo#publication")
    context.close()
    assert anonymous_status(browser, public) == 404
    assert anonymous_status(browser, f"{public}/{UNIT}") == 404


def wave_title(app) -> str:
    with app.app_context():
        return wave_by_code("demo").title
