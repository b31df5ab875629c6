"""Pages of every audience open without a single error in the browser's console:
no script error, no missing file, and no complaint about a header (Chromium
reports an unknown Permissions-Policy feature as a warning reading "Error with
Permissions-Policy header"), so warnings count too."""

from __future__ import annotations

from tests.e2e import kiosk_pages
from tests.e2e.kiosk_pages import TOKEN, UNIT, vi

kiosk_server = kiosk_pages.kiosk_server


def test_no_page_logs_a_console_error(kiosk_server, browser):
    url, app = kiosk_server
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    context.on(
        "console",
        lambda message: (
            message.type in ("error", "warning")
            and errors.append(f"{message.location.get('url')}: {message.text}")
        ),
    )
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.goto(f"{url}/s/{UNIT}")  # the phone questionnaire's first step
    page.goto(f"{url}/kiosk/{UNIT}/enrol#token={TOKEN}")
    page.locator(".start-button").wait_for()
    page.locator(".start-button").click()
    page.locator(".question-screen").wait_for()
    page.goto(f"{url}/auth/login")
    page.get_by_label(vi(app, "Username")).fill("admin")
    page.get_by_label(vi(app, "Password")).fill("admin-test-password")
    page.get_by_role("button", name=vi(app, "Log in")).click()
    page.wait_for_url(f"{url}/admin/")
    page.goto(f"{url}/admin/devices")
    page.wait_for_load_state("networkidle")
    context.close()
    assert errors == []
