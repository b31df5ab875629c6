"""Finding units: by code or id (with a 404 for views), and those a user may see."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import OfficialEra, Unit, UnitLevel


def unit_by_code(code: str | None) -> Unit | None:
    """The unit with ``code`` (surrounding spaces ignored), if any."""
    code = (code or "").strip()
    return db.session.scalar(sa.select(Unit).filter_by(code=code)) if code else None


def unit_or_404(code: str) -> Unit:
    """The unit with ``code``; a 404 when there is none (for views)."""
    return db.one_or_404(sa.select(Unit).filter_by(code=code.strip()))


def unit_by_id_or_404(unit_id: int) -> Unit:
    """The unit with ``unit_id``; a 404 when there is none (for views)."""
    return db.get_or_404(Unit, unit_id)


def all_units() -> list[Unit]:
    """Every unit, by code."""
    return list(db.session.scalars(sa.select(Unit).order_by(Unit.code)))


def visible_units(visible: Collection[int] | None) -> list[Unit]:
    """The units in ``visible`` (None: every unit), by code."""
    query = sa.select(Unit).order_by(Unit.code)
    if visible is not None:
        query = query.where(Unit.id.in_(sorted(visible)))
    return list(db.session.scalars(query))


def unit_by_official_code(
    official_code: str, level: UnitLevel, era: OfficialEra = OfficialEra.from_2025
) -> Unit | None:
    """The unit with this official code in the list of ``era`` (codes were reused
    across eras, so never look one up without its era)."""
    return db.session.scalar(
        sa.select(Unit).filter_by(
            official_code=official_code, level=level, official_era=era
        )
    )
