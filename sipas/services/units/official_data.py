"""The official lists of administrative units (General Statistics Office, as shipped by
the `vietnam-provinces` package; see sipas/data/README.md), read without the database.

Since 1/7/2025: 34 provinces and 3,321 communes (xã, phường, đặc khu), no districts.
Before: 63 provinces, their districts and communes, each commune with the new ones it
went to. Codes were reused across the two lists, so every unit carries its era.
"""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sipas.models.units import OfficialEra, UnitLevel
from sipas.services.units.rules import fold

DATA_PATH = Path(__file__).parents[2] / "data" / "vietnam_units.json.gz"
#: The first day of the lists of 2025, the last day of the ones before.
NEW_LIST_FROM = date(2025, 7, 1)
OLD_LIST_TO = date(2025, 6, 30)
#: Digits of an official code at each level.
CODE_DIGITS = {UnitLevel.province: 2, UnitLevel.district: 3, UnitLevel.commune: 5}
#: First letter of the public unit code made for each level (tỉnh, huyện, xã).
CODE_LETTERS = {
    UnitLevel.province: "T",
    UnitLevel.district: "H",
    UnitLevel.commune: "X",
}
#: Suffix of the public code of a unit of the list before 1/7/2025 ("cũ": old).
OLD_CODE_SUFFIX = "-cu"

#: An official unit's identity: codes are unique per era and level only.
Key = tuple[OfficialEra, UnitLevel, str]


class UnknownProvince(ValueError):
    """No province of the current list has this code."""


@dataclass(frozen=True)
class OfficialUnit:
    """One unit of an official list, with its parent and successor as keys."""

    era: OfficialEra
    level: UnitLevel
    official_code: str
    name: str
    parent: Key | None = None
    #: for a unit of the old list: the unit of the new list that carries it on
    successor: Key | None = None

    @property
    def key(self) -> Key:
        return (self.era, self.level, self.official_code)

    @property
    def code(self) -> str:
        """The public unit code made for it: "T22", "X06688", "X06688-cu"."""
        code = CODE_LETTERS[self.level] + self.official_code
        return code if self.era is OfficialEra.from_2025 else code + OLD_CODE_SUFFIX


@functools.cache
def _lists() -> dict[str, Any]:
    return json.loads(gzip.decompress(DATA_PATH.read_bytes()))


def data_version() -> str:
    """The package version and date the lists were taken from."""
    lists = _lists()
    return f"{lists['source']} {lists['version']} ({lists['data_version']})"


def _padded(level: UnitLevel, code: int | str) -> str:
    return str(code).strip().zfill(CODE_DIGITS[level])


def official_provinces() -> list[tuple[str, str]]:
    """(code, name) of the provinces since 1/7/2025, by name without "Tỉnh"."""
    provinces = [
        (_padded(UnitLevel.province, code), name)
        for code, name, _kind in _lists()["provinces"]
    ]
    return sorted(provinces, key=lambda row: fold(_bare_name(row[1])))


def _bare_name(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh "):
        name = name.removeprefix(prefix)
    return name


def province_name(code: str) -> str:
    """The official name of the province ``code`` of the current list."""
    for province_code, name in official_provinces():
        if province_code == _padded(UnitLevel.province, code):
            return name
    raise UnknownProvince(code)


def official_units(province_code: str, with_history: bool) -> list[OfficialUnit]:
    """The province and its communes; with history also the old provinces,
    districts and communes whose communes went into them, parents first."""
    code = _padded(UnitLevel.province, province_code)
    new = OfficialEra.from_2025
    province = OfficialUnit(new, UnitLevel.province, code, province_name(code))
    communes = [
        OfficialUnit(new, UnitLevel.commune, _padded_commune(c), name, province.key)
        for c, name, _kind, in_province in _lists()["communes"]
        if in_province == int(code)
    ]
    units = [province, *communes]
    if with_history:
        units += _history(province, {unit.official_code for unit in communes})
    return units


def _history(province: OfficialUnit, new_codes: set[str]) -> list[OfficialUnit]:
    """The old units whose communes went (at least partly) into ``new_codes``."""
    lists, old, new = _lists(), OfficialEra.before_2025, OfficialEra.from_2025
    districts = {d[0]: d for d in lists["old_districts"]}
    communes, used_districts = [], set()
    for code, name, _kind, district, successors in lists["old_communes"]:
        inside = [s for s in map(_padded_commune, successors) if s in new_codes]
        if inside:  # the first listed in this province carries it on
            used_districts.add(district)
            parent = (old, UnitLevel.district, _padded(UnitLevel.district, district))
            successor = (new, UnitLevel.commune, inside[0])
            communes.append(
                OfficialUnit(
                    old,
                    UnitLevel.commune,
                    _padded_commune(code),
                    name,
                    parent,
                    successor,
                )
            )
    used_provinces = {districts[d][3] for d in used_districts}
    provinces = [
        OfficialUnit(
            old,
            UnitLevel.province,
            _padded(UnitLevel.province, code),
            name,
            successor=province.key,
        )
        for code, name, _kind in lists["old_provinces"]
        if code in used_provinces
    ]
    district_units = [
        OfficialUnit(
            old,
            UnitLevel.district,
            _padded(UnitLevel.district, code),
            name,
            (old, UnitLevel.province, _padded(UnitLevel.province, in_province)),
        )
        for code, name, _kind, in_province in lists["old_districts"]
        if code in used_districts
    ]
    return [*provinces, *district_units, *communes]


def _padded_commune(code: int) -> str:
    return _padded(UnitLevel.commune, code)
