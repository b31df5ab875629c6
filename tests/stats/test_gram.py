"""Gram totals made by two threads are the one-thread totals to the bit."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sipas.stats import gram
from sipas.stats.gram import with_cross_products

SATISFIED_FROM = 4


def records(n_rows: int, k: int = 5, seed: int = 3):
    """Σw, Σw² and criteria × records answer codes 0–5 of ``n_rows`` records."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.5, 40, n_rows)
    counts = rng.integers(1, 4, n_rows)
    totals = weights * counts
    codes = rng.integers(0, 6, (k, n_rows)).astype(np.int8)
    return totals, weights * totals, codes


def one_thread(totals, squares, codes, block_rows):
    """The totals as one thread adds the blocks' products, in block order."""
    k = len(codes)
    total, weight_sq = np.zeros((2 * k, 2 * k)), np.zeros(k)
    for start in range(0, len(totals), block_rows):
        rows = slice(start, start + block_rows)
        root = np.sqrt(totals[rows])
        m = np.vstack([codes[:, rows] >= SATISFIED_FROM, codes[:, rows] > 0]) * root
        total += m @ m.T
        weight_sq += m[k:] @ (squares[rows] / root)
    return total, weight_sq


@pytest.mark.parametrize("n_rows", [0, 1, 63, 64, 65, 1000])
def test_two_threads_add_up_as_one(monkeypatch, n_rows):
    monkeypatch.setattr(gram, "GRAM_BLOCK_ROWS", 64)  # many blocks, both threads busy
    totals, squares, codes = records(n_rows)
    result, total, weight_sq = with_cross_products(
        lambda: "done", totals, squares, codes, SATISFIED_FROM
    )
    assert result == "done"
    expected_total, expected_sq = one_thread(totals, squares, codes, 64)
    assert total.tobytes() == expected_total.tobytes()
    assert weight_sq.tobytes() == expected_sq.tobytes()


def test_totals_are_the_weighted_cross_products():
    totals, squares, codes = records(20_000)
    _, total, weight_sq = with_cross_products(
        lambda: None, totals, squares, codes, SATISFIED_FROM
    )
    m = np.vstack([codes >= SATISFIED_FROM, codes > 0]).astype(float)
    np.testing.assert_allclose(total, (m * totals) @ m.T, rtol=1e-13)
    np.testing.assert_allclose(weight_sq, m[len(codes) :] @ squares, rtol=1e-13)


def test_a_failing_block_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(gram, "GRAM_BLOCK_ROWS", 64)

    def broken(*args):
        raise MemoryError("no room for the block")

    monkeypatch.setattr(gram, "_block_products", broken)
    with pytest.raises(MemoryError, match="no room"):
        with_cross_products(lambda: None, *records(1000), SATISFIED_FROM)


def test_failing_work_leaves_no_thread_behind(monkeypatch):
    monkeypatch.setattr(gram, "GRAM_BLOCK_ROWS", 64)
    before = threading.active_count()

    def work():
        raise ValueError("the sums failed")

    with pytest.raises(ValueError, match="sums failed"):
        with_cross_products(work, *records(1000), SATISFIED_FROM)
    assert threading.active_count() == before
