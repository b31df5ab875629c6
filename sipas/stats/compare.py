"""Is a difference real? Two domains of one wave, or the same index in two waves."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

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
    from scipy import special  # 0.1 s to import: not at every command's start

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
    return _difference_on(
        _alignment(design, first, second), first, second, level, lonely_psu
    )


def _difference_on(
    alignment: _Alignment,
    first: Estimate,
    second: Estimate,
    level: float,
    lonely_psu: LonelyPsu,
) -> Difference:
    """:func:`domain_difference` over PSUs already aligned."""
    first_totals, second_totals = first.psu_values(), second.psu_values()
    if (
        first_totals is None
        or second_totals is None
        or first.psu_has_rows is None
        or second.psu_has_rows is None
    ):
        raise ValueError("both estimates need their per-PSU linearised totals")
    design, (first_place, second_place) = alignment
    z = np.zeros(design.n_psus)
    has_rows = np.zeros(design.n_psus, dtype=bool)
    z[first_place] += first_totals
    has_rows[first_place] |= first.psu_has_rows
    z[second_place] += -1.0 * second_totals
    has_rows[second_place] |= second.psu_has_rows
    variance = total_variance(design, z, has_rows, lonely_psu)
    df = degrees_of_freedom(design, has_rows)
    return _difference(first.value - second.value, variance, df, level)


#: The PSUs two estimates share out (a part of the design: the union of theirs),
#: and where each estimate's per-PSU values go in it (a slice: every PSU in order).
_Alignment = tuple[Design, tuple[NDArray[np.int64] | slice, NDArray[np.int64] | slice]]


def _alignment(design: Design, first: Estimate, second: Estimate) -> _Alignment:
    """The union of the two estimates' PSUs, when either holds only a part of the
    design's, and the place of each one's PSUs in it."""
    if first.psu_ids is None and second.psu_ids is None:
        return design, (slice(None), slice(None))
    every = np.arange(design.n_psus)
    ids = [every if e.psu_ids is None else e.psu_ids for e in (first, second)]
    in_union = np.zeros(design.n_psus, dtype=bool)
    for psus in ids:
        in_union[psus] = True
    union = np.flatnonzero(in_union)
    if len(union) == design.n_psus:
        # every PSU (a domain and the whole): each estimate's PSUs are already
        # their places, and the whole's a slice, not a million-number index
        places = tuple(
            slice(None) if e.psu_ids is None else e.psu_ids for e in (first, second)
        )
        return design, (places[0], places[1])
    place_of = np.cumsum(in_union) - 1  # a PSU's place in the union
    return design.part(union), (place_of[ids[0]], place_of[ids[1]])


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


def domain_standings(
    design: Design,
    pairs: Mapping[str, tuple[Estimate, Estimate]],
    level: float = 0.95,
    lonely_psu: LonelyPsu = LonelyPsu.adjust,
) -> dict[str, Standing]:
    """How each domain compares with the whole it is part of, by code (the
    covariance of the two is counted, as for any two domains of one design);
    untestable when either has no design variance. The indices of one domain
    share their PSUs: the union with the whole's is worked out once for all of
    them, not once an index (a million PSUs: 25 ms each)."""
    found: dict[str, Standing] = {}
    alignment: _Alignment | None = None
    aligned: tuple[object, object] = (None, None)
    for code, (domain, whole) in pairs.items():
        if not _testable(domain, whole):
            found[code] = Standing.untestable
            continue
        if (
            alignment is None
            or aligned[0] is not domain.psu_ids
            or aligned[1] is not whole.psu_ids
        ):
            alignment = _alignment(design, domain, whole)
            aligned = (domain.psu_ids, whole.psu_ids)
        found[code] = standing(
            _difference_on(alignment, domain, whole, level, lonely_psu)
        )
    return found


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
