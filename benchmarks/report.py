"""Dashboard page and PDF report of a big wave: how long an administrator waits.

A wave of N responses (default 100 000) over 34 provinces × 10 service centres,
bulk-loaded into SQLite. A fresh process then logs in as an administrator and times
the dashboard page of the whole wave (34 provinces ranked) and of one province, and
the PDF report of each, through the real routes (view, template, ReportLab). The
first request of a page computes its results; later ones reuse them while the data
are unchanged, so the page with another respondent group shows a second cold time.
Goals: dashboard under 2 s, PDF under 10 s.

Run: .venv/bin/python benchmarks/report.py [--responses 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_reporting import N_PROVINCES, app_for, load  # noqa: E402
from sipas.extensions import db  # noqa: E402
from sipas.models import Role  # noqa: E402
from sipas.services import accounts  # noqa: E402

CENTRES = N_PROVINCES * 10
PASSWORD = "benchmark-password-1"  # noqa: S105  (a throwaway database)


def _logged_in_client(app):
    with app.app_context():
        accounts.create_user("bench-admin", PASSWORD, Role.admin)
        db.session.commit()
    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    response = client.post(
        "/auth/login",
        data={
            "csrf_token": token.group(1),
            "username": "bench-admin",
            "password": PASSWORD,
        },
    )
    if response.status_code != 302:
        raise SystemExit(f"login failed: {response.status_code}")
    return client


def _timed_get(client, url: str, repeat: int) -> tuple[list[float], int]:
    """Seconds of each GET of ``url`` (the first is cold) and the body size."""
    seconds, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        size = len(response.data)
    return seconds, size


def measure(url: str, repeat: int) -> dict[str, object]:
    """Times of the pages and reports on a filled database (fresh process)."""
    app = app_for(url)
    client = _logged_in_client(app)
    pages = {
        "dashboard, whole wave": "/admin/results/bench",
        "  … other group (cold)": "/admin/results/bench?by=age_group",
        "dashboard, one province": "/admin/results/bench?unit=P07",
        "  … other group (cold) ": "/admin/results/bench?unit=P07&by=age_group",
        "PDF, whole wave": "/admin/results/bench/report.pdf",
        "PDF, one province": "/admin/results/bench/report.pdf?unit=P07",
    }
    figures = {}
    for name, page in pages.items():
        seconds, size = _timed_get(client, page, repeat)
        figures[name] = {"seconds": seconds, "bytes": size}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.measure, options.repeat)))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        seconds, answers = load(url, options.responses, CENTRES)
        print(
            f"{options.responses} responses, {answers} answer rows, "
            f"{N_PROVINCES} provinces × {CENTRES // N_PROVINCES} centres "
            f"(loaded in {seconds:.0f} s)"
        )
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--measure",
                url,
                "--repeat",
                str(options.repeat),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    figures = json.loads(child.stdout)
    print(f"{'':<26} {'first s':>8} {'median s':>9} {'size':>10}")
    for name, f in figures.items():
        times = f["seconds"]
        print(
            f"{name:<26} {times[0]:>8.2f} {statistics.median(times):>9.2f} "
            f"{f['bytes'] / 1024:>8.0f} kB"
        )


if __name__ == "__main__":
    main()
