"""POST /api/sync and GET /api/ping: device tokens, acknowledgement by UUID,
idempotent resubmission, limits, flagged invalid or spam responses."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Channel, Device, Response, ResponseStatus, WaveStatus
from sipas.questionnaire import Questionnaire
from sipas.questionnaire.quality import (
    DEVICE_RATE,
    DEVICE_THROUGHPUT,
    NO_TIMING,
    signal_bit,
)
from sipas.services.questionnaires import parsed
from sipas.services.responses import devices
from sipas.services.results.sums import wave_analysis
from sipas.stats.indices import Options
from tests.factories import demo_target, valid_answers

DEVICE_RATE_BIT = signal_bit(DEVICE_RATE)


def varied_answers(questionnaire: Questionnaire) -> dict[str, object]:
    """Valid answers whose criteria scores differ (so not straight-lining)."""
    answers = valid_answers(questionnaire)
    for k, item in enumerate(questionnaire.criteria):
        answers[item.code] = "5" if k % 3 == 0 else "4"
    return answers


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def kiosk_response(seconds: int = 180, submitted_ago: int = 0, **changes) -> dict:
    wave, unit = demo_target()
    submitted = datetime.now(UTC) - timedelta(seconds=submitted_ago)
    item = {
        "uuid": str(uuid.uuid4()),
        "unit_code": unit.code,
        "answers": varied_answers(parsed(wave.questionnaire)),
        "started_at": _iso(submitted - timedelta(seconds=seconds)),
        "submitted_at": _iso(submitted),
        "language": "vi",
    }
    item.update(changes)
    return item


@pytest.fixture
def kiosk(demo_app):
    """A registered kiosk of the demo unit and its token, enrolled the day before
    (the throughput rule gives a device enrolled a moment ago no backlog)."""
    _, unit = demo_target()
    device, token = devices.create_device(unit, "Quầy 1", None)
    device.created_at = datetime.now(UTC) - timedelta(days=1)
    db.session.commit()
    return device, token


def sync(client, token, responses, **extra):
    body = {"app_version": "2026.11.25", "unsent": len(responses)}
    body.update(extra)
    body["responses"] = responses
    return client.post(
        "/api/sync", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def stored(item: dict) -> Response | None:
    return db.session.scalar(
        sa.select(Response).filter_by(uuid=uuid.UUID(item["uuid"]))
    )


def count_responses() -> int:
    return db.session.scalar(sa.select(sa.func.count(Response.id)))


@pytest.mark.parametrize(
    "header",
    [None, "Bearer ", "Bearer not-a-registered-token", "Basic dXNlcjpwYXNz"],
)
def test_sync_without_a_valid_token_is_refused_in_vietnamese(
    demo_client, kiosk, header
):
    headers = {"Authorization": header} if header is not None else {}
    answer = demo_client.post(
        "/api/sync", json={"responses": [kiosk_response()]}, headers=headers
    )
    assert answer.status_code == 401
    assert answer.is_json
    assert "Thiết bị" in answer.get_json()["error"]
    assert count_responses() == 0


def test_a_revoked_kiosk_is_refused(demo_client, kiosk):
    device, token = kiosk
    devices.revoke_device(device, None)
    db.session.commit()
    assert sync(demo_client, token, [kiosk_response()]).status_code == 401
    assert (
        demo_client.get(
            "/api/ping", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )


def test_a_new_token_replaces_the_old_one(demo_client, kiosk):
    device, old = kiosk
    new = devices.reissue_token(device, None)
    db.session.commit()
    assert sync(demo_client, old, []).status_code == 401
    assert sync(demo_client, new, []).status_code == 200


def test_responses_are_stored_and_acknowledged_by_uuid(demo_client, kiosk):
    device, token = kiosk
    batch = [kiosk_response(), kiosk_response(submitted_ago=120)]
    answer = sync(demo_client, token, batch)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["acknowledged"] == [item["uuid"] for item in batch]
    assert "server_time" in body
    assert "pending" not in body
    for item in batch:
        response = stored(item)
        assert response.channel is Channel.kiosk
        assert response.device_code == device.code
        assert response.status is ResponseStatus.complete
        assert response.duration_seconds == 180
    earlier = stored(batch[1]).submitted_at.replace(tzinfo=UTC)
    assert datetime.now(UTC) - earlier > timedelta(seconds=110)


def test_resubmission_is_acknowledged_and_stores_nothing_new(demo_client, kiosk):
    _, token = kiosk
    batch = [kiosk_response()]
    first = sync(demo_client, token, batch).get_json()
    again = sync(demo_client, token, batch + [kiosk_response(submitted_ago=200)])
    assert first["acknowledged"] == [batch[0]["uuid"]]
    assert again.get_json()["acknowledged"][0] == batch[0]["uuid"]
    assert len(again.get_json()["acknowledged"]) == 2
    assert count_responses() == 2


def test_more_than_200_responses_is_too_large(demo_client, kiosk):
    _, token = kiosk
    item = kiosk_response()
    answer = sync(demo_client, token, [item] * 201)
    assert answer.status_code == 413
    assert answer.get_json()["error"]
    assert count_responses() == 0
    assert sync(demo_client, token, [item] * 200).status_code == 200
    assert count_responses() == 1


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'{"responses": "many"}', b'"text"']
)
def test_malformed_requests_get_a_clear_400(demo_client, kiosk, body):
    _, token = kiosk
    answer = demo_client.post(
        "/api/sync",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 400
    assert "JSON" in answer.get_json()["error"]


def test_an_invalid_response_is_kept_flagged_and_acknowledged(demo_client, kiosk):
    _, token = kiosk
    wave, _ = demo_target()
    criterion = parsed(wave.questionnaire).criteria[0].code
    item = kiosk_response()
    item["answers"][criterion] = "7"
    item["answers"]["NO_SUCH_ITEM"] = "1"
    broken = kiosk_response(answers="not a mapping")
    body = sync(demo_client, token, [item, broken]).get_json()
    assert body["acknowledged"] == [item["uuid"], broken["uuid"]]
    response = stored(item)
    assert response.status is ResponseStatus.flagged
    assert response.status_reason.startswith("invalid:")
    assert f"{criterion}:not_a_choice" in response.status_reason
    assert "NO_SUCH_ITEM:unknown_item" in response.status_reason
    # the valid answers are kept
    assert {a.item_code for a in response.answers} >= {
        parsed(wave.questionnaire).criteria[1].code
    }
    assert stored(broken).status_reason == "invalid:answers"


def test_device_reports_are_recorded(demo_client, kiosk):
    device, token = kiosk
    assert device.last_seen_at is None
    sync(demo_client, token, [kiosk_response()], app_version="2026.12.01", unsent=7)
    db.session.refresh(device)
    assert device.app_version == "2026.12.01"
    assert device.unsent_count == 7
    seen = device.last_seen_at.replace(tzinfo=UTC)
    assert datetime.now(UTC) - seen < timedelta(minutes=1)


def test_ping_is_a_heartbeat(demo_client, kiosk):
    device, token = kiosk
    answer = demo_client.get("/api/ping", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert answer.get_json()["server_time"].endswith("Z")
    db.session.refresh(device)
    assert device.last_seen_at is not None
    assert demo_client.get("/api/ping").status_code == 401


def test_no_open_wave_leaves_the_response_with_the_device(demo_client, kiosk):
    _, token = kiosk
    wave, _ = demo_target()
    wave.status = WaveStatus.closed
    db.session.commit()
    item = kiosk_response()
    body = sync(demo_client, token, [item]).get_json()
    assert body["acknowledged"] == []
    assert body["pending"] == [{"uuid": item["uuid"], "reason": "no_open_wave"}]
    assert count_responses() == 0


def test_another_units_response_is_not_taken(demo_client, kiosk):
    _, token = kiosk
    item = kiosk_response(unit_code="QN-CAMPHA-TT")
    body = sync(demo_client, token, [item]).get_json()
    assert body["pending"] == [{"uuid": item["uuid"], "reason": "wrong_unit"}]
    assert count_responses() == 0


def test_a_spam_speed_run_is_flagged_and_not_counted(demo_client, kiosk):
    _, token = kiosk
    wave, _ = demo_target()
    genuine = [kiosk_response(submitted_ago=300 * k) for k in range(1, 4)]
    sync(demo_client, token, genuine)
    before = wave_analysis(wave, Options()).n_rows
    assert before == 3
    # five questionnaires in 8 seconds each, one right after the other
    spam = [kiosk_response(seconds=8, submitted_ago=10 * k) for k in range(5)]
    body = sync(demo_client, token, spam).get_json()
    assert len(body["acknowledged"]) == 5
    reasons = {stored(item).status_reason for item in spam}
    assert reasons == {"too_fast,far_too_fast"}
    assert all(stored(item).status is ResponseStatus.flagged for item in spam)
    assert wave_analysis(wave, Options()).n_rows == before


def test_too_many_from_one_kiosk_in_a_minute(demo_client, kiosk):
    _, token = kiosk
    burst = [kiosk_response(seconds=120, submitted_ago=40 - 10 * k) for k in range(5)]
    sync(demo_client, token, burst)
    # alone, the signal marks them for review; they still count
    signals = [stored(item).quality_signals for item in burst]
    assert signals == [0, 0, 0, DEVICE_RATE_BIT, DEVICE_RATE_BIT]
    assert {stored(item).status for item in burst} == {ResponseStatus.complete}
    assert db.session.scalar(sa.select(sa.func.count(Device.id))) == 1


def test_a_full_batch_fits_and_a_body_too_large_is_413(demo_client, kiosk):
    _, token = kiosk
    batch = [kiosk_response(submitted_ago=60 * k) for k in range(200)]
    # long comments make a full batch larger than the site's usual request limit
    note = "x" * 150_000
    body = json.dumps({"responses": batch, "note": note}).encode()
    assert len(body) > 256 * 1024
    answer = sync(demo_client, token, batch, note=note)
    assert answer.status_code == 200
    assert len(answer.get_json()["acknowledged"]) == 200
    huge = demo_client.post(
        "/api/sync",
        data=b'{"responses": [], "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert huge.status_code == 413
    assert huge.get_json()["error"]


def test_a_device_clock_far_ahead_is_not_believed(demo_client, kiosk):
    _, token = kiosk
    item = kiosk_response(submitted_ago=-3600, seconds=100)
    sync(demo_client, token, [item])
    submitted = stored(item).submitted_at.replace(tzinfo=UTC)
    assert submitted - datetime.now(UTC) < timedelta(minutes=1)


def test_deeply_nested_json_is_a_clear_400(demo_client, kiosk):
    _device, token = kiosk
    response = demo_client.post(
        "/api/sync",
        data="[" * 100_000 + "]" * 100_000,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400
    assert response.json["error"]


def backdated_replay(count: int, unit_code: str = "QN-HALONG-TT") -> list[dict]:
    """What a copied kiosk token can send: ``count`` responses without a start
    time, their finishing times spread a few minutes apart into the past."""
    replay = [
        kiosk_response(submitted_ago=150 * k, unit_code=unit_code) for k in range(count)
    ]
    for item in replay:
        del item["started_at"]
    return replay


def test_a_kiosk_token_replaying_200_backdated_responses_gets_them_flagged(
    demo_client, kiosk
):
    _, token = kiosk
    wave, _ = demo_target()
    replay = backdated_replay(200)
    body = sync(demo_client, token, replay).get_json()
    assert len(body["acknowledged"]) == 200
    responses = [stored(item) for item in replay]
    assert {r.status for r in responses} == {ResponseStatus.flagged}
    throughput, no_timing = signal_bit(DEVICE_THROUGHPUT), signal_bit(NO_TIMING)
    assert all(r.quality_signals & throughput for r in responses)
    assert all(r.quality_signals & no_timing for r in responses)
    assert wave_analysis(wave, Options()).n_rows == 0


def test_a_response_without_start_time_is_marked_not_clean(demo_client, kiosk):
    _, token = kiosk
    (item,) = backdated_replay(1)
    sync(demo_client, token, [item])
    response = stored(item)
    assert response.quality_signals == signal_bit(NO_TIMING)
    assert response.status is ResponseStatus.complete  # marked, still counted


def test_throughput_is_judged_on_the_servers_clock_not_the_devices(demo_client, kiosk):
    device, token = kiosk
    # a kiosk enrolled ten minutes ago cannot have finished 60 questionnaires,
    # however far back (and however plausibly spaced) it dates them
    device.created_at = datetime.now(UTC) - timedelta(minutes=10)
    db.session.commit()
    claimed = [kiosk_response(seconds=150, submitted_ago=180 * k) for k in range(60)]
    sync(demo_client, token, claimed)
    responses = [stored(item) for item in claimed]
    assert {r.status_reason for r in responses} == {"device_throughput"}
    assert {r.status for r in responses} == {ResponseStatus.flagged}


def test_an_honest_backlog_within_a_kiosks_pace_is_counted(demo_client, kiosk):
    _, token = kiosk
    # a morning offline: 150 respondents, two to three minutes each, then a sync
    backlog = [kiosk_response(seconds=150, submitted_ago=160 * k) for k in range(150)]
    sync(demo_client, token, backlog)
    responses = [stored(item) for item in backlog]
    assert {r.quality_signals for r in responses} == {0}
    assert {r.status for r in responses} == {ResponseStatus.complete}
