"""Domains summed over only their own PSUs give the figures of sums over every PSU.

The round's results hold each domain's per-PSU sums for the PSUs with its records
(`domain_sums(compact=True)`), and a part of the design that keeps every stratum's
whole size; every index, tree node and difference must equal the whole-design path
(each PSU of the design, zeros where the domain has no records) and the plain loop
over strata, on a design of many PSUs (one per response, as in a per-response round).
"""

from __future__ import annotations

import weakref

import numpy as np
import pytest

from sipas.stats import design as design_module
from sipas.stats.compare import domain_difference, domain_standings, standing
from sipas.stats.design import LonelyPsu, build_design, total_variance
from sipas.stats.indices import FactorStructure, Options, compute_indices
from sipas.stats.sums import domain_sums
from sipas.stats.tree import NodeStructure, with_tree
from tests.stats.survey_data import sums_field
from tests.stats.test_design import reference_variance

CRITERIA = ("A1", "A2", "B1", "B2", "B3", "C1")
FACTORS = (
    FactorStructure("A", ("A1", "A2")),
    FactorStructure("B", ("B1", "B2", "B3"), weight=2.0),
    FactorStructure("C", ("C1",)),
)
TREE = NodeStructure(
    "SIPAS",
    children=(
        NodeStructure("A", criteria=("A1", "A2")),
        NodeStructure("BC", pooled=True, criteria=("B1", "B2", "B3", "C1")),
    ),
)
N_DOMAINS = 5


def sample(seed: int = 17, n_rows: int = 3000):
    """Rows in 60 strata (some of one row: lonely PSUs), each row its own PSU."""
    rng = np.random.default_rng(seed)
    strata = [f"S{int(s):02d}" for s in rng.integers(0, 60, n_rows)]
    strata[:3] = ["lonely1", "lonely2", "lonely3"]
    psus = [f"r{row}" for row in range(n_rows)]
    design, psu_of_row = build_design(strata, psus)
    answers = rng.integers(0, 6, (n_rows, len(CRITERIA))).astype(float)
    answers[rng.random(answers.shape) < 0.1] = 9
    weights = rng.uniform(0.5, 3.0, n_rows)
    domain = rng.integers(0, N_DOMAINS, n_rows)
    return design, psu_of_row, weights, answers, domain


def per_domain(compact: bool, options: Options, seed: int = 17):
    design, psu_of_row, weights, answers, domain = sample(seed)
    sums = domain_sums(
        design.n_psus, psu_of_row, weights, answers, domain, N_DOMAINS, compact=compact
    )
    return design, [
        with_tree(
            compute_indices(design, s, CRITERIA, FACTORS, options),
            design,
            s,
            CRITERIA,
            TREE,
            options,
        )
        for s in sums
    ]


def figures(indices):
    """Every estimate of one domain's indices, in a fixed order."""
    results = [*indices.criteria, *indices.factors, indices.overall]
    return [r.estimate for r in results] + [n.estimate for n in indices.tree.walk()]


def same(mine: float | None, theirs: float | None) -> bool:
    if mine is None or theirs is None:
        return mine is theirs
    return mine == pytest.approx(theirs, rel=1e-12, abs=1e-300, nan_ok=True)


def spread(estimate, n_psus: int) -> np.ndarray:
    """An estimate's per-PSU totals over every PSU of the design."""
    z = np.zeros(n_psus)
    z[estimate.psu_ids] = estimate.psu_values()
    return z


@pytest.mark.parametrize("rule", [LonelyPsu.adjust, LonelyPsu.certainty])
def test_domains_over_their_own_psus_equal_the_whole_design_path(rule):
    options = Options(lonely_psu=rule)
    design, whole = per_domain(False, options)
    _, compact = per_domain(True, options)
    for theirs, mine in zip(whole, compact, strict=True):
        for a, b in zip(figures(mine), figures(theirs), strict=True):
            assert same(a.value, b.value)
            assert same(a.variance, b.variance)
            assert (a.df, a.n, a.satisfied) == (b.df, b.n, b.satisfied)
            assert same(a.deff, b.deff)
            assert a.psu_ids is not None
            assert len(a.psu_ids) < design.n_psus
            assert b.psu_ids is None
            np.testing.assert_allclose(
                spread(a, design.n_psus), b.psu_values(), rtol=1e-12, atol=1e-300
            )


@pytest.mark.parametrize(
    "rule", [LonelyPsu.adjust, LonelyPsu.certainty, LonelyPsu.average]
)
def test_a_domains_variances_equal_the_loop_over_strata(rule):
    design, compact = per_domain(True, Options(lonely_psu=rule))
    for indices in compact:
        for estimate in figures(indices):
            z = spread(estimate, design.n_psus)
            has_rows = np.zeros(design.n_psus, dtype=bool)
            has_rows[estimate.psu_ids] = estimate.psu_has_rows
            expected = reference_variance(design, z, has_rows, rule)
            assert same(estimate.variance, expected)


def test_differences_between_domains_equal_those_over_every_psu():
    options = Options()
    design, whole = per_domain(False, options)
    _, compact = per_domain(True, options)
    for first, second in [(0, 1), (2, 4), (3, 3)]:
        mine = domain_difference(
            design, compact[first].overall.estimate, compact[second].overall.estimate
        )
        theirs = domain_difference(
            design, whole[first].overall.estimate, whole[second].overall.estimate
        )
        assert same(mine.se, theirs.se)
        assert mine.df == theirs.df
        assert (mine.lower, mine.upper) == pytest.approx((theirs.lower, theirs.upper))
    # a domain against the whole design's estimate (a unit against its scope)
    domain = compact[2].criteria[0].estimate
    z = spread(domain, design.n_psus)
    has_rows = np.zeros(design.n_psus, dtype=bool)
    has_rows[domain.psu_ids] = domain.psu_has_rows
    full = whole[2].criteria[0].estimate
    mixed = domain_difference(design, domain, full)
    np.testing.assert_allclose(z, full.psu_values(), rtol=1e-12, atol=1e-300)
    assert mixed.se == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "rule", [LonelyPsu.adjust, LonelyPsu.certainty, LonelyPsu.average]
)
def test_a_domain_against_the_whole_gives_the_loops_variance(rule):
    # one estimate over every PSU (psu_ids None): the pair needs no part of the
    # design, the domain's PSUs are its places and the other's a slice
    options = Options(lonely_psu=rule)
    design, whole = per_domain(False, options)
    _, compact = per_domain(True, options)
    for k in range(N_DOMAINS):
        first = compact[k].overall.estimate
        second = whole[(k + 1) % N_DOMAINS].overall.estimate
        z = spread(first, design.n_psus) - second.psu_values()
        has_rows = second.psu_has_rows.copy()
        has_rows[first.psu_ids] |= first.psu_has_rows
        expected = reference_variance(design, z, has_rows, rule)
        mine = domain_difference(design, first, second, lonely_psu=rule)
        assert same(mine.se**2, expected)
        reverse = domain_difference(design, second, first, lonely_psu=rule)
        assert same(reverse.se**2, expected)
        assert reverse.value == -mine.value


def test_strata_out_of_order_give_the_loops_variances():
    rng = np.random.default_rng(3)
    strata = [f"S{int(s)}" for s in rng.integers(0, 9, 500)]
    design, _ = build_design(strata, [f"p{i}" for i in range(500)])
    # the same PSUs listed in a shuffled order: strata no longer in runs
    order = rng.permutation(design.n_psus)
    assert design.psu_code_numbers is not None
    shuffled = type(design)(
        design.stratum_labels,
        design.psu_stratum[order],
        psu_codes=design.psu_codes,
        psu_code_numbers=design.psu_code_numbers[order],
    )
    assert shuffled.psu_labels == tuple(design.psu_labels[i] for i in order)
    assert shuffled.stratum_runs[0] is not None
    z = rng.normal(size=shuffled.n_psus)
    has_rows = rng.random(shuffled.n_psus) < 0.8
    z[~has_rows] = 0
    for rule in (LonelyPsu.adjust, LonelyPsu.average):
        expected = reference_variance(shuffled, z, has_rows, rule)
        assert same(total_variance(shuffled, z, has_rows, rule), expected)


@pytest.mark.parametrize("compact", [True, False])
def test_one_response_per_psu_counts_in_bytes_give_the_same_indices(compact):
    """Records that are one response each keep their 0/1 counts as bytes (a
    million PSUs × 22 criteria: 22 MB instead of 176 MB an array); records
    standing for several responses keep them as integers, and records of one
    response given as counts of 1 give the figures of records without counts."""
    design, psu_of_row, weights, answers, domain = sample()
    ones = np.ones(len(weights), dtype=np.int64)

    def summed(counts):
        return list(
            domain_sums(
                design.n_psus,
                psu_of_row,
                weights,
                answers,
                domain,
                N_DOMAINS,
                counts,
                compact=compact,
            )
        )

    bytes_ = summed(ones)
    assert {s.answered_count.dtype for s in bytes_} == {np.dtype(np.int8)}
    options = Options()
    for plain, counted in zip(summed(None), bytes_, strict=True):
        assert np.array_equal(plain.answered_count, counted.answered_count)
        assert compute_indices(
            design, plain, CRITERIA, FACTORS, options
        ) == compute_indices(design, counted, CRITERIA, FACTORS, options)
    twice = summed(ones * 2)
    assert {s.answered_count.dtype for s in twice} == {np.dtype(np.int64)}
    assert all(
        np.array_equal(s.answered_count, 2 * b.answered_count)
        for s, b in zip(twice, bytes_, strict=True)
    )


def test_domains_are_summed_one_at_a_time_as_asked_for():
    """domain_sums makes each domain's sums as the caller asks for them: a
    domain's arrays are gone once the caller lets them go, so a round of many
    domains holds one domain's per-PSU sums at a time."""
    design, psu_of_row, weights, answers, domain = sample()
    listed = list(
        domain_sums(
            design.n_psus, psu_of_row, weights, answers, domain, N_DOMAINS, compact=True
        )
    )
    made = domain_sums(
        design.n_psus, psu_of_row, weights, answers, domain, N_DOMAINS, compact=True
    )
    gone = []
    for expected in listed:
        sums = next(made)
        for name in ("satisfied_weight", "answered_weight", "answered_count", "psus"):
            assert np.array_equal(sums_field(sums, name), sums_field(expected, name))
        gone.append(weakref.ref(sums.answered_count.base))
        del sums
        assert gone[-1]() is None
    assert next(made, None) is None


def test_centring_a_block_of_psus_at_a_time_changes_no_variance(monkeypatch):
    """The per-PSU values are centred at their stratum's mean a block of PSUs at
    a time: blocks of three PSUs give the very same variances as one block."""
    design, psu_of_row, weights, answers, domain = sample()
    sums = next(domain_sums(design.n_psus, psu_of_row, weights, answers, domain, 1))
    whole = compute_indices(design, sums, CRITERIA, FACTORS, Options())
    monkeypatch.setattr(design_module, "CENTRED_BLOCK", 3)
    blocks = compute_indices(design, sums, CRITERIA, FACTORS, Options())
    assert [c.estimate.variance for c in blocks.criteria] == [
        c.estimate.variance for c in whole.criteria
    ]
    assert blocks.overall.estimate.variance == whole.overall.estimate.variance


def test_standings_of_many_indices_share_one_alignment_per_domain():
    """domain_standings gives each (domain, whole) pair the standing of its own
    difference, whichever domain the pair before it was of (the alignment of a
    domain's PSUs with the whole's is reused only for the same domain)."""
    options = Options()
    design, compact = per_domain(True, options)
    whole = compute_indices(
        design,
        next(domain_sums(*_whole_columns(design))),
        CRITERIA,
        FACTORS,
        options,
    )

    def results(indices):
        return [*indices.criteria, *indices.factors, indices.overall]

    pairs = {
        f"{i}:{d}:{mine.code}": (mine.estimate, theirs.estimate)
        for i, d in enumerate((0, 3, 0, 1))
        for mine, theirs in zip(results(compact[d]), results(whole), strict=True)
    }
    found = domain_standings(design, pairs)
    expected = {
        code: standing(domain_difference(design, mine, theirs))
        for code, (mine, theirs) in pairs.items()
    }
    assert found == expected
    assert len(set(found.values())) >= 2


def _whole_columns(design):
    """The sample's rows as one domain, for domain_sums."""
    _design, psu_of_row, weights, answers, _domain = sample()
    return (
        design.n_psus,
        psu_of_row,
        weights,
        answers,
        np.zeros(len(weights), dtype=np.int64),
        1,
    )
