"""Finding survey rounds: by code, those a user may see, the units of one, the
round a unit is collecting answers for, and the rounds whose results are public."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from sipas.extensions import db
from sipas.models import Unit, Wave, WaveStatus, WaveUnit
from sipas.services.units.lookup import unit_or_404
from sipas.services.units.tree import is_within, subtree_ids


def wave_by_code(code: str | None) -> Wave | None:
    """The wave with ``code``, if any."""
    return db.session.scalar(sa.select(Wave).filter_by(code=code)) if code else None


def wave_or_404(code: str) -> Wave:
    """The wave with ``code``; a 404 when there is none (for views)."""
    return db.one_or_404(sa.select(Wave).filter_by(code=code))


def published_waves() -> list[Wave]:
    """The rounds whose results are public, newest publication first."""
    return list(
        db.session.scalars(
            sa.select(Wave)
            .where(Wave.published_at.is_not(None))
            .order_by(Wave.published_at.desc(), Wave.id.desc())
        )
    )


def published_wave_or_404(code: str) -> Wave:
    """The round with ``code`` if its results are public; a 404 otherwise (also
    for a round unpublished since, so its address tells nothing)."""
    return db.one_or_404(
        sa.select(Wave).filter_by(code=code).where(Wave.published_at.is_not(None))
    )


def published_unit_or_404(wave: Wave, unit_code: str) -> Unit:
    """A unit of the published ``wave``, or one above its units (a district over
    its communes); a 404 for any other code."""
    unit = unit_or_404(unit_code)
    taking_part = sa.select(WaveUnit.unit_id).where(
        WaveUnit.wave_id == wave.id, WaveUnit.unit_id.in_(subtree_ids(unit.id))
    )
    if db.session.scalar(taking_part.limit(1)) is None:
        abort(404)
    return unit


def visible_waves(
    visible: Collection[int] | None, statuses: Collection[WaveStatus] | None = None
) -> list[Wave]:
    """The waves a user may see: those with a unit in ``visible`` (None: every
    wave), of the given ``statuses`` if any, newest first."""
    query = sa.select(Wave)
    if visible is not None:
        query = query.where(
            sa.exists().where(
                WaveUnit.wave_id == Wave.id, WaveUnit.unit_id.in_(sorted(visible))
            )
        )
    if statuses is not None:
        query = query.where(Wave.status.in_(list(statuses)))
    return list(
        db.session.scalars(
            query.order_by(Wave.starts_on.desc().nulls_last(), Wave.id.desc())
        )
    )


def wave_units(wave: Wave, visible: Collection[int] | None = None) -> list[WaveUnit]:
    """The wave's units (those in ``visible`` when given), by unit code."""
    query = (
        sa.select(WaveUnit)
        .join(Unit)
        .where(WaveUnit.wave_id == wave.id)
        .order_by(Unit.code)
    )
    if visible is not None:
        query = query.where(WaveUnit.unit_id.in_(sorted(visible)))
    return list(db.session.scalars(query))


def units_of(wave: Wave, visible: Collection[int] | None = None) -> list[Unit]:
    """The units taking part in ``wave`` (those in ``visible`` when given), by code."""
    return [wave_unit.unit for wave_unit in wave_units(wave, visible)]


@dataclass(frozen=True)
class SurveyTarget:
    """A unit together with the open wave it currently collects answers for."""

    unit: Unit
    wave: Wave


def _open_on(day: date) -> sa.ColumnElement[bool]:
    """Waves that are open and whose dates (if set) include ``day``."""
    return sa.and_(
        Wave.status == WaveStatus.open,
        sa.or_(Wave.starts_on.is_(None), Wave.starts_on <= day),
        sa.or_(Wave.ends_on.is_(None), Wave.ends_on >= day),
    )


def find_open_target(unit_code: str, day: date | None = None) -> SurveyTarget | None:
    """The unit with ``unit_code`` and its open wave today, or None."""
    day = day or date.today()
    row = db.session.execute(
        sa.select(Unit, Wave)
        .join(WaveUnit, WaveUnit.unit_id == Unit.id)
        .join(Wave, Wave.id == WaveUnit.wave_id)
        .where(Unit.code == unit_code, _open_on(day))
        .order_by(Wave.starts_on.desc().nulls_last(), Wave.id.desc())
        .limit(1)
    ).first()
    if row is None or not row.Unit.is_valid_on(day):
        return None
    return SurveyTarget(unit=row.Unit, wave=row.Wave)


def _depth(unit: Unit) -> int:
    """How many ancestors a unit has (the province's own centre comes first)."""
    depth, parent = 0, unit.parent
    while parent is not None:
        depth, parent = depth + 1, parent.parent
    return depth


def open_targets(day: date | None = None) -> list[SurveyTarget]:
    """Every unit with an open wave today, higher levels first, then by name."""
    day = day or date.today()
    rows = db.session.execute(
        sa.select(Unit, Wave)
        .join(WaveUnit, WaveUnit.unit_id == Unit.id)
        .join(Wave, Wave.id == WaveUnit.wave_id)
        .options(joinedload(Unit.parent))
        .where(_open_on(day))
        .order_by(Unit.code, Wave.id.desc())
    ).all()
    seen: set[int] = set()
    targets = []
    for unit, wave in rows:
        if unit.id not in seen and unit.is_valid_on(day):
            seen.add(unit.id)
            targets.append(SurveyTarget(unit=unit, wave=wave))
    return sorted(targets, key=lambda t: (_depth(t.unit), t.unit.name))


def open_unit_ids(day: date | None = None) -> set[int]:
    """Ids of the units collecting answers in an open wave today."""
    return {target.unit.id for target in open_targets(day)}


def open_targets_near(
    unit: Unit, day: date | None = None, limit: int = 8
) -> list[SurveyTarget]:
    """Other units collecting in an open wave today, nearest first: those below
    ``unit``, else below its parent, and so on up the tree (at most ``limit``)."""
    targets = [t for t in open_targets(day) if t.unit.id != unit.id]
    node: Unit | None = unit
    while node is not None:
        near = [t for t in targets if is_within(t.unit, node)]
        if near:
            return near[:limit]
        node = node.parent
    return []
