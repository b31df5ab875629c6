"""Indices of a wave straight from the database, with SQL GROUP BY doing the heavy pass.

Per response the answers to the criteria collapse into two bit masks (answered 1–5,
satisfied 4–5); the database then counts responses per (unit, domain, masks). Python
only sees those counts — never the answer rows — and turns them into the per-PSU sums
of :mod:`sipas.stats`, so the numbers equal those of the exported stats CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm

from sipas.extensions import db
from sipas.models import Answer, Response, ResponseStatus, Wave
from sipas.questionnaire import Questionnaire
from sipas.services.questionnaires import parsed
from sipas.services.wave_design import UnitDesign, unit_designs
from sipas.stats.analysis import Analysis, GroupIndices
from sipas.stats.design import build_design
from sipas.stats.indices import FactorStructure, Options, compute_indices
from sipas.stats.masks import sums_from_patterns


class Breakdown(StrEnum):
    """Domains a wave can be broken down by (besides a respondent question)."""

    unit = "unit"
    unit_level = "unit_level"
    channel = "channel"


@dataclass(frozen=True)
class Patterns:
    """Counted answer patterns with their unit, PSU key and domain value."""

    unit_id: np.ndarray
    response_key: np.ndarray
    domain: np.ndarray
    answered_mask: np.ndarray
    satisfied_mask: np.ndarray
    count: np.ndarray


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


def _bit_case(column: sa.ColumnElement, criteria: list[str]) -> sa.Case:
    """CASE item_code WHEN 'A1' THEN 1 WHEN 'A2' THEN 2 … END."""
    return sa.case(
        {code: 1 << k for k, code in enumerate(criteria)}, value=column, else_=0
    )


def _domain_column(by: str | None) -> sa.ColumnElement:
    """What the database groups by besides unit and pattern."""
    if by == Breakdown.channel:
        return sa.cast(Response.channel, sa.String)
    if by is None or by in (Breakdown.unit, Breakdown.unit_level):
        return sa.literal("")  # derived from the unit afterwards
    respondent = sa.orm.aliased(Answer)
    return (
        sa.select(sa.func.min(respondent.value))
        .where(respondent.response_id == Response.id, respondent.item_code == by)
        .scalar_subquery()
    )


def _patterns(
    wave: Wave, criteria: list[str], by: str | None, per_response: bool
) -> Patterns:
    """One grouped query: responses counted per unit, domain and answer pattern."""
    bit = _bit_case(Answer.item_code, criteria)
    answered_values = ["1", "2", "3", "4", "5"]
    answered = sa.func.sum(sa.case((Answer.value.in_(answered_values), bit), else_=0))
    satisfied = sa.func.sum(sa.case((Answer.value.in_(["4", "5"]), bit), else_=0))
    domain = _domain_column(by)
    inner = (
        sa.select(
            Response.id.label("response_id"),
            Response.unit_id.label("unit_id"),
            domain.label("domain"),
            sa.func.coalesce(answered, 0).label("answered"),
            sa.func.coalesce(satisfied, 0).label("satisfied"),
        )
        .select_from(Response)
        .outerjoin(
            Answer,
            sa.and_(Answer.response_id == Response.id, Answer.item_code.in_(criteria)),
        )
        .where(Response.wave_id == wave.id, Response.status == ResponseStatus.complete)
        .group_by(Response.id, Response.unit_id)
        .subquery()
    )
    key = inner.c.response_id if per_response else sa.literal(0)
    grouped = (
        inner.c.unit_id,
        key,
        inner.c.domain,
        inner.c.answered,
        inner.c.satisfied,
    )
    rows = db.session.execute(
        sa.select(*grouped, sa.func.count()).group_by(*grouped)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    return Patterns(
        unit_id=np.asarray(columns[0], dtype=np.int64),
        response_key=np.asarray(columns[1], dtype=np.int64),
        domain=np.asarray(
            ["" if d is None else str(d) for d in columns[2]], dtype=object
        ),
        answered_mask=np.asarray(columns[3], dtype=np.int64),
        satisfied_mask=np.asarray(columns[4], dtype=np.int64),
        count=np.asarray(columns[5], dtype=np.int64),
    )


def _domains(patterns: Patterns, designs: dict[int, UnitDesign], by: str | None):
    """The domain value of each pattern row (units and levels come from the tree)."""
    if by == Breakdown.unit:
        return np.asarray(
            [designs[u].unit.code for u in patterns.unit_id], dtype=object
        )
    if by == Breakdown.unit_level:
        return np.asarray(
            [str(designs[u].unit.level) for u in patterns.unit_id], dtype=object
        )
    return patterns.domain


def wave_analysis(wave: Wave, options: Options, by: str | None = None) -> Analysis:
    """Indices of the wave's counted responses, whole and (with ``by``) per domain."""
    questionnaire = parsed(wave.questionnaire)
    criteria = [item.code for item in questionnaire.criteria]
    factors = factor_structure(questionnaire)
    designs = unit_designs(wave)
    per_response = any(d.psu is None for d in designs.values())
    patterns = _patterns(wave, criteria, by, per_response)
    strata = [designs[u].stratum for u in patterns.unit_id]
    psus = [
        designs[u].psu or f"response:{key}"
        for u, key in zip(patterns.unit_id, patterns.response_key, strict=True)
    ]
    design, psu_index = build_design(strata, psus)
    weight = np.asarray([designs[u].weight for u in patterns.unit_id], dtype=np.float64)

    def sums(mask: np.ndarray | None):
        keep = slice(None) if mask is None else mask
        return sums_from_patterns(
            design.n_psus,
            psu_index[keep],
            weight[keep],
            patterns.answered_mask[keep],
            patterns.satisfied_mask[keep],
            patterns.count[keep],
            len(criteria),
        )

    overall = compute_indices(design, sums(None), criteria, factors, options)
    groups = []
    if by is not None:
        domains = _domains(patterns, designs, by)
        for value in sorted(set(domains.tolist())):
            indices = compute_indices(
                design, sums(domains == value), criteria, factors, options
            )
            groups.append(GroupIndices(column=by, value=value, indices=indices))
    n_rows = int(patterns.count.sum())
    return Analysis(
        design, n_rows, design.n_psus - design.n_strata, options, overall, tuple(groups)
    )
