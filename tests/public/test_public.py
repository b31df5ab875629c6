"""Health check, error pages, login and the admin overview."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import AuditEvent
from sipas.models.audit import AuditEventIsAppendOnly
from tests.conftest import login, make_app
from tests.databases import databases


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": True}


def test_healthz_503_when_database_is_gone(tmp_path):
    bad = make_app(
        tmp_path, SQLALCHEMY_DATABASE_URI=databases.unreachable_url(tmp_path)
    )
    response = bad.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] is False


def test_404_page_is_vietnamese_and_friendly(client):
    response = client.get("/khong-co-trang-nay")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in html
    assert 'href="/"' in html


def test_admin_requires_login(demo_client):
    response = demo_client.get("/admin/")
    assert response.status_code == 302
    assert "/auth/login" in response.location


def test_login_and_overview(demo_client):
    response = login(demo_client, "admin", "admin-test-password")
    assert response.status_code == 302
    html = demo_client.get("/admin/").get_data(as_text=True)
    assert "Khảo sát sự hài lòng năm 2026 (dữ liệu mẫu)" in html  # the demo wave
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "login" in actions


def test_wrong_password_is_refused_and_audited(demo_client):
    response = login(demo_client, "admin", "wrong")
    assert response.status_code == 200
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)
    assert demo_client.get("/admin/").status_code == 302
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "login_failed" in actions


def test_audit_events_cannot_be_changed(demo_client):
    login(demo_client, "admin", "admin-test-password")
    event = db.session.scalar(sa.select(AuditEvent))
    event.action = "something else"
    with pytest.raises(AuditEventIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(sa.select(AuditEvent)))
    with pytest.raises(AuditEventIsAppendOnly):
        db.session.flush()
