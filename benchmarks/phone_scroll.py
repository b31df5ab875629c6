"""How far a citizen scrolls through the whole phone questionnaire at 360×740.

A headless Chromium (Debian's) answers every step of /s/<unit> in each language and
adds up the page height of each step (``document.documentElement.scrollHeight``);
printed per language: the steps, the total height in pixels and in screens of 740
px, and on how many steps the questionnaire's full title is shown.

Run: .venv/bin/python benchmarks/phone_scroll.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import running_server  # noqa: E402
from sipas.questionnaire import load_file  # noqa: E402
from tests.conftest import QUESTIONNAIRE_DIR  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.e2e.test_phone_questionnaire import answer_visible_questions  # noqa: E402

UNIT = "QN-HALONG-TT"
VIEWPORT = {"width": 360, "height": 740}


def walk(browser, base_url: str, language: str, questionnaire) -> tuple[int, int, int]:
    """(steps, total height in px, steps showing the full title) in ``language``."""
    context = browser.new_context(viewport=VIEWPORT, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{base_url}/lang/{language}?next=/s/{UNIT}")
    title = questionnaire.title.get_text(language)
    steps = height = with_title = 0
    while "/thanks/" not in page.url:
        steps += 1
        height += page.evaluate("document.documentElement.scrollHeight")
        with_title += title in page.inner_text("body")
        answer_visible_questions(page, questionnaire)
        left = page.url
        page.locator(".actions button[value=next]").click()
        page.wait_for_url(lambda address, left=left: address != left)
        page.wait_for_load_state()
    context.close()
    return steps, height, with_title


def main() -> None:
    from playwright.sync_api import sync_playwright

    # the newest version, as the demo round uses
    questionnaire = max(
        (load_file(path).questionnaire for path in QUESTIONNAIRE_DIR.glob("*.yaml")),
        key=lambda loaded: (loaded.code == "sipas-2017", loaded.version),
    )
    with running_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        for language in ("vi", "en"):
            steps, height, with_title = walk(
                browser, server.base_url, language, questionnaire
            )
            print(
                f"{language}: {steps} steps, {height} px in all "
                f"= {height / VIEWPORT['height']:.1f} screens of "
                f"{VIEWPORT['height']} px; full title on {with_title} step(s)"
            )
        browser.close()


if __name__ == "__main__":
    main()
