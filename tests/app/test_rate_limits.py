"""Rate limits counted in the database: shared by app instances (worker
processes), per window, applied to phone steps, kiosk sync, logins and imports."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.errors import ERROR_TEXTS
from sipas.extensions import db
from sipas.models import RateLimitCounter, Role
from sipas.services import rate_limits
from tests.conftest import database_url, make_app

UNIT = "QN-HALONG-TT"


def counters() -> list[tuple[str, int, int]]:
    rows = db.session.execute(
        sa.select(
            RateLimitCounter.key, RateLimitCounter.window_start, RateLimitCounter.hits
        ).order_by(RateLimitCounter.key, RateLimitCounter.window_start)
    )
    return [tuple(row) for row in rows]


def test_hits_count_up_to_the_limit_then_refuse(app):
    verdicts = [
        rate_limits.hit("phone:1.2.3.4", 3, 60, now=1_000_000) for _ in range(4)
    ]
    db.session.commit()
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    # 1 000 000 is 40 s into the minute that started at 999 960
    assert verdicts[-1].retry_after == 20
    assert counters() == [("phone:1.2.3.4", 999_960, 4)]


def test_keys_are_counted_apart(app):
    rate_limits.hit("phone:a", 1, 60, now=1_000_000)
    assert rate_limits.hit("phone:b", 1, 60, now=1_000_000).allowed
    assert not rate_limits.hit("phone:a", 1, 60, now=1_000_000).allowed


def test_the_window_rolls_over(app):
    start = 1_000_020  # a window of 60 s starts at 1 000 020
    assert rate_limits.hit("k", 2, 60, now=start).allowed
    assert rate_limits.hit("k", 2, 60, now=start + 30).allowed
    refused = rate_limits.hit("k", 2, 60, now=start + 59)
    assert not refused.allowed
    assert refused.retry_after == 1
    fresh = rate_limits.hit("k", 2, 60, now=start + 60)
    assert fresh.allowed
    assert fresh.remaining == 1


def test_expired_windows_are_purged_and_current_ones_kept(app):
    rate_limits.hit("old", 5, 60, now=1_000_020)
    rate_limits.hit("current", 5, 60, now=1_000_090)
    assert rate_limits.purge_expired(now=1_000_090) == 1
    db.session.commit()
    assert [key for key, _start, _hits in counters()] == ["current"]


def test_a_new_window_purges_expired_ones_now_and_then(app, monkeypatch):
    monkeypatch.setattr(rate_limits, "_last_purge", 0.0)
    rate_limits.hit("old", 5, 60, now=1_000_020)
    rate_limits.hit("new", 5, 60, now=1_000_200)
    db.session.commit()
    assert [key for key, _start, _hits in counters()] == ["new"]


def test_two_app_instances_on_one_database_share_the_count(tmp_path):
    """Two create_app on one database: what two worker processes see."""
    url = database_url(tmp_path / "shared.db")
    first, second = (make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url) for _ in range(2))
    with first.app_context():
        db.create_all()
    seen = []
    for app in (first, second, first, second):
        with app.app_context():
            seen.append(rate_limits.hit("sync:kiosk", 3, 60, now=2_000_000))
            db.session.commit()
    assert [v.allowed for v in seen] == [True, True, True, False]
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


# ---- applied to the site ----


def error_heading(status: int) -> str:
    """The heading of the friendly error page, in the site's default language."""
    from flask import current_app

    with current_app.test_request_context():
        return str(ERROR_TEXTS[status][0])


@pytest.fixture
def limited(demo_app, monkeypatch):
    """The demo app with small limits, no CSRF tokens to fetch, and a fixed clock."""
    demo_app.config.update(
        WTF_CSRF_ENABLED=False,
        RATE_LIMIT_PHONE_PER_MINUTE=2,
        RATE_LIMIT_SYNC_PER_MINUTE=2,
        RATE_LIMIT_LOGIN_PER_MINUTE=2,
        RATE_LIMIT_IMPORTS_PER_HOUR=1,
    )
    clock = {"now": 3_000_000.0}  # the start of a minute and of an hour
    monkeypatch.setattr(rate_limits, "clock", lambda: clock["now"])
    return clock


def test_phone_steps_from_one_address_get_the_friendly_429(demo_client, limited):
    for _ in range(2):
        assert demo_client.post(f"/s/{UNIT}", data={}).status_code == 400
    refused = demo_client.post(f"/s/{UNIT}", data={})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert error_heading(429) in refused.get_data(as_text=True)
    other = demo_client.post(
        f"/s/{UNIT}", data={}, environ_base={"REMOTE_ADDR": "198.51.100.9"}
    )
    assert other.status_code == 400  # another address has its own count
    limited["now"] += 60
    assert demo_client.post(f"/s/{UNIT}", data={}).status_code == 400


def test_phone_pages_are_not_counted(demo_client, limited):
    for _ in range(3):
        assert demo_client.get(f"/s/{UNIT}").status_code == 200


def test_kiosk_sync_gets_json_429_per_device(demo_client, limited):
    headers = {"Authorization": "Bearer not-a-device"}
    for _ in range(2):
        assert (
            demo_client.post("/api/sync", json={}, headers=headers).status_code == 401
        )
    refused = demo_client.post("/api/sync", json={}, headers=headers)
    assert refused.status_code == 429
    assert refused.is_json
    assert refused.json["error"]
    assert int(refused.headers["Retry-After"]) == 60
    other = {"Authorization": "Bearer another-device"}
    assert demo_client.post("/api/sync", json={}, headers=other).status_code == 401


@pytest.mark.parametrize(
    "spelling",
    ["Bearer  {t}", "Bearer {t} ", " Bearer {t}", "bearer {t}", "BEARER   {t}  "],
)
def test_a_device_cannot_spell_its_header_around_the_limit(
    demo_client, limited, spelling
):
    token = "same-device-token"
    for _ in range(2):
        headers = {"Authorization": f"Bearer {token}"}
        demo_client.post("/api/sync", json={}, headers=headers)
    respelt = {"Authorization": spelling.format(t=token)}
    assert demo_client.post("/api/sync", json={}, headers=respelt).status_code == 429


def test_login_posts_are_limited_per_address(demo_client, limited):
    for _ in range(2):
        posted = demo_client.post(
            "/auth/login", data={"username": "x", "password": "y"}
        )
        assert posted.status_code == 200
    assert demo_client.get("/auth/login").status_code == 200
    refused = demo_client.post("/auth/login", data={"username": "x", "password": "y"})
    assert refused.status_code == 429


def test_imports_are_limited_per_user(demo_app, limited, login_as):
    first, second = demo_app.test_client(), demo_app.test_client()
    demo_app.config.update(WTF_CSRF_ENABLED=True, RATE_LIMIT_LOGIN_PER_MINUTE=0)
    login_as(first, Role.admin)
    login_as(second, Role.admin)
    demo_app.config["WTF_CSRF_ENABLED"] = False
    assert first.post("/admin/units/import", data={}).status_code == 400
    assert first.post("/admin/units/import", data={}).status_code == 429
    assert first.post("/entry/import", data={}).status_code == 429
    assert second.post("/admin/units/import", data={}).status_code == 400
    limited["now"] += 3600
    assert first.post("/admin/units/import", data={}).status_code == 400


@pytest.mark.parametrize(
    "setting",
    [{"RATE_LIMIT_PHONE_PER_MINUTE": 0}, {"RATE_LIMIT_ENABLED": False}],
    ids=["limit-zero", "switch-off"],
)
def test_limits_can_be_switched_off(demo_client, limited, demo_app, setting):
    demo_app.config.update(setting)
    for _ in range(4):
        assert demo_client.post(f"/s/{UNIT}", data={}).status_code == 400
    assert counters() == []
