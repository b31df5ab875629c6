"""Sums where each PSU is one response keep no weighted per-PSU arrays: they are
the answer flags times the weights, and every combination of them is worked out
per pattern of answers (sipas/stats/sums.py: AnswerPatterns). Every figure must
equal that of the same sums kept as arrays, and the estimates' per-PSU values,
made again when a comparison asks, must be the ones their variances came from."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sipas.stats import strata
from sipas.stats.compare import domain_difference
from sipas.stats.design import LonelyPsu, build_design, total_variance
from sipas.stats.indices import Options, compute_indices
from sipas.stats.sums import (
    KEYED_CRITERIA,
    AnswerPatterns,
    criterion_sums,
    domain_sums,
)
from sipas.stats.tree import with_tree
from tests.stats.test_one_pass import (
    CRITERIA,
    FACTORS,
    N_DOMAINS,
    TREE,
    figures,
    same,
    sample,
)


@pytest.fixture(autouse=True)
def sums_per_stratum_for_any_stratum(monkeypatch):
    """The per-stratum arithmetic on these small designs, whatever their strata's
    average size (MIN_STRATUM_ROWS chooses the path for speed)."""
    monkeypatch.setattr(strata, "MIN_STRATUM_ROWS", 0)


def lean_and_kept(seed: int = 5):
    """The sums of a sample whose rows are their own PSUs, as made (per
    response) and with their weighted sums kept as arrays."""
    design, psu_of_row, weights, answers, _domain = sample(seed)
    lean = criterion_sums(design.n_psus, psu_of_row, weights, answers)
    satisfied, answered = lean.weighted_sums()
    kept = replace(lean, satisfied_weight=satisfied, answered_weight=answered)
    assert lean.per_response
    assert not kept.per_response
    return design, lean, kept


def indices_of(design, sums):
    options = Options()
    indices = compute_indices(design, sums, CRITERIA, FACTORS, options)
    return with_tree(indices, design, sums, CRITERIA, TREE, options)


def test_every_index_equals_that_of_the_kept_sums():
    design, lean, kept = lean_and_kept()
    for mine, theirs in zip(
        figures(indices_of(design, lean)),
        figures(indices_of(design, kept)),
        strict=True,
    ):
        assert same(mine.value, theirs.value)
        assert same(mine.variance, theirs.variance)
        assert (mine.df, mine.n, mine.satisfied) == (
            theirs.df,
            theirs.n,
            theirs.satisfied,
        )
        assert same(mine.deff, theirs.deff)
        # made when asked for (a few bytes a pattern), not an array per PSU
        assert callable(mine.psu_totals)
        assert isinstance(theirs.psu_totals, np.ndarray)
        np.testing.assert_allclose(
            mine.psu_values(), theirs.psu_values(), rtol=1e-12, atol=1e-300
        )


def test_values_made_again_are_those_the_variance_came_from():
    """The variance of an estimate is that of its per-PSU values as a comparison
    gets them later, and they come out the same each time they are made."""
    design, lean, _kept = lean_and_kept()
    for estimate in figures(indices_of(design, lean)):
        values = estimate.psu_values()
        assert values is not None
        assert np.array_equal(values, estimate.psu_values())
        recomputed = total_variance(design, values, estimate.psu_has_rows)
        assert same(recomputed, estimate.variance)


def test_a_difference_between_per_response_estimates_equals_the_kept_one():
    design, lean, kept = lean_and_kept()
    mine, theirs = indices_of(design, lean), indices_of(design, kept)
    for first, second in [(0, 2), (4, 1)]:
        lean_difference = domain_difference(
            design, mine.criteria[first].estimate, mine.factors[second].estimate
        )
        kept_difference = domain_difference(
            design, theirs.criteria[first].estimate, theirs.factors[second].estimate
        )
        assert same(lean_difference.se, kept_difference.se)
        assert lean_difference.df == kept_difference.df


def assert_same_products(lean, kept, seed: int) -> None:
    """Random combinations of the criteria, and the totals, alike both ways."""
    rng = np.random.default_rng(seed)
    gradient_y = rng.normal(size=(len(CRITERIA), 3))
    gradient_x = rng.normal(size=(len(CRITERIA), 3))
    gradient_y[2] = gradient_x[2] = 0.0  # a criterion no combination uses
    np.testing.assert_allclose(
        lean.linear_values(gradient_y, gradient_x),
        kept.linear_values(gradient_y, gradient_x),
        rtol=1e-12,
        atol=1e-12,
    )
    for mine, theirs in zip(lean.weight_totals(), kept.weight_totals(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_linear_values_and_totals_equal_the_products_of_the_kept_sums():
    _design, lean, kept = lean_and_kept(seed=8)
    assert_same_products(lean, kept, seed=2)


@pytest.mark.parametrize("n_criteria", [3, KEYED_CRITERIA, KEYED_CRITERIA + 6])
def test_each_response_gets_its_own_pattern(n_criteria):
    """Responses share a pattern exactly when they answered alike (none, below,
    satisfied) on every criterion: with a key in base 3, and past the key's
    reach, by comparing the rows."""
    rng = np.random.default_rng(n_criteria)
    classes = rng.choice([0, 1, 2], size=(400, n_criteria), p=[0.1, 0.2, 0.7])
    classes[200:] = classes[rng.integers(0, 200, 200)]  # patterns repeated
    answered = (classes >= 1).astype(np.int8)
    satisfied = (classes == 2).astype(np.int8)
    weights = rng.uniform(1, 3, 400)
    patterns = AnswerPatterns.of(answered, satisfied, weights)
    assert len(patterns.pattern_weights()) == len(np.unique(classes, axis=0))
    assert np.array_equal(patterns.classes[patterns.pattern_of], classes)
    np.testing.assert_allclose(
        patterns.pattern_weights(),
        np.bincount(patterns.pattern_of, weights=weights),
        rtol=1e-15,
    )


def test_patterns_a_few_at_a_time_give_the_same_values(monkeypatch):
    """Flags are made float a block of patterns at a time: blocks of seven give
    what the kept sums give."""
    from sipas.stats import sums as sums_module

    monkeypatch.setattr(sums_module, "PATTERN_BLOCK", 7)
    design, lean, kept = lean_and_kept(seed=9)
    assert len(lean.answer_patterns.classes) > 7 * 3  # several blocks
    assert_same_products(lean, kept, seed=4)
    for mine, theirs in zip(
        figures(indices_of(design, lean)),
        figures(indices_of(design, kept)),
        strict=True,
    ):
        assert same(mine.variance, theirs.variance)


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize(
    "lonely_psu", [LonelyPsu.adjust, LonelyPsu.certainty, LonelyPsu.average]
)
def test_variances_from_stratum_sums_equal_those_of_per_psu_values(compact, lonely_psu):
    """Where every PSU is one response, the variances of the criteria, factors,
    SIPAS and tree nodes are made from sums per stratum (sipas/stats/strata.py),
    never a value per PSU: the same as from the kept per-PSU sums, lonely strata
    and domains (parts of the design) included."""
    design, psu_of_row, weights, answers, domain = sample(7)
    options = Options(lonely_psu=lonely_psu)
    for lean in domain_sums(
        design.n_psus, psu_of_row, weights, answers, domain, N_DOMAINS, compact=compact
    ):
        satisfied, answered = lean.weighted_sums()
        kept = replace(lean, satisfied_weight=satisfied, answered_weight=answered)
        assert lean.per_response
        assert not kept.per_response
        for mine, theirs in zip(
            figures(indices_with(design, lean, options)),
            figures(indices_with(design, kept, options)),
            strict=True,
        ):
            assert same(mine.value, theirs.value)
            assert same(mine.variance, theirs.variance)
            assert mine.df == theirs.df
            assert same(mine.deff, theirs.deff)


def indices_with(design, sums, options):
    indices = compute_indices(design, sums, CRITERIA, FACTORS, options)
    return with_tree(indices, design, sums, CRITERIA, TREE, options)


@pytest.mark.parametrize("seed", range(4))
def test_a_spread_of_zero_comes_out_exactly_zero(seed):
    """A stratum of two responses that answered alike, with equal weights: no
    index has any spread. Sums per stratum leave a rounding of zero, of either
    sign (Σz² is a quadratic form whose terms cancel, less (Σz)²/n); such
    columns are made from the per-PSU values instead, so each variance is 0,
    never a hair above it (which would choose another interval)."""
    rng = np.random.default_rng(seed)
    answers = np.repeat(rng.integers(1, 6, (1, len(CRITERIA))).astype(float), 2, 0)
    design, psu_of_row = build_design(["S"] * 2, ["r1", "r2"])
    weights = np.full(2, rng.uniform(0.5, 3.0))
    lean = criterion_sums(design.n_psus, psu_of_row, weights, answers)
    assert lean.per_response
    variances = [estimate.variance for estimate in figures(indices_of(design, lean))]
    assert variances == [0.0] * len(variances)


def test_a_design_of_too_many_strata_keeps_the_per_psu_values(monkeypatch):
    """Sums per stratum hold strata × 2K × 2K numbers: past MAX_STRATUM_SUMS (a
    stratum per few responses), the per-PSU path, with the same figures."""
    design, lean, kept = lean_and_kept()
    per_stratum = figures(indices_of(design, lean))
    monkeypatch.setattr(strata, "MAX_STRATUM_SUMS", design.n_strata * 4 - 1)
    monkeypatch.setattr(strata, "_summed", None)  # never reached
    design, lean, kept = lean_and_kept()
    per_psu = figures(indices_of(design, lean))
    for mine, theirs, stratum_made in zip(
        per_psu, figures(indices_of(design, kept)), per_stratum, strict=True
    ):
        assert same(mine.variance, theirs.variance)
        assert same(mine.variance, stratum_made.variance)


def test_a_design_of_small_strata_keeps_the_per_psu_values(monkeypatch):
    """A stratum costs its own work in sums per stratum: with fewer than
    MIN_STRATUM_ROWS responses a stratum on average, the per-PSU path, with the
    same figures (the sample averages some 48)."""
    design, lean, _kept = lean_and_kept()
    per_stratum = figures(indices_of(design, lean))
    average = design.n_psus // design.n_strata
    monkeypatch.setattr(strata, "MIN_STRATUM_ROWS", average + 1)
    monkeypatch.setattr(strata, "_summed", None)  # never reached
    design, lean, _kept = lean_and_kept()  # sums that have worked out nothing yet
    per_psu = figures(indices_of(design, lean))
    for mine, theirs in zip(per_psu, per_stratum, strict=True):
        assert same(mine.variance, theirs.variance)
