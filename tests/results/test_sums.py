"""Indices from the database (SQL GROUP BY) equal those of the exported stats CSV."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.services import synthetic
from sipas.services.results import exports
from sipas.services.results import sums as reporting
from sipas.stats.indices import Options
from sipas.stats.output import analysis_json
from tests.factories import filled_demo_wave

#: The criteria codes of the demo questionnaire (the stats CSV's scale columns).
CRITERIA = [
    f"{f}{i}"
    for f, n in zip("ABCDE", (4, 5, 6, 3, 4), strict=True)
    for i in range(1, n + 1)
]


@pytest.fixture
def filled_wave(demo_app):
    return filled_demo_wave(600, seed=3)


#: Both designs from packed choices; responses that are their own PSUs from the
#: answer rows too (the path of responses stored before packed choices existed).
STORED_AND_DESIGNS = [("centre", "packed"), (None, "packed"), (None, "rows")]


def unpack(wave) -> None:
    """Forget the wave's packed choices, as for responses stored before they
    existed: shares and breakdowns then read the answer rows."""
    from sipas.models import Response

    db.session.execute(
        sa.update(Response).where(Response.wave_id == wave.id).values(choice_codes=None)
    )


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


def test_responses_are_their_own_psus_without_a_psu_level(
    filled_wave, runner, tmp_path
):
    filled_wave.psu_level = None
    db.session.commit()
    analysis = reporting.wave_analysis(filled_wave, Options(), by="channel")
    assert analysis.design.n_psus == 600
    from_db = analysis_json(analysis, "sipas-2017")
    assert_same(from_db, cli_json(runner, tmp_path, filled_wave, "--by", "channel"))


def records(patterns, code: str) -> list[tuple]:
    """The records of ``patterns`` with their answers to ``code``, in one order."""
    return sorted(
        zip(
            patterns.response_key.tolist(),
            patterns.unit_id.tolist(),
            patterns.answered_mask.tolist(),
            patterns.satisfied_mask.tolist(),
            patterns.count.tolist(),
            list(patterns.answers[code]),
            strict=True,
        )
    )


@pytest.mark.parametrize(("psu_level", "stored"), STORED_AND_DESIGNS)
def test_a_breakdown_from_the_answers_scan_equals_counting_again(
    filled_wave, psu_level, stored
):
    # one response per record (no PSU level): the answers come from a scan of the
    # question's index, matched by response id, not from the patterns grouped again
    filled_wave.psu_level = psu_level
    if stored == "rows":
        unpack(filled_wave)
    db.session.flush()
    data = reporting.wave_data(filled_wave)
    if psu_level is None:
        assert data.per_response
    for code in ("sex", "age_group"):
        scanned = reporting.breakdown_data(filled_wave, data, code)
        counted = reporting.wave_data(filled_wave, [code])
        # the same records with the same answers (PostgreSQL returns the groups of
        # two queries in orders of its own)
        assert records(scanned.patterns, code) == records(counted.patterns, code)
        domains = reporting.domains_of(scanned.patterns, scanned.designs, code)
        assert len(domains.labels) > 1
        mine = scanned.domain_indices(domains, Options())
        theirs = counted.domain_indices(
            reporting.domains_of(counted.patterns, counted.designs, code), Options()
        )
        assert [v for v, _i in mine] == [v for v, _i in theirs]
        assert [i.overall.estimate.value for _v, i in mine] == pytest.approx(
            [i.overall.estimate.value for _v, i in theirs], rel=1e-12
        )


def test_breakdown_by_unit_level(filled_wave):
    analysis = reporting.wave_analysis(filled_wave, Options(), by="unit_level")
    assert [g.value for g in analysis.groups] == ["centre"]
    assert analysis.groups[0].indices.overall.estimate.value == pytest.approx(
        analysis.overall.overall.estimate.value
    )


def test_weights_follow_unit_populations(filled_wave):
    from sipas.services.waves.design import unit_designs

    designs = unit_designs(filled_wave)
    for design in designs.values():
        wave_unit = next(
            wu for wu in filled_wave.wave_units if wu.unit_id == design.unit.id
        )
        assert design.weight == pytest.approx(wave_unit.population / design.responses)
        # the demo's design: each centre a stratum, each response its own PSU
        assert design.psu is None
        assert design.stratum == design.unit.code


@pytest.mark.parametrize(("psu_level", "stored"), STORED_AND_DESIGNS)
def test_shares_from_the_database_equal_those_of_the_export(
    filled_wave, psu_level, stored
):
    filled_wave.psu_level = psu_level
    if stored == "rows":
        unpack(filled_wave)
    db.session.commit()
    from sipas.stats.design import build_design
    from sipas.stats.flatfile import read_flat_text
    from sipas.stats.shares import indicator_sums, option_shares

    items = ["harassment", "trips", "expectations"]
    from_db = reporting.wave_shares(filled_wave, items, Options())
    text = exports.stats_csv(filled_wave)
    data = read_flat_text(text, CRITERIA, [*CRITERIA, *items])
    design, psu = build_design(data.strata, data.psus)
    for item in items:
        cells = [set(v.split(";")) - {""} for v in data.others[item]]
        options = sorted({o for c in cells for o in c})
        chosen = np.column_stack([[o in c for c in cells] for o in options]).astype(
            float
        )
        answered = np.column_stack([[bool(c) for c in cells]] * len(options)).astype(
            float
        )
        sums = indicator_sums(design.n_psus, psu, data.weights, chosen, answered)
        expected = option_shares(design, sums, [(item, o) for o in options], Options())
        got = from_db[item]
        assert [s.option for s in got] == options
        for share, reference in zip(got, expected, strict=True):
            assert share.estimate.value == pytest.approx(
                reference.estimate.value, rel=1e-10
            )
            assert share.estimate.se == pytest.approx(reference.estimate.se, rel=1e-9)
            assert share.interval.lower == pytest.approx(
                reference.interval.lower, rel=1e-9
            )
    expectation_total = sum(s.estimate.value for s in from_db["expectations"])
    assert 1 < expectation_total <= 3  # several choices per respondent


@pytest.mark.parametrize(("psu_level", "stored"), STORED_AND_DESIGNS)
def test_combined_options_share_is_that_of_the_indicator(
    filled_wave, psu_level, stored
):
    """ "More than two trips" (3 or more) is one share with its own variance, as
    R's svyciprop(~I(trips %in% c("3", "4plus"))) gives it; a group nobody chose
    is there with 0."""
    filled_wave.psu_level = psu_level
    if stored == "rows":
        unpack(filled_wave)
    db.session.commit()
    from sipas.stats.design import build_design
    from sipas.stats.flatfile import read_flat_text
    from sipas.stats.shares import indicator_sums, option_shares

    # "3" is a group named as its own single option: counted once, not twice
    combined = {"trips": {"many": ("3", "4plus"), "none": ("never",), "3": ("3",)}}
    got = {
        s.option: s
        for s in reporting.wave_shares(
            filled_wave, ["trips"], Options(), combined=combined
        )["trips"]
    }
    data = read_flat_text(
        exports.stats_csv(filled_wave), CRITERIA, [*CRITERIA, "trips"]
    )
    design, psu = build_design(data.strata, data.psus)
    trips = data.others["trips"]
    chosen = np.array([[t in ("3", "4plus")] for t in trips], dtype=float)
    answered = np.array([[t != ""] for t in trips], dtype=float)
    sums = indicator_sums(design.n_psus, psu, data.weights, chosen, answered)
    (expected,) = option_shares(design, sums, [("trips", "many")], Options())
    assert got["many"].estimate.value == pytest.approx(expected.estimate.value)
    assert got["many"].estimate.se == pytest.approx(expected.estimate.se, rel=1e-9)
    assert got["many"].estimate.value == pytest.approx(
        got["3"].estimate.value + got["4plus"].estimate.value
    )
    assert got["none"].estimate.value == 0
    assert got["none"].estimate.n == got["many"].estimate.n
    three = np.array([[t == "3"] for t in trips], dtype=float)
    sums_three = indicator_sums(design.n_psus, psu, data.weights, three, answered)
    (expected_three,) = option_shares(design, sums_three, [("trips", "3")], Options())
    assert got["3"].estimate.value == pytest.approx(expected_three.estimate.value)
    assert got["3"].estimate.value > 0


def test_compare_two_waves(filled_wave):
    from sipas.models import Wave as WaveModel
    from sipas.models import WaveStatus, WaveUnit

    previous = WaveModel(
        code="demo-2025",
        title="2025",
        questionnaire=filled_wave.questionnaire,
        status=WaveStatus.open,
        strata_level=filled_wave.strata_level,
        psu_level=filled_wave.psu_level,
        weighting=filled_wave.weighting,
    )
    previous.wave_units = [
        WaveUnit(unit=wu.unit, population=wu.population, target_sample=wu.target_sample)
        for wu in filled_wave.wave_units
    ]
    db.session.add(previous)
    db.session.flush()
    assert synthetic.add_demo_responses(previous, 400, seed=11) == 400
    differences = dict(reporting.compare_waves(filled_wave, previous, Options()))
    assert {"A1", "A", "overall"} <= set(differences)
    overall = differences["overall"]
    now = reporting.wave_analysis(filled_wave, Options()).overall.overall.estimate
    before = reporting.wave_analysis(previous, Options()).overall.overall.estimate
    assert overall.value == pytest.approx(now.value - before.value)
    assert overall.se == pytest.approx(np.sqrt(now.variance + before.variance))
    assert 0 <= overall.p_value <= 1


def test_compare_two_domains_of_a_wave(filled_wave):
    from sipas.stats.compare import domain_difference

    analysis = reporting.wave_analysis(filled_wave, Options(), by="channel")
    groups = {g.value: g.indices for g in analysis.groups}
    differences = dict(reporting.compare_domains(analysis, "web", "kiosk"))
    assert {"A1", "E", "overall"} <= set(differences)
    web, kiosk = groups["web"].overall.estimate, groups["kiosk"].overall.estimate
    overall = differences["overall"]
    assert overall.value == pytest.approx(web.value - kiosk.value)
    assert overall == domain_difference(analysis.design, web, kiosk)
    # the same PSUs carry both domains: not the independent-samples variance
    assert overall.se != pytest.approx(np.sqrt(web.variance + kiosk.variance))
    same = dict(reporting.compare_domains(analysis, "web", "web"))
    assert all(d.value == 0 and d.se == 0 for d in same.values())


@pytest.mark.parametrize("method", ["poststratify", "rake"])
def test_calibrated_wave_equals_export_and_cli(filled_wave, runner, tmp_path, method):
    sex = {"female": 6900, "male": 6400, "other": 150, "": 1200}
    ages = {
        "18_25": 2500,
        "26_35": 3600,
        "36_45": 3400,
        "46_60": 3300,
        "over_60": 1500,
        "": 350,
    }
    if method == "poststratify":
        margins = [{"columns": ["sex"], "population": sex}]
    else:
        margins = [
            {"columns": ["sex"], "population": sex},
            {"columns": ["age_group"], "population": ages},
        ]
    filled_wave.calibration_margins = {"method": method, "margins": margins}
    db.session.flush()
    from_db = analysis_json(
        reporting.wave_analysis(filled_wave, Options(), by="channel"), "sipas-2017"
    )
    spec = tmp_path / "calibration.json"
    spec.write_text(json.dumps(filled_wave.calibration_margins), encoding="utf-8")
    from_csv = cli_json(
        runner, tmp_path, filled_wave, "--by", "channel", "--calibrate", str(spec)
    )
    assert_same(from_db, from_csv)
    filled_wave.calibration_margins = None
    uncalibrated = reporting.wave_analysis(filled_wave, Options()).overall.overall
    assert uncalibrated.estimate.value != pytest.approx(from_db["overall"]["index"])


def selects_during(call) -> list[str]:
    """The SELECT statements sent while ``call()`` runs, and its result."""
    from sqlalchemy import event

    sent: list[str] = []

    def record(_conn, cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    event.listen(db.engine, "after_cursor_execute", record)
    try:
        result = call()
    finally:
        event.remove(db.engine, "after_cursor_execute", record)
    return sent, result


def test_shares_of_responses_that_are_their_own_psus_fetch_counts_not_rows(
    filled_wave, demo_app
):
    """Each response its own PSU (no PSU level), responses stored without packed
    choices: the database sends counts per unit, item and option, never a row
    per response, and the shares equal those made from every response's own sums
    (the export's route, above)."""
    filled_wave.psu_level = None
    unpack(filled_wave)
    db.session.commit()
    sent, shares = selects_during(
        lambda: reporting.wave_shares(filled_wave, ["harassment"], Options())
    )
    assert shares["harassment"]
    # grouped by unit: no query selects or groups by a response's id
    assert any("FROM answers" in statement for statement in sent)
    # the join condition names it once, no more
    assert all(statement.count("responses.id") <= 1 for statement in sent)


def test_shares_of_packed_choices_read_no_answer_rows(filled_wave, demo_app):
    """Responses with their choices packed: the shares come from one short value
    per response, without the answer rows, and equal the shares from the rows."""
    sent, packed = selects_during(
        lambda: reporting.wave_shares(
            filled_wave, ["harassment", "expectations"], Options()
        )
    )
    assert not any("answers" in statement for statement in sent)
    unpack(filled_wave)
    from_rows = reporting.wave_shares(
        filled_wave, ["harassment", "expectations"], Options()
    )
    assert packed == from_rows
