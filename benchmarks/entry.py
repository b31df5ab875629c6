"""Paper entry speed: a scripted typist keys whole forms into the entry screen.

A headless Chromium (Debian's) logs in as a surveyor and, for each form, types the
serial (the page opens the form as soon as the check digit is right), then every
answer key at a fixed speed (``--delay`` ms between keys; the default 250 ms is
about 4 keys a second, a steady human typist), and confirms the review with Enter.
Printed: keys per form (typed by the script and counted by the page), and seconds
per form as the server recorded them (serial accepted → saved), median and range.

With ``--import-rows N`` (default 100 000; 0 skips it) it then runs
benchmarks/import_speed.py: the speed of importing an N-row stats CSV.

Run: .venv/bin/python benchmarks/entry.py [--forms 5] [--delay 250]
                                          [--import-rows 100000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from sipas.extensions import db  # noqa: E402
from sipas.models import PaperEntry, Role  # noqa: E402
from sipas.questionnaire.entry_keys import decode  # noqa: E402
from sipas.questionnaire.serials import format_serial  # noqa: E402
from sipas.services import accounts, demo, questionnaires  # noqa: E402
from sipas.services.questionnaires import parsed  # noqa: E402
from sipas.services.units.lookup import unit_by_code  # noqa: E402
from sipas.services.waves.lookup import wave_by_code  # noqa: E402
from tests.conftest import QUESTIONNAIRE_DIR, make_app  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.e2e.typist import key_plan, log_in, type_form  # noqa: E402
from tests.entry_helpers import issue, typed_form  # noqa: E402

UNIT = "QN-HALONG-TT"
PASSWORD = "benchmark-password-1"  # noqa: S105  (a throwaway database)


def prepared_app(folder: str, forms: int):
    """The demo data, ``forms`` forms issued to one centre, a surveyor; and the
    key plan of a full form."""
    app = make_app(Path(folder) / "bench.db")
    with app.app_context():
        db.create_all()
        questionnaires.sync(questionnaires.questionnaire_files(QUESTIONNAIRE_DIR))
        demo.ensure_demo(PASSWORD)
        wave = wave_by_code("demo")
        unit = unit_by_code(UNIT)
        issue(wave, unit, *range(1, forms + 1))
        accounts.create_user("typist", PASSWORD, Role.surveyor, unit=unit)
        questionnaire = parsed(wave.questionnaire)
        plan = key_plan(questionnaire, decode(questionnaire, typed_form(wave)).answers)
        db.session.commit()
    return app, plan


def type_forms(url: str, plan, forms: int, delay: float) -> list[int]:
    """Type ``forms`` forms; the keys pressed for each (serial and Enter included)."""
    from playwright.sync_api import sync_playwright

    pressed = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        log_in(page, url, "typist", PASSWORD)
        for serial in range(1, forms + 1):
            page.goto(f"{url}/entry/?wave=demo&unit={UNIT}")
            text = format_serial(serial)
            page.keyboard.type(text, delay=delay)
            page.wait_for_url("**/form?serial=*")
            keys = len(text) + type_form(page, plan, delay_ms=delay)
            page.wait_for_url("**/form")
            page.keyboard.press("Enter")
            page.wait_for_url("**/entry/?wave=demo*")
            pressed.append(keys + 1)
            print(f"form {serial}: {keys + 1} keys", flush=True)
        browser.close()
    return pressed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=5)
    parser.add_argument("--delay", type=float, default=250, help="ms between keys")
    parser.add_argument("--import-rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, plan = prepared_app(folder, args.forms)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started = time.perf_counter()
        pressed = type_forms(
            f"http://127.0.0.1:{server.server_port}", plan, args.forms, args.delay
        )
        wall = time.perf_counter() - started
        server.shutdown()
        with app.app_context():
            entries = db.session.scalars(sa.select(PaperEntry)).all()
            seconds = [e.seconds for e in entries if e.seconds is not None]
            counted = [e.keystrokes for e in entries if e.keystrokes is not None]
    print(f"forms typed: {len(entries)} of {args.forms}, {args.delay:g} ms per key")
    print(f"questions asked per form: {len(plan)}")
    print(f"keys per form (script): {statistics.median(pressed):g}")
    print(
        f"keys per form on the answer page (counted by the page): "
        f"{statistics.median(counted):g}"
    )
    print(
        f"seconds per form (serial accepted → saved): median "
        f"{statistics.median(seconds):g}, range {min(seconds)}–{max(seconds)}"
    )
    print(f"wall time per form incl. login and page loads: {wall / args.forms:.1f} s")
    if args.import_rows:
        print(f"\nimport of a {args.import_rows}-row stats CSV:", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "import_speed.py"),
                "--rows",
                str(args.import_rows),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
