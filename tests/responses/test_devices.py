"""Kiosk devices in the back office: register (enrolment link and QR shown once),
revoke, new token, last contact; every change audited; administrators only."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import AuditEvent, Device, Role
from sipas.models.base import utcnow
from sipas.services.responses import devices
from sipas.services.units.lookup import unit_by_code
from tests.conftest import CSRF_PATTERN
from tests.factories import demo_target

ENROL = re.compile(r'value="(http://localhost/kiosk/QN-HALONG-TT/enrol#token=([^"]+))"')


def _token(client) -> str:
    page = client.get("/admin/devices").get_data(as_text=True)
    return CSRF_PATTERN.search(page).group(1)


def _register(client, name: str = "Quầy 1"):
    _, unit = demo_target()
    return client.post(
        "/admin/devices",
        data={"csrf_token": _token(client), "unit": unit.id, "name": name},
    )


def _actions() -> list[str]:
    return list(
        db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id))
    )


def test_registering_shows_the_enrolment_link_once(demo_client, login_as):
    login_as(demo_client, Role.admin)
    answer = _register(demo_client, "Sảnh tầng 2")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    url, token = ENROL.search(html).groups()
    assert "<svg" in html
    assert "<title>" in html
    device = db.session.scalar(sa.select(Device))
    assert device.name == "Sảnh tầng 2"
    assert device.is_active
    # only the hash is stored, and it is the token's
    assert token not in device.token_hash
    assert devices.authenticate(f"Bearer {token}") == device
    assert "device.create" in _actions()
    # never again
    listing = demo_client.get("/admin/devices").get_data(as_text=True)
    assert "Sảnh tầng 2" in listing
    assert token not in listing
    assert url not in listing


def test_a_name_is_required(demo_client, login_as):
    login_as(demo_client, Role.admin)
    answer = _register(demo_client, "  ")
    assert answer.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Device.id))) == 0


def test_revoking_asks_first_then_stops_the_token_and_is_audited(demo_client, login_as):
    login_as(demo_client, Role.admin)
    token = ENROL.search(_register(demo_client).get_data(as_text=True)).group(2)
    device = db.session.scalar(sa.select(Device))
    confirm_url = f"/admin/devices/{device.id}/revoke"
    # the list links to a page that asks (no JavaScript needed) …
    listing = demo_client.get("/admin/devices").get_data(as_text=True)
    assert f'href="{confirm_url}"' in listing
    assert f'action="{confirm_url}"' not in listing
    page = demo_client.get(confirm_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with force_locale("vi"):
        assert _("Revoke kiosk %(name)s?", name="Quầy 1") in html
    assert f'action="{confirm_url}"' in html
    assert 'href="/admin/devices"' in html  # cancel
    assert device.is_active
    # … and its form revokes
    answer = demo_client.post(
        confirm_url,
        data={"csrf_token": CSRF_PATTERN.search(html).group(1), "confirm": "yes"},
    )
    assert answer.status_code == 302
    db.session.refresh(device)
    assert not device.is_active
    assert devices.authenticate(f"Bearer {token}") is None
    assert _actions()[-1] == "device.revoke"


def test_a_post_without_the_confirmation_revokes_nothing(demo_client, login_as):
    login_as(demo_client, Role.admin)
    _register(demo_client)
    device = db.session.scalar(sa.select(Device))
    answer = demo_client.post(
        f"/admin/devices/{device.id}/revoke", data={"csrf_token": _token(demo_client)}
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/admin/devices/{device.id}/revoke"
    db.session.refresh(device)
    assert device.is_active
    assert "device.revoke" not in _actions()


def test_a_new_token_is_shown_once_and_replaces_the_old(demo_client, login_as):
    login_as(demo_client, Role.admin)
    old = ENROL.search(_register(demo_client).get_data(as_text=True)).group(2)
    device = db.session.scalar(sa.select(Device))
    devices.revoke_device(device, None)
    db.session.commit()
    answer = demo_client.post(
        f"/admin/devices/{device.id}/token", data={"csrf_token": _token(demo_client)}
    )
    new = ENROL.search(answer.get_data(as_text=True)).group(2)
    assert new != old
    db.session.refresh(device)
    assert device.is_active
    assert devices.authenticate(f"Bearer {old}") is None
    assert devices.authenticate(f"Bearer {new}") == device
    assert _actions()[-1] == "device.token"


def test_the_list_shows_last_contact_version_and_unsent(demo_client, login_as):
    _, unit = demo_target()
    device, _token_value = devices.create_device(unit, "Quầy 3", None)
    device.last_seen_at = utcnow() - timedelta(minutes=5)
    device.app_version = "2026.11.25"
    device.unsent_count = 12
    db.session.commit()
    login_as(demo_client, Role.admin)
    html = demo_client.get("/admin/devices").get_data(as_text=True)
    assert "5 phút trước" in html
    assert "2026.11.25" in html
    assert ">12<" in html
    assert "QN-HALONG-TT" in html


def test_only_administrators_manage_kiosks(demo_client, login_as):
    login_as(demo_client, Role.analyst)
    assert demo_client.get("/admin/devices").status_code == 403


def test_only_units_collecting_in_an_open_round_can_be_chosen(demo_client, login_as):
    login_as(demo_client, Role.admin)
    with force_locale("vi"):
        html = demo_client.get("/admin/devices").get_data(as_text=True)
        reason = _("No survey round open (cannot be chosen)")
    enabled = re.findall(r"<option(?![^>]*disabled)[^>]*>([^<]+)</option>", html)
    assert sorted(label.split(" — ")[0] for label in enabled) == [
        "QN-CAMPHA-TT",
        "QN-HALONG-TT",
        "QN-TIENYEN-TT",
        "QN-TTHCC",
        "QN-UONGBI-TT",
    ]
    # the others are shown greyed, under the reason
    group = re.search(
        rf'<optgroup label="{re.escape(reason)}">(.*?)</optgroup>', html, re.S
    )
    assert group, html
    assert re.search(
        r"<option disabled[^>]*>QN-HALONG — Phường Hạ Long", group.group(1)
    )


def test_a_unit_without_an_open_round_is_refused(demo_client, login_as):
    login_as(demo_client, Role.admin)
    ward = unit_by_code("QN-HALONG")
    answer = demo_client.post(
        "/admin/devices",
        data={"csrf_token": _token(demo_client), "unit": ward.id, "name": "Quầy 1"},
    )
    assert answer.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Device.id))) == 0
