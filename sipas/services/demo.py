"""Demo data: one province, its service centres, an open wave and an admin account."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import (
    OfficialEra,
    Role,
    Unit,
    UnitLevel,
    Wave,
    WaveStatus,
    WaveUnit,
    Weighting,
)
from sipas.services import accounts
from sipas.services.questionnaires import latest_version
from sipas.services.waves.lookup import wave_by_code

DEMO_WAVE_CODE = "demo"
DEMO_QUESTIONNAIRE = "sipas-2017"
ADMIN_USERNAME = "admin"

#: (code, name, level, parent code, population, target sample)
DEMO_UNITS: tuple[
    tuple[str, str, UnitLevel, str | None, int | None, int | None], ...
] = (
    ("QN", "Tỉnh Quảng Ninh", UnitLevel.province, None, None, None),
    (
        "QN-TTHCC",
        "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
        UnitLevel.centre,
        "QN",
        12400,
        400,
    ),
    ("QN-HALONG", "Phường Hạ Long", UnitLevel.commune, "QN", None, None),
    (
        "QN-HALONG-TT",
        "Trung tâm Phục vụ hành chính công phường Hạ Long",
        UnitLevel.centre,
        "QN-HALONG",
        5300,
        200,
    ),
    ("QN-CAMPHA", "Phường Cẩm Phả", UnitLevel.commune, "QN", None, None),
    (
        "QN-CAMPHA-TT",
        "Trung tâm Phục vụ hành chính công phường Cẩm Phả",
        UnitLevel.centre,
        "QN-CAMPHA",
        4100,
        200,
    ),
    ("QN-UONGBI", "Phường Uông Bí", UnitLevel.commune, "QN", None, None),
    (
        "QN-UONGBI-TT",
        "Trung tâm Phục vụ hành chính công phường Uông Bí",
        UnitLevel.centre,
        "QN-UONGBI",
        3800,
        150,
    ),
    ("QN-TIENYEN", "Xã Tiên Yên", UnitLevel.commune, "QN", None, None),
    (
        "QN-TIENYEN-TT",
        "Trung tâm Phục vụ hành chính công xã Tiên Yên",
        UnitLevel.centre,
        "QN-TIENYEN",
        1900,
        150,
    ),
)


#: Official codes (list of 1/7/2025) of the demo's province and communes, so that
#: loading Quảng Ninh's official units finds them instead of doubling them.
DEMO_OFFICIAL_CODES = {
    "QN": "22",
    "QN-HALONG": "06688",
    "QN-CAMPHA": "06793",
    "QN-UONGBI": "06811",
    "QN-TIENYEN": "06862",
}


class DemoNeedsQuestionnaire(Exception):
    """The questionnaire of the demo wave has not been stored yet."""


@dataclass(frozen=True)
class DemoReport:
    """What `ensure_demo` created; a second run creates nothing."""

    units_created: int
    #: the demo wave, made now or found
    wave: Wave
    wave_created: bool
    admin_password: str | None


def ensure_demo(admin_password: str | None = None) -> DemoReport:
    """Create whatever part of the demo data is missing; change nothing that exists."""
    units, created = _ensure_units()
    wave, wave_created = _ensure_wave(units)
    password = _ensure_admin(admin_password)
    return DemoReport(
        units_created=created,
        wave=wave,
        wave_created=wave_created,
        admin_password=password,
    )


def _ensure_units() -> tuple[dict[str, Unit], int]:
    existing = {
        unit.code: unit
        for unit in db.session.scalars(
            sa.select(Unit).where(Unit.code.in_([row[0] for row in DEMO_UNITS]))
        )
    }
    created = 0
    for code, name, level, parent_code, _population, _target in DEMO_UNITS:
        if code not in existing:
            parent = existing[parent_code] if parent_code else None
            existing[code] = Unit(
                code=code,
                name=name,
                level=level,
                parent=parent,
                valid_from=date(2025, 7, 1),
            )
            db.session.add(existing[code])
            created += 1
        _mark_official(existing[code])
    db.session.flush()
    return existing, created


def _mark_official(unit: Unit) -> None:
    """Give a demo province or commune its official code, once."""
    official_code = DEMO_OFFICIAL_CODES.get(unit.code)
    if official_code and unit.official_code is None:
        unit.official_code, unit.official_era = official_code, OfficialEra.from_2025


def _ensure_wave(units: dict[str, Unit]) -> tuple[Wave, bool]:
    """The demo wave, and whether it was made now."""
    existing = wave_by_code(DEMO_WAVE_CODE)
    if existing is not None:
        return existing, False
    version = latest_version(DEMO_QUESTIONNAIRE)
    if version is None:
        raise DemoNeedsQuestionnaire(DEMO_QUESTIONNAIRE)
    wave = Wave(
        code=DEMO_WAVE_CODE,
        title="Khảo sát sự hài lòng năm 2026 (dữ liệu mẫu)",
        questionnaire=version,
        starts_on=date(2026, 1, 1),
        status=WaveStatus.open,
        # a provincial exit survey: each centre a stratum, respondents sampled
        # inside it (each response its own PSU), weighted by dossiers handled
        strata_level=UnitLevel.centre,
        psu_level=None,
        weighting=Weighting.unit_population,
    )
    wave.wave_units = [
        WaveUnit(unit=units[code], population=population, target_sample=target)
        for code, _name, level, _parent, population, target in DEMO_UNITS
        if level is UnitLevel.centre
    ]
    db.session.add(wave)
    db.session.flush()
    return wave, True


def _ensure_admin(password: str | None) -> str | None:
    """Create the admin account; return a generated password to print once."""
    if accounts.find_user(ADMIN_USERNAME) is not None:
        return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    accounts.create_user(ADMIN_USERNAME, password, Role.admin)
    return generated
