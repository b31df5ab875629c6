"""Point estimates and linearised variances of criterion ratios and combinations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from numpy.typing import NDArray

from sipas.stats.design import (
    Design,
    LonelyPsu,
    column_degrees_of_freedom,
    column_variances,
    degrees_of_freedom,
    fail_on_lonely,
)
from sipas.stats.strata import (
    StratumFlags,
    combination_variances,
    stratum_flags,
    summed_per_stratum,
)
from sipas.stats.sums import AnswerPatterns, CriterionSums

#: An estimate's per-PSU totals of its linearised values, or what makes them when a
#: comparison asks (a round whose million responses are its PSUs: 8 MB each)
PsuTotals = NDArray[np.float64] | Callable[[], NDArray[np.float64]]

#: A variance below this share of p(1 - p) (a standard error below a 1e-10 share of
#: one response's) is what rounding leaves of a variance that is zero.
ROUNDING_NOISE = 1e-20


@dataclass(frozen=True)
class Estimate:
    """A proportion-like estimate with its design-based variance."""

    value: float
    variance: float
    df: int
    #: rows behind the estimate (unweighted)
    n: int
    #: satisfied rows (unweighted; criteria only)
    satisfied: int | None
    #: design effect against simple random sampling without replacement (N̂ = Σw)
    deff: float | None
    #: Kish's design effect from unequal weights, n·Σw²/(Σw)² (criteria only)
    deff_kish: float | None
    #: rows of the design the estimate was made on, for Korn–Graubard's t ratio, when
    #: not ``n`` (a calibrated design keeps every row in a domain, as R does)
    design_rows: int | None = None
    #: per-PSU totals of the linearised values (for differences between estimates),
    #: or what makes them: read them with :meth:`psu_values`
    psu_totals: PsuTotals | None = field(default=None, repr=False, compare=False)
    #: PSUs holding rows of the estimate
    psu_has_rows: NDArray[np.bool_] | None = field(
        default=None, repr=False, compare=False
    )
    #: the whole design's numbers of the PSUs of ``psu_totals`` (None: every PSU)
    psu_ids: NDArray[np.int64] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a variance that is zero in exact arithmetic comes out of the sums as
        # rounding noise (1e-33 for a share of 2/3), of either sign, depending on the
        # order the database returned the rows: it is zero, whatever the order, so
        # that the interval is the documented one for no variance, never 0 wide
        p = self.value
        if 0 < p < 1 and abs(self.variance) <= ROUNDING_NOISE * p * (1 - p):
            object.__setattr__(self, "variance", 0.0)

    def psu_values(self) -> NDArray[np.float64] | None:
        """The per-PSU totals of the linearised values (made now if they are made
        when asked for), or None."""
        totals = self.psu_totals
        return totals() if callable(totals) else totals

    @property
    def se(self) -> float:
        """Standard error."""
        return float(np.sqrt(max(self.variance, 0.0)))

    @property
    def has_design_variance(self) -> bool:
        """False when the design cannot measure this estimate's error: no degrees of
        freedom, or no variance for a value strictly between 0 and 1 (a domain
        inside one PSU). A share of 0 or 1 has no spread to measure, which is no
        defect of the design."""
        if not np.isfinite(self.value):
            return False
        if self.df < 1:
            return False
        return self.variance > 0 or self.value in (0.0, 1.0)

    @property
    def effective_n(self) -> float | None:
        """p(1-p)/variance: the simple random sample size with the same precision."""
        if not np.isfinite(self.value) or not self.variance > 0:
            return None
        return float(self.value * (1 - self.value) / self.variance)


#: Publishing thresholds used when no setting overrides them.
DEFAULT_MIN_N = 30
DEFAULT_MIN_EFFECTIVE_N = 30.0


def is_small_sample(
    estimate: Estimate,
    min_n: int = DEFAULT_MIN_N,
    min_effective_n: float = DEFAULT_MIN_EFFECTIVE_N,
) -> bool:
    """True when n or the effective n is too small to publish the estimate."""
    effective = estimate.effective_n
    return estimate.n < min_n or (effective is not None and effective < min_effective_n)


def srs_variance(sum_w_u2: float, n: int, population: float) -> float | None:
    """Variance of the same statistic under SRS without replacement of n from N̂.

    As `svymean(deff=TRUE)`: svyvar (with its n/(n-1)) × (N̂ - n)/(N̂ n).
    """
    if n < 2 or population <= n:
        return None
    return sum_w_u2 / population * n / (n - 1) * (population - n) / (population * n)


def criterion_estimates(
    design: Design, sums: CriterionSums, lonely_psu: LonelyPsu
) -> list[Estimate]:
    """Each criterion's index Σw·sat / Σw·answered over the rows that answered it."""
    whole, design = design, design_of(design, sums)
    y_total, x_total = sums.weight_totals()
    answered = x_total > 0
    safe_x = np.where(answered, x_total, 1.0)
    ratios = np.where(answered, y_total / safe_x, np.nan)
    # the linearised value of R_k is (y_k - R_k·x_k) / X_k: a gradient per criterion
    k = sums.n_criteria
    gradient_y = np.diag(1.0 / safe_x)
    gradient_x = np.diag(-np.nan_to_num(ratios) / safe_x)
    has_rows = _answered(sums)
    if sums.per_response and summed_per_stratum(design, sums):
        flags = stratum_flags(sums, whole, design)
        variances = _per_stratum_variances(
            design,
            sums,
            flags,
            (gradient_y, gradient_x),
            (flags.answered(), has_rows),
            lonely_psu,
        )
        totals = _per_response_totals(sums, gradient_y, gradient_x)
    else:
        variances, totals = linearised_variances(
            design, sums, gradient_y, gradient_x, has_rows, lonely_psu
        )
    return ratio_estimates(
        RatioColumns(
            ratios=ratios,
            x_total=x_total,
            y_total=y_total,
            variances=variances,
            dfs=column_degrees_of_freedom(design, has_rows),
            n=sums.answered_count.sum(axis=0),
            satisfied=sums.satisfied_count.sum(axis=0),
            answered_weight_sq=sums.answered_weight_sq,
        ),
        totals if k else None,
        has_rows,
        design.psu_ids,
    )


def _answered(sums: CriterionSums) -> NDArray[np.bool_]:
    """PSUs × criteria: True where the PSU has answers to the criterion (the
    per-response counts, 0 or 1 in a byte, read as such: no copy)."""
    counts = sums.answered_count
    if counts.dtype == np.int8 and sums.per_response:
        return counts.view(np.bool_)
    return counts > 0


#: Columns of linearised values made at a time: PSUs × this many float64 (16 MB
#: at a million PSUs), however many indices a domain has.
COLUMNS_AT_ONCE = 2


def linearised_variances(
    design: Design,
    sums: CriterionSums,
    gradient_y: NDArray[np.float64],
    gradient_x: NDArray[np.float64],
    has_rows: NDArray[np.bool_],
    lonely_psu: LonelyPsu,
) -> tuple[NDArray[np.float64], list[PsuTotals]]:
    """The variance of each column of linearised values Σ_k g_y,k·y_k + g_x,k·x_k
    (gradients: K × columns; ``has_rows``: PSUs × columns, or PSUs for all), a few
    columns at a time (where each PSU is one response, from its values per
    pattern of answers: sipas/stats/strata.py works most out per stratum); and
    each column's per-PSU totals."""
    n_columns = gradient_y.shape[1]
    variances = np.empty(n_columns)
    totals: list[PsuTotals] = []
    if lonely_psu is LonelyPsu.fail:  # the first lonely stratum of any column
        fail_on_lonely(design, has_rows)
    for first in range(0, n_columns, COLUMNS_AT_ONCE):
        block = slice(first, min(first + COLUMNS_AT_ONCE, n_columns))
        z = sums.linear_values(gradient_y[:, block], gradient_x[:, block])
        totals += [z[:, j] for j in range(z.shape[1])]
        rows = (
            has_rows[:, block]
            if has_rows.ndim == 2
            else np.broadcast_to(has_rows[:, None], z.shape)
        )
        variances[block] = column_variances(design, z, rows, lonely_psu)
        del z
    return variances, totals


def _per_stratum_variances(
    design: Design,
    sums: CriterionSums,
    flags: StratumFlags,
    gradients: tuple[NDArray[np.float64], NDArray[np.float64]],
    rows: tuple[NDArray[np.bool_], NDArray[np.bool_]],
    lonely_psu: LonelyPsu,
) -> NDArray[np.float64]:
    """The variances of the gradients' columns (y, x) where every PSU is one
    response, from sums per stratum (sipas/stats/strata.py); a column whose sums
    may have cancelled to a rounding of zero made from per-PSU values instead.
    ``rows``: where each stratum (strata × columns) and each PSU (PSUs ×
    columns, or PSUs) has rows of the columns."""
    gradient_y, gradient_x = gradients
    present, has_rows = rows
    variances, cancelled = combination_variances(
        design, flags, np.vstack(gradients), present, lonely_psu
    )
    if cancelled.any():
        columns = np.flatnonzero(cancelled)
        variances[columns], _ = linearised_variances(
            design,
            sums,
            gradient_y[:, columns],
            gradient_x[:, columns],
            has_rows[:, columns] if has_rows.ndim == 2 else has_rows,
            lonely_psu,
        )
    return variances


def _per_response_totals(
    sums: CriterionSums,
    gradient_y: NDArray[np.float64],
    gradient_x: NDArray[np.float64],
) -> list[PsuTotals]:
    """Each column's per-PSU values where each PSU is one response, made again
    when a comparison asks for them: a few bytes each, where values per pattern
    take 8 MB when every response has a pattern of its own."""
    patterns = sums.answer_patterns
    return [
        partial(_remade_totals, patterns, gradient_y[:, [j]], gradient_x[:, [j]])
        for j in range(gradient_y.shape[1])
    ]


def _remade_totals(
    patterns: AnswerPatterns,
    gradient_y: NDArray[np.float64],
    gradient_x: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The per-PSU values of one column of gradients (K × 1)."""
    return patterns.spread(patterns.values(gradient_y, gradient_x)[:, 0])


@dataclass(frozen=True)
class RatioColumns:
    """Per column of 0/1 ratios Σw·y / Σw·x: what their estimates are made of."""

    ratios: NDArray[np.float64]
    x_total: NDArray[np.float64]
    y_total: NDArray[np.float64]
    variances: NDArray[np.float64]
    dfs: NDArray[np.int64]
    #: answering rows, and those of them with y = 1
    n: NDArray[np.int64]
    satisfied: NDArray[np.int64]
    #: Σ w²·x
    answered_weight_sq: NDArray[np.float64]


def ratio_estimates(
    columns: RatioColumns,
    totals: Sequence[PsuTotals] | None = None,
    has_rows: NDArray[np.bool_] | None = None,
    psu_ids: NDArray[np.int64] | None = None,
) -> list[Estimate]:
    """An Estimate per column (with its per-PSU linearised ``totals``, and the
    PSUs they are of, if given)."""
    estimates = []
    for k, ratio in enumerate(columns.ratios.tolist()):
        if not columns.x_total[k] > 0:
            estimates.append(Estimate(float("nan"), float("nan"), 0, 0, 0, None, None))
            continue
        total_x, variance = float(columns.x_total[k]), float(columns.variances[k])
        n = int(columns.n[k])
        # Σ w (y - R)² over answering rows, for y ∈ {0, 1}: Y(1 - 2R) + R² X
        sum_w_u2 = float(columns.y_total[k]) * (1 - 2 * ratio) + ratio**2 * total_x
        srs = srs_variance(sum_w_u2, n, total_x)
        estimates.append(
            Estimate(
                value=ratio,
                variance=variance,
                df=int(columns.dfs[k]),
                n=n,
                satisfied=int(columns.satisfied[k]),
                deff=variance / srs if srs else None,
                deff_kish=n * float(columns.answered_weight_sq[k]) / total_x**2,
                psu_totals=None if totals is None else totals[k],
                psu_has_rows=None if has_rows is None else has_rows[:, k],
                psu_ids=psu_ids,
            )
        )
    return estimates


#: A pooled ratio in a combination: its coefficient and the criteria it pools.
PooledTerm = tuple[float, NDArray[np.bool_]]


def design_of(design: Design, sums: CriterionSums) -> Design:
    """The design of the PSUs ``sums`` holds: the whole, or the part of a domain's."""
    return design if sums.psus is None else design.part(sums.psus)


#: A combination of criterion ratios: coefficients over all criteria, pooled terms.
Combination = tuple[NDArray[np.float64], Sequence[PooledTerm]]


def combination_estimate(
    design: Design,
    sums: CriterionSums,
    coefficients: NDArray[np.float64],
    lonely_psu: LonelyPsu,
    pooled: Sequence[PooledTerm] = (),
) -> Estimate:
    """Σ_k c_k·R_k + Σ_p c_p·(ΣY_p/ΣX_p) with variance from one combined
    linearisation variable (see `combination_estimates`)."""
    return combination_estimates(design, sums, [(coefficients, pooled)], lonely_psu)[0]


def combination_estimates(
    design: Design,
    sums: CriterionSums,
    combinations: Sequence[Combination],
    lonely_psu: LonelyPsu,
) -> list[Estimate]:
    """Each combination Σ_k c_k·R_k + Σ_p c_p·(ΣY_p/ΣX_p), with variance from one
    combined linearisation variable.

    Equivalent to `svycontrast` on the totals (Σw·sat_k, Σw·answered_k): the delta
    method with their full covariance, so criteria answered by the same people count.
    Each pooled term is one ratio of the summed totals of its criteria. The
    combinations' linearised values are products of the per-PSU sums with the
    gradients, a few combinations at a time (`linearised_variances`); where each
    PSU is one response, their variances come from sums per stratum
    (sipas/stats/strata.py).
    """
    whole, design = design, design_of(design, sums)
    y_tot, x_tot = sums.weight_totals()
    ratios = np.divide(y_tot, x_tot, out=np.full_like(y_tot, np.nan), where=x_tot > 0)
    parts = [_gradient(y_tot, x_tot, ratios, c, pooled) for c, pooled in combinations]
    gradient_y = np.column_stack([g_y for _, g_y, _ in parts])
    gradient_x = np.column_stack([g_x for _, _, g_x in parts])
    has_rows = sums.row_count > 0
    if sums.per_response and summed_per_stratum(design, sums):
        flags = stratum_flags(sums, whole, design)
        present = np.broadcast_to(
            (flags.rows > 0)[:, None], (design.n_strata, len(parts))
        )
        variances = _per_stratum_variances(
            design,
            sums,
            flags,
            (gradient_y, gradient_x),
            (present, has_rows),
            lonely_psu,
        )
        totals = _per_response_totals(sums, gradient_y, gradient_x)
    else:
        variances, totals = linearised_variances(
            design, sums, gradient_y, gradient_x, has_rows, lonely_psu
        )
    df = degrees_of_freedom(design, has_rows)
    n = int(sums.row_count.sum())
    population = float(sums.row_weight.sum())
    return [
        Estimate(
            value=value,
            variance=float(variances[j]),
            df=df,
            n=n,
            satisfied=None,
            deff=_combination_deff(
                sums, gradient_y[:, j], gradient_x[:, j], variances[j], n, population
            ),
            deff_kish=None,
            psu_totals=totals[j],
            psu_has_rows=has_rows,
            psu_ids=design.psu_ids,
        )
        for j, (value, _, _) in enumerate(parts)
    ]


def _gradient(
    y_tot: NDArray[np.float64],
    x_tot: NDArray[np.float64],
    ratios: NDArray[np.float64],
    coefficients: NDArray[np.float64],
    pooled: Sequence[PooledTerm],
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """A combination's value and its gradients in the totals (Σw·sat_k, Σw·ans_k)."""
    used = coefficients != 0
    value = float(np.sum(coefficients[used] * ratios[used]))
    gradient_y = np.where(used, coefficients / np.where(x_tot > 0, x_tot, 1), 0.0)
    gradient_x = -gradient_y * np.nan_to_num(ratios)
    for coefficient, members in pooled:
        pooled_x = float(x_tot[members].sum())
        ratio = float(y_tot[members].sum()) / pooled_x if pooled_x > 0 else np.nan
        value += coefficient * ratio
        slope = coefficient / pooled_x if pooled_x > 0 else 0.0
        gradient_y = gradient_y + np.where(members, slope, 0.0)
        gradient_x = gradient_x - np.where(members, slope * np.nan_to_num(ratio), 0.0)
    return value, gradient_y, gradient_x


def _combination_deff(
    sums: CriterionSums,
    gradient_y: NDArray[np.float64],
    gradient_x: NDArray[np.float64],
    variance: float,
    n: int,
    population: float,
) -> float | None:
    """The design effect of a combination, from the Gram totals (None without)."""
    if sums.gram_ss is None or sums.gram_sa is None or sums.gram_aa is None:
        return None
    # Σ_j w_j u_j² with u_j = Σ_k (g_y,k s_jk + g_x,k a_jk), scaled to the mean
    # scale that svyvar uses (u·N̂)
    sum_w_u2 = (
        gradient_y @ sums.gram_ss @ gradient_y
        + 2 * gradient_y @ sums.gram_sa @ gradient_x
        + gradient_x @ sums.gram_aa @ gradient_x
    ) * population**2
    srs = srs_variance(float(sum_w_u2), n, population)
    return float(variance / srs) if srs else None
