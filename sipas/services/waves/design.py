"""A wave's sampling design: stratum, PSU and design weight of each responding unit."""

from __future__ import annotations

import enum
from collections import Counter
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


class DesignChoice(enum.StrEnum):
    """How the respondents were chosen, as a provincial office would say it."""

    #: everyone served in the period was asked, or people were drawn at random at
    #: each unit: the units are strata, each respondent is drawn on their own
    by_unit = "by_unit"
    #: some communes (or centres) were chosen first, then people there
    two_stage = "two_stage"
    #: whoever chose to answer: no sampling design at all
    convenience = "convenience"
    #: strata, PSUs and weighting set by hand
    custom = "custom"


@dataclass(frozen=True)
class DesignSettings:
    """The technical settings a design choice stands for."""

    strata_level: UnitLevel | None
    psu_level: UnitLevel | None
    weighting: Weighting


def design_settings(choice: DesignChoice, unit_level: UnitLevel) -> DesignSettings:
    """Strata, PSUs and weighting of ``choice`` for a wave of ``unit_level`` units
    (``custom`` has none: a ValueError)."""
    if choice is DesignChoice.by_unit:
        return DesignSettings(unit_level, None, Weighting.unit_population)
    if choice is DesignChoice.two_stage:
        # communes are the clusters; a centre under the province itself (no commune
        # above it) is a certainty unit whose respondents are drawn one by one
        cluster = UnitLevel.commune if unit_level is UnitLevel.centre else unit_level
        strata = None if unit_level is UnitLevel.province else UnitLevel.province
        return DesignSettings(strata, cluster, Weighting.unit_population)
    if choice is DesignChoice.convenience:
        return DesignSettings(None, None, Weighting.none)
    raise ValueError(choice)


def choice_of(settings: DesignSettings, unit_level: UnitLevel | None) -> DesignChoice:
    """The choice whose settings are ``settings``, or ``custom``."""
    if unit_level is not None:
        for choice in DesignChoice:
            if choice is not DesignChoice.custom and settings == design_settings(
                choice, unit_level
            ):
                return choice
    return DesignChoice.custom


def wave_settings(wave: Wave) -> DesignSettings:
    """The wave's strata level, PSU level and weighting."""
    return DesignSettings(wave.strata_level, wave.psu_level, wave.weighting)


def taking_part_level(wave: Wave) -> UnitLevel | None:
    """The level of the units taking part in ``wave`` (the most common one)."""
    levels = Counter(wave_unit.unit.level for wave_unit in wave.wave_units)
    return levels.most_common(1)[0][0] if levels else None
