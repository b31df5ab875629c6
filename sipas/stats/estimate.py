"""Point estimates and linearised variances of criterion ratios and combinations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sipas.stats.design import (
    Design,
    LonelyPsu,
    column_degrees_of_freedom,
    column_variances,
    degrees_of_freedom,
)
from sipas.stats.gram import one_blas_thread
from sipas.stats.sums import CriterionSums

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
    #: per-PSU totals of the linearised values (for differences between estimates)
    psu_totals: NDArray[np.float64] | None = field(
        default=None, repr=False, compare=False
    )
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
    design = design_of(design, sums)
    y, x = sums.satisfied_weight, sums.answered_weight
    y_total, x_total = y.sum(axis=0), x.sum(axis=0)
    answered = x_total > 0
    safe_x = np.where(answered, x_total, 1.0)
    ratios = np.where(answered, y_total / safe_x, np.nan)
    # (y - R·x) / X in one array (PSUs × criteria: 176 MB at a million PSUs)
    z = np.nan_to_num(ratios) * x
    np.subtract(y, z, out=z)
    z /= safe_x
    has_rows = sums.answered_count > 0
    return ratio_estimates(
        RatioColumns(
            ratios=ratios,
            x_total=x_total,
            y_total=y_total,
            variances=column_variances(design, z, has_rows, lonely_psu),
            dfs=column_degrees_of_freedom(design, has_rows),
            n=sums.answered_count.sum(axis=0),
            satisfied=sums.satisfied_count.sum(axis=0),
            answered_weight_sq=sums.answered_weight_sq,
        ),
        z,
        has_rows,
        design.psu_ids,
    )


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
    z: NDArray[np.float64] | None = None,
    has_rows: NDArray[np.bool_] | None = None,
    psu_ids: NDArray[np.int64] | None = None,
) -> list[Estimate]:
    """An Estimate per column (with its per-PSU linearised totals ``z``, and the
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
                psu_totals=None if z is None else z[:, k],
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
    Each pooled term is one ratio of the summed totals of its criteria. All the
    combinations' linearised values are one product of the per-PSU sums with the
    gradients, and their variances one pass over the PSUs.
    """
    design = design_of(design, sums)
    y_tot = sums.satisfied_weight.sum(axis=0)
    x_tot = sums.answered_weight.sum(axis=0)
    ratios = np.divide(y_tot, x_tot, out=np.full_like(y_tot, np.nan), where=x_tot > 0)
    parts = [_gradient(y_tot, x_tot, ratios, c, pooled) for c, pooled in combinations]
    gradient_y = np.column_stack([g_y for _, g_y, _ in parts])
    gradient_x = np.column_stack([g_x for _, _, g_x in parts])
    with one_blas_thread():
        z = sums.satisfied_weight @ gradient_y + sums.answered_weight @ gradient_x
    has_rows = sums.row_count > 0
    variances = column_variances(
        design, z, np.repeat(has_rows[:, None], len(parts), axis=1), lonely_psu
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
            psu_totals=z[:, j],
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
