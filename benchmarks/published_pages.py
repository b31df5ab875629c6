"""A large round's public pages: what their first visitor waits for when nothing
is kept yet (before: the page is computed in the visitor's request) and once the
job worker made them as the round was published (after), with the worker's time
to make them all: the round's page and the pages it links to, in each language;
then any later visitor of the same process (again: the median of 20).

It publishes the round (taking it down first if it is published): run it on a
copy of a database whose round is closed.

    cp big.db /tmp/copy.db
    SIPAS_DATABASE_URL=sqlite:////tmp/copy.db .venv/bin/python \\
        benchmarks/published_pages.py [--wave demo]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._server import app_on, database_given  # noqa: E402
from sipas.extensions import db  # noqa: E402
from sipas.services.jobs.queue import prepare_pages  # noqa: E402
from sipas.services.results.publication import ranked_units  # noqa: E402
from sipas.services.waves.lookup import wave_by_code  # noqa: E402
from sipas.services.waves.publication import publish_wave, unpublish_wave  # noqa: E402

#: Longest wait for the worker, in seconds.
PATIENCE = 900


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="demo")
    args = parser.parse_args()
    url = database_given("a copy of a database with a closed round")
    with tempfile.TemporaryDirectory(prefix="published-pages-") as jobs:
        app = app_on(url, jobs, JOBS_MIN_RESULTS_RESPONSES=1)
        with app.app_context():
            paths = _publish(args.wave)
            before = _first_visits(app, paths)
            _forget(app, jobs)
            made = _made_by_worker(app, args.wave, jobs, url, len(paths))
            after = _first_visits(app, paths)
            again = _later_visits(app, paths)
    print(f"{'page':48s} {'before':>9s} {'after':>9s} {'again':>9s}")
    for path in paths:
        print(
            f"{path:48s} {before[path]:8.2f}s {after[path]:8.2f}s "
            f"{again[path] * 1000:7.1f}ms"
        )
    languages = len(app.config["LANGUAGES"])
    print(
        f"the worker made {len(paths) * languages} pages "
        f"({len(paths)} × {languages} languages) in {made:.1f} s"
    )


def _publish(wave_code: str) -> list[str]:
    """Publish the round afresh; the paths of its page and of its ranked units'."""
    wave = wave_by_code(wave_code)
    if wave is None:
        raise SystemExit(f"no round {wave_code!r}")
    if wave.is_published:
        unpublish_wave(wave, None, "benchmark")
    publish_wave(wave, None)
    db.session.commit()
    base = f"/ket-qua/{wave.code}"
    return [base, *(f"{base}/{unit.code}" for unit in ranked_units(wave))]


def _first_visits(app, paths: list[str]) -> dict[str, float]:
    """Each page's time for the first visitor of a new server process (vi): no
    page and no round fingerprint kept in the process."""
    times = {}
    for path in paths:
        app.extensions.pop("sipas_published_pages", None)
        app.extensions.pop("sipas_published_states", None)
        client = app.test_client()
        started = time.perf_counter()
        answer = client.get(path)
        times[path] = time.perf_counter() - started
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}")
    return times


def _later_visits(app, paths: list[str], times: int = 20) -> dict[str, float]:
    """Each page's median time for later visitors of the same process."""
    client = app.test_client()
    medians = {}
    for path in paths:
        taken = []
        for _ in range(times):
            started = time.perf_counter()
            client.get(path)
            taken.append(time.perf_counter() - started)
        medians[path] = sorted(taken)[times // 2]
    return medians


def _forget(app, jobs: str) -> None:
    """Nothing kept, on disk or in this process."""
    for page in Path(jobs, "published").rglob("*.bin"):
        page.unlink()
    app.extensions.pop("sipas_published_pages", None)


def _made_by_worker(app, wave_code: str, jobs: str, url: str, scopes: int) -> float:
    """Queue the pages as publishing does, run a worker until all are kept; seconds."""
    expected = scopes * len(app.config["LANGUAGES"])
    with app.test_request_context():
        if not prepare_pages(wave_by_code(wave_code), "http://localhost/"):
            raise SystemExit("the round is below JOBS_MIN_RESULTS_RESPONSES")
    environment = {
        **os.environ,
        "SIPAS_DATABASE_URL": url,
        "SIPAS_JOBS_DIR": jobs,
        "SIPAS_JOBS_QUEUE_URL": f"sqlite:///{jobs}/queue.db",
    }
    started = time.perf_counter()
    worker = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "sipas", "jobs", "worker"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while len(list(Path(jobs, "published").rglob("*.bin"))) < expected:
            if time.perf_counter() - started > PATIENCE:
                raise SystemExit("the worker did not make every page in time")
            time.sleep(0.2)
        return time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)


if __name__ == "__main__":
    main()
