"""Administrative units: a dated tree (province → commune → service centre …)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.extensions import Model
from sipas.models.base import Timestamp, enum_column, utcnow


class UnitLevel(enum.StrEnum):
    """Where a unit sits in the administrative hierarchy."""

    province = "province"
    district = "district"
    commune = "commune"
    centre = "centre"


class OfficialEra(enum.StrEnum):
    """Which official list an official code belongs to: on 1/7/2025 the lists were
    renumbered and codes reused (80 was Long An, then Tây Ninh), so a code means
    nothing without its era."""

    before_2025 = "before-2025-07"
    from_2025 = "2025-07"


class Unit(Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable public code used in URLs (/s/<code>) and files; never reused.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[UnitLevel] = mapped_column(enum_column(UnitLevel))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: First day the unit exists in this shape.
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    #: Last day it existed (merged or dissolved); None while it exists.
    valid_to: Mapped[date | None] = mapped_column(sa.Date)
    #: The unit that took over after a merger, so results can follow it across waves.
    successor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    #: Code in the General Statistics Office's list of its era, zero-padded (province
    #: 2 digits, district 3, commune 5); None for units the office made up (centres).
    official_code: Mapped[str | None] = mapped_column(sa.String(5))
    #: The list ``official_code`` comes from; codes join only within one era.
    official_era: Mapped[OfficialEra | None] = mapped_column(enum_column(OfficialEra))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    parent: Mapped[Unit | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list[Unit]] = relationship(
        foreign_keys=[parent_id], back_populates="parent", order_by="Unit.code"
    )
    successor: Mapped[Unit | None] = relationship(
        remote_side=[id], foreign_keys=[successor_id]
    )

    __table_args__ = (
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name="valid_dates",
        ),
        # an index, not a constraint: SQLite adds it without rebuilding the table
        sa.Index(
            "ix_units_official_code",
            "official_era",
            "level",
            "official_code",
            unique=True,
        ),
    )

    def is_valid_on(self, day: date) -> bool:
        """True if the unit exists on ``day``."""
        starts_ok = self.valid_from is None or self.valid_from <= day
        return starts_ok and (self.valid_to is None or day <= self.valid_to)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"
