"""Paper forms: the serial numbers printed and handed out for a wave and unit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.extensions import Model
from sipas.models.base import Timestamp, utcnow
from sipas.models.units import Unit
from sipas.models.users import User
from sipas.models.waves import Wave


class PaperForm(Model):
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


class PaperEntry(Model):
    """One typing of a paper form: the first entry, the blind second entry by
    another surveyor, or the settlement of their differences."""

    __tablename__ = "paper_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(sa.ForeignKey("waves.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: Running number of the form (as in PaperForm.serial).
    serial: Mapped[int]
    #: 1 = first entry, 2 = second (blind) entry, 3 = settlement against the paper.
    round: Mapped[int]
    entered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    #: When the serial was accepted and the answer page shown.
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    submitted_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    seconds: Mapped[int | None]
    #: Keys pressed on the answer page, counted by its script (None without it).
    keystrokes: Mapped[int | None]
    #: {item code: code or text, [codes] for multi-choice, null = no answer}; items
    #: skipped by the form's skip rules are absent.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: The response this entry produced or updated.
    response_id: Mapped[int | None] = mapped_column(sa.ForeignKey("responses.id"))

    wave: Mapped[Wave] = relationship()
    unit: Mapped[Unit] = relationship()
    entered_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("wave_id", "serial", "round"),
        sa.CheckConstraint("round IN (1, 2, 3)", name="round"),
    )

    def __repr__(self) -> str:
        return f"<PaperEntry {self.wave_id}:{self.serial} round {self.round}>"
