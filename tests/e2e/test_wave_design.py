"""A provincial official in a real browser: a new survey round whose design is chosen
in words and whose margins are typed in a grid, the back office's grouped menu, and
kiosk registration offering only the units that collect."""

from __future__ import annotations

import pytest

from sipas.models import UnitLevel
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import assert_accessible, demo_app, serving
from tests.e2e.test_back_office import vi

pytestmark = pytest.mark.e2e

SIZES = [(1366, 768), (360, 740)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: the test creates rounds."""
    with serving(demo_app(tmp_path_factory.mktemp("wave-design"))) as served:
        yield served


@pytest.fixture(params=SIZES, ids=["desktop", "phone"])
def window(browser, request):
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    yield context.new_page()
    context.close()


def _devices_page(server, window) -> tuple[object, object, int]:
    """The kiosks page in ``window`` after logging in: (page, app, width)."""
    url, app = server
    _log_in(window, url, app)
    window.goto(f"{url}/admin/devices")
    return window, app, window.viewport_size["width"]


def _log_in(page, url, app) -> None:
    page.goto(f"{url}/auth/login")
    page.get_by_label(vi(app, "Username")).fill("admin")
    page.get_by_label(vi(app, "Password")).fill("admin-test-password")
    page.get_by_role("button", name=vi(app, "Log in")).click()
    page.wait_for_url(f"{url}/admin/")


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_a_round_with_a_design_in_words_and_margins_in_a_grid(
    server, window, output_dir
):
    url, app = server
    page = window
    width = page.viewport_size["width"]
    code = f"2027-{width}"
    _log_in(page, url, app)
    page.goto(f"{url}/admin/waves/new")
    page.get_by_label(vi(app, "Code"), exact=True).fill(code)
    page.get_by_label(vi(app, "Title"), exact=True).fill("Khảo sát năm 2027")
    page.get_by_label(vi(app, "Units below")).select_option(
        label="QN · Tỉnh Quảng Ninh"
    )
    # the choice in words; with the script, the technical settings follow it
    page.get_by_label(vi(app, "Choose communes first, then people there")).check()
    page.get_by_text(vi(app, "Technical settings (for statisticians)")).click()
    strata = page.get_by_label(vi(app, "Strata: units of level"))
    assert strata.input_value() == "province"
    assert (
        page.get_by_label(
            vi(app, "Primary sampling units: units of level")
        ).input_value()
        == "commune"
    )
    # the margins: one question unfolded, a number per answer, a running total
    page.locator('details[data-margin="sex"] > summary').click()
    for answer, number in (("Nam", "4.900"), ("Nữ", "5100"), ("Khác", "0")):
        page.locator('details[data-margin="sex"]').get_by_label(
            answer, exact=True
        ).fill(number)
    total = page.locator('details[data-margin="sex"] .margin-total')
    assert total.inner_text() == f"{vi(app, 'Total')}: 10.000"
    # a wrong cell is refused with its message next to it
    page.locator('details[data-margin="age_group"] > summary').click()
    page.locator("#margin-age_group-18_25").fill("nhiều")
    page.get_by_role("button", name=vi(app, "Create survey round")).click()
    page.wait_for_load_state()
    error = page.locator("#margin-age_group-18_25-error")
    assert error.is_visible()
    assert page.locator("#margin-age_group-18_25").get_attribute("aria-invalid")
    assert page.locator("#margin-sex-male").input_value() == "4.900"
    assert_accessible(page)
    _no_sideways_scroll(page)
    page.screenshot(
        path=str(output_dir / f"wave-new-errors-{width}.png"), full_page=True
    )
    age = page.locator('details[data-margin="age_group"]')
    age.get_by_role("button").click()  # empties the question: no margin
    assert {cell.input_value() for cell in age.locator("input").all()} == {""}
    page.get_by_role("button", name=vi(app, "Create survey round")).click()
    page.wait_for_url(f"{url}/admin/waves/{code}")
    with app.app_context():
        wave = wave_by_code(code)
        assert (wave.strata_level, wave.psu_level) == (
            UnitLevel.province,
            UnitLevel.commune,
        )
        assert wave.weighting.value == "unit_population"
        assert wave.calibration_margins == {
            "method": "poststratify",
            "margins": [
                {
                    "columns": ["sex"],
                    "population": {"male": 4900, "female": 5100, "other": 0},
                }
            ],
        }
    design = page.locator("[data-design]")
    assert vi(app, "Choose communes first, then people there") in design.inner_text()
    assert "Nam 4.900" in page.locator("[data-margins]").inner_text()
    page.screenshot(path=str(output_dir / f"wave-page-{width}.png"), full_page=True)

    # the new-round form as an official first meets it
    page.goto(f"{url}/admin/waves/new")
    page.locator('details[data-margin="sex"] > summary').click()
    assert_accessible(page)
    _no_sideways_scroll(page)
    page.screenshot(path=str(output_dir / f"wave-new-{width}.png"), full_page=True)
    # the edit form shows the stored margins in the grid, and an expert's override
    page.goto(f"{url}/admin/waves/{code}/edit")
    assert page.locator("#margin-sex-female").input_value() == "5100"
    page.get_by_text(vi(app, "Technical settings (for statisticians)")).click()
    page.get_by_label(vi(app, "Weighting")).select_option("none")
    custom = page.get_by_label(
        vi(app, "Another design (set the technical settings below)")
    )
    assert custom.is_checked()
    page.get_by_role("button", name=vi(app, "Save")).click()
    page.wait_for_url(f"{url}/admin/waves/{code}")
    with app.app_context():
        wave = wave_by_code(code)
        assert (wave.psu_level, wave.weighting.value) == (UnitLevel.commune, "none")


def test_the_menu_has_five_groups_in_one_row_and_tabs(server, window, output_dir):
    page, app, width = _devices_page(server, window)
    menu = page.get_by_role("navigation", name=vi(app, "Back office"))
    links = menu.get_by_role("link")
    assert links.count() == 5
    tops = {round(box["y"]) for box in (link.bounding_box() for link in links.all())}
    if width >= 1366:
        assert len(tops) == 1, tops  # one row on a desk
    current = menu.locator('[aria-current="true"]')
    assert current.inner_text() == vi(app, "Rounds")
    tabs = page.get_by_role("navigation", name=vi(app, "Rounds"))
    assert tabs.locator('[aria-current="page"]').inner_text() == vi(app, "Kiosks")
    # from the keyboard: the skip link, the brand, then the first group
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == vi(app, "Results")
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(output_dir / f"menu-{width}.png"))


def test_kiosk_registration_offers_only_collecting_units(server, window, output_dir):
    page, app, width = _devices_page(server, window)
    select = page.get_by_label(vi(app, "Unit"), exact=True)
    disabled = select.locator("option[disabled]")
    assert "QN-HALONG — Phường Hạ Long" in disabled.all_inner_texts()
    enabled = select.locator("option:not([disabled])").all_inner_texts()
    assert len(enabled) == 5
    assert all(text.split(" — ")[0].endswith(("-TT", "TTHCC")) for text in enabled)
    assert_accessible(page)
    _no_sideways_scroll(page)
    page.screenshot(
        path=str(output_dir / f"kiosk-register-{width}.png"), full_page=True
    )


@pytest.mark.parametrize("size", [(1080, 1920), (1920, 1080)], ids=["portrait", "wide"])
def test_a_kiosk_without_a_round_names_units_it_could_serve(
    server, browser, output_dir, size
):
    url, app = server
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.goto(f"{url}/kiosk/QN-HALONG")
    page.get_by_role("link", name="Trung tâm").first.click()
    page.wait_for_url(f"{url}/kiosk/QN-HALONG-TT")
    page.go_back()
    assert page.locator(".kiosk-instead li").count() == 1
    assert_accessible(page)
    page.screenshot(path=str(output_dir / f"kiosk-instead-{size[0]}x{size[1]}.png"))
    context.close()
