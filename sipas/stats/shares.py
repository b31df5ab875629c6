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

from sipas.stats.design import Design, LonelyPsu, strata_variances
from sipas.stats.estimate import (
    Estimate,
    RatioColumns,
    criterion_estimates,
    ratio_estimates,
)
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
    return shares_of(columns, estimates, options)


def shares_of(
    columns: Sequence[tuple[str, str]], estimates: Sequence[Estimate], options: Options
) -> list[Share]:
    """A Share (with its interval) per (item, option) column and its estimate."""
    return [
        Share(
            item,
            option,
            estimate,
            result_interval(estimate, options.ci_method, options),
        )
        for (item, option), estimate in zip(columns, estimates, strict=True)
    ]


@dataclass(frozen=True)
class SingletonCells:
    """Counts of a design whose every row is its own PSU (no clusters), grouped in
    cells of one stratum and one weight (a unit): per cell its stratum number, its
    weight, its rows (PSUs) in the whole design, and per 0/1 column (cells ×
    columns) the rows of the estimate that answered (x = 1) and chose (y = 1)."""

    stratum: NDArray[np.int64]
    weight: NDArray[np.float64]
    rows: NDArray[np.int64]
    answered: NDArray[np.int64]
    chosen: NDArray[np.int64]


def singleton_estimates(
    cells: SingletonCells, stratum_labels: Sequence[str], lonely_psu: LonelyPsu
) -> list[Estimate]:
    """`criterion_estimates` of the ratios Σw·y / Σw·x when every row is its own
    PSU, from counts alone: within a cell a PSU's linearised total takes one of
    three values (not answered 0, answered w(0 - R)/X, chose w(1 - R)/X), so each
    stratum's sum of squares is a sum over cells of count × squared deviation."""
    n_strata = len(stratum_labels)
    w = cells.weight[:, None]
    answered, chosen = cells.answered.astype(float), cells.chosen.astype(float)
    x_total, y_total = (w * answered).sum(axis=0), (w * chosen).sum(axis=0)
    safe_x = np.where(x_total > 0, x_total, 1.0)
    ratios = np.where(x_total > 0, y_total / safe_x, np.nan)
    r = np.nan_to_num(ratios)
    not_chosen, chose = w * (0 - r) / safe_x, w * (1 - r) / safe_x
    n_h = np.bincount(cells.stratum, weights=cells.rows, minlength=n_strata)

    def per_stratum(values: NDArray[np.float64]) -> NDArray[np.float64]:
        found = np.zeros((n_strata, values.shape[1]))
        np.add.at(found, cells.stratum, values)
        return found

    totals = per_stratum((answered - chosen) * not_chosen + chosen * chose)
    # a lonely stratum is centred at 0 (`adjust`; the other rules leave it out)
    means = np.where(n_h[:, None] > 1, totals / np.maximum(n_h, 1)[:, None], 0.0)
    c = means[cells.stratum]
    idle = cells.rows[:, None] - answered
    squares = per_stratum(
        idle * c**2
        + (answered - chosen) * (not_chosen - c) ** 2
        + chosen * (chose - c) ** 2
    )
    present = per_stratum(answered) > 0
    n_h_int = np.rint(n_h).astype(np.int64)
    columns = RatioColumns(
        ratios=ratios,
        x_total=x_total,
        y_total=y_total,
        variances=strata_variances(
            stratum_labels, n_h_int, squares, present, lonely_psu
        ),
        dfs=(cells.answered.sum(axis=0) - present.sum(axis=0)).astype(np.int64),
        n=cells.answered.sum(axis=0),
        satisfied=cells.chosen.sum(axis=0),
        answered_weight_sq=(cells.weight**2) @ answered,
    )
    return ratio_estimates(columns)


def ranking(shares: Sequence[Share]) -> list[Share]:
    """Options from the most to the least chosen (ties by option code)."""
    return sorted(shares, key=lambda share: (-share.estimate.value, share.option))
