"""The sampling design: strata, PSUs nested in strata, variance of PSU totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from sipas.stats.coded import Coded

_Number = TypeVar("_Number", bound=np.generic)


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
    """Strata and PSUs of a stratified cluster sample (PSUs numbered 0..n_psus-1).

    A part of a design (`Design.part`) holds some of its PSUs: the variance of totals
    that are 0 on every other PSU, computed over those PSUs only.
    """

    stratum_labels: tuple[str, ...]
    #: stratum number of each PSU
    psu_stratum: NDArray[np.int64]
    #: a part's PSUs as numbered in the whole design (None: the whole design)
    psu_ids: NDArray[np.int64] | None = field(default=None, compare=False)
    #: PSUs of each stratum in the whole design (None: count this design's)
    whole_sizes: NDArray[np.int64] | None = field(default=None, compare=False)
    #: the PSU codes, and each PSU's number among them (empty in a part)
    psu_codes: Sequence[str] = field(default=(), compare=False, repr=False)
    psu_code_numbers: NDArray[np.int64] | None = field(
        default=None, compare=False, repr=False
    )

    @cached_property
    def psu_labels(self) -> tuple[tuple[str, str], ...]:
        """(stratum, PSU code) of each PSU, made when asked for (a design may have
        a million); empty in a part (its PSUs are ``psu_ids``)."""
        if self.psu_code_numbers is None:
            return ()
        return tuple(
            zip(
                map(self.stratum_labels.__getitem__, self.psu_stratum.tolist()),
                map(self.psu_codes.__getitem__, self.psu_code_numbers.tolist()),
                strict=True,
            )
        )

    @property
    def n_psus(self) -> int:
        """Number of PSUs in this design (in a part: of the part)."""
        return len(self.psu_stratum)

    @property
    def n_strata(self) -> int:
        """Number of strata in the whole design."""
        return len(self.stratum_labels)

    @cached_property
    def psus_per_stratum(self) -> NDArray[np.int64]:
        """How many PSUs each stratum has in the whole design."""
        if self.whole_sizes is not None:
            return self.whole_sizes
        return np.bincount(self.psu_stratum, minlength=self.n_strata)

    @cached_property
    def psus_here(self) -> NDArray[np.int64]:
        """How many PSUs of each stratum this design (or part) holds."""
        return np.bincount(self.psu_stratum, minlength=self.n_strata)

    def part(self, psus: NDArray[np.int64]) -> Design:
        """The PSUs ``psus`` (increasing numbers) of this whole design, each stratum
        keeping its size in the whole."""
        return Design(
            self.stratum_labels,
            self.psu_stratum[psus],
            psu_ids=psus,
            whole_sizes=self.psus_per_stratum,
        )

    @cached_property
    def stratum_runs(
        self,
    ) -> tuple[NDArray[np.int64] | None, NDArray[np.int64], NDArray[np.int64]]:
        """PSUs in stratum order (None: already so), where each non-empty stratum's
        run starts in that order, and those strata: per-stratum sums are then one
        ``reduceat`` over contiguous runs."""
        ordered = bool(np.all(self.psu_stratum[1:] >= self.psu_stratum[:-1]))
        order = None if ordered else np.argsort(self.psu_stratum, kind="stable")
        counts = self.psus_here
        filled = np.flatnonzero(counts)
        starts = (np.cumsum(counts) - counts)[filled]
        return order, starts.astype(np.int64), filled


def build_design(
    strata: Sequence[str] | Coded, psus: Sequence[str] | Coded
) -> tuple[Design, NDArray[np.int64]]:
    """The design of rows given their stratum and PSU codes, and each row's PSU number.

    PSU codes are nested in strata: the same code in two strata is two PSUs.
    """
    strata = strata if isinstance(strata, Coded) else Coded.of(strata)
    psus = psus if isinstance(psus, Coded) else Coded.of(psus)
    return numbered_design(strata, psus.codes, psus.labels)


def numbered_design(
    strata: Coded, psu_numbers: NDArray[np.int64], psu_codes: Sequence[str]
) -> tuple[Design, NDArray[np.int64]]:
    """:func:`build_design` of rows whose PSU codes come as numbers into
    ``psu_codes`` (which may be made as they are read: a million "response:<id>"
    need never be strings); the PSUs of a stratum are numbered in their codes'
    order (sorted, or as given)."""
    n_codes = max(len(psu_codes), 1)
    # a PSU is a (stratum, PSU code) pair: combine the integer codes, not the strings
    pairs, psu_of_row = number_values(strata.codes * n_codes + psu_numbers)
    psu_stratum = pairs // n_codes
    present_strata, psu_stratum = np.unique(psu_stratum, return_inverse=True)
    design = Design(
        stratum_labels=tuple(strata.labels[s] for s in present_strata.tolist()),
        psu_stratum=psu_stratum.astype(np.int64),
        psu_codes=psu_codes,
        psu_code_numbers=(pairs % n_codes).astype(np.int64),
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
    return int(column_degrees_of_freedom(design, psu_has_rows[:, None])[0])


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


def stratum_sums(design: Design, values: NDArray[_Number]) -> NDArray[_Number]:
    """Per-stratum sums of per-PSU rows (PSUs × columns → strata × columns), one
    pass over the PSUs in stratum order (never a PSUs × strata matrix)."""
    order, starts, filled = design.stratum_runs
    in_order = values if order is None else values[order]
    sums = np.zeros((design.n_strata, *values.shape[1:]), dtype=values.dtype)
    if len(starts):
        reduce = np.logical_or if values.dtype == np.bool_ else np.add
        sums[filled] = reduce.reduceat(in_order, starts, axis=0)
    return sums


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
    means = stratum_sums(design, z) / np.maximum(n_h, 1)[:, None]
    if lonely_psu is LonelyPsu.adjust:
        means[n_h == 1] = 0.0  # a lonely PSU is centred at the population mean
    centred = _centred(z, means, design.psu_stratum)
    centred **= 2  # in place: one array of PSUs × columns less
    squares = stratum_sums(design, centred)
    del centred
    # the stratum's PSUs outside a part have z = 0: (0 - z̄)² each
    squares += (n_h - design.psus_here)[:, None] * means**2
    present = stratum_sums(design, psu_has_rows.astype(bool))
    return strata_variances(design.stratum_labels, n_h, squares, present, lonely_psu)


def fail_on_lonely(design: Design, psu_has_rows: NDArray[np.bool_]) -> None:
    """Raise LonelyPsuError for the first stratum, in the design's order, with one
    PSU and rows in any column (PSUs, or PSUs × columns, of flags): the stratum
    `fail` names, however the columns are then worked out."""
    any_rows = psu_has_rows.any(axis=1) if psu_has_rows.ndim == 2 else psu_has_rows
    present = stratum_sums(design, np.asarray(any_rows, dtype=bool))
    lonely = present & (design.psus_per_stratum == 1)
    if lonely.any():
        raise LonelyPsuError(design.stratum_labels[int(np.flatnonzero(lonely)[0])])


#: PSUs centred at a time: the strata's means gathered for a block, not for all.
CENTRED_BLOCK = 1 << 16


def _centred(
    z: NDArray[np.float64],
    means: NDArray[np.float64],
    psu_stratum: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Each PSU's row of ``z`` less its stratum's mean, a block of PSUs at a time
    (the same numbers as at once, without a PSUs × columns array of means)."""
    centred = np.empty_like(z)
    for first in range(0, len(z), CENTRED_BLOCK):
        block = slice(first, first + CENTRED_BLOCK)
        np.subtract(z[block], means[psu_stratum[block]], out=centred[block])
    return centred


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
    present_strata = stratum_sums(design, psu_has_rows.astype(bool))
    dof: NDArray[np.int64] = (
        psu_has_rows.sum(axis=0) - present_strata.sum(axis=0)
    ).astype(np.int64)
    return dof
