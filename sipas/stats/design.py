"""The sampling design: strata, PSUs nested in strata, variance of PSU totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from sipas.stats.coded import Coded


class LonelyPsu(StrEnum):
    """What to do with a stratum that has a single PSU (R's `survey.lonely.psu`)."""

    adjust = "adjust"
    certainty = "certainty"
    average = "average"
    fail = "fail"


class LonelyPsuError(ValueError):
    """A stratum has one PSU and the chosen rule is `fail`."""

    def __init__(self, stratum: str) -> None:
        super().__init__(f"stratum {stratum!r} has only one PSU")
        self.stratum = stratum


@dataclass(frozen=True)
class Design:
    """Strata and PSUs of a stratified cluster sample (PSUs numbered 0..n_psus-1)."""

    stratum_labels: tuple[str, ...]
    psu_labels: tuple[tuple[str, str], ...]
    #: stratum number of each PSU
    psu_stratum: NDArray[np.int64]

    @property
    def n_psus(self) -> int:
        """Number of PSUs in the whole design."""
        return len(self.psu_labels)

    @property
    def n_strata(self) -> int:
        """Number of strata in the whole design."""
        return len(self.stratum_labels)

    @property
    def psus_per_stratum(self) -> NDArray[np.int64]:
        """How many PSUs each stratum has in the whole design."""
        return np.bincount(self.psu_stratum, minlength=self.n_strata)


def build_design(
    strata: Sequence[str] | Coded, psus: Sequence[str] | Coded
) -> tuple[Design, NDArray[np.int64]]:
    """The design of rows given their stratum and PSU codes, and each row's PSU number.

    PSU codes are nested in strata: the same code in two strata is two PSUs.
    """
    strata = strata if isinstance(strata, Coded) else Coded.of(strata)
    psus = psus if isinstance(psus, Coded) else Coded.of(psus)
    n_codes = max(len(psus.labels), 1)
    # a PSU is a (stratum, PSU code) pair: combine the integer codes, not the strings
    pairs, psu_of_row = number_values(strata.codes * n_codes + psus.codes)
    psu_stratum = pairs // n_codes
    present_strata, psu_stratum = np.unique(psu_stratum, return_inverse=True)
    labels = tuple(
        (strata.labels[s], psus.labels[p])
        for s, p in zip(
            present_strata[psu_stratum].tolist(),
            (pairs % n_codes).tolist(),
            strict=True,
        )
    )
    design = Design(
        stratum_labels=tuple(strata.labels[s] for s in present_strata.tolist()),
        psu_labels=labels,
        psu_stratum=psu_stratum.astype(np.int64),
    )
    return design, psu_of_row.astype(np.int64)


#: Largest value range numbered with a lookup table rather than by sorting.
DENSE_RANGE = 1 << 24


def number_values(
    values: NDArray[np.int64],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Distinct values (sorted) and each value's rank: np.unique(return_inverse),
    without sorting the rows when the values span a small range."""
    top = int(values.max(initial=0)) + 1
    if top > DENSE_RANGE:
        distinct, rank = np.unique(values, return_inverse=True)
        return distinct, rank.reshape(-1)
    present = np.zeros(top, dtype=bool)
    present[values] = True
    distinct = np.flatnonzero(present)
    rank_of = np.cumsum(present, dtype=np.int64) - 1
    return distinct, rank_of[values]


def degrees_of_freedom(design: Design, psu_has_rows: NDArray[np.bool_]) -> int:
    """PSUs minus strata among the PSUs that hold rows of the estimate (R's `degf`)."""
    present = np.flatnonzero(psu_has_rows)
    return int(len(present) - len(np.unique(design.psu_stratum[present])))


def total_variance(
    design: Design,
    psu_totals: NDArray[np.float64],
    psu_has_rows: NDArray[np.bool_],
    lonely_psu: LonelyPsu = LonelyPsu.adjust,
) -> float:
    """Variance of one estimated total from the per-PSU totals of its linearised
    values (see `column_variances`)."""
    return float(
        column_variances(
            design, psu_totals[:, None], psu_has_rows[:, None], lonely_psu
        )[0]
    )


def column_variances(
    design: Design,
    psu_totals: NDArray[np.float64],
    psu_has_rows: NDArray[np.bool_],
    lonely_psu: LonelyPsu = LonelyPsu.adjust,
) -> NDArray[np.float64]:
    """Variance of each column's estimated total from per-PSU totals of linearised
    values, each column with its own PSUs-with-rows flags.

    As `survey:::onestage` with replacement at the first stage: each stratum present in
    the estimate contributes n_h/(n_h-1) Σ (z_hi - z̄_h)², counting every PSU the stratum
    has in the whole design (those without rows here have z = 0). A lonely stratum
    contributes z² under `adjust` (centred at the population mean, 0 for a linearised
    statistic), 0 under `certainty`, and under `average` is left out with the others
    scaled up by strata/strata-with-variance; under `fail` it raises LonelyPsuError.
    """
    z = psu_totals
    n_h = design.psus_per_stratum
    # PSUs × strata indicator: per-stratum sums of any per-PSU column are one product
    member = np.zeros((design.n_psus, design.n_strata))
    member[np.arange(design.n_psus), design.psu_stratum] = 1.0
    means = (member.T @ z) / np.maximum(n_h, 1)[:, None]
    centred = z - means[design.psu_stratum]
    lonely = n_h == 1
    if lonely_psu is LonelyPsu.adjust:
        centred[lonely[design.psu_stratum]] = z[lonely[design.psu_stratum]]
    squares = member.T @ centred**2
    present = (member.T @ psu_has_rows.astype(float)) > 0
    return strata_variances(design.stratum_labels, n_h, squares, present, lonely_psu)


def strata_variances(
    stratum_labels: Sequence[str],
    n_h: NDArray[np.int64],
    squares: NDArray[np.float64],
    present: NDArray[np.bool_],
    lonely_psu: LonelyPsu,
) -> NDArray[np.float64]:
    """Each column's variance from its per-stratum sums of squared centred PSU
    totals (strata × columns; a lonely stratum's centred at 0 under ``adjust``),
    ``n_h`` PSUs per stratum and whether the column has rows in the stratum: the
    lonely-PSU rule of `column_variances`."""
    lonely = n_h == 1
    scale = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)
    per_stratum = squares * scale[:, None]
    lonely_present = present & lonely[:, None]
    if lonely_psu is LonelyPsu.fail and lonely_present.any():
        stratum = int(np.flatnonzero(lonely_present.any(axis=1))[0])
        raise LonelyPsuError(stratum_labels[stratum])
    counted = (
        present & ~lonely[:, None]
        if lonely_psu
        in (
            LonelyPsu.certainty,
            LonelyPsu.average,
        )
        else present
    )
    variances: NDArray[np.float64] = (per_stratum * counted).sum(axis=0)
    if lonely_psu is LonelyPsu.average:
        n_present, n_lonely = present.sum(axis=0), lonely_present.sum(axis=0)
        scaled = n_present > n_lonely
        variances[scaled] *= n_present[scaled] / (n_present - n_lonely)[scaled]
    return variances


def column_degrees_of_freedom(
    design: Design, psu_has_rows: NDArray[np.bool_]
) -> NDArray[np.int64]:
    """`degrees_of_freedom` of each column of PSUs-with-rows flags."""
    member = np.zeros((design.n_strata, design.n_psus))
    member[design.psu_stratum, np.arange(design.n_psus)] = 1.0
    present_strata = (member @ psu_has_rows.astype(float)) > 0
    dof: NDArray[np.int64] = (
        psu_has_rows.sum(axis=0) - present_strata.sum(axis=0)
    ).astype(np.int64)
    return dof
