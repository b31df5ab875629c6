"""The results of a wave for one unit subtree, as data: what the results service
computes and every page, file and report renders. Both sides import this module;
it imports neither."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sipas.models import Unit, Wave
from sipas.questionnaire import IndexNode, Questionnaire
from sipas.stats.compare import Comparison, Difference, Standing
from sipas.stats.design import Design
from sipas.stats.estimate import Estimate, is_small_sample
from sipas.stats.indices import IndexResult, Indices, NodeResult, Options
from sipas.stats.shares import Share

#: Code of the overall (SIPAS) index in comparisons.
OVERALL = "overall"


@dataclass(frozen=True)
class Thresholds:
    """Below these an estimate is marked as resting on too few responses."""

    min_n: int = 30
    min_effective_n: float = 30.0

    def is_small(self, result: IndexResult) -> bool:
        """True when ``result`` should carry a small-sample warning."""
        return self.is_small_estimate(result.estimate)

    def is_small_estimate(self, estimate: Estimate) -> bool:
        """True when ``estimate`` (an index or a share) rests on too few responses."""
        return is_small_sample(estimate, self.min_n, self.min_effective_n)


@dataclass(frozen=True)
class RankedUnit:
    """A unit below the root with its SIPAS, rank, and how it compares with the
    other units: told apart, not told apart, or not testable under the design."""

    unit: Unit
    rank: int
    indices: Indices
    #: units tested and found within what chance explains of this one
    indistinguishable: tuple[str, ...]
    #: True when the difference to the next unit was tested and is not significant
    tied_with_next: bool
    #: units the design cannot compare with this one (no measured error)
    untestable: tuple[str, ...] = ()
    #: True when the difference to the next unit cannot be tested
    untestable_with_next: bool = False
    #: index code ("overall", factor or criterion) → where the unit stands against
    #: the same index of the whole scope (tested as two domains of one design)
    standings: Mapping[str, Standing] = field(default_factory=dict)

    def standing(self, code: str = OVERALL) -> Standing:
        """Where this unit stands against the scope on index ``code``."""
        return self.standings.get(code, Standing.untestable)

    @property
    def comparison_with_next(self) -> Comparison | None:
        """How this unit compares with the next one (None for the last)."""
        if self.untestable_with_next:
            return Comparison.untestable
        if self.tied_with_next:
            return Comparison.indistinguishable
        return None

    @property
    def overall(self) -> IndexResult:
        """The unit's SIPAS."""
        return self.indices.overall


@dataclass(frozen=True)
class GroupRow:
    """One group of a breakdown: the answer code, its label and its indices."""

    value: str
    label: str
    indices: Indices


@dataclass(frozen=True)
class GroupBreakdown:
    """The indices per group of one variable (channel or a respondent question)."""

    code: str
    title: str
    rows: tuple[GroupRow, ...]


@dataclass(frozen=True)
class ShareTable:
    """The shares of the options of one question (perceptions, expectations)."""

    code: str
    title: str
    shares: tuple[Share, ...]
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Change:
    """One index now and in the previous wave, and whether the change is real."""

    code: str
    current: IndexResult
    previous: IndexResult
    difference: Difference


@dataclass(frozen=True)
class KeyShare:
    """A headline perception figure: the share of those who answered ``item`` that
    chose one of ``options`` (harassment, unofficial payments, late results …)."""

    #: what the figure measures (a key of the renderers' short names)
    code: str
    item: str
    options: tuple[str, ...]
    #: the question's wording and the counted answers' labels, from the questionnaire
    question: str
    answers: tuple[str, ...]
    share: Share

    @property
    def value(self) -> float:
        """The share, a fraction."""
        return self.share.estimate.value


@dataclass(frozen=True)
class TreeRow:
    """A node of the index tree with its figures, where it sits in the tree."""

    node: IndexNode
    result: NodeResult
    #: 0 for the root (SIPAS), 1 for its children (domains, or factors) …
    depth: int
    #: code of the node above (None for the root)
    parent: str | None

    @property
    def code(self) -> str:
        """The node's code."""
        return self.node.code

    @property
    def has_children(self) -> bool:
        """True for a node made of nodes (a domain), not of criteria."""
        return bool(self.node.children)


def tree_rows(
    node: IndexNode, result: NodeResult, depth: int = 0, parent: str | None = None
) -> list[TreeRow]:
    """``node`` and every node under it with their results, parents first."""
    rows = [TreeRow(node, result, depth, parent)]
    for child, child_result in zip(node.children, result.children, strict=True):
        rows += tree_rows(child, child_result, depth + 1, node.code)
    return rows


@dataclass(frozen=True)
class TrendPoint:
    """The scope's indices in one wave of the same questionnaire (earlier waves
    followed across unit mergers)."""

    wave: Wave
    indices: Indices


@dataclass(frozen=True)
class WaveResults:
    """What a wave's results page or report shows for one unit subtree."""

    wave: Wave
    root: Unit | None
    questionnaire: Questionnaire
    options: Options
    thresholds: Thresholds
    language: str
    responses: int
    responding_units: int
    indices: Indices
    ranking: tuple[RankedUnit, ...]
    breakdowns: tuple[GroupBreakdown, ...]
    perceptions: tuple[ShareTable, ...]
    expectations: tuple[ShareTable, ...]
    previous_wave: Wave | None
    changes: tuple[Change, ...]
    breadcrumbs: tuple[Unit, ...] = field(default=())
    #: the whole wave's design (strata and PSUs), for the JSON document's meta
    design: Design | None = None
    #: the headline perception figures (those the questionnaire asks)
    key_shares: tuple[KeyShare, ...] = ()
    #: this and every earlier wave of the questionnaire with responses in scope,
    #: oldest first
    trend: tuple[TrendPoint, ...] = ()
    #: each node of the index tree (below the root) against the previous wave's
    #: node of the same code
    node_changes: tuple[Change, ...] = ()

    def change_of(self, code: str) -> Change | None:
        """The change of index ``code`` against the previous wave, if known."""
        return next((c for c in self.changes if c.code == code), None)

    def node_change(self, code: str) -> Change | None:
        """The change of tree node ``code`` against the previous wave, if known."""
        if code == self.questionnaire.index_tree.code:
            return self.change_of(OVERALL)
        return next((c for c in self.node_changes if c.code == code), None)

    @cached_property
    def tree(self) -> list[TreeRow]:
        """Every node of the index tree with its figures, parents first (empty when
        the tree was not computed)."""
        if self.indices.tree is None:
            return []
        return tree_rows(self.questionnaire.index_tree, self.indices.tree)

    @cached_property
    def domains(self) -> list[TreeRow]:
        """The nodes between SIPAS and the factors (policy, services …): the top
        nodes when any of them is made of nodes, else none (the 2017 form)."""
        top = [row for row in self.tree if row.depth == 1]
        return top if any(row.has_children for row in top) else []

    def node_label(self, row: TreeRow) -> str:
        """The node's name in the results' language."""
        return row.node.label.get_text(self.language)

    def parent_label(self, row: TreeRow) -> str:
        """The name of the node above ``row`` (empty for the root and its children,
        whose parent is SIPAS)."""
        above = next((r for r in self.tree if r.code == row.parent), None)
        return "" if above is None or above.depth == 0 else self.node_label(above)

    @property
    def criteria_weakest_first(self) -> list[IndexResult]:
        """The criteria with an index, lowest first."""
        known = [r for r in self.indices.criteria if np.isfinite(r.estimate.value)]
        return sorted(known, key=lambda r: (r.estimate.value, r.code))

    @property
    def small_results(self) -> list[IndexResult]:
        """Criteria, factors and the overall index resting on too few responses."""
        all_results = (*self.indices.criteria, *self.indices.factors)
        return [
            r
            for r in (*all_results, self.indices.overall)
            if self.thresholds.is_small(r)
        ]

    def factor_name(self, code: str) -> str:
        """The factor's name in the results' language."""
        factor = next(f for f in self.questionnaire.factors if f.code == code)
        return factor.name.get_text(self.language)

    def criterion_label(self, code: str) -> str:
        """The criterion's wording in the results' language."""
        return self.questionnaire.item(code).label.get_text(self.language)
