"""Indices from the database (SQL GROUP BY) equal those of the exported stats CSV."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Wave
from sipas.services import exports, reporting, synthetic
from sipas.stats.indices import Options
from sipas.stats.output import analysis_json


@pytest.fixture
def filled_wave(demo_app):
    wave = db.session.scalar(sa.select(Wave).filter_by(code="demo"))
    assert synthetic.add_demo_responses(wave, 600, seed=3) == 600
    db.session.commit()
    return wave


def cli_json(runner, tmp_path, wave, *extra):
    path = tmp_path / "wave.csv"
    path.write_text(exports.stats_csv(wave), encoding="utf-8")
    result = runner.invoke(
        args=["sipas", "stats", str(path), "--questionnaire", "sipas-2017", *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def assert_same(database: dict, exported: dict) -> None:
    """Every number equal up to floating-point summation order."""
    if isinstance(database, dict):
        assert set(database) == set(exported)
        for key in database:
            assert_same(database[key], exported[key])
    elif isinstance(database, list):
        assert len(database) == len(exported)
        for a, b in zip(database, exported, strict=True):
            assert_same(a, b)
    elif isinstance(database, float):
        assert exported == pytest.approx(database, rel=1e-10, abs=1e-12)
    else:
        assert database == exported


@pytest.mark.parametrize("by", [None, "channel", "unit", "sex"])
def test_database_route_equals_export_and_cli(filled_wave, runner, tmp_path, by):
    from_db = analysis_json(
        reporting.wave_analysis(filled_wave, Options(), by=by), "sipas-2017"
    )
    extra = ("--by", by) if by else ()
    from_csv = cli_json(runner, tmp_path, filled_wave, *extra)
    assert_same(from_db, from_csv)
    assert from_db["meta"]["rows"] == 600


def test_breakdown_by_unit_level(filled_wave):
    analysis = reporting.wave_analysis(filled_wave, Options(), by="unit_level")
    assert [g.value for g in analysis.groups] == ["centre"]
    assert analysis.groups[0].indices.overall.estimate.value == pytest.approx(
        analysis.overall.overall.estimate.value
    )


def test_weights_follow_unit_populations(filled_wave):
    from sipas.services.wave_design import unit_designs

    designs = unit_designs(filled_wave)
    for design in designs.values():
        wave_unit = next(
            wu for wu in filled_wave.wave_units if wu.unit_id == design.unit.id
        )
        assert design.weight == pytest.approx(wave_unit.population / design.responses)
        assert design.psu == design.unit.code
        assert design.stratum == "QN"
