"""Kiosk devices: a touch screen in a service hall, enrolled with a secret token."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.extensions import Model
from sipas.models.base import Timestamp, utcnow
from sipas.models.units import Unit


class Device(Model):
    """One kiosk; only the SHA-256 hash of its token is kept."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: What staff call it ("Quầy 1", "Sảnh tầng 2").
    name: Mapped[str] = mapped_column(sa.String(120))
    #: Hex SHA-256 of the bearer token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Last sync or heartbeat.
    last_seen_at: Mapped[datetime | None] = mapped_column(Timestamp)
    app_version: Mapped[str | None] = mapped_column(sa.String(40))
    #: How many finished responses the device said it still holds unsent.
    unsent_count: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    unit: Mapped[Unit] = relationship()

    @property
    def code(self) -> str:
        """The value stored in ``Response.device_code`` for its responses."""
        return f"kiosk-{self.id}"

    def __repr__(self) -> str:
        return f"<Device {self.id} {self.name}>"
