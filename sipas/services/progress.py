"""How far each wave has come: responses per unit against the target sample."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Response, ResponseStatus, Unit, Wave, WaveUnit


@dataclass(frozen=True)
class UnitProgress:
    unit: Unit
    target_sample: int | None
    population: int | None
    responses: int

    @property
    def share_of_target(self) -> float | None:
        """Responses as a fraction of the target, when a target is set."""
        return self.responses / self.target_sample if self.target_sample else None


@dataclass(frozen=True)
class WaveProgress:
    wave: Wave
    units: tuple[UnitProgress, ...]

    @property
    def responses(self) -> int:
        """All counted responses of the wave."""
        return sum(unit.responses for unit in self.units)


def waves_overview(visible: set[int] | None = None) -> list[WaveProgress]:
    """Progress of every wave, newest first, with one grouped count query; only the
    units in ``visible`` (None: all), and only waves that have some of them."""
    counts = _counts()
    waves = db.session.scalars(sa.select(Wave).order_by(Wave.id.desc())).all()
    overview = [_wave_progress(wave, counts, visible) for wave in waves]
    return [p for p in overview if visible is None or p.units]


def _counts() -> dict[tuple[int, int], int]:
    """Complete responses per (wave id, unit id)."""
    rows = db.session.execute(
        sa.select(Response.wave_id, Response.unit_id, sa.func.count())
        .where(Response.status == ResponseStatus.complete)
        .group_by(Response.wave_id, Response.unit_id)
    )
    return {(wave_id, unit_id): count for wave_id, unit_id, count in rows}


def _wave_progress(
    wave: Wave, counts: dict[tuple[int, int], int], visible: set[int] | None
) -> WaveProgress:
    query = sa.select(WaveUnit).join(Unit).where(WaveUnit.wave_id == wave.id)
    if visible is not None:
        query = query.where(WaveUnit.unit_id.in_(visible))
    wave_units = db.session.scalars(query.order_by(Unit.code)).all()
    units = tuple(
        UnitProgress(
            unit=wu.unit,
            target_sample=wu.target_sample,
            population=wu.population,
            responses=counts.get((wave.id, wu.unit_id), 0),
        )
        for wu in wave_units
    )
    return WaveProgress(wave=wave, units=units)
