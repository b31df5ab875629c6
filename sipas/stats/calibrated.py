"""Indices under a calibrated design (post-stratified or raked weights).

The linearised values are made per record, residualised by the calibration as
`survey:::svyrecvar` does, then summed per PSU. As R keeps every row in a domain of a
calibrated design (weights set to zero, rows not dropped), all PSUs and strata of the
design take part and df is that of the whole design.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from sipas.stats.calibrate import Calibration
from sipas.stats.design import Design, degrees_of_freedom, total_variance
from sipas.stats.estimate import Estimate, PooledTerm, srs_variance
from sipas.stats.indices import (
    FactorStructure,
    IndexResult,
    Indices,
    NodeResult,
    Options,
    factor_coefficients,
    overall_coefficients,
    result_interval,
    rooted,
)
from sipas.stats.tree import NodeStructure, node_combination


@dataclass(frozen=True)
class _Domain:
    """Per-record pieces shared by every estimate of one domain."""

    design: Design
    weights: NDArray[np.float64]
    satisfied: NDArray[np.float64]
    answered: NDArray[np.float64]
    ratios: NDArray[np.float64]
    x_totals: NDArray[np.float64]
    #: residualised linearised values summed per PSU, one column per criterion
    z: NDArray[np.float64]
    every_psu: NDArray[np.bool_]
    rows: int
    psu: NDArray[np.int64]
    #: responses each record stands for (1 per row of a file)
    counts: NDArray[np.float64]
    #: weight of one response of each record (0 outside the domain)
    unit_weights: NDArray[np.float64]
    calibration: Calibration


def _psus_with(domain: _Domain, rows_used: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """PSUs holding at least one of the rows used."""
    return np.bincount(domain.psu[rows_used], minlength=domain.design.n_psus) > 0


def _domain(
    design: Design,
    psu: NDArray[np.int64],
    calibration: Calibration,
    satisfied: NDArray[np.float64],
    answered: NDArray[np.float64],
    in_domain: NDArray[np.bool_],
    counts: NDArray[np.float64],
) -> _Domain:
    unit_weights = calibration.weights * in_domain
    weights = unit_weights * counts  # the record's total weight
    s = satisfied * in_domain[:, None]
    a = answered * in_domain[:, None]
    y_tot, x_tot = weights @ s, weights @ a
    ratios = np.divide(y_tot, x_tot, out=np.full_like(y_tot, np.nan), where=x_tot > 0)
    safe_x = np.where(x_tot > 0, x_tot, 1.0)
    values = weights[:, None] * (s - np.nan_to_num(ratios) * a) / safe_x
    residual = calibration.residualize(values, counts)
    # np.bincount with weights sums floats; numpy's stubs say every bincount is int
    z = cast(
        "NDArray[np.float64]",
        np.column_stack(
            [
                np.bincount(psu, weights=residual[:, k], minlength=design.n_psus)
                for k in range(residual.shape[1])
            ]
        ),
    )
    every_psu = np.bincount(psu, minlength=design.n_psus) > 0
    rows = int(counts.sum())
    return _Domain(
        design,
        weights,
        s,
        a,
        ratios,
        x_tot,
        z,
        every_psu,
        rows,
        psu,
        counts,
        unit_weights,
        calibration,
    )


def _estimate(
    domain: _Domain,
    options: Options,
    value: float,
    z_total: NDArray[np.float64],
    rows_used: NDArray[np.bool_],
    satisfied: int | None,
    srs: float | None,
    kish: float | None,
) -> Estimate:
    """The estimate with its variance; df counts the PSUs of the rows used (R's degf
    keeps only rows of non-zero weight), the variance every PSU of the design."""
    variance = total_variance(
        domain.design, z_total, domain.every_psu, options.lonely_psu
    )
    return Estimate(
        value=value,
        variance=variance,
        df=degrees_of_freedom(domain.design, _psus_with(domain, rows_used)),
        n=int(domain.counts[rows_used].sum()),
        satisfied=satisfied,
        deff=variance / srs if srs else None,
        deff_kish=kish,
        design_rows=domain.rows,
        psu_totals=z_total,
        psu_has_rows=domain.every_psu,
    )


def _criterion(domain: _Domain, k: int, options: Options) -> Estimate:
    n = int(domain.counts @ domain.answered[:, k])
    x_total, ratio = float(domain.x_totals[k]), float(domain.ratios[k])
    if x_total <= 0:
        return Estimate(float("nan"), float("nan"), 0, 0, 0, None, None, domain.rows)
    y_total = ratio * x_total
    srs = srs_variance(y_total * (1 - 2 * ratio) + ratio**2 * x_total, n, x_total)
    weight_sq = domain.unit_weights**2 * domain.counts
    kish = n * float(weight_sq @ domain.answered[:, k]) / x_total**2
    count = int(domain.counts @ domain.satisfied[:, k])
    answered = domain.answered[:, k] > 0
    return _estimate(domain, options, ratio, domain.z[:, k], answered, count, srs, kish)


def _combination(
    domain: _Domain,
    coefficients: NDArray[np.float64],
    options: Options,
    pooled: Sequence[PooledTerm] = (),
) -> Estimate:
    used = coefficients != 0
    value = float(np.sum(coefficients[used] * domain.ratios[used]))
    gradient = coefficients / np.where(domain.x_totals > 0, domain.x_totals, 1.0)
    u = domain.satisfied @ gradient - domain.answered @ (
        gradient * np.nan_to_num(domain.ratios)
    )
    z_total = domain.z @ coefficients
    for coefficient, members in pooled:
        ratio, pooled_u, pooled_z = _pooled(domain, members)
        value += coefficient * ratio
        u = u + coefficient * pooled_u
        z_total = z_total + coefficient * pooled_z
    population = float(domain.weights.sum())
    n = int(domain.counts[domain.weights > 0].sum())
    srs = srs_variance(float(domain.weights @ (u * u)) * population**2, n, population)
    rows_used = domain.weights > 0
    return _estimate(domain, options, value, z_total, rows_used, None, srs, None)


def _pooled(
    domain: _Domain, members: NDArray[np.bool_]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """A pooled ratio ΣY/ΣX over ``members``: its value, its per-record linearised
    value (per unit of weight) and its residualised totals per PSU."""
    x_total = float(domain.x_totals[members].sum())
    if x_total <= 0:
        return float("nan"), np.zeros(len(domain.weights)), np.zeros(len(domain.z))
    satisfied = domain.satisfied[:, members].sum(axis=1)
    answered = domain.answered[:, members].sum(axis=1)
    ratio = float(domain.weights @ satisfied) / x_total
    u = (satisfied - ratio * answered) / x_total
    residual = domain.calibration.residualize(
        (domain.weights * u)[:, None], domain.counts
    )
    z = np.bincount(domain.psu, weights=residual[:, 0], minlength=domain.design.n_psus)
    return ratio, u, z.astype(np.float64)


def _tree(
    domain: _Domain, node: NodeStructure, position: dict[str, int], options: Options
) -> NodeResult:
    """Every node of the tree under calibrated weights."""
    combination = node_combination(node, position)
    estimate = _combination(
        domain, combination.coefficients, options, combination.pooled
    )
    return NodeResult(
        node.code,
        estimate,
        result_interval(estimate, options.index_ci_method, options),
        tuple(_tree(domain, child, position, options) for child in node.children),
    )


def calibrated_indices(
    design: Design,
    psu: NDArray[np.int64],
    calibration: Calibration,
    satisfied: NDArray[np.float64],
    answered: NDArray[np.float64],
    in_domain: NDArray[np.bool_],
    criteria_codes: Sequence[str],
    factors: Sequence[FactorStructure],
    options: Options,
    counts: NDArray[np.float64] | None = None,
    tree: NodeStructure | None = None,
) -> Indices:
    """Criterion, factor and overall indices of one domain under calibrated weights.

    Records are rows, or patterns standing for ``counts`` identical responses; with
    ``tree``, every node of that index tree too.
    """
    counts = np.ones(len(psu)) if counts is None else np.asarray(counts, float)
    domain = _domain(design, psu, calibration, satisfied, answered, in_domain, counts)
    factor_of = {c: f.code for f in factors for c in f.criteria}
    criteria = []
    for k, code in enumerate(criteria_codes):
        estimate = _criterion(domain, k, options)
        interval = result_interval(estimate, options.ci_method, options)
        criteria.append(IndexResult(code, estimate, interval, factor_of.get(code)))
    position = {code: k for k, code in enumerate(criteria_codes)}
    combined = [(f.code, factor_coefficients(f, position)) for f in factors] + [
        ("overall", overall_coefficients(factors, position))
    ]
    results = []
    for code, coefficients in combined:
        estimate = _combination(domain, coefficients, options)
        interval = result_interval(estimate, options.index_ci_method, options)
        results.append(IndexResult(code, estimate, interval))
    indices = Indices(tuple(criteria), tuple(results[:-1]), results[-1])
    if tree is None:
        return indices
    return rooted(indices, _tree(domain, tree, position, options))
