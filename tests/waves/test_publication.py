"""Publishing a closed round's results and taking them down: the service, its audit
events, and the back-office pages that do it."""

from __future__ import annotations

import pytest

from sipas.extensions import db
from sipas.models import Role, WaveStatus
from sipas.services.waves.admin import WaveChangeRefused, change_status
from sipas.services.waves.lookup import wave_by_code
from sipas.services.waves.publication import (
    PublicationRefused,
    publish_wave,
    unpublish_wave,
)
from tests.factories import make_response
from tests.waves.test_admin import events, post


@pytest.fixture
def closed(demo_app):
    wave = wave_by_code("demo")
    make_response()
    change_status(wave, WaveStatus.closed, None)
    db.session.commit()
    return wave


def test_publish_stores_who_and_when_and_audits(closed, login_as, demo_client):
    admin = login_as(demo_client, Role.admin)
    publish_wave(closed, admin)
    assert closed.published_at is not None
    assert closed.published_by == admin.username
    (event,) = events("wave.publish")
    assert (event.user_id, event.object_id) == (admin.id, "demo")


def test_only_a_closed_round_is_published_and_once(demo_app):
    wave = wave_by_code("demo")
    with pytest.raises(PublicationRefused):
        publish_wave(wave, None)  # open
    change_status(wave, WaveStatus.closed, None)
    publish_wave(wave, None)
    with pytest.raises(PublicationRefused):
        publish_wave(wave, None)
    assert len(events("wave.publish")) == 1


def test_unpublish_needs_a_reason_and_audits_it(closed):
    publish_wave(closed, None)
    with pytest.raises(PublicationRefused):
        unpublish_wave(closed, None, "  ")
    assert closed.is_published
    unpublish_wave(closed, None, "Số liệu của một trung tâm cần rà soát")
    assert not closed.is_published
    assert closed.published_by is None
    (event,) = events("wave.unpublish")
    assert event.details["reason"] == "Số liệu của một trung tâm cần rà soát"
    assert event.details["published_at"]


def test_a_published_round_is_not_reopened(closed):
    publish_wave(closed, None)
    with pytest.raises(WaveChangeRefused):
        change_status(closed, WaveStatus.open, None, "thêm phiếu")
    assert closed.status is WaveStatus.closed


def test_admin_publishes_through_the_confirmation_page(closed, demo_client, login_as):
    login_as(demo_client, Role.admin)
    wave_page = demo_client.get("/admin/waves/demo").get_data(as_text=True)
    assert "/admin/waves/demo/publish" in wave_page
    confirm = demo_client.get("/admin/waves/demo/publish")
    assert confirm.status_code == 200
    assert not wave_by_code("demo").is_published  # asking changes nothing
    response = post(
        demo_client,
        "/admin/waves/demo/publish",
        {"confirm": "yes"},
    )
    assert response.status_code == 302
    assert wave_by_code("demo").is_published
    assert demo_client.get("/ket-qua/demo").status_code == 200


def test_admin_unpublishes_with_a_reason(closed, demo_client, login_as):
    publish_wave(closed, None)
    db.session.commit()
    login_as(demo_client, Role.admin)
    empty = post(
        demo_client,
        "/admin/waves/demo/unpublish",
        {"reason": ""},
    )
    assert empty.status_code == 400
    assert wave_by_code("demo").is_published
    done = post(
        demo_client,
        "/admin/waves/demo/unpublish",
        {"reason": "Sai sót khi nhập liệu"},
    )
    assert done.status_code == 302
    assert not wave_by_code("demo").is_published
    assert demo_client.get("/ket-qua/demo").status_code == 404
    assert events("wave.unpublish")[0].details["reason"] == "Sai sót khi nhập liệu"


def test_analyst_cannot_publish(closed, demo_client, login_as):
    login_as(demo_client, Role.analyst)
    response = post(
        demo_client,
        "/admin/waves/demo/publish",
        {"confirm": "yes"},
    )
    assert response.status_code == 403
    assert not wave_by_code("demo").is_published


def test_back_office_poster_link_leads_to_the_public_poster(
    closed, demo_client, login_as
):
    publish_wave(closed, None)
    db.session.commit()
    login_as(demo_client, Role.analyst)
    response = demo_client.get("/admin/waves/demo/poster?unit=QN-HALONG-TT&size=a3")
    assert response.status_code == 302
    assert response.location.endswith("/ket-qua/demo/QN-HALONG-TT/ap-phich.pdf?size=a3")
