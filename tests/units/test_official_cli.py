"""`flask sipas units load-official`: a province's official units from the command
line, with a summary; a second run changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import OfficialEra, Unit


def _units(era: OfficialEra) -> int:
    query = sa.select(sa.func.count()).select_from(Unit).filter_by(official_era=era)
    return db.session.scalar(query)


def _load(runner, *options: str):
    return runner.invoke(args=["sipas", "units", "load-official", *options])


def test_load_official_creates_the_province_and_says_what_it_did(runner):
    result = _load(runner, "--province", "22")
    assert result.exit_code == 0, result.output
    assert "Tỉnh Quảng Ninh" in result.output
    assert "55 đơn vị được tạo, 0 được cập nhật, 0 không đổi" in result.output
    assert _units(OfficialEra.from_2025) == 55
    assert _units(OfficialEra.before_2025) == 0


def test_a_second_run_with_history_keeps_the_new_units_and_adds_the_old(runner):
    _load(runner, "--province", "22")
    result = _load(runner, "--province", "22", "--with-history")
    assert result.exit_code == 0, result.output
    old = _units(OfficialEra.before_2025)
    assert f"{old} đơn vị được tạo, 0 được cập nhật, 55 không đổi" in result.output
    assert f"{old} đơn vị trước 1/7/2025" in result.output
    again = _load(runner, "--province", "22", "--with-history")
    assert "Không có gì thay đổi" in again.output
    assert f"0 đơn vị được tạo, 0 được cập nhật, {55 + old} không đổi" in again.output


def test_an_unknown_province_fails_with_a_message(runner):
    result = _load(runner, "--province", "99")
    assert result.exit_code == 1
    assert "99" in result.output
    assert _units(OfficialEra.from_2025) == 0
