"""The audit trail: events appended (`record_event`, `record_events`), and read
back filtered, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy.pagination import Pagination

from sipas.extensions import db
from sipas.models import AuditEvent, User
from sipas.services import clock


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
        occurred_at=clock.now(),
        action=action,
        user_id=user.id if user else None,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
    db.session.add(event)
    db.session.flush()
    return event


def record_events(
    action: str,
    *,
    user: User | None,
    object_type: str,
    details_by_object: dict[str, dict],
) -> None:
    """Append one audit event per object (its id → the event's details), in one
    flush."""
    moment = clock.now()
    db.session.add_all(
        AuditEvent(
            occurred_at=moment,
            action=action,
            user_id=user.id if user else None,
            object_type=object_type,
            object_id=object_id,
            details=details,
        )
        for object_id, details in details_by_object.items()
    )
    db.session.flush()


#: Events per page of the audit log.
PER_PAGE = 50


@dataclass(frozen=True)
class AuditFilter:
    """What to show; dates are whole days in the site's time zone, both included."""

    action: str | None = None
    user_id: int | None = None
    start: date | None = None
    end: date | None = None


def _day_start(day: date) -> datetime:
    """Midnight of ``day`` in the site's time zone (Vietnam), as an aware time."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=zone)


def events_query(filters: AuditFilter) -> sa.Select:
    """The events matching ``filters``, newest first."""
    query = sa.select(AuditEvent)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.user_id is not None:
        query = query.where(AuditEvent.user_id == filters.user_id)
    if filters.start is not None:
        query = query.where(AuditEvent.occurred_at >= _utc(_day_start(filters.start)))
    if filters.end is not None:
        end = _day_start(filters.end + timedelta(days=1))
        query = query.where(AuditEvent.occurred_at < _utc(end))
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo("UTC"))


def events_page(filters: AuditFilter, page: int) -> Pagination:
    """One page of matching events (an empty page past the end, never a 404)."""
    return db.paginate(
        events_query(filters), page=page, per_page=PER_PAGE, error_out=False
    )


def recorded_actions() -> list[str]:
    """Every action code present in the log, sorted."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)
        )
    )


def usernames(user_ids: set[int]) -> dict[int, str]:
    """Username of each id (accounts are never deleted, so all are found)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.username).where(User.id.in_(user_ids))
    )
    return {user_id: name for user_id, name in rows}
