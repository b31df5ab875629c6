"""Stored responses per second through a real server, 8 concurrent clients.

Each client is a phone: it opens /s/<unit>, answers every step (one POST per step,
each followed by the GET of the next step) and sends; then starts again. At the end
the number of thank-you pages seen is compared with the rows in the database.
Run: .venv/bin/python benchmarks/submit.py [--clients 8] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import sqlite3
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import ROOT, running_server  # noqa: E402
from sipas.questionnaire import load_file  # noqa: E402
from tests.factories import section_answers  # noqa: E402

UNITS = ("QN-TTHCC", "QN-HALONG-TT", "QN-CAMPHA-TT", "QN-UONGBI-TT", "QN-TIENYEN-TT")
HIDDEN = re.compile(
    r'name="(csrf_token|form_id|section)" type="hidden" value="([^"]*)"'
)


def one_questionnaire(
    opener, base_url: str, unit: str, questionnaire
) -> tuple[bool, int]:
    """Answer one whole questionnaire; return (reached thank-you, requests made)."""
    url = f"{base_url}/s/{unit}"
    with opener.open(url) as response:
        html = response.read().decode()
    requests = 1
    while True:
        fields = dict(HIDDEN.findall(html))
        answers = section_answers(questionnaire, fields["section"])
        data = {**fields, "move": "next", **answers}
        body = urllib.parse.urlencode(data, doseq=True).encode()
        with opener.open(url, data=body) as response:
            html = response.read().decode()
            final_url = response.geturl()
        requests += 2  # the POST and the GET it redirects to
        if "/thanks/" in final_url:
            return True, requests


def client_loop(base_url, questionnaire, stop_at, index, results, lock) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    durations, done, requests = [], 0, 0
    while time.monotonic() < stop_at:
        started = time.monotonic()
        ok, made = one_questionnaire(
            opener, base_url, UNITS[index % len(UNITS)], questionnaire
        )
        requests += made
        if ok:
            done += 1
            durations.append(time.monotonic() - started)
    with lock:
        results.append((done, requests, durations))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    options = parser.parse_args()
    questionnaire = load_file(ROOT / "questionnaires" / "sipas-2017.yaml").questionnaire
    with running_server(threads=options.clients) as server:
        results: list = []
        lock = threading.Lock()
        started = time.monotonic()
        stop_at = started + options.seconds
        threads = [
            threading.Thread(
                target=client_loop,
                args=(server.base_url, questionnaire, stop_at, i, results, lock),
            )
            for i in range(options.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        with sqlite3.connect(server.database) as connection:
            stored = connection.execute("SELECT count(*) FROM responses").fetchone()[0]
    done = sum(r[0] for r in results)
    requests = sum(r[1] for r in results)
    durations = [d for r in results for d in r[2]]
    steps = len(questionnaire.sections)
    print(
        f"{options.clients} concurrent clients for {elapsed:.1f} s, "
        "waitress + SQLite (WAL)"
    )
    print(f"complete questionnaires: {done} thank-you pages, {stored} stored responses")
    print(f"stored responses per second: {stored / elapsed:.1f}")
    print(
        f"HTTP requests per second: {requests / elapsed:.1f} ({steps} steps per form)"
    )
    if durations:
        print(
            "seconds per questionnaire (all steps): "
            f"median {statistics.median(durations):.2f}, "
            f"max {max(durations):.2f}"
        )
    return 0 if done == stored else 1


if __name__ == "__main__":
    sys.exit(main())
