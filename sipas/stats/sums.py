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
    #: Σ w²·[answered]
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


def criterion_sums(
    n_psus: int,
    psu_of_row: NDArray[np.int64],
    weights: NDArray[np.float64],
    answers: NDArray[np.float64],
    in_domain: NDArray[np.bool_] | None = None,
) -> CriterionSums:
    """Sums from rows: ``answers`` is (rows × K) holding 1–5, or NaN for 9/blank."""
    if in_domain is not None:
        psu_of_row = psu_of_row[in_domain]
        weights = weights[in_domain]
        answers = answers[in_domain]
    answered = ~np.isnan(answers) & (answers >= 1) & (answers <= 5)
    satisfied = answered & (np.nan_to_num(answers) >= SATISFIED_FROM)
    a = answered.astype(np.float64)
    s = satisfied.astype(np.float64)
    w = weights[:, None]

    def per_psu(values: NDArray) -> NDArray:
        columns = [
            np.bincount(psu_of_row, weights=values[:, k], minlength=n_psus)
            for k in range(values.shape[1])
        ]
        return np.column_stack(columns).astype(values.dtype)

    return CriterionSums(
        satisfied_weight=per_psu(w * s),
        answered_weight=per_psu(w * a),
        answered_weight_sq=per_psu(w * w * a),
        answered_count=per_psu(answered.astype(np.int64)),
        satisfied_count=per_psu(satisfied.astype(np.int64)),
        row_count=np.bincount(psu_of_row, minlength=n_psus).astype(np.int64),
        row_weight=np.bincount(psu_of_row, weights=weights, minlength=n_psus),
        gram_ss=(s * w).T @ s,
        gram_sa=(s * w).T @ a,
        gram_aa=(a * w).T @ a,
    )
