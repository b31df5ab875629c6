"""Sufficient statistics: per-PSU sums per criterion, the only input the indices need.

A database computes the same sums with GROUP BY (stratum, psu, domain, item); here they
are also made from row arrays, so both routes feed one engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Scale answers 4 and 5 count as satisfied; 1–5 count as answered; 9 and blank do not.
SATISFIED_FROM = 4


@dataclass(frozen=True)
class CriterionSums:
    """Per-PSU sums for K criteria over one domain (arrays of shape (n_psus, K))."""

    #: Σ w·[answer ≥ 4]
    satisfied_weight: NDArray[np.float64]
    #: Σ w·[answered 1–5]
    answered_weight: NDArray[np.float64]
    #: Σ w²·[answered] over the domain, per criterion, shape (K,) (Kish's deff)
    answered_weight_sq: NDArray[np.float64]
    #: number of answering rows
    answered_count: NDArray[np.int64]
    #: number of satisfied rows
    satisfied_count: NDArray[np.int64]
    #: rows of the domain per PSU (answered or not), shape (n_psus,)
    row_count: NDArray[np.int64]
    #: Σ w over the domain's rows per PSU, shape (n_psus,)
    row_weight: NDArray[np.float64]
    #: whole-domain Gram totals Σ w·a·bᵀ for a, b ∈ {satisfied, answered} (K×K each);
    #: None when the source could not provide them (design effects of indices are then
    #: not computed)
    gram_ss: NDArray[np.float64] | None = None
    gram_sa: NDArray[np.float64] | None = None
    gram_aa: NDArray[np.float64] | None = None

    @property
    def n_criteria(self) -> int:
        """Number of criteria summed."""
        return int(self.answered_weight.shape[1])


#: Rows per block when forming the Gram totals, to keep memory flat on large files.
GRAM_BLOCK_ROWS = 1 << 13
#: Answer codes kept per row: 0 = no answer (9 or blank), 1–5 the scale value.
N_CODES = 6


def answer_codes(answers: NDArray) -> NDArray[np.int8]:
    """Rows × criteria of int8 codes: 1–5 as answered, 0 for 9, blank or NaN."""
    if answers.dtype == np.int8 and (
        answers.size == 0 or (answers.min() >= 0 and answers.max() <= 5)
    ):
        return answers
    valid = np.isfinite(answers) & (answers >= 1) & (answers <= 5)
    return np.where(valid, np.nan_to_num(answers), 0).astype(np.int8)


def criterion_sums(
    n_psus: int,
    psu_of_row: NDArray[np.int64],
    weights: NDArray[np.float64],
    answers: NDArray,
    in_domain: NDArray[np.bool_] | None = None,
) -> CriterionSums:
    """Sums from rows: ``answers`` is rows × K of 1–5 (codes 0/9 or NaN: no answer)."""
    codes = answer_codes(answers)
    if in_domain is not None:
        psu_of_row = psu_of_row[in_domain]
        weights = weights[in_domain]
        codes = codes[in_domain]
    # criteria × rows: each criterion's codes contiguous (no copy for a file's
    # column-major answers)
    by_criterion = np.ascontiguousarray(codes.T)
    weight_sums, counts = _per_psu_and_code(n_psus, psu_of_row, weights, by_criterion)
    gram, weight_sq = _cross_products(weights, by_criterion)
    k = by_criterion.shape[0]
    return CriterionSums(
        satisfied_weight=weight_sums[:, :, SATISFIED_FROM:].sum(axis=2),
        answered_weight=weight_sums[:, :, 1:].sum(axis=2),
        answered_weight_sq=weight_sq,
        answered_count=counts[:, :, 1:].sum(axis=2),
        satisfied_count=counts[:, :, SATISFIED_FROM:].sum(axis=2),
        row_count=np.bincount(psu_of_row, minlength=n_psus).astype(np.int64),
        row_weight=np.bincount(psu_of_row, weights=weights, minlength=n_psus),
        gram_ss=gram[:k, :k],
        gram_sa=gram[:k, k:],
        gram_aa=gram[k:, k:],
    )


def _per_psu_and_code(
    n_psus: int,
    psu_of_row: NDArray[np.int64],
    weights: NDArray[np.float64],
    by_criterion: NDArray[np.int8],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Σw and counts per (PSU, criterion, answer code): two bincounts per criterion
    over one integer key, instead of one pass per kind of sum."""
    k = by_criterion.shape[0]
    shape = (n_psus, N_CODES, k)
    key_base = psu_of_row * N_CODES
    size = n_psus * N_CODES
    weight_sums = np.zeros(shape)
    counts = np.zeros(shape, dtype=np.int64)
    for j in range(k):
        key = key_base + by_criterion[j]
        weight_sums[:, :, j] = np.bincount(key, weights, size).reshape(-1, N_CODES)
        counts[:, :, j] = np.bincount(key, minlength=size).reshape(-1, N_CODES)
    # (PSU, criterion, code) order for the callers' sums over codes
    return weight_sums.transpose(0, 2, 1), counts.transpose(0, 2, 1)


def _cross_products(
    weights: NDArray[np.float64], by_criterion: NDArray[np.int8]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Σ w·m·mᵀ over rows for m = (satisfied₁…satisfied_K, answered₁…answered_K), and
    Σ w²·answered_k; ``by_criterion`` is criteria × rows."""
    k, n_rows = by_criterion.shape
    gram = np.zeros((2 * k, 2 * k))
    weight_sq = np.zeros(k)
    root = np.sqrt(weights)
    for start in range(0, n_rows, GRAM_BLOCK_ROWS):
        rows = slice(start, start + GRAM_BLOCK_ROWS)
        block = by_criterion[:, rows]
        indicators = np.empty((2 * k, block.shape[1]))
        indicators[:k] = block >= SATISFIED_FROM
        indicators[k:] = block > 0
        indicators *= root[rows]
        gram += indicators @ indicators.T
        weight_sq += indicators[k:] @ (weights[rows] * root[rows])
    return gram, weight_sq
