"""Option shares and differences between domains agree with R; waves add variances."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from sipas.stats.compare import domain_difference, independent_difference
from sipas.stats.design import LonelyPsu, LonelyPsuError, build_design
from sipas.stats.estimate import Estimate, criterion_estimates, is_small_sample
from sipas.stats.flatfile import read_flat_text
from sipas.stats.indices import Options
from sipas.stats.shares import (
    SingletonCells,
    indicator_sums,
    option_shares,
    ranking,
    singleton_estimates,
)
from sipas.stats.sums import criterion_sums
from tests.stats.survey_data import CRITERIA, write_survey_csv

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "shares-age-A1.json"


def like_r(figure: float):
    """R's figure, to 1e-12 of it (tests/stats/test_against_r.py)."""
    return pytest.approx(figure, rel=1e-12, abs=1e-15)


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    path = write_survey_csv(tmp_path_factory.mktemp("shares") / "s.csv")
    data = read_flat_text(path.read_text(encoding="utf-8"), CRITERIA, CRITERIA)
    design, psu = build_design(data.strata, data.psus)
    return path, data, design, psu


@pytest.fixture(scope="module")
def reference(survey):
    path = survey[0]
    if shutil.which("Rscript"):
        completed = subprocess.run(
            ["Rscript", str(HERE / "shares.R"), str(path), "age", "A1"],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        result = json.loads(completed.stdout)
        if not GOLDEN.exists() or json.loads(GOLDEN.read_text()) != result:
            GOLDEN.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
        return result
    return json.loads(GOLDEN.read_text())


def test_option_shares_agree_with_r(survey, reference):
    _path, data, design, psu = survey
    values = np.asarray(data.others["age"], dtype=object)
    options = sorted(set(values) - {""})
    chosen = np.column_stack([(values == o).astype(float) for o in options])
    answered = np.column_stack([(values != "").astype(float)] * len(options))
    sums = indicator_sums(design.n_psus, psu, data.weights, chosen, answered)
    shares = option_shares(design, sums, [("age", o) for o in options], Options())
    assert [s["option"] for s in reference["shares"]] == options
    for share, expected in zip(shares, reference["shares"], strict=True):
        assert share.estimate.value == like_r(expected["index"])
        assert share.estimate.se == like_r(expected["se"])
        assert share.estimate.df == expected["df"]
        assert share.interval.lower == like_r(expected["ci"][0])
        assert share.interval.upper == like_r(expected["ci"][1])
    ranked = ranking(shares)
    assert [s.estimate.value for s in ranked] == sorted(
        (s.estimate.value for s in shares), reverse=True
    )


def test_difference_between_domains_counts_their_covariance(survey, reference):
    _path, data, design, psu = survey
    groups = np.asarray(data.others["group"], dtype=object)
    first, second = reference["groups"][:2]
    a1 = data.answers[:, [CRITERIA.index("A1")]]

    def estimate(value: str) -> Estimate:
        sums = criterion_sums(design.n_psus, psu, data.weights, a1, groups == value)
        return criterion_estimates(design, sums, Options().lonely_psu)[0]

    difference = domain_difference(design, estimate(first), estimate(second))
    assert difference.value == like_r(reference["difference"]["value"])
    assert difference.se == like_r(reference["difference"]["se"])
    assert difference.lower < difference.value < difference.upper
    assert 0 <= difference.p_value <= 1


def test_independent_waves_add_variances():
    first = Estimate(0.84, 0.0004, 40, 900, 756, None, None)
    second = Estimate(0.80, 0.0009, 20, 500, 400, None, None)
    difference = independent_difference(first, second)
    assert difference.value == pytest.approx(0.04)
    assert difference.se == pytest.approx(np.sqrt(0.0013))
    welch = 0.0013**2 / (0.0004**2 / 40 + 0.0009**2 / 20)
    assert difference.df == pytest.approx(welch)
    assert difference.p_value == pytest.approx(
        2 * (1 - __import__("scipy").stats.t.cdf(0.04 / np.sqrt(0.0013), welch))
    )
    assert not difference.is_significant  # 0.04 ± 2.0·0.036 covers zero


def test_small_samples_are_flagged():
    assert is_small_sample(Estimate(0.8, 0.0001, 10, 25, 20, None, None))
    assert is_small_sample(Estimate(0.8, 0.01, 10, 400, 320, None, None))  # n_eff 16
    assert not is_small_sample(Estimate(0.8, 0.0004, 10, 400, 320, None, None))
    assert not is_small_sample(Estimate(0.8, 0.01, 10, 400, 320, None, None), 30, 10)


def test_a_difference_the_design_cannot_measure_is_not_significant():
    """Two domains each inside one PSU: the linearised variance is 0, which says
    nothing about chance, so the difference must not be called real."""
    from sipas.stats.compare import _difference

    unmeasured = _difference(0.05, 0.0, 4, 0.95)
    assert not unmeasured.is_significant
    assert math.isnan(unmeasured.p_value)
    rounding = _difference(0.05, 1e-30, 4, 0.95)  # 0 up to floating-point noise
    assert not rounding.is_significant
    no_df = _difference(0.05, 0.001, 0, 0.95)
    assert not no_df.is_significant
    same = _difference(0.0, 0.0, 4, 0.95)
    assert same.p_value == 1.0


@pytest.mark.parametrize("rule", list(LonelyPsu))
def test_shares_of_a_design_of_single_rows_from_counts_equal_those_from_rows(rule):
    """Every row its own PSU: the estimates from per-cell counts alone (what the
    database's GROUP BY gives) equal those from a per-PSU sum of every row."""
    rng = np.random.default_rng(7)
    # cells: (stratum, weight, rows); stratum "c" has a single row (lonely)
    cells = [("a", 2.0, 40), ("a", 5.5, 25), ("b", 1.25, 60), ("c", 3.0, 1)]
    cells += [("d", 7.0, 30)]  # nobody in "d" answers the second item
    stratum, weight, cell = [], [], []
    for number, (label, w, rows) in enumerate(cells):
        stratum += [label] * rows
        weight += [w] * rows
        cell += [number] * rows
    n = len(stratum)
    answered = rng.random((n, 3)) < 0.8
    answered[np.asarray(stratum) == "d", 1] = False
    chosen = answered & (rng.random((n, 3)) < 0.4)
    design, psu = build_design(stratum, [f"r{i}" for i in range(n)])
    sums = _row_sums(design, psu, weight, chosen, answered)
    counts = SingletonCells(
        stratum=np.asarray([design.stratum_labels.index(c[0]) for c in cells]),
        weight=np.asarray([c[1] for c in cells]),
        rows=np.asarray([c[2] for c in cells]),
        answered=np.stack([answered[np.asarray(cell) == k].sum(0) for k in range(5)]),
        chosen=np.stack([chosen[np.asarray(cell) == k].sum(0) for k in range(5)]),
    )
    if rule is LonelyPsu.fail:  # both name the lonely stratum
        with pytest.raises(LonelyPsuError, match="'c'"):
            criterion_estimates(design, sums, rule)
        with pytest.raises(LonelyPsuError, match="'c'"):
            singleton_estimates(counts, design.stratum_labels, rule)
        return
    expected = criterion_estimates(design, sums, rule)
    found = singleton_estimates(counts, design.stratum_labels, rule)
    for got, want in zip(found, expected, strict=True):
        assert got.value == pytest.approx(want.value, rel=1e-12)
        assert got.variance == pytest.approx(want.variance, rel=1e-9)
        assert (got.df, got.n, got.satisfied) == (want.df, want.n, want.satisfied)
        assert got.deff == pytest.approx(want.deff, rel=1e-9)
        assert got.deff_kish == pytest.approx(want.deff_kish, rel=1e-12)


def _row_sums(design, psu, weight, chosen, answered):
    return indicator_sums(
        design.n_psus,
        psu,
        np.asarray(weight),
        chosen.astype(float),
        answered.astype(float),
    )
