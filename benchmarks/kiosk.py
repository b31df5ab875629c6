"""Kiosk page weight and the time from a tap to the next question on screen.

Page weight: bytes over the network for the first load of /kiosk/<unit> (page,
script, style, questionnaire.json, service worker) and for a repeat load, when the
service worker answers from its cache. Tap → next question: a real touch tap in
headless Chromium (1080×1920, touch), timed in the page from `pointerdown` to the
frame after the new question is drawn; median of 20 one-tap answers.

Run: .venv/bin/python benchmarks/kiosk.py [--taps 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import running_server  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

UNIT = "QN-HALONG-TT"

#: Installed in the page: the time from the last pointerdown to the frame after the
#: click that answered (the click handler draws the next question synchronously).
TIMER = """
window.__taps = [];
document.addEventListener('pointerdown', () => { window.__t0 = performance.now(); },
                          {capture: true});
document.addEventListener('click', () => {
  const t0 = window.__t0;
  const done = () => window.__taps.push(performance.now() - t0);
  requestAnimationFrame(() => setTimeout(done));
});
"""


@dataclass
class Load:
    bytes_over_wire: int = 0
    requests: int = 0
    from_worker: int = 0
    hosts: set[str] = field(default_factory=set)


def measure(page, url: str) -> Load:
    """Load ``url``; count bytes over the network and answers from the worker."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    load = Load()
    local: set[str] = set()

    def on_response(event):
        response = event["response"]
        load.hosts.add(urlsplit(response["url"]).netloc)
        if (
            response.get("fromServiceWorker")
            or response.get("fromDiskCache")
            or response.get("fromMemoryCache")
        ):
            local.add(event["requestId"])

    def on_finished(event):
        if event["requestId"] in local:
            load.from_worker += 1
        else:
            load.requests += 1
            load.bytes_over_wire += event["encodedDataLength"]

    session.on("Network.responseReceived", on_response)
    session.on("Network.loadingFinished", on_finished)
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".start-button")
    session.detach()
    return load


def tap_times(page, taps: int) -> list[float]:
    """Milliseconds from a tap to the next question, for ``taps`` one-tap answers."""
    page.evaluate(TIMER)
    page.locator(".start-button").tap()
    times: list[float] = []
    while len(times) < taps:
        page.wait_for_selector(".screen")
        if page.locator(".screen.thanks").count():
            page.locator(".screen.thanks button").tap()
            page.locator(".start-button").tap()
            continue
        kind = page.get_attribute(".question-screen", "data-type")
        before = page.evaluate("window.__taps.length")
        if kind in ("scale", "single_choice"):
            page.locator(".choices button").first.tap()
            page.wait_for_function("n => window.__taps.length > n", arg=before)
            times.append(page.evaluate("window.__taps[window.__taps.length - 1]"))
        elif kind == "multi_choice":
            page.locator(".choices button").first.tap()
            page.locator(".actions button.primary").tap()
        else:
            page.locator(".actions button.primary").tap()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            viewport={"width": 1080, "height": 1920}, has_touch=True
        )
        page = context.new_page()
        url = f"{server.base_url}/kiosk/{UNIT}"
        first = measure(page, url)
        page.evaluate("navigator.serviceWorker.ready")
        repeat = measure(page, url)
        times = tap_times(page, args.taps)
        browser.close()
    own = urlsplit(server.base_url).netloc
    print(f"kiosk: /kiosk/{UNIT} (1080×1920 touch, headless Chromium, waitress)")
    for name, load in (("first load", first), ("repeat load", repeat)):
        others = sorted(load.hosts - {own})
        print(
            f"{name:12s} {load.bytes_over_wire / 1024:7.1f} KB over the network in "
            f"{load.requests} requests, {load.from_worker} answered locally "
            f"(service worker or cache); third-party hosts: {others or 'none'}"
        )
    print(
        "  (repeat load: what the page fetched; the worker still asks the server "
        "for the page and questionnaire.json, network first, off the page's books)"
    )
    print(
        f"tap → next question: median {statistics.median(times):.1f} ms, "
        f"min {min(times):.1f}, max {max(times):.1f} over {len(times)} taps"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
