"""Confidence intervals for proportions, as `svyciprop` and the classical formulas."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from sipas.stats.distributions import beta_quantile, normal_quantile, t_quantile


class CiMethod(StrEnum):
    """Interval methods; the first three need a design, the last two are unweighted."""

    logit = "logit"
    beta = "beta"
    wald = "wald"
    wilson = "wilson"
    clopper_pearson = "clopper-pearson"


@dataclass(frozen=True)
class Interval:
    """Lower and upper bound and the method that produced them."""

    lower: float
    upper: float
    method: CiMethod


def _t(level: float, df: int) -> float:
    """The two-sided t quantile (R's qt(1 - α/2, df))."""
    return t_quantile(df, 1 - (1 - level) / 2)


def logit_interval(p: float, se: float, df: int, level: float) -> Interval:
    """expit(logit p ± t·se/(p(1-p))): `svyciprop(method="logit")`."""
    half = _t(level, df) * se / (p * (1 - p))
    centre = math.log(p / (1 - p))
    return Interval(_expit(centre - half), _expit(centre + half), CiMethod.logit)


def _expit(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def wald_interval(p: float, se: float, df: int, level: float) -> Interval:
    """p ± t·se (not clipped, as R does)."""
    half = _t(level, df) * se
    return Interval(p - half, p + half, CiMethod.wald)


def korn_graubard_interval(
    p: float, variance: float, n_rows: int, df: int, level: float
) -> Interval:
    """Korn–Graubard: `svyciprop(method="beta")`, effective n adjusted by t ratios."""
    alpha = 1 - level
    n_eff = p * (1 - p) / variance
    ratio = t_quantile(n_rows - 1, alpha / 2) / t_quantile(df, alpha / 2)
    n_eff *= ratio**2
    lower = beta_quantile(n_eff * p, n_eff * (1 - p) + 1, alpha / 2)
    upper = beta_quantile(n_eff * p + 1, n_eff * (1 - p), 1 - alpha / 2)
    return Interval(float(lower), float(upper), CiMethod.beta)


def clopper_pearson_interval(successes: int, n: int, level: float) -> Interval:
    """Exact binomial interval on unweighted counts."""
    alpha = 1 - level
    lower = (
        0.0
        if successes == 0
        else beta_quantile(successes, n - successes + 1, alpha / 2)
    )
    upper = (
        1.0
        if successes == n
        else beta_quantile(successes + 1, n - successes, 1 - alpha / 2)
    )
    return Interval(float(lower), float(upper), CiMethod.clopper_pearson)


def wilson_interval(successes: int, n: int, level: float) -> Interval:
    """Wilson score interval on unweighted counts."""
    z = normal_quantile(1 - (1 - level) / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return Interval(centre - half, centre + half, CiMethod.wilson)


def proportion_interval(
    method: CiMethod,
    p: float,
    variance: float,
    df: int,
    level: float,
    *,
    n: int,
    successes: int | None,
    design_rows: int | None = None,
) -> Interval:
    """The interval of ``method``, or Clopper–Pearson where the design one is undefined.

    The documented rule: where p̂ is 0 or 1, the variance is 0, or df < 1, the design
    interval degenerates, so the interval is Clopper–Pearson on the unweighted n (for
    an index that is not a single criterion, on n rows with round(p̂·n) successes).
    """
    if successes is None:
        successes = round(p * n)
    degenerate = p <= 0 or p >= 1 or variance <= 0 or df < 1 or n < 1
    if degenerate or method is CiMethod.clopper_pearson:
        return clopper_pearson_interval(successes, n, level)
    if method is CiMethod.wilson:
        return wilson_interval(successes, n, level)
    se = math.sqrt(variance)
    if method is CiMethod.logit:
        return logit_interval(p, se, df, level)
    if method is CiMethod.wald:
        return wald_interval(p, se, df, level)
    return korn_graubard_interval(p, variance, design_rows or n, df, level)
