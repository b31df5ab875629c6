"""Load: many phones and kiosks at once against gunicorn, on SQLite and PostgreSQL.

A real server on 127.0.0.1 (gunicorn, several worker processes, threads each) on a
fresh database with the demo loaded. Two kinds of clients, each on its own keep-alive
connection, run for --seconds:

* phones complete whole questionnaires through /s/<unit> (a POST per step, then the
  GET it redirects to); about 10 % of the POSTs are sent twice, and a request that
  fails (dropped connection, timeout, 503) is sent again: the form_id makes it
  idempotent. The thank-you page acknowledges the form_id.
* kiosks post batches of responses to /api/sync with a device token (devices
  registered through sipas.services.devices); about 10 % of the batches are sent
  twice and about 5 % of acknowledged batches are sent again later. A response is
  acknowledged when its UUID comes back in "acknowledged".

At the end the database is asked: every acknowledged UUID must be stored, nothing
else may be, and no UUID twice. Kiosk responses carry plausible times (a few minutes
to answer, one device at most one response a minute by its clock), but a kiosk here
delivers far more in seconds than one person at a time could give, so the server's
throughput rule (judged on its own receive times) flags them; the phones answer in a
second from one address, so theirs are flagged too_fast and marked as a burst. All
are stored all the same, and counted as stored: this measures storage, not quality.

Run: .venv/bin/python benchmarks/load.py [--database sqlite|postgresql|both]
     [--clients 24] [--seconds 20] [--workers 4] [--threads 4] [--batch 50]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks._server import ROOT, Gunicorn, prepared_database  # noqa: E402
from sipas.questionnaire import Questionnaire, load_file  # noqa: E402
from sipas.services.units.lookup import unit_by_code
from tests.factories import section_answers, valid_answers  # noqa: E402

UNITS = ("QN-TTHCC", "QN-HALONG-TT", "QN-CAMPHA-TT", "QN-UONGBI-TT", "QN-TIENYEN-TT")
HIDDEN = re.compile(
    r'name="(csrf_token|form_id|section)" type="hidden" value="([^"]*)"'
)
#: Settings of the server during the run. The rate limits (kept in the database,
#: sipas/security.py) stay on, so their cost is measured, but are raised: every
#: phone comes from 127.0.0.1, which the limit would take for one abusive address.
SERVER_SETTINGS = {
    "SIPAS_RATE_LIMIT_PHONE_PER_MINUTE": "1000000",
    "SIPAS_RATE_LIMIT_SYNC_PER_MINUTE": "1000000",
}
#: Share of requests sent twice on purpose, and of acknowledged batches resent later.
DUPLICATE_SHARE = 0.10
RESEND_SHARE = 0.05
TIMEOUT = 30.0
RETRIES = 20


class GaveUp(RuntimeError):
    """A request failed more than RETRIES times."""


@dataclass
class Tally:
    """What one client saw."""

    acknowledged: set[uuid.UUID] = field(default_factory=set)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    retries: int = 0
    duplicates_sent: int = 0
    resent_batches: int = 0
    errors: Counter = field(default_factory=Counter)


class Connection:
    """One keep-alive HTTP/1.1 connection that reconnects and resends on failure."""

    def __init__(self, base_url: str, tally: Tally) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(
                self.host, self.port, timeout=TIMEOUT
            )
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def send(
        self,
        kind: str,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        retry: bool = True,
    ) -> tuple[int, dict[str, str], bytes]:
        """Send until an answer other than 503/429 comes; time the one that did.

        ``retry=False``: send once, return whatever answer came, raise on failure.
        """
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(RETRIES):
            started = time.perf_counter()
            try:
                conn = self._connection()
                conn.request(method, path, body=body, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
            except (OSError, http.client.HTTPException) as error:
                if not retry:
                    self.close()
                    raise
                # dropped connection or timeout: the request may or may not have
                # been handled; sending it again is safe (idempotent by UUID)
                self.tally.errors[type(error).__name__] += 1
                self.tally.retries += 1
                self.close()
                time.sleep(0.05 * (attempt + 1))
                continue
            if answer.status in (429, 503) and retry:
                self.tally.errors[f"HTTP {answer.status}"] += 1
                self.tally.retries += 1
                time.sleep(0.1 * (attempt + 1))
                continue
            self.tally.latencies[kind].append(time.perf_counter() - started)
            for name, value in answer.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            if answer.getheader("Connection", "").lower() == "close":
                self.close()
            return answer.status, dict(answer.getheaders()), data
        raise GaveUp(f"{method} {path} failed {RETRIES} times")


def phone_client(
    base_url: str,
    questionnaire: Questionnaire,
    unit: str,
    stop_at: float,
    tally: Tally,
    rng: random.Random,
) -> None:
    """Complete questionnaires one after the other until ``stop_at``."""
    connection = Connection(base_url, tally)
    path = f"/s/{unit}"
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    while time.monotonic() < stop_at:
        status, _, page = connection.send("phone GET", "GET", path)
        if status != 200:
            tally.errors[f"phone GET {status}"] += 1
            return
        html = page.decode()
        while True:
            fields = dict(HIDDEN.findall(html))
            answers = section_answers(questionnaire, fields["section"])
            body = urlencode({**fields, "move": "next", **answers}, doseq=True).encode()
            times = 2 if rng.random() < DUPLICATE_SHARE else 1
            tally.duplicates_sent += times - 1
            for _ in range(times):
                status, headers, page = connection.send(
                    "phone POST", "POST", path, body, form_headers
                )
            location = headers.get("Location", "")
            if status != 302 or not location:
                tally.errors[f"phone POST {status}"] += 1
                return
            target = urlsplit(location)
            target_path = target.path + (f"?{target.query}" if target.query else "")
            status, _, page = connection.send("phone GET", "GET", target_path)
            if status != 200:
                tally.errors[f"phone GET {status}"] += 1
                return
            if "/thanks/" in target.path:
                tally.acknowledged.add(uuid.UUID(fields["form_id"]))
                break
            html = page.decode()
    connection.close()


def kiosk_response(answers: dict, submitted: datetime, rng: random.Random) -> dict:
    started = submitted - timedelta(seconds=rng.randint(90, 600))
    return {
        "uuid": str(uuid.uuid4()),
        "answers": answers,
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "submitted_at": submitted.isoformat().replace("+00:00", "Z"),
        "language": "vi",
    }


def kiosk_client(
    base_url: str,
    token: str,
    answer_sets: list[dict],
    batch_size: int,
    stop_at: float,
    tally: Tally,
    rng: random.Random,
) -> None:
    """Send batches of responses until ``stop_at``; resend some on purpose."""
    connection = Connection(base_url, tally)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    # the device's clock: its responses lie 70 s apart, going back from an hour ago
    clock = datetime.now(UTC) - timedelta(hours=1)
    acknowledged_batches: list[bytes] = []

    def post(body: bytes, expected: list[str]) -> None:
        status, _, data = connection.send(
            "kiosk sync", "POST", "/api/sync", body, headers
        )
        if status != 200:
            tally.errors[f"sync {status}"] += 1
            raise GaveUp(f"sync answered {status}: {data[:200]!r}")
        acknowledged = json.loads(data)["acknowledged"]
        missing = set(expected) - set(acknowledged)
        if missing:
            tally.errors["sync not acknowledged"] += len(missing)
        tally.acknowledged.update(uuid.UUID(u) for u in acknowledged)

    while time.monotonic() < stop_at:
        batch = []
        for _ in range(batch_size):
            clock -= timedelta(seconds=70)
            batch.append(kiosk_response(rng.choice(answer_sets), clock, rng))
        body = json.dumps(
            {"app_version": "load", "unsent": len(batch), "responses": batch}
        ).encode()
        expected = [item["uuid"] for item in batch]
        post(body, expected)
        if rng.random() < DUPLICATE_SHARE:
            tally.duplicates_sent += 1
            post(body, expected)
        acknowledged_batches.append(body)
        if rng.random() < RESEND_SHARE:
            tally.resent_batches += 1
            old = rng.choice(acknowledged_batches)
            post(old, [item["uuid"] for item in json.loads(old)["responses"]])
    connection.close()


def answer_variants(questionnaire: Questionnaire, count: int = 20) -> list[dict]:
    """Valid whole-questionnaire answers with varied scores (not straight-lining)."""
    rng = random.Random(7)
    variants = []
    for _ in range(count):
        answers = valid_answers(questionnaire, gave_feedback=rng.random() < 0.5)
        for item in questionnaire.criteria:
            answers[item.code] = str(rng.choice((2, 3, 4, 4, 5, 5)))
        variants.append(answers)
    return variants


def register_kiosks(database_url: str, count: int) -> list[str]:
    """Register ``count`` kiosks over the demo units; their tokens."""
    from sipas import create_app
    from sipas.extensions import db
    from sipas.services.responses import devices

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "benchmark",
            "QUESTIONNAIRE_DIR": str(ROOT / "questionnaires"),
        }
    )
    tokens = []
    with app.app_context():
        for k in range(count):
            code = UNITS[k % len(UNITS)]
            unit = unit_by_code(code)
            _, token = devices.create_device(unit, f"Tải thử {k + 1}", None)
            tokens.append(token)
        db.session.commit()
        db.engine.dispose()
    return tokens


@dataclass
class Stored:
    total: int
    by_status: dict[str, int]
    duplicates: int
    without_answers: int
    uuids: set[uuid.UUID]


def stored_responses(database_url: str) -> Stored:
    """What the database holds at the end (asked directly, not through the app)."""
    responses = sa.table(
        "responses",
        sa.column("id", sa.Integer),
        sa.column("uuid", sa.Uuid),
        sa.column("status", sa.String),
    )
    answers = sa.table("answers", sa.column("response_id", sa.Integer))
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        uuids = [row[0] for row in connection.execute(sa.select(responses.c.uuid))]
        by_status = dict(
            connection.execute(
                sa.select(responses.c.status, sa.func.count()).group_by(
                    responses.c.status
                )
            ).all()
        )
        duplicates = connection.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(responses.c.uuid)
                .group_by(responses.c.uuid)
                .having(sa.func.count() > 1)
                .subquery()
            )
        )
        without_answers = connection.scalar(
            sa.select(sa.func.count())
            .select_from(responses)
            .where(~sa.exists().where(answers.c.response_id == responses.c.id))
        )
    engine.dispose()
    return Stored(len(uuids), by_status, duplicates, without_answers, set(uuids))


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Outcome:
    database: str
    seconds: float
    phones: int
    kiosks: int
    phone_acks: int
    kiosk_acks: int
    stored: Stored
    lost: int
    unacknowledged_stored: int
    latencies: dict[str, list[float]]
    requests: int
    retries: int
    duplicates_sent: int
    resent_batches: int
    errors: Counter

    @property
    def acknowledged(self) -> int:
        return self.phone_acks + self.kiosk_acks

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.unacknowledged_stored == 0
            and self.stored.duplicates == 0
            and self.stored.without_answers == 0
            and self.stored.total == self.acknowledged
        )


def run(
    kind: str, options: argparse.Namespace, questionnaire: Questionnaire
) -> Outcome:
    kiosks = options.kiosks if options.kiosks is not None else options.clients // 2
    phones = max(0, options.clients - kiosks)
    with prepared_database(kind) as database:
        tokens = register_kiosks(database.url, kiosks)
        variants = answer_variants(questionnaire)
        server = Gunicorn(
            database.url,
            workers=options.workers,
            threads=options.threads,
            settings=SERVER_SETTINGS,
            preload=True,
        )
        with server:
            phone_tallies = [Tally() for _ in range(phones)]
            kiosk_tallies = [Tally() for _ in range(kiosks)]
            started = time.monotonic()
            stop_at = started + options.seconds
            threads = [
                threading.Thread(
                    target=phone_client,
                    args=(
                        server.base_url,
                        questionnaire,
                        UNITS[k % len(UNITS)],
                        stop_at,
                        tally,
                        random.Random(k),
                    ),
                )
                for k, tally in enumerate(phone_tallies)
            ] + [
                threading.Thread(
                    target=kiosk_client,
                    args=(
                        server.base_url,
                        tokens[k],
                        variants,
                        options.batch,
                        stop_at,
                        tally,
                        random.Random(1000 + k),
                    ),
                )
                for k, tally in enumerate(kiosk_tallies)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        stored = stored_responses(database.url)
    tallies = phone_tallies + kiosk_tallies
    acknowledged = set().union(*(t.acknowledged for t in tallies))
    latencies: dict[str, list[float]] = defaultdict(list)
    for tally in tallies:
        for name, values in tally.latencies.items():
            latencies[name].extend(values)
    return Outcome(
        database=kind,
        seconds=elapsed,
        phones=phones,
        kiosks=kiosks,
        phone_acks=sum(len(t.acknowledged) for t in phone_tallies),
        kiosk_acks=sum(len(t.acknowledged) for t in kiosk_tallies),
        stored=stored,
        lost=len(acknowledged - stored.uuids),
        unacknowledged_stored=len(stored.uuids - acknowledged),
        latencies=latencies,
        requests=sum(len(v) for v in latencies.values()),
        retries=sum(t.retries for t in tallies),
        duplicates_sent=sum(t.duplicates_sent for t in tallies),
        resent_batches=sum(t.resent_batches for t in tallies),
        errors=sum((t.errors for t in tallies), Counter()),
    )


def report(outcomes: list[Outcome], options: argparse.Namespace) -> None:
    print()
    print(
        f"gunicorn --workers {options.workers} --threads {options.threads} "
        f"(gthread, --preload) on 127.0.0.1, {options.seconds:g} s per database, "
        f"kiosk batches of {options.batch}"
    )
    print(
        "server settings for the run: "
        + ", ".join(f"{k}={v}" for k, v in SERVER_SETTINGS.items())
        + " (rate limits raised, still counted: every client is 127.0.0.1)"
    )
    rows = [
        ("clients (phones + kiosks)", lambda o: f"{o.phones} + {o.kiosks}"),
        ("acknowledged: phones", lambda o: f"{o.phone_acks}"),
        ("acknowledged: kiosks", lambda o: f"{o.kiosk_acks}"),
        ("accepted submissions / s", lambda o: f"{o.acknowledged / o.seconds:.1f}"),
        ("stored rows", lambda o: f"{o.stored.total}"),
        (
            "  of which complete / flagged",
            lambda o: (
                f"{o.stored.by_status.get('complete', 0)} / "
                f"{o.stored.by_status.get('flagged', 0)}"
            ),
        ),
        ("acknowledged but not stored", lambda o: f"{o.lost}"),
        ("stored but not acknowledged", lambda o: f"{o.unacknowledged_stored}"),
        ("duplicate UUIDs stored", lambda o: f"{o.stored.duplicates}"),
        ("responses without answers", lambda o: f"{o.stored.without_answers}"),
        (
            "HTTP requests answered",
            lambda o: f"{o.requests} ({o.requests / o.seconds:.0f}/s)",
        ),
        (
            "sent twice / batches resent",
            lambda o: f"{o.duplicates_sent} / {o.resent_batches}",
        ),
        ("retries after failure", lambda o: f"{o.retries}"),
    ]
    kinds = sorted({k for o in outcomes for k in o.latencies})
    for kind in kinds:
        rows.append(
            (
                f"{kind} p50 / p99 ms",
                lambda o, kind=kind: (
                    f"{percentile(o.latencies[kind], 0.5) * 1000:.0f}"
                    f" / {percentile(o.latencies[kind], 0.99) * 1000:.0f}"
                ),
            )
        )
    rows.append(("result", lambda o: "OK" if o.ok else "FAILED"))
    width = max(len(label) for label, _ in rows)
    print(f"{'':{width}}  " + "  ".join(f"{o.database:>16}" for o in outcomes))
    for label, value in rows:
        print(f"{label:{width}}  " + "  ".join(f"{value(o):>16}" for o in outcomes))
    for outcome in outcomes:
        if outcome.errors:
            print(f"{outcome.database}: failures retried: {dict(outcome.errors)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", choices=("sqlite", "postgresql", "both"), default="both"
    )
    parser.add_argument("--clients", type=int, default=24, help="phones + kiosks")
    parser.add_argument("--kiosks", type=int, help="of the clients (default half)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--batch", type=int, default=50, help="responses per sync")
    options = parser.parse_args()
    questionnaire = load_file(ROOT / "questionnaires" / "sipas-2017.yaml").questionnaire
    kinds = (
        ("sqlite", "postgresql") if options.database == "both" else (options.database,)
    )
    outcomes = []
    for kind in kinds:
        print(f"{kind}: preparing the database and starting gunicorn …", flush=True)
        outcomes.append(run(kind, options, questionnaire))
    report(outcomes, options)
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
