"""SIPAS indices: criteria, factors (equal-weight means) and the overall index."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from sipas.stats.design import Design, LonelyPsu
from sipas.stats.estimate import Estimate, combination_estimates, criterion_estimates
from sipas.stats.intervals import CiMethod, Interval, proportion_interval
from sipas.stats.sums import CriterionSums


@dataclass(frozen=True)
class FactorStructure:
    """A factor's code, its weight in the overall index and its criteria codes."""

    code: str
    criteria: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Options:
    """How to estimate: interval method, level, lonely-PSU rule."""

    ci_method: CiMethod = CiMethod.logit
    level: float = 0.95
    lonely_psu: LonelyPsu = LonelyPsu.adjust

    @property
    def index_ci_method(self) -> CiMethod:
        """Factor and overall intervals are logit-t, or Wald-t when Wald is chosen."""
        return CiMethod.wald if self.ci_method is CiMethod.wald else CiMethod.logit


@dataclass(frozen=True)
class IndexResult:
    """One estimated index with its interval."""

    code: str
    estimate: Estimate
    interval: Interval
    factor: str | None = None


@dataclass(frozen=True)
class NodeResult:
    """One node's estimate and interval, with its children's."""

    code: str
    estimate: Estimate
    interval: Interval
    children: tuple[NodeResult, ...] = ()

    def walk(self) -> Iterator[NodeResult]:
        """This node and every node under it, parents before children."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Indices:
    """Every index of one domain (or the whole sample)."""

    criteria: tuple[IndexResult, ...]
    factors: tuple[IndexResult, ...]
    overall: IndexResult
    #: every node of the questionnaire's index tree, when it was asked for
    tree: NodeResult | None = None


def rooted(indices: Indices, tree: NodeResult) -> Indices:
    """``indices`` with the tree ``tree`` and its root as the overall (SIPAS) index.

    The root of a declared tree is the questionnaire's SIPAS (a weighted mean of its
    domains, say), which the factor means need not give; the tree derived from the
    factors has the very same combination as the factor mean, so nothing changes.
    """
    overall = IndexResult(indices.overall.code, tree.estimate, tree.interval)
    return replace(indices, overall=overall, tree=tree)


def without_psu_values(indices: Indices, keep_overall_psus: bool = False) -> Indices:
    """``indices`` without the per-PSU values their estimates carry for
    comparisons (each one as long as the design has PSUs: 8 MB an estimate when a
    million responses are their own PSUs), once every comparison is made; with
    ``keep_overall_psus`` the overall index keeps which PSUs hold its rows."""
    overall = (
        _bare(indices.overall)
        if not keep_overall_psus
        else replace(
            indices.overall,
            estimate=replace(indices.overall.estimate, psu_totals=None),
        )
    )
    return replace(
        indices,
        criteria=tuple(_bare(result) for result in indices.criteria),
        factors=tuple(_bare(result) for result in indices.factors),
        overall=overall,
        tree=None if indices.tree is None else _bare_node(indices.tree),
    )


def _bare(result: IndexResult) -> IndexResult:
    """``result`` whose estimate carries no per-PSU values."""
    return replace(result, estimate=_bare_estimate(result.estimate))


def _bare_node(node: NodeResult) -> NodeResult:
    """``node`` and its children, their estimates without per-PSU values."""
    return replace(
        node,
        estimate=_bare_estimate(node.estimate),
        children=tuple(_bare_node(child) for child in node.children),
    )


def _bare_estimate(estimate: Estimate) -> Estimate:
    return replace(estimate, psu_totals=None, psu_has_rows=None, psu_ids=None)


def compute_indices(
    design: Design,
    sums: CriterionSums,
    criteria_codes: Sequence[str],
    factors: Sequence[FactorStructure],
    options: Options,
) -> Indices:
    """Criterion, factor and overall indices of one domain, each with its interval."""
    position = {code: k for k, code in enumerate(criteria_codes)}
    factor_of = {c: f.code for f in factors for c in f.criteria}
    criteria = tuple(
        IndexResult(
            code=code,
            estimate=estimate,
            interval=result_interval(estimate, options.ci_method, options),
            factor=factor_of.get(code),
        )
        for code, estimate in zip(
            criteria_codes,
            criterion_estimates(design, sums, options.lonely_psu),
            strict=True,
        )
    )
    combined = _combined(
        design,
        sums,
        {
            **{f.code: factor_coefficients(f, position) for f in factors},
            "overall": overall_coefficients(factors, position),
        },
        options,
    )
    overall = combined.pop()
    return Indices(criteria=criteria, factors=tuple(combined), overall=overall)


def factor_coefficients(
    factor: FactorStructure, position: dict[str, int]
) -> np.ndarray:
    """Equal weights 1/K on the factor's criteria (a vector over all criteria)."""
    coefficients = np.zeros(len(position))
    for code in factor.criteria:
        coefficients[position[code]] = 1 / len(factor.criteria)
    return coefficients


def overall_coefficients(
    factors: Sequence[FactorStructure], position: dict[str, int]
) -> np.ndarray:
    """Factor weights (normalised) times each factor's equal criterion weights."""
    total_weight = sum(f.weight for f in factors)
    return sum(
        ((f.weight / total_weight) * factor_coefficients(f, position) for f in factors),
        start=np.zeros(len(position)),
    )


def _combined(
    design: Design,
    sums: CriterionSums,
    coefficients: dict[str, np.ndarray],
    options: Options,
) -> list[IndexResult]:
    """The index of each code's combination of criteria (one pass for them all)."""
    estimates = combination_estimates(
        design, sums, [(c, ()) for c in coefficients.values()], options.lonely_psu
    )
    return [
        IndexResult(
            code=code,
            estimate=estimate,
            interval=result_interval(estimate, options.index_ci_method, options),
        )
        for code, estimate in zip(coefficients, estimates, strict=True)
    ]


def result_interval(estimate: Estimate, method: CiMethod, options: Options) -> Interval:
    """The interval of an estimate by ``method`` (NaN bounds for an empty index)."""
    if np.isnan(estimate.value):
        return Interval(float("nan"), float("nan"), method)
    return proportion_interval(
        method,
        estimate.value,
        estimate.variance,
        estimate.df,
        options.level,
        n=estimate.n,
        successes=estimate.satisfied,
        design_rows=estimate.design_rows,
    )
