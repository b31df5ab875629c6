"""Shares of answer options (perception questions, expectations) with intervals.

A share is a ratio like a criterion index: Σw·[chose the option] / Σw·[answered the
question], over the rows that answered it — so the same estimator, variance and
intervals apply (R: `svyciprop(~I(item == option), subset(design, answered))`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from sipas.stats.design import Design
from sipas.stats.estimate import Estimate, criterion_estimates
from sipas.stats.indices import Options, result_interval
from sipas.stats.intervals import Interval
from sipas.stats.sums import CriterionSums


@dataclass(frozen=True)
class Share:
    """The share of respondents to ``item`` who chose ``option``."""

    item: str
    option: str
    estimate: Estimate
    interval: Interval


def indicator_sums(
    n_psus: int,
    psu: NDArray[np.int64],
    weights: NDArray[np.float64],
    chosen: NDArray[np.float64],
    answered: NDArray[np.float64],
) -> CriterionSums:
    """Per-PSU sums of 0/1 numerator and denominator columns (rows × m each)."""

    # np.bincount with weights sums floats; numpy's stubs say every bincount is int
    def per_psu(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return cast(
            "NDArray[np.float64]",
            np.column_stack(
                [
                    np.bincount(psu, weights=values[:, k], minlength=n_psus)
                    for k in range(values.shape[1])
                ]
            ),
        )

    w = weights[:, None]
    return CriterionSums(
        satisfied_weight=per_psu(w * chosen),
        answered_weight=per_psu(w * answered),
        answered_weight_sq=(weights * weights) @ answered,
        answered_count=np.rint(per_psu(answered)).astype(np.int64),
        satisfied_count=np.rint(per_psu(chosen)).astype(np.int64),
        row_count=np.bincount(psu, minlength=n_psus).astype(np.int64),
        row_weight=cast(
            "NDArray[np.float64]", np.bincount(psu, weights=weights, minlength=n_psus)
        ),
    )


def option_shares(
    design: Design,
    sums: CriterionSums,
    columns: Sequence[tuple[str, str]],
    options: Options,
) -> list[Share]:
    """One Share per (item, option) column of the sums."""
    estimates = criterion_estimates(design, sums, options.lonely_psu)
    return [
        Share(
            item,
            option,
            estimate,
            result_interval(estimate, options.ci_method, options),
        )
        for (item, option), estimate in zip(columns, estimates, strict=True)
    ]


def ranking(shares: Sequence[Share]) -> list[Share]:
    """Options from the most to the least chosen (ties by option code)."""
    return sorted(shares, key=lambda share: (-share.estimate.value, share.option))
