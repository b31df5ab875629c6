"""The audit log page: admin only, newest first, filtered, paginated, read-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import AuditEvent, Role
from sipas.services import accounts, audit
from tests.conftest import ROOT, login


def event_at(action: str, moment: datetime, user=None, **details) -> AuditEvent:
    event = AuditEvent(
        action=action,
        occurred_at=moment,
        user_id=user.id if user else None,
        details=details or None,
    )
    db.session.add(event)
    return event


@pytest.fixture
def admin_client(demo_client):
    login(demo_client, "admin", "admin-test-password")
    return demo_client


def test_newest_first_with_vietnam_time_and_readable_details(admin_client):
    admin = accounts.find_user("admin")
    event_at("wave.close", datetime(2026, 3, 1, 1, 0, tzinfo=UTC), admin, wave="demo")
    event_at(
        "user.update",
        datetime(2026, 3, 2, 20, 30, tzinfo=UTC),
        admin,
        before={"role": "analyst", "unit": "QN"},
    )
    db.session.commit()
    html = admin_client.get("/admin/audit?start=2026-03-01&end=2026-03-03").get_data(
        as_text=True
    )
    assert html.index("03/03/2026 03:30") < html.index("01/03/2026 08:00")  # UTC+7
    assert "role: analyst, unit: QN" in html
    assert "wave.close" in html


def test_filters_by_action_user_and_dates(admin_client, demo_app):
    admin = accounts.find_user("admin")
    other = accounts.create_user("khac", "long-enough-pw", Role.analyst)
    event_at("export", datetime(2026, 1, 10, 3, 0, tzinfo=UTC), admin, marker="A")
    event_at("export", datetime(2026, 1, 20, 3, 0, tzinfo=UTC), other, marker="B")
    event_at("void", datetime(2026, 1, 20, 4, 0, tzinfo=UTC), admin, marker="C")
    # 31/01 23:30 in Vietnam is still 31/01 UTC+7, i.e. 16:30 UTC
    event_at("export", datetime(2026, 1, 31, 16, 30, tzinfo=UTC), admin, marker="D")
    event_at("export", datetime(2026, 1, 31, 17, 30, tzinfo=UTC), admin, marker="E")
    db.session.commit()

    def markers(query: str) -> set[str]:
        html = admin_client.get("/admin/audit?" + query).get_data(as_text=True)
        return {m for m in "ABCDE" if f"<dd>{m}</dd>" in html}

    assert markers("action=export") == {"A", "B", "D", "E"}
    assert markers(f"user={other.id}") == {"B"}
    assert markers("start=2026-01-15&end=2026-01-31") == {"B", "C", "D"}
    assert markers("action=export&start=2026-01-15&end=2026-01-20") == {"B"}


def test_fifty_events_a_page(admin_client):
    for number in range(120):
        event_at(
            "export", datetime(2026, 2, 1, 0, number % 60, tzinfo=UTC), None, n=number
        )
    db.session.commit()
    first = admin_client.get("/admin/audit?action=export").get_data(as_text=True)
    assert first.count("<time ") == 50
    assert 'rel="next" href="/admin/audit?page=2&amp;action=export"' in first
    assert 'rel="prev"' not in first
    third = admin_client.get("/admin/audit?action=export&page=3").get_data(as_text=True)
    assert third.count("<time ") == 20
    assert admin_client.get("/admin/audit?page=99").status_code == 200


def test_page_query_is_newest_first():
    filters = audit.AuditFilter()
    sql = str(audit.events_query(filters))
    assert "ORDER BY audit_events.occurred_at DESC" in sql


def test_login_shows_who_and_anonymous_failures(demo_app, admin_client):
    login(demo_app.test_client(), "nobody", "wrong-password")
    html = admin_client.get("/admin/audit").get_data(as_text=True)
    rows = html.split("<tr>")[2:]  # newest first, after the heading row
    assert "login_failed" in rows[0]
    assert "nobody" in rows[0]
    assert "<td>admin</td>" in rows[1]
    assert "login" in rows[1]
    query = sa.select(AuditEvent.action).order_by(AuditEvent.id)
    assert db.session.scalars(query).all()[-2:] == ["login", "login_failed"]


@pytest.mark.parametrize("role", [Role.analyst, Role.surveyor])
def test_only_admins_read_the_log(demo_app, login_as, role):
    client = demo_app.test_client()
    login_as(client, role, unit=None)
    assert client.get("/admin/audit").status_code == 403


def test_there_is_no_route_that_changes_events(demo_app):
    for rule in demo_app.url_map.iter_rules():
        if rule.rule.startswith("/admin/audit"):
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_every_recorded_action_has_a_readable_name():
    """Each action code written anywhere in the code has a label for the log page."""
    import re

    from sipas.admin.audit import ACTION_LABELS

    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "sipas").rglob("*.py")
        if path.name != "audit.py"
    )
    written = set(re.findall(r'record_event\(\s*"([a-z_.]+)"', source))
    written |= {f"export.{fmt}" for fmt in ("csv", "xlsx", "json")}
    missing = sorted(written - ACTION_LABELS.keys())
    assert not missing, missing
