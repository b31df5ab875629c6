"""Staff accounts: creation and password checks, with an audit trail."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import AuditEvent, Role, Unit, User
from sipas.models.base import utcnow


def find_user(username: str) -> User | None:
    """The account with ``username`` (NFC, case-insensitive), if any."""
    name = unicodedata.normalize("NFC", username).strip().lower()
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.username) == name)
    )


def create_user(
    username: str, password: str, role: Role, unit: Unit | None = None
) -> User:
    """Add an account with a hashed password."""
    user = User(
        username=unicodedata.normalize("NFC", username).strip(), role=role, unit=unit
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event("user.create", user=None, object_type="user", object_id=str(user.id))
    return user


def authenticate(username: str, password: str) -> User | None:
    """The enabled user whose password matches, else None; both outcomes are audited."""
    user = find_user(username)
    if user is None or not user.is_enabled or not user.check_password(password):
        record_event("login_failed", user=None, details={"username": username[:80]})
        return None
    user.last_login_at = utcnow()
    record_event("login", user=user)
    return user


def record_event(
    action: str,
    *,
    user: User | None,
    object_type: str | None = None,
    object_id: str | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append one audit event."""
    event = AuditEvent(
        action=action,
        user_id=user.id if user else None,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
    db.session.add(event)
    db.session.flush()
    return event
