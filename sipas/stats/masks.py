"""Sufficient statistics from counts of answer patterns (what a database can GROUP BY).

Each response's criteria are summarised by two bit masks: which criteria it answered
(1–5) and which it was satisfied with (4–5). Rows of (PSU, weight, answered mask,
satisfied mask, count) carry everything the indices need, including the Gram totals;
identical responses of a unit collapse into one counted pattern.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sipas.stats.sums import SATISFIED_FROM


def mask_bits(masks: NDArray[np.int64], n_criteria: int) -> NDArray[np.float64]:
    """Rows × criteria of 0/1: bit k of each mask."""
    bits = (masks[:, None] >> np.arange(n_criteria, dtype=np.int64)[None, :]) & 1
    return bits.astype(np.float64)


def codes_from_masks(
    answered_mask: NDArray[np.int64], satisfied_mask: NDArray[np.int64], n_criteria: int
) -> NDArray[np.int8]:
    """Records × criteria answer codes standing for the masks: 0 not answered, 1
    answered but not satisfied, 4 satisfied — all the engine needs of an answer."""
    codes = np.zeros((len(answered_mask), n_criteria), dtype=np.int8, order="F")
    for k in range(n_criteria):
        answered = (answered_mask >> k) & 1
        satisfied = (satisfied_mask >> k) & answered
        codes[:, k] = answered + (SATISFIED_FROM - 1) * satisfied
    return codes
