"""Official units of a province: the 2025 list, the old one followed by the new one,
codes kept per era, loads that change nothing the second time."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import date

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import AuditEvent, OfficialEra, Unit, UnitLevel
from sipas.services.units import official
from sipas.services.units.lineage import with_predecessors
from sipas.services.units.lookup import unit_by_code
from sipas.services.units.official_data import (
    DATA_PATH,
    UnknownProvince,
    official_provinces,
)
from tests.factories import make_unit

NEW, OLD = OfficialEra.from_2025, OfficialEra.before_2025


def _package_lists() -> dict:
    return json.loads(gzip.decompress(DATA_PATH.read_bytes()))


def _communes_of(province: int) -> list[list]:
    return [c for c in _package_lists()["communes"] if c[3] == province]


def _official(era: OfficialEra, level: UnitLevel, code: str) -> Unit:
    return db.session.scalars(
        sa.select(Unit).filter_by(official_era=era, level=level, official_code=code)
    ).one()


def _count(**filters) -> int:
    query = sa.select(sa.func.count()).select_from(Unit).filter_by(**filters)
    return db.session.scalar(query)


def test_the_lists_are_those_of_1_july_2025():
    lists = _package_lists()
    kinds = Counter(kind for _code, _name, kind, _p in lists["communes"])
    assert len(lists["provinces"]) == 34 == len(official_provinces())
    assert kinds == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_a_province_is_loaded_with_its_official_communes(app):
    report = official.load_official("22")
    communes = _communes_of(22)
    province = _official(NEW, UnitLevel.province, "22")
    assert province.name == "Tỉnh Quảng Ninh"
    assert province.code == "T22"
    assert province.valid_from == date(2025, 7, 1)
    assert _count(parent_id=province.id, level=UnitLevel.commune) == len(communes)
    assert report.total("created") == len(communes) + 1
    ha_long = _official(NEW, UnitLevel.commune, "06688")
    assert (ha_long.name, ha_long.parent_id) == ("Phường Hạ Long", province.id)
    kinds = Counter(name.split()[0] for _c, name, _k, _p in communes)
    assert sum(kinds.values()) == len(communes) == 54
    assert db.session.scalars(
        sa.select(AuditEvent).filter_by(action="unit.load_official")
    ).one()


def test_a_second_load_changes_nothing_and_says_so(app):
    official.load_official("22", with_history=True)
    before = db.session.execute(sa.select(Unit.__table__)).all()
    report = official.load_official("22", with_history=True)
    assert report.total("created") == report.total("updated") == 0
    assert report.total("unchanged") == len(before)
    assert db.session.execute(sa.select(Unit.__table__)).all() == before


def test_a_changed_name_is_updated(app):
    official.load_official("22")
    _official(NEW, UnitLevel.commune, "06688").name = "Phường Hạ Long cũ"
    report = official.load_official("22")
    assert (report.total("updated"), report.total("created")) == (1, 0)
    assert _official(NEW, UnitLevel.commune, "06688").name == "Phường Hạ Long"


def test_history_closes_old_units_and_follows_them_into_the_new_ones(app):
    report = official.load_official("22", with_history=True)
    old_commune = _official(OLD, UnitLevel.commune, "06697")  # Phường Hồng Hà
    assert old_commune.valid_to == date(2025, 6, 30)
    assert old_commune.successor.official_code == "06688"  # Phường Hạ Long
    assert old_commune.parent.level is UnitLevel.district
    assert old_commune.parent.parent.successor.code == "T22"
    assert old_commune.code == "X06697-cu"
    assert report.closed == _count(official_era=OLD) > 150
    new_ha_long = _official(NEW, UnitLevel.commune, "06688")
    assert old_commune.id in with_predecessors({new_ha_long.id})


def test_a_code_reused_in_two_eras_is_two_units(app):
    official.load_official("80", with_history=True)  # Tây Ninh, with Long An's 80
    tay_ninh = _official(NEW, UnitLevel.province, "80")
    long_an = _official(OLD, UnitLevel.province, "80")
    assert (tay_ninh.name, long_an.name) == ("Tỉnh Tây Ninh", "Tỉnh Long An")
    assert long_an.id != tay_ninh.id
    assert long_an.successor_id == tay_ninh.id
    assert _official(OLD, UnitLevel.province, "72").successor_id == tay_ninh.id


def test_a_commune_code_reused_in_two_eras_is_two_units(app):
    official.load_official("22", with_history=True)
    hong_hai = _official(OLD, UnitLevel.commune, "06688")
    ha_long = _official(NEW, UnitLevel.commune, "06688")
    assert (hong_hai.name, ha_long.name) == ("Phường Hồng Hải", "Phường Hạ Long")
    assert hong_hai.successor_id == ha_long.id != hong_hai.id


def test_service_centres_of_the_office_stay_where_they_are(app):
    official.load_official("22")
    ha_long = _official(NEW, UnitLevel.commune, "06688")
    centre = make_unit("HL-TT", level=UnitLevel.centre, parent=ha_long)
    db.session.flush()
    official.load_official("22", with_history=True)
    assert unit_by_code("HL-TT").parent_id == ha_long.id
    assert unit_by_code("HL-TT") is centre


def test_a_unit_with_the_official_code_is_updated_not_doubled(demo_app):
    before = _count()
    report = official.load_official("22")
    assert unit_by_code("QN").official_code == "22"
    assert unit_by_code("QN-HALONG").name == "Phường Hạ Long"
    assert _count() == before + len(_communes_of(22)) - 4
    assert report.total("unchanged") == 5
    assert unit_by_code("QN-HALONG-TT").parent.code == "QN-HALONG"


def test_a_code_used_by_another_unit_stops_the_load(app):
    make_unit("T22", level=UnitLevel.province)
    db.session.flush()
    assert official.preview_official("22").conflicts == ("T22",)
    with pytest.raises(official.CodeTaken):
        official.load_official("22")
    assert _count() == 1


def test_the_preview_writes_nothing(app):
    report = official.preview_official("22", with_history=True)
    assert _count() == 0
    assert report.total("created") == len(_communes_of(22)) + 1 + report.closed


def test_an_unknown_province_is_refused(app):
    with pytest.raises(UnknownProvince):
        official.preview_official("23")


def test_a_province_loads_without_a_query_per_unit(app):
    statements = []
    sa.event.listen(db.engine, "before_cursor_execute", _recorder(statements))
    official.load_official("22", with_history=True)
    assert len(statements) < 20  # 240 units


def _recorder(statements: list):
    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    return record


def test_units_an_office_made_by_hand_are_taken_by_their_names(app):
    province = make_unit("QNINH", "Tỉnh Quảng Ninh", UnitLevel.province)
    ha_tu = make_unit("HATU", "Phường Hà Tu", UnitLevel.commune, parent=province)
    make_unit("HATU-TT", level=UnitLevel.centre, parent=ha_tu)
    elsewhere = make_unit("OTHER", "Tỉnh Khác", UnitLevel.province)
    make_unit("HL2", "Phường Hạ Long", UnitLevel.commune, parent=elsewhere)
    report = official.load_official("22")
    assert unit_by_code("QNINH").official_code == "22"
    assert unit_by_code("HATU").official_code == "06652"
    assert unit_by_code("HATU-TT").parent.code == "HATU"
    assert unit_by_code("X06652") is None
    assert unit_by_code("HL2").official_code is None  # under another province
    assert unit_by_code("X06688").parent.code == "QNINH"
    assert (report.total("updated"), report.total("created")) == (2, 53)
