"""Survey rounds (đợt khảo sát) and the units they cover."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.extensions import Model
from sipas.models.base import Timestamp, enum_column, utcnow
from sipas.models.questionnaires import QuestionnaireVersion
from sipas.models.units import Unit, UnitLevel


class WaveStatus(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class Weighting(enum.StrEnum):
    """How design weights are made."""

    #: population of the unit ÷ valid responses of the unit
    unit_population = "unit_population"
    #: every response weighs 1
    none = "none"


class Wave(Model):
    __tablename__ = "waves"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_versions.id")
    )
    starts_on: Mapped[date | None] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[WaveStatus] = mapped_column(
        enum_column(WaveStatus), default=WaveStatus.draft
    )
    #: Units of this level (ancestors of the responding unit) form the strata.
    strata_level: Mapped[UnitLevel | None] = mapped_column(
        enum_column(UnitLevel, name="strata_level")
    )
    #: Units of this level are the primary sampling units.
    psu_level: Mapped[UnitLevel | None] = mapped_column(
        enum_column(UnitLevel, name="psu_level")
    )
    weighting: Mapped[Weighting] = mapped_column(
        enum_column(Weighting), default=Weighting.unit_population
    )
    #: Known population margins for post-stratification or raking, e.g.
    #: {"sex": {"male": 0.49, "female": 0.51}}.
    calibration_margins: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: Count paper forms entered once, before a second entry has verified them
    #: (default: only verified paper forms count in the statistics).
    counts_unverified_paper: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false()
    )
    #: Count imported rows before an administrator accepts their file (default:
    #: they wait, since an import skips the double entry of paper forms).
    counts_unaccepted_imports: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false()
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    #: When the wave was last closed (None while never closed or reopened since).
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Days after the close that the original free-text answers are kept; then
    #: `flask sipas retention` replaces them by their masked text. None: kept.
    text_retention_days: Mapped[int | None]
    #: When the original free-text answers were erased (None: not yet).
    texts_erased_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: When the results were published on /ket-qua (None: not public, or
    #: unpublished since; the audit log keeps every publication).
    published_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: User name of the administrator who published them (a name, not a key: the
    #: audit log keeps who did what; None while not published).
    published_by: Mapped[str | None] = mapped_column(sa.String(80))

    questionnaire: Mapped[QuestionnaireVersion] = relationship()
    wave_units: Mapped[list[WaveUnit]] = relationship(
        back_populates="wave", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name="dates",
        ),
    )

    def __repr__(self) -> str:
        return f"<Wave {self.code}>"

    @property
    def is_published(self) -> bool:
        """True while the results are public."""
        return self.published_at is not None


class WaveUnit(Model):
    """A unit taking part in a wave, with its population and target sample."""

    __tablename__ = "wave_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(sa.ForeignKey("waves.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    #: People served in the survey period (e.g. dossiers handled); the weight base.
    population: Mapped[int | None]
    #: Responses the unit should collect.
    target_sample: Mapped[int | None]

    wave: Mapped[Wave] = relationship(back_populates="wave_units")
    unit: Mapped[Unit] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("wave_id", "unit_id"),
        sa.CheckConstraint("population IS NULL OR population >= 0", name="population"),
        sa.CheckConstraint(
            "target_sample IS NULL OR target_sample >= 0", name="target_sample"
        ),
    )
