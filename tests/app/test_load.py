"""The batched sync path (responses.record_many) keeps the one-by-one rules."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from sipas.database import engine_options
from sipas.extensions import db
from sipas.models import Answer, Response, ResponseStatus, WaveStatus
from sipas.questionnaire.quality import DEVICE_RATE, signal_bit
from tests.api.test_sync import count_responses, kiosk, kiosk_response, stored, sync
from tests.factories import demo_target

__all__ = ["kiosk"]  # the fixture, used by name below
DEVICE_RATE_BIT = signal_bit(DEVICE_RATE)


def test_the_device_rate_counts_responses_of_an_earlier_batch(demo_client, kiosk):
    _, token = kiosk
    first = [kiosk_response(submitted_ago=50 - 10 * k) for k in range(3)]
    sync(demo_client, token, first)
    later = [kiosk_response(submitted_ago=15), kiosk_response(submitted_ago=-200)]
    sync(demo_client, token, later)
    assert [stored(item).quality_signals for item in first] == [0, 0, 0]
    # the fourth in the minute raises the signal (alone, it still counts); one far
    # from the others does not
    assert [stored(item).quality_signals for item in later] == [DEVICE_RATE_BIT, 0]
    assert stored(later[0]).status is ResponseStatus.complete


def test_the_same_response_twice_in_one_batch_is_stored_once(demo_client, kiosk):
    _, token = kiosk
    item = kiosk_response()
    body = sync(demo_client, token, [item, dict(item)]).get_json()
    assert body["acknowledged"] == [item["uuid"], item["uuid"]]
    assert count_responses() == 1
    answers = db.session.scalar(
        sa.select(sa.func.count()).select_from(Answer).join(Response)
    )
    assert answers == len(stored(item).answers) > 0


def test_a_stored_response_sent_again_after_the_wave_closed_is_acknowledged(
    demo_client, kiosk
):
    """A kiosk that lost the first answer must be able to clear its queue."""
    _, token = kiosk
    item = kiosk_response()
    sync(demo_client, token, [item])
    wave, _ = demo_target()
    wave.status = WaveStatus.closed
    db.session.commit()
    fresh = kiosk_response(submitted_ago=300)
    body = sync(demo_client, token, [item, fresh]).get_json()
    assert body["acknowledged"] == [item["uuid"]]
    assert body["pending"] == [{"uuid": fresh["uuid"], "reason": "no_open_wave"}]
    assert count_responses() == 1


def test_unreadable_answers_are_kept_flagged_in_a_batch(demo_client, kiosk):
    _, token = kiosk
    good, broken = kiosk_response(), kiosk_response(answers=[1, 2], submitted_ago=90)
    body = sync(demo_client, token, [good, broken]).get_json()
    assert len(body["acknowledged"]) == 2
    assert stored(good).status_reason is None
    assert stored(broken).status_reason == "invalid:answers"


def test_a_batch_is_few_statements(demo_client, kiosk):
    """The queries of a batch do not grow with its size."""
    _, token = kiosk
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sync(demo_client, token, [kiosk_response(submitted_ago=300)])
    batch = [kiosk_response(submitted_ago=70 * k) for k in range(50)]
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        body = sync(demo_client, token, batch).get_json()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(body["acknowledged"]) == 50
    assert len(statements) < 20, statements
    assert {stored(item).uuid for item in batch} == {
        uuid.UUID(item["uuid"]) for item in batch
    }


def test_a_server_database_pool_survives_restarts_and_fails_fast():
    options = engine_options(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@db/sipas",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 8},
            "DATABASE_CONNECT_TIMEOUT": "3",
        }
    )
    assert options["pool_pre_ping"] is True
    assert options["pool_size"] == 8  # an explicit engine option wins
    assert options["connect_args"] == {"connect_timeout": 3}
    sqlite = engine_options({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"})
    assert sqlite == {}


def test_a_sync_checks_its_batch_before_it_takes_the_write_lock(demo_client, kiosk):
    """SQLite: the reads and checks run in a plain BEGIN; only the writes wait for
    (and hold) the lock the other workers queue for. Before both, the device's rate
    limit is counted in a short transaction of its own."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is how SQLite queues writers")
    _, token = kiosk
    batch = [kiosk_response(submitted_ago=70 * k) for k in range(5)]
    db.session.commit()  # the test's own reads: the request starts afresh
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert sync(demo_client, token, batch).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    begins = [i for i, s in enumerate(statements) if s.startswith("BEGIN")]
    assert [statements[i] for i in begins] == [
        "BEGIN IMMEDIATE",  # the rate-limit count, committed at once
        "BEGIN",  # reading and checking the batch
        "BEGIN IMMEDIATE",  # storing it
    ]
    counting = statements[begins[0] + 1 : begins[1]]
    assert all("rate_limits" in s for s in counting if s != "COMMIT")
    checking, storing = statements[begins[1] : begins[2]], statements[begins[2] :]
    assert not any(s.startswith(("INSERT", "UPDATE")) for s in checking)
    assert any(s.startswith("INSERT INTO responses") for s in storing)
