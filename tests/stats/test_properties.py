"""Properties of the engine that must hold for any data (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipas.stats.design import build_design
from sipas.stats.indices import FactorStructure, Options, compute_indices
from sipas.stats.sums import criterion_sums

CRITERIA = ("A1", "A2", "B1")
FACTORS = (FactorStructure("A", ("A1", "A2")), FactorStructure("B", ("B1",)))


@st.composite
def samples(draw):
    """Two to four strata of two or more PSUs, rows with answers 1–5 or missing."""
    n_rows = draw(st.integers(12, 60))
    strata = [f"S{draw(st.integers(0, 2))}" for _ in range(n_rows)]
    psus = [f"P{draw(st.integers(0, 3))}" for _ in range(n_rows)]
    weights = np.array([draw(st.floats(0.5, 50)) for _ in range(n_rows)])
    answers = np.array(
        [
            [draw(st.sampled_from([1, 2, 3, 4, 5, np.nan])) for _ in CRITERIA]
            for _ in range(n_rows)
        ],
        dtype=float,
    )
    answers[0] = [4, 2, 5]  # every criterion answered at least once
    return strata, psus, weights, answers


def indices_of(strata, psus, weights, answers):
    design, psu_of_row = build_design(strata, psus)
    sums = criterion_sums(design.n_psus, psu_of_row, weights, answers)
    return compute_indices(design, sums, CRITERIA, FACTORS, Options())


def values(indices):
    rows = [*indices.criteria, *indices.factors, indices.overall]
    return np.array([[r.estimate.value, r.estimate.se] for r in rows])


@settings(max_examples=60, deadline=None)
@given(samples())
def test_indices_are_proportions(sample):
    result = values(indices_of(*sample))
    assert np.all((result[:, 0] >= 0) & (result[:, 0] <= 1))


@settings(max_examples=60, deadline=None)
@given(samples(), st.floats(0.01, 1000))
def test_scaling_all_weights_changes_nothing(sample, factor):
    strata, psus, weights, answers = sample
    base = values(indices_of(strata, psus, weights, answers))
    scaled = values(indices_of(strata, psus, weights * factor, answers))
    np.testing.assert_allclose(scaled, base, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(samples())
def test_weights_of_one_give_the_unweighted_shares(sample):
    strata, psus, _weights, answers = sample
    indices = indices_of(strata, psus, np.ones(len(strata)), answers)
    for k, result in enumerate(indices.criteria):
        answered = ~np.isnan(answers[:, k])
        share = np.mean(answers[answered, k] >= 4)
        assert abs(result.estimate.value - share) < 1e-12


@settings(max_examples=60, deadline=None)
@given(samples(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing(sample, random):
    strata, psus, weights, answers = sample
    order = list(range(len(strata)))
    random.shuffle(order)
    shuffled = values(
        indices_of(
            [strata[i] for i in order],
            [psus[i] for i in order],
            weights[order],
            answers[order],
        )
    )
    np.testing.assert_allclose(
        shuffled, values(indices_of(*sample)), rtol=1e-9, atol=1e-12
    )


def test_quantiles_from_scipy_special_match_scipy_stats():
    """The light scipy.special functions give scipy.stats' distribution values."""
    from scipy import special
    from scipy import stats as scipy_stats

    for df in (1, 3, 12, 250):
        assert special.stdtrit(df, 0.975) == pytest.approx(scipy_stats.t.ppf(0.975, df))
        assert special.stdtr(df, -2.1) == pytest.approx(scipy_stats.t.cdf(-2.1, df))
    for a, b, q in ((3.2, 5.5, 0.025), (40.0, 2.0, 0.975), (0.5, 9.0, 0.5)):
        assert special.betaincinv(a, b, q) == pytest.approx(
            scipy_stats.beta.ppf(q, a, b)
        )
    assert special.ndtri(0.975) == pytest.approx(scipy_stats.norm.ppf(0.975))
