"""Variances of a round whose PSUs are single responses, from sums per stratum.

A response's linearised value for any combination of the criteria's totals is
z = w·(m·c): w its weight, m its answer flags (satisfied₁…K, answered₁…K, each 0
or 1) and c the combination's gradients. Over a stratum, then, Σz = (Σw·m)·c and
Σz² = cᵀ(Σw²·m·mᵀ)c, and its PSUs' squares about their mean are Σz² - (Σz)²/n_h
(n_h: every PSU the stratum has in the design, z = 0 on those outside a domain).
That is what `design.column_variances` takes from a value per PSU, here from a
2K × 2K matrix per stratum however many responses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sipas.stats.design import Design, LonelyPsu, strata_variances
from sipas.stats.gram import one_blas_thread
from sipas.stats.sums import CriterionSums

#: Responses whose answer flags are made float64 at a time (44 flags: 11 MB).
FLAG_BLOCK = 1 << 15


#: Most numbers the sums per stratum may hold (strata × 2K × 2K float64: 64 MB); a
#: design of more strata, or of strata and criteria (51 criteria: 806 strata),
#: keeps the per-PSU values.
MAX_STRATUM_SUMS = 1 << 23


#: Fewest responses per stratum, on average, for sums per stratum: a stratum costs
#: some 25 µs of its own, and at 4 responses a stratum (4 000 strata) they took
#: 0.12 s against 0.03 s for the per-PSU values; from 32 on they are as fast or
#: faster (0.13 against 0.15 s at 3 125 strata of 32, 0.06 against 0.14 s at 390
#: of 256: 100 000 responses, 22 criteria).
MIN_STRATUM_ROWS = 32


def summed_per_stratum(design: Design, sums: CriterionSums) -> bool:
    """True when the variances of ``sums`` (each PSU one response) in ``design``
    are worked out from sums per stratum: they hold at most MAX_STRATUM_SUMS,
    and the strata hold MIN_STRATUM_ROWS responses each on average."""
    small_enough = design.n_strata * (2 * sums.n_criteria) ** 2 <= MAX_STRATUM_SUMS
    return small_enough and len(sums.row_count) >= MIN_STRATUM_ROWS * design.n_strata


@dataclass(frozen=True)
class StratumFlags:
    """Per stratum, sums over its responses of their answer flags m
    (satisfied₁…K, answered₁…K)."""

    #: responses (PSUs with rows) per stratum
    rows: NDArray[np.int64]
    #: strata × 2K: how many responses have each flag
    counted: NDArray[np.float64]
    #: strata × 2K: Σw·m
    weighted: NDArray[np.float64]
    #: strata × 2K × 2K: Σw²·m·mᵀ
    squares: NDArray[np.float64]

    def answered(self) -> NDArray[np.bool_]:
        """Strata × K: True where a response of the stratum answered the criterion."""
        k = self.counted.shape[1] // 2
        found: NDArray[np.bool_] = self.counted[:, k:] > 0
        return found


def stratum_flags(sums: CriterionSums, whole: Design, design: Design) -> StratumFlags:
    """The sums per stratum of ``sums`` (each PSU one response) in ``design``,
    that of their PSUs (``whole``, or a domain's part of it), worked out once for
    the sums and the whole design: the criteria, the indices and the tree of a
    domain all read them."""
    kept = sums.worked_out.get("stratum_flags")
    if kept is not None and kept[0] is whole:
        found: StratumFlags = kept[1]
        return found
    made = _summed(sums, design)
    sums.worked_out["stratum_flags"] = (whole, made)
    return made


def _summed(sums: CriterionSums, design: Design) -> StratumFlags:
    """`stratum_flags` made: a block of each stratum's responses at a time, the
    flags times (1, w) in one product and w·m times itself in another."""
    order, starts, filled = design.stratum_runs
    ends = np.append(starts[1:], design.n_psus)[: len(starts)]
    k = sums.n_criteria
    rows = np.zeros(design.n_strata, dtype=np.int64)
    summed = np.zeros((design.n_strata, 2, 2 * k))
    squares = np.zeros((design.n_strata, 2 * k, 2 * k))
    with one_blas_thread():
        for stratum, start, end in zip(
            filled.tolist(), starts.tolist(), ends.tolist(), strict=True
        ):
            for first in range(start, end, FLAG_BLOCK):
                last = min(first + FLAG_BLOCK, end)
                psus = slice(first, last) if order is None else order[first:last]
                flags = np.empty((last - first, 2 * k))
                flags[:, :k] = sums.satisfied_count[psus]
                flags[:, k:] = sums.answered_count[psus]
                weight = sums.row_weight[psus]
                rows[stratum] += np.count_nonzero(sums.row_count[psus])
                summed[stratum] += np.stack((np.ones_like(weight), weight)) @ flags
                flags *= weight[:, None]
                squares[stratum] += flags.T @ flags
    return StratumFlags(rows, summed[:, 0], summed[:, 1], squares)


#: A column whose variance is below this share of the variance its terms would
#: give all counted positive is made from per-PSU values: Σz² - (Σz)²/n_h keeps
#: rounding of about 2e-16 of those terms, which is then over 2e-11 of the variance
#: (a stratum answered alike, an index of 100 %, or a true zero, which must come
#: out exactly zero: it decides the interval).
CANCELLED = 1e-5


def combination_variances(
    design: Design,
    flags: StratumFlags,
    gradients: NDArray[np.float64],
    present: NDArray[np.bool_],
    lonely_psu: LonelyPsu,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The variance of each column of ``gradients`` (2K × columns: the satisfied
    totals' gradients over the answered totals'), ``present`` (strata × columns)
    telling where a stratum has rows of it: the lonely-PSU rules of
    `design.column_variances`. And which columns to make from per-PSU values
    instead: those whose variance these sums cannot give to 1e-10 (CANCELLED)."""
    total = flags.weighted @ gradients
    square = _quadratic_forms(flags.squares, gradients)
    # Σz² with every term counted positive: what rounding in it is a share of
    # (a satisfied response's (g_y + g_x)² is a sum of three terms that cancel)
    magnitude = _quadratic_forms(flags.squares, np.abs(gradients))
    n_h = design.psus_per_stratum[:, None]
    about_mean = square - total**2 / np.maximum(n_h, 1)
    if lonely_psu is LonelyPsu.adjust:  # a lonely PSU is centred at 0
        about_mean = np.where(n_h == 1, square, about_mean)
    labels, n_psus = design.stratum_labels, design.psus_per_stratum
    squares = np.maximum(about_mean, 0.0)
    variances = strata_variances(labels, n_psus, squares, present, lonely_psu)
    # judged on the whole variance, under the same rule: a lonely stratum that the
    # rule leaves out (certainty) or replaces (average) brings no rounding in
    bound = strata_variances(labels, n_psus, magnitude, present, lonely_psu)
    cancelled = (bound > 0) & (variances <= CANCELLED * bound)
    return variances, cancelled


def _quadratic_forms(
    matrices: NDArray[np.float64], columns: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Strata × columns: cᵀ·M_h·c for each stratum's matrix M_h and column c, as
    one matrix product per stratum and a sum (einsum over three operands made
    its loops itself: 0.13 s against 0.02 s at 3 125 strata and 30 columns)."""
    products = matrices @ columns  # strata × 2K × columns
    forms: NDArray[np.float64] = np.einsum("haj,aj->hj", products, columns)
    return forms
