"""Bytes and requests for a first and a repeat load of /s/<unit> in headless Chromium.

Budget (issue 2): at most 100 KB on first load, no request to any other host.
Run: .venv/bin/python benchmarks/page_weight.py
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import running_server  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

UNIT = "QN-HALONG-TT"
BUDGET_BYTES = 100 * 1024


@dataclass
class Load:
    """What one page load cost."""

    bytes_over_wire: int = 0
    requests: int = 0
    from_cache: int = 0
    hosts: set[str] = field(default_factory=set)


def measure(page, url: str) -> Load:
    """Load ``url``; count bytes and requests that went over the network."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    load = Load()
    cached: set[str] = set()

    def on_response(event):
        load.hosts.add(urlsplit(event["response"]["url"]).netloc)
        if event["response"].get("fromDiskCache") or event["response"].get(
            "fromMemoryCache"
        ):
            cached.add(event["requestId"])

    def on_finished(event):
        if event["requestId"] in cached:
            load.from_cache += 1
        else:
            load.requests += 1
            load.bytes_over_wire += event["encodedDataLength"]

    session.on("Network.responseReceived", on_response)
    session.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
    session.on("Network.loadingFinished", on_finished)
    page.goto(url, wait_until="networkidle")
    session.detach()
    return load


def main() -> int:
    from playwright.sync_api import sync_playwright

    with running_server() as server, sync_playwright() as playwright:
        base_url = server.base_url
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 360, "height": 740})
        page = context.new_page()
        url = f"{base_url}/s/{UNIT}"
        first = measure(page, url)
        repeat = measure(page, url)
        browser.close()
    own_host = urlsplit(base_url).netloc
    print(f"page: /s/{UNIT} (360×740, headless Chromium, waitress on 127.0.0.1)")
    for name, load in (("first load", first), ("repeat load", repeat)):
        others = sorted(load.hosts - {own_host})
        print(
            f"{name:12s} {load.bytes_over_wire / 1024:7.1f} KB over the network in "
            f"{load.requests} requests, {load.from_cache} from the browser cache; "
            f"third-party hosts: {others or 'none'}"
        )
    third_party = (first.hosts | repeat.hosts) - {own_host}
    within = first.bytes_over_wire <= BUDGET_BYTES and not third_party
    print(
        f"budget ≤ {BUDGET_BYTES // 1024} KB, no third party: "
        f"{'met' if within else 'MISSED'}"
    )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
