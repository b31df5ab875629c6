"""A real server on 127.0.0.1 and a headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from sipas.extensions import db
from sipas.services import demo, questionnaires
from tests.conftest import OUTPUT_ROOT, QUESTIONNAIRE_DIR, ROOT, make_app
from tests.databases import databases

#: Debian's full browser, which the benchmarks measure pages in.
CHROMIUM = "/usr/bin/chromium"
#: What the tests drive: Debian's build of Chromium's headless shell (package
#: chromium-headless-shell: the same version and Blink as `chromium`, and what
#: Playwright itself runs for headless tests). It costs ~40 % less CPU per test
#: than the full browser in headless mode, and browsers are the largest cost of
#: `make test`. ``SIPAS_TEST_BROWSER=/usr/bin/chromium`` runs them in the full one.
TEST_BROWSER = os.environ.get("SIPAS_TEST_BROWSER", "/usr/bin/chromium-headless-shell")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SCRIPT = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
OUTPUT = OUTPUT_ROOT / "e2e"


def demo_app(folder: Path):
    """An app on a database of its own with the questionnaires and the demo data;
    more can be added inside ``with app.app_context()`` before it is served."""
    path = folder / "sipas.db"
    app = make_app(
        path, SQLALCHEMY_DATABASE_URI=databases.url_for(path, with_tables=True)
    )
    with app.app_context():
        db.create_all()
        questionnaires.sync(questionnaires.questionnaire_files(QUESTIONNAIRE_DIR))
        demo.ensure_demo("admin-test-password")
        db.session.commit()
    return app


def _closed_when_done(body: Iterable[bytes]) -> Iterator[bytes]:
    """``body`` passed through, closed once served, dropped or collected."""
    try:
        yield from body
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def closing_bodies(app):
    """``app`` whose response bodies are always closed.

    werkzeug's development server skips ``close()`` when the browser drops the
    connection mid-response (a navigation cancels a favicon fetch); the file of a
    static response is then closed by the garbage collector, whose ResourceWarning
    lands in whichever test runs at that moment."""

    def wsgi(environ, start_response):
        return _closed_when_done(app(environ, start_response))

    return wsgi


@contextmanager
def serving(app) -> Iterator[tuple[str, object]]:
    """``app`` served by a threaded werkzeug server on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, closing_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=5)


def jobs_app(folder: Path, **settings):
    """The demo app with a job queue in a SQLite file a worker process shares, and
    ``settings`` (the size from which work becomes a job)."""
    app = demo_app(folder)
    app.config.update(
        JOBS_QUEUE_URL=f"sqlite:///{folder / 'queue.sqlite3'}",
        JOBS_DIR=str(folder / "jobs"),
        **settings,
    )
    return app


@contextmanager
def serving_with_worker(app, folder: Path, pause_seconds: float):
    """``app`` served as ``serving`` does, with a worker beside it that pauses
    ``pause_seconds`` after each report of progress (tests/jobs/slow_worker.py)."""
    from tests.jobs.workers import SLOW_WORKER, start_worker, stop

    worker = start_worker(app.config, folder, SLOW_WORKER, PAUSE_SECONDS=pause_seconds)
    try:
        with serving(app) as served:
            yield served
    finally:
        stop(worker)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The app with demo data, served on a free port."""
    with serving(demo_app(tmp_path_factory.mktemp("e2e"))) as served:
        yield served


@pytest.fixture(scope="session")
def browser():
    """Chromium's headless shell from Debian (Playwright's own download does not
    work here)."""
    if not Path(TEST_BROWSER).exists():
        pytest.fail(
            f"{TEST_BROWSER} is missing: run `make test` (installs Debian's "
            "chromium-headless-shell)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=TEST_BROWSER, args=CHROMIUM_ARGS
        )
        yield CspWatchingBrowser(browser)
        browser.close()


#: Content-Security-Policy violations the browser reported during the current test.
CSP_VIOLATIONS: list[str] = []


def _record_csp_violation(message) -> None:
    """Chromium writes every blocked script, style or source to the console."""
    if "Content Security Policy" in message.text:
        CSP_VIOLATIONS.append(f"{message.location.get('url')}: {message.text}")


class CspWatchingBrowser:
    """The browser, whose every context and page reports CSP violations."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.on("console", _record_csp_violation)
        return context

    def new_page(self, **options):
        page = self._browser.new_page(**options)
        page.on("console", _record_csp_violation)
        return page

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """Every page a browser test visits works under the site's strict policy."""
    CSP_VIOLATIONS.clear()
    yield
    assert CSP_VIOLATIONS == [], "\n".join(CSP_VIOLATIONS)


@pytest.fixture
def phone(browser):
    """A fresh phone-sized browser context (360×740, touch)."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(params=[(1366, 768), (360, 740)], ids=["desktop", "phone"])
def window(browser, request):
    """A back-office window on a desk and on a phone (the wide tables scroll)."""
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Screenshots land here for people to look at."""
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    return OUTPUT


def wait_until(page, expression: str, arg=None, seconds: float = 10) -> None:
    """Poll ``expression`` (a JS function of ``arg``) until it is truthy.

    Instead of page.wait_for_function, whose polling evaluates strings inside the
    page, which the site's Content-Security-Policy (no 'unsafe-eval') refuses.
    """
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"still false: {expression}"
        page.wait_for_timeout(50)


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page for WCAG 2.0/2.1 A and AA; return the violations
    (every one, with every node: ``resultTypes`` only spares axe describing each
    node that passed, 40 % of its time)."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `make test` (installs axe-core)")
    # evaluated, not added as a <script>: the policy rightly refuses inline scripts
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations']})"""
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)


def admin_window(
    browser,
    url: str,
    app,
    width: int,
    height: int,
    username: str = "admin",
    password: str = "admin-test-password",  # noqa: S107  (the test demo admin)
    landing: str = "/admin/**",
    **options,
):
    """A new browser window of that size, logged in as the demo admin (or as
    ``username``, who lands on ``landing``: a surveyor on /entry/): (context,
    page). Labels are looked up in Vietnamese, the default language."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    def vi(message: str) -> str:
        with app.test_request_context(), force_locale("vi"):
            return _(message)

    context = browser.new_context(
        viewport={"width": width, "height": height}, **options
    )
    page = context.new_page()
    page.goto(f"{url}/auth/login")
    page.get_by_label(vi("Username")).fill(username)
    page.get_by_label(vi("Password")).fill(password)
    page.get_by_role("button", name=vi("Log in")).click()
    page.wait_for_url(f"{url}{landing}")
    return context, page
