"""A province's official units in one step: its communes since 1/7/2025 and, on
request, the units before that date as closed units followed by the new ones.

Set-based: one query reads what exists, one INSERT … RETURNING per level creates and
one executemany per level updates. Only the official units are touched (and units an
office made by hand under their exact names, which become them), so the service
centres an office added stay where they are.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import OfficialEra, Unit, UnitLevel, User
from sipas.services.audit import record_event
from sipas.services.units.official_data import (
    NEW_LIST_FROM,
    OLD_LIST_TO,
    Key,
    OfficialUnit,
    official_units,
    province_name,
)

log = logging.getLogger(__name__)

#: The order units are written in: parents and successors before the units they serve.
WRITE_ORDER = (
    (OfficialEra.from_2025, UnitLevel.province),
    (OfficialEra.from_2025, UnitLevel.commune),
    (OfficialEra.before_2025, UnitLevel.province),
    (OfficialEra.before_2025, UnitLevel.district),
    (OfficialEra.before_2025, UnitLevel.commune),
)
Group = tuple[OfficialEra, UnitLevel]
#: What a load does to each unit.
_KINDS = ("created", "updated", "unchanged")
_COLUMNS = (
    Unit.id,
    Unit.code,
    Unit.name,
    Unit.level,
    Unit.official_era,
    Unit.official_code,
    Unit.parent_id,
    Unit.valid_to,
    Unit.successor_id,
)


@dataclass(frozen=True)
class GroupCount:
    """What a load does to one era and level."""

    era: OfficialEra
    level: UnitLevel
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class OfficialReport:
    """What a load of a province does, or did: counts per era and level."""

    province_code: str
    province_name: str
    with_history: bool
    groups: tuple[GroupCount, ...]
    #: public codes the load would make that another unit already uses
    conflicts: tuple[str, ...] = ()

    def total(self, kind: str) -> int:
        """How many units are ``kind`` ("created", "updated", "unchanged")."""
        return sum(getattr(group, kind) for group in self.groups)

    @property
    def closed(self) -> int:
        """Units of the list before 1/7/2025 (all closed on 30/6/2025)."""
        return sum(
            g.created + g.updated + g.unchanged
            for g in self.groups
            if g.era is OfficialEra.before_2025
        )

    @property
    def changes(self) -> int:
        """Units created or updated."""
        return self.total("created") + self.total("updated")


@dataclass
class _Plan:
    """The official units of a load and the stored rows of those that exist."""

    units: list[OfficialUnit]
    stored: dict[Key, Any]

    def change(self, unit: OfficialUnit) -> str:
        """What the load does to ``unit``: created, updated or unchanged."""
        row = self.stored.get(unit.key)
        if row is None:
            return "created"
        return "updated" if _values(unit, self.stored, row) else "unchanged"

    def groups(self) -> tuple[GroupCount, ...]:
        """Created, updated and unchanged per era and level, in write order."""
        counts: Counter[tuple[Group, str]] = Counter(
            ((unit.era, unit.level), self.change(unit)) for unit in self.units
        )
        return tuple(
            GroupCount(era, level, *(counts[((era, level), kind)] for kind in _KINDS))
            for era, level in WRITE_ORDER
            if any(counts[((era, level), kind)] for kind in _KINDS)
        )


def preview_official(
    province_code: str, *, with_history: bool = False
) -> OfficialReport:
    """What loading the province would do; writes nothing (raises UnknownProvince)."""
    return _report(province_code, with_history, _plan(province_code, with_history))


def _plan(province_code: str, with_history: bool) -> _Plan:
    units = official_units(province_code, with_history)
    db.session.flush()
    stored = _stored(units)
    stored.update(_same_named(units, stored))
    return _Plan(units, stored)


def _report(province_code: str, with_history: bool, plan: _Plan) -> OfficialReport:
    return OfficialReport(
        province_code=plan.units[0].official_code,
        province_name=province_name(province_code),
        with_history=with_history,
        groups=plan.groups(),
        conflicts=tuple(_conflicts(plan.units, plan.stored)),
    )


def _stored(units: list[OfficialUnit]) -> dict[Key, Any]:
    """The stored rows of these official units, by key, in one query."""
    codes = sorted({unit.official_code for unit in units})
    rows = db.session.execute(sa.select(*_COLUMNS).where(Unit.official_code.in_(codes)))
    return {(row.official_era, row.level, row.official_code): row for row in rows}


def _same_named(units: list[OfficialUnit], stored: dict[Key, Any]) -> dict[Key, Any]:
    """Units an office made before, without an official code, taken for official
    ones: the province by its exact name, a commune by its name under it (one query;
    a name two such units share is left alone)."""
    new = [u for u in units if u.era is OfficialEra.from_2025 and u.key not in stored]
    if not new:
        return {}
    rows = db.session.execute(
        sa.select(*_COLUMNS).where(
            Unit.official_code.is_(None), Unit.name.in_({u.name for u in new})
        )
    ).all()
    names = Counter((row.level, row.name) for row in rows)
    by_name = {(r.level, r.name): r for r in rows if names[(r.level, r.name)] == 1}
    province = units[0]
    found = {}
    province_row = stored.get(province.key) or by_name.get(
        (UnitLevel.province, province.name)
    )
    if province_row is not None and province.key not in stored:
        found[province.key] = province_row
    for unit in new:
        row = by_name.get((UnitLevel.commune, unit.name))
        if row is not None and province_row is not None:
            if row.parent_id == province_row.id:
                found[unit.key] = row
    return found


def _conflicts(units: list[OfficialUnit], stored: dict[Key, Any]) -> list[str]:
    """Public codes of units to create that another unit already has."""
    wanted = [unit.code for unit in units if unit.key not in stored]
    taken = db.session.scalars(sa.select(Unit.code).where(Unit.code.in_(wanted)))
    return sorted(taken)


def _ids(stored: dict[Key, Any], key: Key | None) -> int | None:
    row = stored.get(key) if key else None
    return row.id if row is not None else None


def _values(
    unit: OfficialUnit, stored: dict[Key, Any], row: Any = None
) -> dict[str, Any]:
    """The official fields of ``unit``: all of them for a new row, only those that
    differ from ``row`` for a stored one."""
    values: dict[str, Any] = {
        "name": unit.name,
        "parent_id": _ids(stored, unit.parent),
        "official_era": unit.era,
        "official_code": unit.official_code,
    }
    if unit.era is OfficialEra.before_2025:
        values["valid_to"] = OLD_LIST_TO
        values["successor_id"] = _ids(stored, unit.successor)
    if row is None:
        return values
    if row.successor_id is not None and unit.successor is not None:
        values.pop("successor_id")  # a commune split in two keeps the one it has
    if row.parent_id is not None and unit.parent is None:
        values.pop("parent_id")  # a province an office placed under another unit
    return {
        name: value for name, value in values.items() if getattr(row, name) != value
    }


def load_official(
    province_code: str, *, with_history: bool = False, user: User | None = None
) -> OfficialReport:
    """Create or update the province's official units (see the module); flushes.

    Returns what was done. Raises UnknownProvince, or CodeTaken when a code to
    create belongs to another unit (then nothing is written).
    """
    plan = _plan(province_code, with_history)
    report = _report(province_code, with_history, plan)
    if report.conflicts:
        raise CodeTaken(list(report.conflicts))
    for group in WRITE_ORDER:
        _write([u for u in plan.units if (u.era, u.level) == group], plan.stored)
    db.session.expire_all()
    details: dict[str, Any] = {
        "province": report.province_code,
        "with_history": with_history,
    }
    details.update({kind: report.total(kind) for kind in _KINDS})
    record_event("unit.load_official", user=user, object_type="unit", details=details)
    log.info("official units of %s loaded: %s", report.province_code, details)
    return report


class CodeTaken(Exception):
    """Codes the load would give new units belong to other units already."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes


def _write(units: list[OfficialUnit], stored: dict[Key, Any]) -> None:
    """Insert the new units of one group, update the changed ones, and note the ids
    of the new ones in ``stored`` for the groups that point at them."""
    new = [unit for unit in units if unit.key not in stored]
    changed = [
        {"id": stored[unit.key].id, **changes}
        for unit in units
        if unit.key in stored and (changes := _values(unit, stored, stored[unit.key]))
    ]
    if new:
        rows = [_new_row(unit, stored) for unit in new]
        inserted = db.session.execute(sa.insert(Unit).returning(*_COLUMNS), rows)
        for row in inserted:
            stored[(row.official_era, row.level, row.official_code)] = row
    for same_columns in _by_columns(changed):
        db.session.execute(sa.update(Unit), same_columns)


def _new_row(unit: OfficialUnit, stored: dict[Key, Any]) -> dict[str, Any]:
    row = {
        "code": unit.code,
        "level": unit.level,
        "valid_from": NEW_LIST_FROM if unit.era is OfficialEra.from_2025 else None,
        "valid_to": None,
        "successor_id": None,
    }
    return row | _values(unit, stored)


def _by_columns(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by the columns they set, one executemany each."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())
