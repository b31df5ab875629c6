"""Append-only audit trail of what staff did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from sipas.extensions import Model
from sipas.models.base import Timestamp, utcnow


class AuditEvent(Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    #: Who did it; None for the system or an anonymous visitor (failed logins).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: What happened, e.g. "login", "login_failed", "wave.create", "response.void".
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    #: Kind and id of the object acted on, e.g. ("wave", "12").
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class AuditEventIsAppendOnly(Exception):
    """Raised when code tries to change or delete an audit event."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper, _connection, target: AuditEvent) -> None:
    raise AuditEventIsAppendOnly(f"audit event {target.id} cannot be changed")
