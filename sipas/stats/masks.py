"""Sufficient statistics from counts of answer patterns (what a database can GROUP BY).

Each response's criteria are summarised by two bit masks: which criteria it answered
(1–5) and which it was satisfied with (4–5). Rows of (PSU, weight, answered mask,
satisfied mask, count) carry everything the indices need, including the Gram totals,
and there are far fewer distinct patterns than responses.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sipas.stats.sums import CriterionSums


def mask_bits(masks: NDArray[np.int64], n_criteria: int) -> NDArray[np.float64]:
    """Rows × criteria of 0/1: bit k of each mask."""
    bits = (masks[:, None] >> np.arange(n_criteria, dtype=np.int64)[None, :]) & 1
    return bits.astype(np.float64)


def sums_from_patterns(
    n_psus: int,
    psu: NDArray[np.int64],
    weight: NDArray[np.float64],
    answered_mask: NDArray[np.int64],
    satisfied_mask: NDArray[np.int64],
    count: NDArray[np.int64],
    n_criteria: int,
) -> CriterionSums:
    """CriterionSums from pattern rows; ``weight`` is the weight of one response."""
    answered = mask_bits(answered_mask, n_criteria)
    satisfied = mask_bits(satisfied_mask & answered_mask, n_criteria)
    total_weight = weight * count

    def per_psu(values: NDArray, scale: NDArray) -> NDArray:
        return (
            np.column_stack(
                [
                    np.bincount(psu, weights=values[:, k] * scale, minlength=n_psus)
                    for k in range(n_criteria)
                ]
            )
            if n_criteria
            else np.zeros((n_psus, 0))
        )

    w = total_weight[:, None]
    return CriterionSums(
        satisfied_weight=per_psu(satisfied, total_weight),
        answered_weight=per_psu(answered, total_weight),
        answered_weight_sq=(weight * weight * count) @ answered,
        answered_count=np.rint(per_psu(answered, count.astype(float))).astype(np.int64),
        satisfied_count=np.rint(per_psu(satisfied, count.astype(float))).astype(
            np.int64
        ),
        row_count=np.bincount(psu, weights=count, minlength=n_psus).astype(np.int64),
        row_weight=np.bincount(psu, weights=total_weight, minlength=n_psus),
        gram_ss=(satisfied * w).T @ satisfied,
        gram_sa=(satisfied * w).T @ answered,
        gram_aa=(answered * w).T @ answered,
    )
