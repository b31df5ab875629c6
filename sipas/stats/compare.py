"""Is a difference real? Two domains of one wave, or the same index in two waves."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from scipy import special

from sipas.stats.design import Design, LonelyPsu, degrees_of_freedom, total_variance
from sipas.stats.estimate import Estimate
from sipas.stats.indices import Indices

#: A standard error below this (for indices in [0, 1]) is rounding noise of a
#: variance that is exactly 0, e.g. of two domains each inside one PSU.
UNMEASURED_SE = 1e-9


class Comparison(StrEnum):
    """What a test of a difference between two estimates can say."""

    #: the interval of the difference excludes 0
    different = "different"
    #: tested: the difference is within what chance explains
    indistinguishable = "indistinguishable"
    #: the design cannot measure the difference's error: nothing can be said
    untestable = "untestable"


@dataclass(frozen=True)
class Difference:
    """first − second, with its standard error, t interval and two-sided p-value."""

    value: float
    se: float
    df: float
    lower: float
    upper: float
    p_value: float

    @property
    def is_significant(self) -> bool:
        """True when the interval excludes 0 (at the level it was made with)."""
        return self.lower > 0 or self.upper < 0

    @property
    def comparison(self) -> Comparison:
        """Different, indistinguishable, or not testable (no measured error)."""
        if self.is_significant:
            return Comparison.different
        if math.isinf(self.lower) or math.isinf(self.upper):
            return Comparison.untestable
        return Comparison.indistinguishable


class Standing(StrEnum):
    """Where a domain stands against the whole it belongs to."""

    above = "above"
    below = "below"
    #: tested: the difference is within what chance explains
    not_different = "not_different"
    #: the design cannot measure the difference's error
    untestable = "untestable"


def standing(difference: Difference) -> Standing:
    """Above or below when the difference is significant, else not different or
    untestable."""
    comparison = difference.comparison
    if comparison is Comparison.untestable:
        return Standing.untestable
    if comparison is Comparison.indistinguishable:
        return Standing.not_different
    return Standing.above if difference.value > 0 else Standing.below


def _difference(value: float, variance: float, df: float, level: float) -> Difference:
    se = math.sqrt(max(variance, 0.0))
    if se < UNMEASURED_SE:
        se = 0.0
    if value == 0 and se == 0:
        return Difference(value, se, df, value, value, 1.0)
    if se == 0 or df <= 0:
        # the design cannot measure this difference's error (e.g. each side lies in
        # one PSU): nothing can be claimed, so no interval excludes zero
        return Difference(value, se, df, -math.inf, math.inf, math.nan)
    t = float(special.stdtrit(df, 1 - (1 - level) / 2))
    p_value = float(2 * special.stdtr(df, -abs(value) / se))
    return Difference(value, se, df, value - t * se, value + t * se, p_value)


def domain_difference(
    design: Design,
    first: Estimate,
    second: Estimate,
    level: float = 0.95,
    lonely_psu: LonelyPsu = LonelyPsu.adjust,
) -> Difference:
    """first − second for two domains of one design.

    The variance of z₁ − z₂ counts their covariance (the same PSUs carry both), as
    `svycontrast(svyby(..., covmat=TRUE), c(1, -1))` does; df is that of the PSUs
    holding rows of either domain.
    """
    if (
        first.psu_totals is None
        or second.psu_totals is None
        or first.psu_has_rows is None
        or second.psu_has_rows is None
    ):
        raise ValueError("both estimates need their per-PSU linearised totals")
    design, (z, has_rows) = _aligned(
        design,
        (first.psu_totals, first.psu_has_rows, first.psu_ids),
        (second.psu_totals, second.psu_has_rows, second.psu_ids),
    )
    variance = total_variance(design, z, has_rows, lonely_psu)
    df = degrees_of_freedom(design, has_rows)
    return _difference(first.value - second.value, variance, df, level)


#: An estimate's per-PSU totals, PSUs holding its rows, and their PSU numbers.
_PerPsu = tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64] | None]


def _aligned(
    design: Design, first: _PerPsu, second: _PerPsu
) -> tuple[Design, tuple[NDArray[np.float64], NDArray[np.bool_]]]:
    """first − second per PSU and the PSUs holding rows of either, over the union
    of their PSUs when either holds only a part of the design's."""
    if first[2] is None and second[2] is None:
        return design, (first[0] - second[0], first[1] | second[1])
    every = np.arange(design.n_psus)
    ids = [every if psus is None else psus for _, _, psus in (first, second)]
    in_union = np.zeros(design.n_psus, dtype=bool)
    for psus in ids:
        in_union[psus] = True
    union = np.flatnonzero(in_union)
    place_of = np.cumsum(in_union) - 1  # a PSU's place in the union
    z = np.zeros(len(union))
    has_rows = np.zeros(len(union), dtype=bool)
    for sign, (totals, rows, _), psus in zip(
        (1.0, -1.0), (first, second), ids, strict=True
    ):
        place = place_of[psus]
        z[place] += sign * totals
        has_rows[place] |= rows
    return design.part(union), (z, has_rows)


def _testable(first: Estimate, second: Estimate) -> bool:
    """Both estimates have a design variance and their per-PSU totals."""
    if not (first.has_design_variance and second.has_design_variance):
        return False
    return first.psu_totals is not None and second.psu_totals is not None


def compare_domains(
    design: Design,
    first: Estimate,
    second: Estimate,
    level: float = 0.95,
    lonely_psu: LonelyPsu = LonelyPsu.adjust,
) -> Comparison:
    """Whether two domains of one design differ; untestable when either estimate
    has no design variance (its error is unknown, so any test would overstate)."""
    if not _testable(first, second):
        return Comparison.untestable
    return domain_difference(design, first, second, level, lonely_psu).comparison


def domain_standing(
    design: Design,
    domain: Estimate,
    whole: Estimate,
    level: float = 0.95,
    lonely_psu: LonelyPsu = LonelyPsu.adjust,
) -> Standing:
    """How a domain compares with the whole it is part of (the covariance of the
    two is counted, as for any two domains of one design); untestable when either
    has no design variance."""
    if not _testable(domain, whole):
        return Standing.untestable
    return standing(domain_difference(design, domain, whole, level, lonely_psu))


def independent_difference(
    first: Estimate, second: Estimate, level: float = 0.95
) -> Difference:
    """Two estimates from independent samples (two waves): variances add.

    df by Welch–Satterthwaite from each estimate's variance and df.
    """
    variance = first.variance + second.variance
    parts = [
        e.variance**2 / e.df for e in (first, second) if e.df > 0 and e.variance > 0
    ]
    df = variance**2 / sum(parts) if parts else 0.0
    return _difference(first.value - second.value, variance, df, level)


def index_differences(
    first: Indices,
    second: Indices,
    difference: Callable[[Estimate, Estimate], Difference],
) -> list[tuple[str, Difference]]:
    """first − second for every criterion, factor and the overall index that both
    estimate (matched by code; "overall" for SIPAS), by the given ``difference``."""
    mine = {
        r.code: r.estimate for r in (*first.criteria, *first.factors, first.overall)
    }
    theirs = {
        r.code: r.estimate for r in (*second.criteria, *second.factors, second.overall)
    }
    return [
        (code, difference(estimate, theirs[code]))
        for code, estimate in mine.items()
        if code in theirs
        and math.isfinite(estimate.value)
        and math.isfinite(theirs[code].value)
    ]
