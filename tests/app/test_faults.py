"""Faults on real processes: gunicorn killed with -9 under load, PostgreSQL stopped
while the app serves. Nothing acknowledged is lost, nothing is stored half-way or
twice, and the app recovers without a restart."""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from benchmarks._server import Gunicorn
from benchmarks.load import (
    HIDDEN,
    Connection,
    Tally,
    answer_variants,
    kiosk_response,
    register_kiosks,
    stored_responses,
)
from sipas import create_app
from sipas.extensions import db
from sipas.models import Role
from sipas.questionnaire import Questionnaire, load_file
from sipas.services import accounts, demo, questionnaires
from tests.conftest import QUESTIONNAIRE_DIR, STAFF_PASSWORD, login
from tests.factories import section_answers
from tests.pg_cluster import Cluster, running_cluster

UNIT = "QN-HALONG-TT"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def questionnaire() -> Questionnaire:
    return load_file(QUESTIONNAIRE_DIR / "sipas-2017.yaml").questionnaire


@pytest.fixture(scope="module")
def answers(questionnaire: Questionnaire) -> dict:
    """One set of kiosk answers for every response: each stored response must then
    have the same number of answer rows."""
    return answer_variants(questionnaire, 1)[0]


def prepare(url: str, **settings: object) -> Flask:
    """Tables, questionnaires and the demo, in process (faster than `flask db
    upgrade` and two commands, which the load benchmark runs); the app."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "faults",
            "QUESTIONNAIRE_DIR": str(QUESTIONNAIRE_DIR),
            **settings,
        }
    )
    with app.app_context():
        db.create_all()
        questionnaires.sync(questionnaires.questionnaire_files(QUESTIONNAIRE_DIR))
        demo.ensure_demo("faults-admin-password")
        db.session.commit()
        db.engine.dispose()
    return app


def answer_rows_per_response(url: str) -> set[int]:
    """The distinct numbers of answer rows of the stored responses."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        counts = connection.execute(
            sa.text(
                "SELECT count(a.response_id) FROM responses r "
                "LEFT JOIN answers a ON a.response_id = r.id GROUP BY r.id"
            )
        ).scalars()
        found = set(counts)
    engine.dispose()
    return found


@dataclass
class Kiosk:
    """A kiosk sending batches to /api/sync until stopped or its server dies."""

    base_url: str
    token: str
    answers: dict
    seed: int
    batch_size: int = 20
    keep_going: bool = False
    acknowledged: set[str] = field(default_factory=set)
    batches: list[list[dict]] = field(default_factory=list)
    failed: int = 0
    refused: int = 0
    #: An unexpected answer (asserted empty by the tests).
    crash: BaseException | None = None

    def body(self, batch: list[dict]) -> bytes:
        return json.dumps({"app_version": "faults", "responses": batch}).encode()

    def post(self, connection: Connection, batch: list[dict]) -> tuple[int, dict]:
        status, _, data = connection.send(
            "sync",
            "POST",
            "/api/sync",
            self.body(batch),
            {"Authorization": f"Bearer {self.token}"},
            retry=False,
        )
        return status, json.loads(data)

    def run(self, stop: threading.Event) -> None:
        try:
            self._run(stop)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.crash = error

    def _run(self, stop: threading.Event) -> None:
        rng = random.Random(self.seed)  # noqa: S311 - test data, not secrets
        connection = Connection(self.base_url, Tally())
        clock = datetime.now(UTC) - timedelta(hours=2)
        batch: list[dict] = []
        while not stop.is_set():
            if not batch:  # the outbox is empty: new responses
                for _ in range(self.batch_size):
                    clock -= timedelta(seconds=70)
                    batch.append(kiosk_response(self.answers, clock, rng))
                self.batches.append(batch)
            try:
                status, body = self.post(connection, batch)
            except (OSError, http.client.HTTPException):
                self.failed += 1
                if not self.keep_going:
                    break
                time.sleep(0.1)
                continue
            if status == 200:
                self.acknowledged.update(body["acknowledged"])
                batch = []
            else:  # kept in the outbox, sent again a moment later
                assert status == 503, body
                assert body["retry"] is True
                self.refused += 1
                time.sleep(0.1)
        connection.close()

    @property
    def sent(self) -> set[str]:
        return {item["uuid"] for batch in self.batches for item in batch}

    def resend_unacknowledged(self, base_url: str) -> None:
        """What a kiosk does when the server is back: send what it still holds."""
        connection = Connection(base_url, Tally())
        for batch in self.batches:
            waiting = [i for i in batch if i["uuid"] not in self.acknowledged]
            if waiting:
                status, body = self.post(connection, waiting)
                assert status == 200, body
                assert sorted(body["acknowledged"]) == sorted(
                    i["uuid"] for i in waiting
                )
                self.acknowledged.update(body["acknowledged"])
        connection.close()


def uuids(values: set[str]) -> set[uuid.UUID]:
    return {uuid.UUID(value) for value in values}


def start_kiosks(
    server: Gunicorn, url: str, answers: dict, count: int, **options: object
) -> tuple[list[Kiosk], list[threading.Thread], threading.Event]:
    stop = threading.Event()
    kiosks = [
        Kiosk(server.base_url, token, answers, seed, **options)
        for seed, token in enumerate(register_kiosks(url, count))
    ]
    threads = [threading.Thread(target=k.run, args=(stop,)) for k in kiosks]
    for thread in threads:
        thread.start()
    return kiosks, threads, stop


def wait_for(condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """One PostgreSQL cluster for the module, a database of its own per test."""
    # fsync off: the faults are of the app's processes and a clean database stop,
    # never of the machine
    with running_cluster(options="-c fsync=off") as cluster:
        yield cluster


def fresh_database(cluster: Cluster) -> str:
    """A new empty database in ``cluster``; its URL."""
    name = f"faults_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(
        cluster.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return cluster.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'faults.db'}"
    return fresh_database(request.getfixturevalue("cluster"))


def test_kill_9_under_load_loses_nothing_acknowledged(database_url, answers):
    prepare(database_url)
    server = Gunicorn(database_url, workers=2, threads=2, preload=True)
    server.start()
    try:
        kiosks, threads, _stop = start_kiosks(server, database_url, answers, 3)
        wait_for(lambda: sum(len(k.acknowledged) for k in kiosks) >= 100)
        server.kill()  # master and workers, in the middle of the kiosks' requests
        for thread in threads:
            thread.join(timeout=30)
        assert [k.crash for k in kiosks] == [None] * len(kiosks)
        acknowledged = set().union(*(k.acknowledged for k in kiosks))
        assert sum(k.failed for k in kiosks) >= 1  # requests were cut off
        after_kill = stored_responses(database_url)
        assert uuids(acknowledged) <= after_kill.uuids
        assert after_kill.duplicates == 0
        assert after_kill.without_answers == 0

        server.start()  # the same port and database
        for kiosk in kiosks:
            kiosk.resend_unacknowledged(server.base_url)
        # an acknowledged batch sent once more stores nothing new
        kiosks[0].resend_unacknowledged(server.base_url)
        connection = Connection(server.base_url, Tally())
        status, body = kiosks[0].post(connection, kiosks[0].batches[0])
        connection.close()
        assert status == 200
        assert len(body["acknowledged"]) == 20
    finally:
        server.stop()
    sent = set().union(*(k.sent for k in kiosks))
    final = stored_responses(database_url)
    assert final.uuids == uuids(sent)
    assert final.total == len(sent)
    assert final.duplicates == 0
    assert len(answer_rows_per_response(database_url)) == 1  # every one complete


def phone_until_last_step(
    connection: Connection, questionnaire: Questionnaire
) -> tuple[bytes, str]:
    """Answer every step but the last; the last step's form and the form id."""
    path = f"/s/{UNIT}"
    status, _, page = connection.send("get", "GET", path)
    assert status == 200
    html = page.decode()
    last = questionnaire.sections[-1].code
    while True:
        fields = dict(HIDDEN.findall(html))
        answers = section_answers(questionnaire, fields["section"])
        body = urlencode({**fields, "move": "next", **answers}, doseq=True).encode()
        if fields["section"] == last:
            return body, fields["form_id"]
        status, headers, _ = connection.send("post", "POST", path, body, FORM)
        assert status == 302
        location = urlsplit(headers["Location"])
        status, _, page = connection.send(
            "get", "GET", f"{location.path}?{location.query}"
        )
        html = page.decode()


@pytest.mark.makes_own_database("postgresql")
def test_database_stopped_503_then_recovers(cluster, questionnaire, answers):
    url = fresh_database(cluster)
    prepare(url)
    with Gunicorn(url, workers=2, threads=2, preload=True) as server:
        phone = Connection(server.base_url, Tally())
        last_step, form_id = phone_until_last_step(phone, questionnaire)
        kiosks, threads, stop = start_kiosks(server, url, answers, 2, keep_going=True)
        wait_for(lambda: all(k.acknowledged for k in kiosks))

        cluster.stop()  # fast: in-flight transactions are rolled back
        page_status, page_headers, page = phone.send(
            "get", "GET", f"/s/{UNIT}", retry=False
        )
        health, _, _ = phone.send("get", "GET", "/healthz", retry=False)
        final_status, _, final_page = phone.send(
            "post", "POST", f"/s/{UNIT}", last_step, FORM, retry=False
        )
        refused_before = sum(k.refused for k in kiosks)
        wait_for(lambda: sum(k.refused for k in kiosks) > refused_before)

        cluster.start()
        wait_for(lambda: sum(len(k.acknowledged) for k in kiosks) > 100)
        healthy = [
            phone.send("get", "GET", "/healthz", retry=False)[0] for _ in range(4)
        ]
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert [k.crash for k in kiosks] == [None] * len(kiosks)

        # the friendly page in Vietnamese, and a JSON answer the kiosk keeps for
        assert page_status == 503
        text = page.decode()
        assert "Hệ thống tạm thời gián đoạn" in text
        assert "lưu dở dang" in text
        assert "Traceback" not in text
        assert page_headers["Retry-After"]
        assert health == 503
        assert final_status == 503
        assert "gián đoạn" in final_page.decode()
        assert healthy == [200, 200, 200, 200]  # back without a restart

        # nothing half-way: every stored response whole, none of the phone's
        acknowledged = set().union(*(k.acknowledged for k in kiosks))
        during = stored_responses(url)
        assert uuids(acknowledged) <= during.uuids
        assert uuid.UUID(form_id) not in during.uuids
        assert during.without_answers == 0
        assert len(answer_rows_per_response(url)) == 1

        # sent again now: stored once
        for _ in range(2):
            status, headers, _ = phone.send(
                "post", "POST", f"/s/{UNIT}", last_step, FORM
            )
            assert status == 302
            assert "/thanks/" in headers["Location"]
        phone.close()
        for kiosk in kiosks:
            kiosk.resend_unacknowledged(server.base_url)
            kiosk.resend_unacknowledged(server.base_url)
    final = stored_responses(url)
    sent = set().union(*(k.sent for k in kiosks))
    assert final.uuids == uuids(sent) | {uuid.UUID(form_id)}
    assert final.duplicates == 0
    assert final.without_answers == 0


@pytest.mark.makes_own_database("sqlite")
def test_a_database_locked_too_long_is_a_503_too(tmp_path, answers):
    """SQLite busy beyond its timeout: the kiosk's JSON 503, the friendly page."""
    app = prepare(f"sqlite:///{tmp_path / 'locked.db'}", SQLITE_BUSY_TIMEOUT_MS=50)
    with app.app_context():
        accounts.create_user("chief", STAFF_PASSWORD, Role.admin)
        db.session.commit()
        db.engine.dispose()
    (token,) = register_kiosks(app.config["SQLALCHEMY_DATABASE_URI"], 1)
    rng = random.Random(1)  # noqa: S311 - test data, not secrets
    item = kiosk_response(answers, datetime.now(UTC), rng)
    staff = app.test_client()
    assert login(staff, "chief", STAFF_PASSWORD).status_code == 302
    locker = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with locker.connect() as connection:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")
        try:
            answer = app.test_client().post(
                "/api/sync",
                json={"responses": [item]},
                headers={"Authorization": f"Bearer {token}"},
            )
            # a step sent with an expired form: even its error page needs the
            # database
            page = app.test_client().post(f"/s/{UNIT}", data={"move": "next"})
            # a logged-in page: the error page itself would load the user (was a 500)
            admin_page = staff.post("/admin/units/new", data={"code": "X"})
        finally:
            connection.exec_driver_sql("ROLLBACK")
    locker.dispose()
    assert answer.status_code == 503  # read and checked, then no lock to write
    assert answer.get_json()["retry"] is True
    assert stored_responses(app.config["SQLALCHEMY_DATABASE_URI"]).total == 0
    assert "giữ phiếu" in answer.get_json()["error"]
    assert page.status_code == 503
    assert "Hệ thống tạm thời gián đoạn" in page.get_data(as_text=True)
    assert re.search(r"\d+", page.headers["Retry-After"])
    assert admin_page.status_code == 503
    assert "Hệ thống tạm thời gián đoạn" in admin_page.get_data(as_text=True)
