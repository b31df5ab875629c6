"""A questionnaire's factors and index tree as the statistics need them.

The one place where the statistics read a questionnaire (itself pure): the web app's
results and `sipas-stats` build the same structures here.
"""

from __future__ import annotations

from sipas.questionnaire.schema import Aggregate, IndexNode, Questionnaire
from sipas.stats.indices import FactorStructure
from sipas.stats.tree import NodeStructure


def factor_structure(questionnaire: Questionnaire) -> list[FactorStructure]:
    """The factor tree as the statistics need it."""
    return [
        FactorStructure(
            factor.code,
            tuple(item.code for item in questionnaire.criteria_of(factor.code)),
            factor.weight,
        )
        for factor in questionnaire.factors
    ]


def index_structure(questionnaire: Questionnaire) -> NodeStructure:
    """The index tree (declared, or factors → criteria) as the statistics need it."""
    return _node_structure(questionnaire.index_tree)


def _node_structure(node: IndexNode) -> NodeStructure:
    return NodeStructure(
        code=node.code,
        weight=node.weight,
        pooled=node.aggregate is Aggregate.pooled,
        children=tuple(_node_structure(child) for child in node.children),
        criteria=node.items,
    )
