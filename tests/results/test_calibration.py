"""A calibrated wave whose respondents skipped a margin question: the rule for
their answers (their own cell, kept at its share), and the pages, report and
downloads that once answered 500."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Response, Role, Wave
from sipas.services import synthetic
from sipas.services.results import sums
from sipas.services.waves.lookup import wave_by_code
from sipas.stats.calibrate import (
    MarginMismatch,
    make_margin,
    margin_of_columns,
    poststratify,
    rake,
)
from sipas.stats.coded import Coded
from sipas.stats.indices import Options

SEX = {"male": 4900, "female": 5000, "other": 100}


def weighted_share(weights, mask) -> float:
    return float(weights[mask].sum() / weights.sum())


def test_unanswered_records_keep_their_share_and_the_others_are_calibrated():
    values = Coded.of(["male", "female", "", "male", "", "female", "other"])
    weights = np.array([1.0, 2.0, 3.0, 1.5, 0.5, 2.0, 1.0])
    margin = margin_of_columns({"sex": values}, SEX, weights)
    calibrated = poststratify(weights, margin).weights
    unanswered = np.array([v == "" for v in values])
    assert calibrated.sum() == pytest.approx(10_000)
    share = weighted_share(weights, unanswered)
    assert weighted_share(calibrated, unanswered) == pytest.approx(share)
    male = np.array([v == "male" for v in values])
    assert calibrated[male].sum() == pytest.approx(4900 * (1 - share))


def test_a_crossed_margin_sends_a_record_with_any_blank_to_that_cell():
    sex = Coded.of(["male", "", "female", "male"])
    age = Coded.of(["young", "old", "", "old"])
    population = {
        "male|young": 10,
        "male|old": 20,
        "female|young": 30,
        "female|old": 40,
    }
    weights = np.ones(4)
    margin = margin_of_columns({"sex": sex, "age": age}, population, weights)
    assert margin.labels[margin.category[1]] == margin.labels[margin.category[2]] == "|"
    assert margin.population[margin.labels.index("|")] == pytest.approx(50)


def test_a_blank_named_in_the_population_keeps_its_given_count():
    values = Coded.of(["male", "", "female"])
    margin = margin_of_columns({"sex": values}, {**SEX, "": 700}, np.ones(3))
    assert margin.population[margin.labels.index("")] == 700
    assert margin.population[margin.labels.index("male")] == 4900


def test_raking_keeps_each_margins_unanswered_share():
    sex = Coded.of(["male", "", "female", "male", "female", ""])
    age = Coded.of(["young", "old", "", "old", "young", "young"])
    weights = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 2.0])
    margins = [
        margin_of_columns({"sex": sex}, {"male": 60, "female": 40}, weights),
        margin_of_columns({"age": age}, {"young": 50, "old": 50}, weights),
    ]
    calibrated = rake(weights, margins).weights
    assert calibrated.sum() == pytest.approx(100, rel=1e-3)


def test_a_category_without_respondents_names_itself():
    values = Coded.of(["male", "female"])
    with pytest.raises(MarginMismatch) as raised:
        poststratify(np.ones(2), make_margin("sex", values, SEX))
    assert raised.value.unanswered == ("other",)
    assert raised.value.columns == ("sex",)


@pytest.fixture
def calibrated_wave(demo_app):
    """The demo wave, 400 responses, calibrated on sex; some left sex blank."""
    wave = wave_by_code("demo")
    synthetic.add_demo_responses(wave, 400, seed=11)
    wave.calibration_margins = {
        "method": "poststratify",
        "margins": [{"columns": ["sex"], "population": SEX}],
    }
    db.session.commit()
    return wave


def blank_sex_count(wave: Wave) -> int:
    with_sex = sa.select(Answer.response_id).where(Answer.item_code == "sex")
    return db.session.scalar(
        sa.select(sa.func.count(Response.id)).where(
            Response.wave_id == wave.id, Response.id.not_in(with_sex)
        )
    )


def test_the_wave_is_calibrated_although_some_skipped_the_question(calibrated_wave):
    assert blank_sex_count(calibrated_wave) > 0
    calibrated = sums.wave_analysis(calibrated_wave, Options()).overall.overall
    calibrated_wave.calibration_margins = None
    plain = sums.wave_analysis(calibrated_wave, Options()).overall.overall
    assert np.isfinite(calibrated.estimate.value)
    assert calibrated.estimate.value != pytest.approx(plain.estimate.value)


@pytest.mark.parametrize(
    "path", ["", "/download.json", "/download.xlsx", "/report.pdf"]
)
def test_pages_report_and_downloads_answer(
    calibrated_wave, demo_client, login_as, path
):
    login_as(demo_client, Role.admin)
    response = demo_client.get(f"/admin/results/demo{path}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize(
    "path", ["", "/download.json", "/download.xlsx", "/report.pdf"]
)
def test_margins_that_do_not_fit_are_explained(
    calibrated_wave, demo_client, login_as, path
):
    """Nobody answered "Khác": the page names the question and the answer."""
    others = sa.select(Answer.response_id).where(
        Answer.item_code == "sex", Answer.value == "other"
    )
    db.session.execute(
        sa.update(Answer)
        .where(Answer.item_code == "sex", Answer.response_id.in_(others))
        .values(value="female")
    )
    db.session.commit()
    login_as(demo_client, Role.admin)
    response = demo_client.get(f"/admin/results/demo{path}")
    assert response.status_code == (200 if not path else 409)
    text = response.get_data(as_text=True)
    assert "Không thể hiệu chỉnh trọng số" in text
    assert "Giới tính" in text
    assert "“Khác”" in text
    assert "/admin/waves/demo/edit" in text


def test_the_export_command_says_why_it_cannot_calibrate(calibrated_wave, tmp_path):
    db.session.execute(
        sa.update(Answer)
        .where(Answer.item_code == "sex", Answer.value == "other")
        .values(value="female")
    )
    db.session.commit()
    target = tmp_path / "out.json"
    runner = calibrated_wave_runner()
    result = runner.invoke(
        args=["sipas", "export", "demo", "--format", "json", "-o", str(target)]
    )
    assert result.exit_code == 1
    assert "Không thể hiệu chỉnh trọng số" in result.output
    assert "other" in result.output
    assert not target.exists()


def calibrated_wave_runner():
    from flask import current_app

    return current_app.test_cli_runner()
