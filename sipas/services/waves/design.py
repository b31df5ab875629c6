"""A wave's sampling design: stratum, PSU and design weight of each responding unit."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm

from sipas.extensions import db
from sipas.models import (
    Response,
    ResponseStatus,
    Unit,
    UnitLevel,
    Wave,
    WaveUnit,
    Weighting,
)

#: Stratum of every response when the wave sets no strata level.
SINGLE_STRATUM = "all"


class WeightingError(ValueError):
    """Design weights cannot be made: units with responses lack a population."""

    def __init__(self, unit_codes: list[str]) -> None:
        super().__init__(", ".join(unit_codes))
        self.unit_codes = unit_codes


@dataclass(frozen=True)
class UnitDesign:
    """Where a unit's responses sit in the design, and the weight of each."""

    unit: Unit
    stratum: str
    #: PSU code, or None when every response is its own PSU
    psu: str | None
    weight: float
    responses: int


def _ancestor_at(unit: Unit, level: UnitLevel | None) -> Unit | None:
    """The unit itself or its nearest ancestor at ``level``."""
    node: Unit | None = unit
    while node is not None and level is not None:
        if node.level is level:
            return node
        node = node.parent
    return None


def valid_counts(wave: Wave) -> dict[int, int]:
    """Complete (counted) responses per unit id."""
    rows = db.session.execute(
        sa.select(Response.unit_id, sa.func.count())
        .where(Response.wave_id == wave.id, Response.status == ResponseStatus.complete)
        .group_by(Response.unit_id)
    )
    return dict(rows.all())


def unit_designs(wave: Wave) -> dict[int, UnitDesign]:
    """Design of every unit of the wave that has responses."""
    counts = valid_counts(wave)
    # every unit in the session at once: walking up to strata and PSUs then needs
    # no query per unit (many-to-one loads find them in the identity map)
    all_units = db.session.scalars(sa.select(Unit)).all()
    wave_units = db.session.scalars(
        sa.select(WaveUnit)
        .where(WaveUnit.wave_id == wave.id)
        .options(sa.orm.joinedload(WaveUnit.unit))
    ).all()
    missing = [
        wu.unit.code
        for wu in wave_units
        if counts.get(wu.unit_id)
        and not wu.population
        and wave.weighting is Weighting.unit_population
    ]
    if missing:
        raise WeightingError(sorted(missing))
    designs = {}
    for wu in wave_units:
        n = counts.get(wu.unit_id, 0)
        if not n:
            continue
        stratum_unit = _ancestor_at(wu.unit, wave.strata_level)
        psu_unit = _ancestor_at(wu.unit, wave.psu_level)
        weight = (
            wu.population / n
            # a population is always there: its absence was refused above
            if wave.weighting is Weighting.unit_population and wu.population
            else 1.0
        )
        designs[wu.unit_id] = UnitDesign(
            unit=wu.unit,
            stratum=stratum_unit.code if stratum_unit else SINGLE_STRATUM,
            psu=psu_unit.code if psu_unit else None,
            weight=float(weight),
            responses=n,
        )
    del all_units
    return designs
