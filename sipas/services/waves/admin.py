"""Creating survey rounds, changing their design and moving them through their states,
every change audited."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import (
    QuestionnaireVersion,
    Unit,
    UnitLevel,
    User,
    Wave,
    WaveStatus,
    WaveUnit,
    Weighting,
)
from sipas.models.base import utcnow
from sipas.services.audit import record_event
from sipas.services.units.tree import subtree_ids

log = logging.getLogger(__name__)

#: The status changes allowed; closed → open is a reopening and needs a reason.
TRANSITIONS = {
    (WaveStatus.draft, WaveStatus.open),
    (WaveStatus.open, WaveStatus.closed),
    (WaveStatus.closed, WaveStatus.open),
}


class WaveChangeRefused(ValueError):
    """The change is not allowed (wrong transition, reason missing, no units)."""


@dataclass(frozen=True)
class WaveDesign:
    """Dates and sampling design of a wave: what an administrator may edit later."""

    starts_on: date | None
    ends_on: date | None
    strata_level: UnitLevel | None
    psu_level: UnitLevel | None
    weighting: Weighting
    #: As stored on the wave (see sipas.services.waves.margins), None: no calibration.
    calibration_margins: dict[str, Any] | None
    #: Days the original free-text answers are kept after the close; None: for good.
    text_retention_days: int | None = None

    def as_audit(self) -> dict[str, Any]:
        """The design as JSON-friendly values for the audit log."""
        return {
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
            "strata_level": self.strata_level.value if self.strata_level else None,
            "psu_level": self.psu_level.value if self.psu_level else None,
            "weighting": self.weighting.value,
            "calibration_margins": self.calibration_margins,
            "text_retention_days": self.text_retention_days,
        }


def questionnaire_versions() -> list[QuestionnaireVersion]:
    """Every stored questionnaire version, newest first."""
    return list(
        db.session.scalars(
            sa.select(QuestionnaireVersion).order_by(
                QuestionnaireVersion.created_at.desc(), QuestionnaireVersion.id.desc()
            )
        )
    )


def covered_units(root: Unit, level: UnitLevel, day: date | None = None) -> list[Unit]:
    """The units of ``level`` in ``root``'s subtree (``root`` included) that still
    exist on ``day`` (when given), by code."""
    query = (
        sa.select(Unit)
        .where(Unit.id.in_(subtree_ids(root.id)), Unit.level == level)
        .order_by(Unit.code)
    )
    units = db.session.scalars(query).all()
    return [u for u in units if day is None or u.valid_to is None or u.valid_to >= day]


def create_wave(
    *,
    code: str,
    title: str,
    questionnaire: QuestionnaireVersion,
    design: WaveDesign,
    root: Unit,
    unit_level: UnitLevel,
    user: User | None,
) -> Wave:
    """A draft wave covering every ``unit_level`` unit below ``root``."""
    units = covered_units(root, unit_level, design.starts_on)
    if not units:
        raise WaveChangeRefused("no units")
    wave = Wave(
        code=_clean(code),
        title=_clean(title),
        questionnaire=questionnaire,
        status=WaveStatus.draft,
    )
    _apply_design(wave, design)
    wave.wave_units = [WaveUnit(unit=unit) for unit in units]
    db.session.add(wave)
    db.session.flush()
    _audit(
        "wave.create",
        wave,
        user,
        {
            "title": wave.title,
            "questionnaire": f"{questionnaire.code} r{questionnaire.revision}",
            "root": root.code,
            "unit_level": unit_level.value,
            "units": len(units),
            **design.as_audit(),
        },
    )
    log.info("wave %s created with %s units", wave.code, len(units))
    return wave


def design_of(wave: Wave) -> WaveDesign:
    """The wave's current dates and design."""
    return WaveDesign(
        starts_on=wave.starts_on,
        ends_on=wave.ends_on,
        strata_level=wave.strata_level,
        psu_level=wave.psu_level,
        weighting=wave.weighting,
        calibration_margins=wave.calibration_margins,
        text_retention_days=wave.text_retention_days,
    )


def update_wave(wave: Wave, design: WaveDesign, user: User | None) -> dict[str, Any]:
    """Set the wave's dates and design; audit what changed (returned)."""
    before, after = design_of(wave).as_audit(), design.as_audit()
    changed = {
        key: {"from": before[key], "to": value}
        for key, value in after.items()
        if before[key] != value
    }
    if changed:
        _apply_design(wave, design)
        db.session.flush()
        _audit("wave.update", wave, user, changed)
    return changed


def change_status(
    wave: Wave, status: WaveStatus, user: User | None, reason: str = ""
) -> None:
    """Move the wave to ``status``; reopening a closed wave needs a reason."""
    reason = _clean(reason)
    previous = wave.status
    if (previous, status) not in TRANSITIONS:
        raise WaveChangeRefused(f"{previous.value} → {status.value}")
    is_reopening = previous is WaveStatus.closed
    if is_reopening and not reason:
        raise WaveChangeRefused("a reopening needs a reason")
    if is_reopening and wave.is_published:
        # new answers would change figures the public already read
        raise WaveChangeRefused("a published round is unpublished before reopening")
    wave.status = status
    # retention of the original free text counts from the (last) close
    wave.closed_at = utcnow() if status is WaveStatus.closed else None
    db.session.flush()
    details = {"from": previous.value, "to": status.value}
    if reason:
        details["reason"] = reason
    _audit("wave.status", wave, user, details)
    if is_reopening:
        _audit("wave.reopen", wave, user, {"reason": reason})
    log.info("wave %s: %s → %s", wave.code, previous.value, status.value)


def next_statuses(wave: Wave) -> list[WaveStatus]:
    """The statuses the wave may move to now (none while its results are public)."""
    if wave.is_published:
        return []
    return [to for frm, to in sorted(TRANSITIONS) if frm is wave.status]


def _audit(action: str, wave: Wave, user: User | None, details: dict) -> None:
    record_event(
        action, user=user, object_type="wave", object_id=wave.code, details=details
    )


def _apply_design(wave: Wave, design: WaveDesign) -> None:
    wave.starts_on = design.starts_on
    wave.ends_on = design.ends_on
    wave.strata_level = design.strata_level
    wave.psu_level = design.psu_level
    wave.weighting = design.weighting
    wave.calibration_margins = design.calibration_margins
    wave.text_retention_days = design.text_retention_days


def _clean(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").strip()
