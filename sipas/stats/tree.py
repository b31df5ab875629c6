"""Indices of an index tree: every node from one combined linearisation of the totals.

A node's index is a weighted mean of its children's indices (of its criteria's for a
leaf), or with ``pooled`` one ratio of the summed totals of all its criteria. Either
way it is a combination Σ c_k·R_k + Σ c_p·(ΣY_p/ΣX_p) of ratios of per-PSU totals,
so its influence function is the same combination of theirs: `svycontrast` on the
totals, as for the factors and the overall index.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sipas.stats.design import Design
from sipas.stats.estimate import Estimate, PooledTerm, combination_estimates
from sipas.stats.indices import (
    Indices,
    NodeResult,
    Options,
    result_interval,
    rooted,
)
from sipas.stats.sums import CriterionSums


@dataclass(frozen=True)
class NodeStructure:
    """A node of the tree as the statistics need it: children, or criteria codes."""

    code: str
    weight: float = 1.0
    #: one ratio over all criteria under the node, instead of the weighted mean
    pooled: bool = False
    children: tuple[NodeStructure, ...] = ()
    criteria: tuple[str, ...] = ()

    @property
    def all_criteria(self) -> tuple[str, ...]:
        """Every criterion under this node."""
        own = self.criteria
        return own + tuple(c for child in self.children for c in child.all_criteria)


@dataclass(frozen=True)
class Combination:
    """A node's index as coefficients on criterion ratios plus pooled ratios."""

    coefficients: NDArray[np.float64]
    pooled: tuple[PooledTerm, ...] = ()


def node_combination(node: NodeStructure, position: dict[str, int]) -> Combination:
    """The combination of criterion (and pooled) ratios that is ``node``'s index."""
    coefficients = np.zeros(len(position))
    if node.pooled:
        members = np.zeros(len(position), dtype=bool)
        members[[position[code] for code in node.all_criteria]] = True
        return Combination(coefficients, ((1.0, members),))
    if not node.children:
        for code in node.criteria:
            coefficients[position[code]] = 1 / len(node.criteria)
        return Combination(coefficients)
    total_weight = sum(child.weight for child in node.children)
    parts = [
        (child.weight / total_weight, node_combination(child, position))
        for child in node.children
    ]
    return Combination(
        sum((share * part.coefficients for share, part in parts), start=coefficients),
        tuple(
            (share * coefficient, members)
            for share, part in parts
            for coefficient, members in part.pooled
        ),
    )


def compute_tree(
    design: Design,
    sums: CriterionSums,
    criteria_codes: Sequence[str],
    root: NodeStructure,
    options: Options,
) -> NodeResult:
    """Every node's index, SE, df, deff and interval over one domain's sums (one
    pass over the PSUs for all the nodes)."""
    position = {code: k for k, code in enumerate(criteria_codes)}
    nodes = list(_walk(root))
    combinations = [node_combination(node, position) for node in nodes]
    estimates = combination_estimates(
        design,
        sums,
        [(c.coefficients, c.pooled) for c in combinations],
        options.lonely_psu,
    )
    found = dict(zip(map(id, nodes), estimates, strict=True))
    return _node_result(root, found, options)


def _walk(node: NodeStructure) -> Iterator[NodeStructure]:
    """This node and every node under it, parents before children."""
    yield node
    for child in node.children:
        yield from _walk(child)


def with_tree(
    indices: Indices,
    design: Design,
    sums: CriterionSums,
    criteria_codes: Sequence[str],
    root: NodeStructure | None,
    options: Options,
) -> Indices:
    """``indices`` with every node of the tree ``root`` added and its root as the
    overall index (unchanged without)."""
    if root is None:
        return indices
    return rooted(indices, compute_tree(design, sums, criteria_codes, root, options))


def _node_result(
    node: NodeStructure, found: dict[int, Estimate], options: Options
) -> NodeResult:
    estimate = found[id(node)]
    return NodeResult(
        code=node.code,
        estimate=estimate,
        interval=result_interval(estimate, options.index_ci_method, options),
        children=tuple(_node_result(child, found, options) for child in node.children),
    )
