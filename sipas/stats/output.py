"""The JSON document of DESIGN §5 (a contract other tools read)."""

from __future__ import annotations

import math
from typing import Any

from sipas.stats.analysis import Analysis
from sipas.stats.indices import IndexResult, Indices, NodeResult


def _number(value: float | None) -> float | None:
    """JSON has no NaN or infinity: undefined numbers are null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _common(result: IndexResult | NodeResult, method: str) -> dict[str, Any]:
    """An estimate's figures; all null with its index when that is undefined (an
    overall index over a factor nobody answered has no standard error either)."""
    estimate = result.estimate
    defined = _number(estimate.value) is not None
    row: dict[str, Any] = {
        "index": _number(estimate.value),
        "se": _number(estimate.se) if defined else None,
        "df": estimate.df,
        "ci": [_number(result.interval.lower), _number(result.interval.upper)]
        if defined
        else [None, None],
        "deff": _number(estimate.deff) if defined else None,
    }
    if result.interval.method != method:
        row["ci_method"] = str(result.interval.method)
    return row


def _criterion(result: IndexResult, method: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": result.code,
        "factor": result.factor,
        "n": result.estimate.n,
        "satisfied": result.estimate.satisfied,
    }
    row.update(_common(result, method))
    row["deff_kish"] = _number(result.estimate.deff_kish)
    return row


def _node(node: NodeResult, method: str) -> dict[str, Any]:
    """One node of the index tree with its children, parents first."""
    return {
        "code": node.code,
        **_common(node, method),
        "children": [_node(child, method) for child in node.children],
    }


def indices_json(
    indices: Indices, ci_method: str, index_ci_method: str
) -> dict[str, Any]:
    """Criteria, factors and overall of one domain, and its index tree if computed."""
    return {
        "criteria": [_criterion(r, ci_method) for r in indices.criteria],
        "factors": [
            {"code": r.code, **_common(r, index_ci_method)} for r in indices.factors
        ],
        "overall": _common(indices.overall, index_ci_method),
        **(
            {"indices": _node(indices.tree, index_ci_method)}
            if indices.tree is not None
            else {}
        ),
    }


def analysis_json(analysis: Analysis, questionnaire: str) -> dict[str, Any]:
    """The whole document: meta, criteria, factors, overall and (with --by) groups."""
    options = analysis.options
    ci, index_ci = str(options.ci_method), str(options.index_ci_method)
    document: dict[str, Any] = {
        "meta": {
            "rows": analysis.n_rows,
            "strata": analysis.design.n_strata,
            "psus": analysis.design.n_psus,
            "df": analysis.df,
            "level": options.level,
            "ci_method": ci,
            "index_ci_method": index_ci,
            "lonely_psu": str(options.lonely_psu),
            "questionnaire": questionnaire,
        },
        **indices_json(analysis.overall, ci, index_ci),
    }
    if analysis.groups:
        document["groups"] = [
            {
                "column": g.column,
                "value": g.value,
                **indices_json(g.indices, ci, index_ci),
            }
            for g in analysis.groups
        ]
    return document
