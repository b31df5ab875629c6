"""Coded text columns, and the design and sums built from them."""

from __future__ import annotations

import unicodedata

import numpy as np

from sipas.stats.coded import Coded
from sipas.stats.design import build_design
from sipas.stats.masks import codes_from_masks
from sipas.stats.sums import answer_codes, criterion_sums, domain_sums
from tests.stats.survey_data import sums_field


def test_values_are_numbered_in_sorted_order():
    column = Coded.of(["P2", "P10", "P2", "Ấp"])
    assert column.labels == ("P10", "P2", "Ấp")
    assert column.codes.tolist() == [1, 0, 1, 2]
    assert list(column) == ["P2", "P10", "P2", "Ấp"]
    assert column[3] == "Ấp"
    assert len(column) == 4


def test_dictionary_labels_are_stripped_normalised_and_merged():
    # Arrow's dictionaries are in order of appearance and may repeat after stripping
    column = Coded.from_dictionary(
        ["b ", "a", " b", "Hoa\u0300"], np.array([0, 1, 2, 3])
    )
    assert column.labels == ("Hoà", "a", "b")  # code point order
    assert list(column) == ["b", "a", "b", "Hoà"]


def test_rows_with_and_present_labels():
    column = Coded.from_dictionary(["x", "y", "unused"], np.array([1, 0, 1]))
    assert column.rows_with("y").tolist() == [True, False, True]
    assert column.rows_with("nowhere").tolist() == [False, False, False]
    assert column.present_labels() == ["x", "y"]


def test_crossed_columns_join_their_values():
    sex = Coded.of(["nam", "nữ", "nam", "nữ"])
    age = Coded.of(["18_25", "18_25", "60+", "60+"])
    crossed = sex.crossed(age)
    assert list(crossed) == ["nam|18_25", "nữ|18_25", "nam|60+", "nữ|60+"]
    assert crossed.labels == tuple(sorted(crossed.labels))
    assert sex.crossed() is sex


def test_psu_codes_are_nested_in_strata_and_unused_labels_ignored():
    strata = Coded.from_dictionary(["S2", "S1", "S9"], np.array([0, 0, 1, 1]))
    psus = Coded.of(["P1", "P2", "P1", "P1"])
    design, psu_of_row = build_design(strata, psus)
    assert design.stratum_labels == ("S1", "S2")
    assert design.psu_labels == (("S1", "P1"), ("S2", "P1"), ("S2", "P2"))
    assert psu_of_row.tolist() == [1, 2, 0, 0]
    assert design.psus_per_stratum.tolist() == [1, 2]
    same, same_rows = build_design(list(strata), list(psus))
    assert same.psu_labels == design.psu_labels
    assert same_rows.tolist() == psu_of_row.tolist()


def test_codes_and_nan_floats_give_the_same_sums():
    rng = np.random.default_rng(3)
    floats = rng.choice([1, 2, 3, 4, 5, 9, np.nan], size=(300, 4)).astype(float)
    codes = answer_codes(floats)
    assert codes.dtype == np.int8
    assert set(np.unique(codes).tolist()) <= {0, 1, 2, 3, 4, 5}
    assert (codes == 0).sum() == (np.isnan(floats) | (floats == 9)).sum()
    psu = rng.integers(0, 7, 300)
    weights = rng.uniform(1, 9, 300)
    from_floats = criterion_sums(7, psu, weights, floats)
    from_codes = criterion_sums(7, psu, weights, codes)
    for name in ("satisfied_weight", "answered_weight", "answered_count", "gram_sa"):
        np.testing.assert_array_equal(
            sums_field(from_floats, name), sums_field(from_codes, name)
        )


def test_sums_equal_a_plain_loop_over_rows():
    rng = np.random.default_rng(11)
    codes = rng.integers(0, 6, size=(500, 3)).astype(np.int8)
    psu = rng.integers(0, 5, 500)
    weights = rng.uniform(0.5, 20, 500)
    sums = criterion_sums(5, psu, weights, codes)
    satisfied = np.zeros((5, 3))
    answered_sq = np.zeros(3)
    gram_aa = np.zeros((3, 3))
    for row in range(500):
        answered = codes[row] > 0
        satisfied[psu[row]] += weights[row] * (codes[row] >= 4)
        answered_sq += weights[row] ** 2 * answered
        gram_aa += weights[row] * np.outer(answered, answered)
    np.testing.assert_allclose(sums.weighted_sums()[0], satisfied, rtol=1e-12)
    np.testing.assert_allclose(sums.answered_weight_sq, answered_sq, rtol=1e-12)
    np.testing.assert_allclose(sums.gram_aa, gram_aa, rtol=1e-12)
    assert sums.answered_count.sum() == (codes > 0).sum()
    assert sums.row_count.tolist() == np.bincount(psu, minlength=5).tolist()


def _same_sums(first, second):
    for name in (
        "satisfied_weight",
        "answered_weight",
        "answered_weight_sq",
        "answered_count",
        "satisfied_count",
        "row_count",
        "row_weight",
        "gram_ss",
        "gram_sa",
        "gram_aa",
    ):
        np.testing.assert_allclose(
            sums_field(first, name), sums_field(second, name), rtol=1e-12, err_msg=name
        )


def test_domain_sums_equal_one_domain_at_a_time():
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 6, size=(400, 4)).astype(np.int8)
    psu, weights = rng.integers(0, 6, 400), rng.uniform(1, 5, 400)
    domain = rng.integers(0, 4, 400)
    domain[domain == 2] = 3  # domain 2 has no rows
    per_domain = list(domain_sums(6, psu, weights, codes, domain, 4))
    assert len(per_domain) == 4
    assert per_domain[2].row_count.sum() == 0
    for d in range(4):
        _same_sums(per_domain[d], criterion_sums(6, psu, weights, codes, domain == d))


def test_counted_records_equal_their_repeated_rows():
    rng = np.random.default_rng(8)
    codes = rng.integers(0, 6, size=(50, 3)).astype(np.int8)
    psu, weights = rng.integers(0, 4, 50), rng.uniform(1, 5, 50)
    counts = rng.integers(1, 5, 50)
    repeated = np.repeat(np.arange(50), counts)
    _same_sums(
        criterion_sums(4, psu, weights, codes, counts=counts),
        criterion_sums(4, psu[repeated], weights[repeated], codes[repeated]),
    )


def test_masks_stand_for_their_answers():
    answers = np.array([[5, 3, 0], [1, 0, 4]], dtype=np.int8)
    answered = np.array([0b011, 0b101])
    satisfied = np.array([0b001, 0b100])
    codes = codes_from_masks(answered, satisfied, 3)
    from_masks = criterion_sums(2, np.array([0, 1]), np.array([2.0, 3.0]), codes)
    from_answers = criterion_sums(2, np.array([0, 1]), np.array([2.0, 3.0]), answers)
    _same_sums(from_masks, from_answers)


def test_domain_sums_without_gram_keep_everything_else():
    rng = np.random.default_rng(6)
    codes = rng.integers(0, 6, size=(300, 4)).astype(np.int8)
    psu, weights = rng.integers(0, 5, 300), rng.uniform(1, 5, 300)
    counts = rng.integers(1, 4, 300)
    domain = rng.integers(0, 3, 300)
    full = domain_sums(5, psu, weights, codes, domain, 3, counts)
    light = domain_sums(5, psu, weights, codes, domain, 3, counts, with_gram=False)
    for with_gram, without in zip(full, light, strict=True):
        assert without.gram_ss is None
        for name in ("satisfied_weight", "answered_weight", "answered_weight_sq"):
            np.testing.assert_allclose(
                sums_field(without, name), sums_field(with_gram, name), rtol=1e-12
            )


def test_in_given_order_keeps_the_order_and_merges_labels_equal_once_cleaned():
    """PSU codes are only told apart: the labels stay in the order given (no
    sort of a million codes), and " P1" is still "P1"."""
    decomposed = unicodedata.normalize("NFD", "Hòa")
    column = Coded.in_given_order(
        ["P9", " P1", "Hòa", "P1", decomposed], np.array([3, 0, 1, 2, 4, 0])
    )
    assert column.labels == ("P9", "P1", "Hòa")
    assert list(column) == ["P1", "P9", "P1", "Hòa", "Hòa", "P9"]
    distinct = Coded.in_given_order(["b", "a"], np.array([1, 0, 0]))
    assert distinct.labels == ("b", "a")
    assert list(distinct) == ["a", "b", "b"]


def test_a_design_numbers_the_psus_of_given_order_within_their_strata():
    """Nested in strata as ever, whatever the order of the PSU codes."""
    strata = Coded.of(["S2", "S1", "S2", "S1"])
    psus = Coded.in_given_order(["Q", "P"], np.array([0, 0, 1, 0]))
    design, psu_of_row = build_design(strata, psus)
    assert design.psu_labels == (("S1", "Q"), ("S2", "Q"), ("S2", "P"))
    assert psu_of_row.tolist() == [1, 0, 2, 0]
