"""Paper forms: the serial numbers printed and handed out for a wave and unit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.extensions import db
from sipas.models.base import Timestamp, utcnow
from sipas.models.units import Unit
from sipas.models.waves import Wave


class PaperForm(db.Model):
    """One printed form: its serial is unique within the wave."""

    __tablename__ = "paper_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(sa.ForeignKey("waves.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: Running number printed on the form (with its check digit, see
    #: sipas.questionnaire.serials); unique per wave.
    serial: Mapped[int]
    #: Forms printed together share a batch id.
    batch: Mapped[str] = mapped_column(sa.String(32), index=True)
    issued_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    #: Who printed it; None from the command line.
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    wave: Mapped[Wave] = relationship()
    unit: Mapped[Unit] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("wave_id", "serial"),
        sa.CheckConstraint("serial > 0", name="serial_positive"),
    )

    def __repr__(self) -> str:
        return f"<PaperForm {self.wave_id}:{self.serial}>"
