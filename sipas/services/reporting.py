"""Indices of a wave straight from the database, with SQL GROUP BY doing the heavy pass.

Each response carries two bit masks of its criteria (answered 1–5, satisfied 4–5),
set when it was written; the database counts responses per (unit, domain, masks).
Python only sees those counts — never the answer rows — and turns them into the
per-PSU sums of :mod:`sipas.stats`, so the numbers equal those of the exported stats
CSV (a test checks exactly that, which also checks the masks against the answers).
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
from sipas.stats.analysis import Analysis, CalibrationSpec, GroupIndices, MarginSpec
from sipas.stats.calibrate import CalibrationMethod, make_margin, poststratify, rake
from sipas.stats.calibrated import calibrated_indices
from sipas.stats.compare import Difference, independent_difference
from sipas.stats.design import build_design
from sipas.stats.indices import FactorStructure, Indices, Options, compute_indices
from sipas.stats.masks import mask_bits, sums_from_patterns
from sipas.stats.shares import Share, option_shares
from sipas.stats.sums import CriterionSums


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
    #: value of each respondent question used for calibration, per pattern row
    respondent: dict[str, np.ndarray]


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


def _answer_of(item_code: str) -> sa.ColumnElement:
    """The response's answer to one (single-choice) question, as a scalar subquery."""
    respondent = sa.orm.aliased(Answer)
    return (
        sa.select(sa.func.min(respondent.value))
        .where(respondent.response_id == Response.id, respondent.item_code == item_code)
        .scalar_subquery()
    )


def _domain_column(by: str | None) -> sa.ColumnElement:
    """What the database groups by besides unit and pattern."""
    if by == Breakdown.channel:
        return sa.cast(Response.channel, sa.String)
    if by is None or by in (Breakdown.unit, Breakdown.unit_level):
        return sa.literal("")  # derived from the unit afterwards
    return _answer_of(by)


def _patterns(
    wave: Wave,
    by: str | None,
    per_response: bool,
    respondent_items: tuple[str, ...] = (),
) -> Patterns:
    """One grouped query: responses counted per unit, domain and criteria pattern.

    The pattern is the pair of masks stored with each response when it was written,
    so no answer row is read (only the answers to a breakdown or calibration question).
    """
    key = Response.id if per_response else sa.literal(0)
    extra = [_answer_of(code) for code in respondent_items]
    grouped = (
        Response.unit_id,
        key,
        _domain_column(by),
        sa.func.coalesce(Response.criteria_answered, 0),
        sa.func.coalesce(Response.criteria_satisfied, 0),
        *extra,
    )
    rows = db.session.execute(
        sa.select(*grouped, sa.func.count())
        .where(Response.wave_id == wave.id, Response.status == ResponseStatus.complete)
        .group_by(*grouped)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * (6 + len(extra))
    return Patterns(
        unit_id=np.asarray(columns[0], dtype=np.int64),
        response_key=np.asarray(columns[1], dtype=np.int64),
        domain=np.asarray(
            ["" if d is None else str(d) for d in columns[2]], dtype=object
        ),
        answered_mask=np.asarray(columns[3], dtype=np.int64),
        satisfied_mask=np.asarray(columns[4], dtype=np.int64),
        count=np.asarray(columns[-1], dtype=np.int64),
        respondent={
            code: np.asarray(["" if v is None else str(v) for v in columns[5 + k]])
            for k, code in enumerate(respondent_items)
        },
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


def _per_unit(designs: dict[int, UnitDesign], value) -> np.ndarray:  # type: ignore[no-untyped-def]
    """An array indexed by unit id holding ``value(design)`` of each unit."""
    table = np.zeros(max(designs, default=0) + 1)
    for unit_id, design in designs.items():
        table[unit_id] = value(design)
    return table


def _pattern_design(
    designs: dict[int, UnitDesign], patterns: Patterns, per_response: bool
):  # type: ignore[no-untyped-def]
    """The design and each pattern row's PSU (per unit, unless responses are PSUs)."""
    if per_response:
        strata = [designs[u].stratum for u in patterns.unit_id]
        psus = [
            designs[u].psu or f"response:{key}"
            for u, key in zip(patterns.unit_id, patterns.response_key, strict=True)
        ]
        return build_design(strata, psus)
    unit_ids = sorted(designs)
    design, unit_psu = build_design(
        [designs[u].stratum for u in unit_ids], [designs[u].psu for u in unit_ids]
    )
    lookup = np.zeros(max(unit_ids, default=0) + 1, dtype=np.int64)
    lookup[unit_ids] = unit_psu
    return design, lookup[patterns.unit_id]


def wave_analysis(wave: Wave, options: Options, by: str | None = None) -> Analysis:
    """Indices of the wave's counted responses, whole and (with ``by``) per domain."""
    questionnaire = parsed(wave.questionnaire)
    criteria = [item.code for item in questionnaire.criteria]
    factors = factor_structure(questionnaire)
    designs = unit_designs(wave)
    per_response = any(d.psu is None for d in designs.values())
    spec = calibration_spec(wave.calibration_margins)
    margin_items = tuple(c for m in spec.margins for c in m.columns) if spec else ()
    patterns = _patterns(wave, by, per_response, margin_items)
    design, psu_index = _pattern_design(designs, patterns, per_response)
    weight = _per_unit(designs, lambda d: d.weight)[patterns.unit_id]

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

    if spec is not None:
        calibrated = _calibrated(
            design, psu_index, weight, patterns, spec, len(criteria)
        )

        def indices_of(mask: np.ndarray | None) -> Indices:
            domain = np.ones(len(weight), bool) if mask is None else mask
            return calibrated(domain, criteria, factors, options)
    else:

        def indices_of(mask: np.ndarray | None) -> Indices:
            return compute_indices(design, sums(mask), criteria, factors, options)

    overall = indices_of(None)
    groups = []
    if by is not None:
        domains = _domains(patterns, designs, by)
        for value in sorted(set(domains.tolist())):
            groups.append(GroupIndices(by, value, indices_of(domains == value)))
    n_rows = int(patterns.count.sum())
    return Analysis(
        design, n_rows, design.n_psus - design.n_strata, options, overall, tuple(groups)
    )


def _wave_design(wave: Wave, designs: dict[int, UnitDesign]):  # type: ignore[no-untyped-def]
    """The design of all counted responses, and a function (unit, response) → PSU."""
    per_response = any(d.psu is None for d in designs.values())
    if per_response:
        pairs = db.session.execute(
            sa.select(Response.unit_id, Response.id).where(
                Response.wave_id == wave.id, Response.status == ResponseStatus.complete
            )
        ).all()
    else:
        pairs = [(unit_id, 0) for unit_id in designs]
    strata = [designs[u].stratum for u, _ in pairs]
    psus = [designs[u].psu or f"response:{r}" for u, r in pairs]
    design, psu_index = build_design(strata, psus)
    lookup = {pair: int(i) for pair, i in zip(pairs, psu_index, strict=True)}
    return design, per_response, (lambda unit_id, key: lookup[(unit_id, key)])


def wave_shares(
    wave: Wave, item_codes: list[str], options: Options
) -> dict[str, list[Share]]:
    """Share of each option of each item among those who answered it (SQL counts)."""
    designs = unit_designs(wave)
    design, per_response, psu_of = _wave_design(wave, designs)
    key = Response.id if per_response else sa.literal(0)
    counted = sa.and_(
        Response.wave_id == wave.id,
        Response.status == ResponseStatus.complete,
        Answer.item_code.in_(item_codes),
    )
    chosen = db.session.execute(
        sa.select(
            Response.unit_id, key, Answer.item_code, Answer.value, sa.func.count()
        )
        .join(Answer, Answer.response_id == Response.id)
        .where(counted)
        .group_by(Response.unit_id, key, Answer.item_code, Answer.value)
    ).all()
    answered = db.session.execute(
        sa.select(
            Response.unit_id,
            key,
            Answer.item_code,
            sa.func.count(sa.distinct(Response.id)),
        )
        .join(Answer, Answer.response_id == Response.id)
        .where(counted)
        .group_by(Response.unit_id, key, Answer.item_code)
    ).all()
    columns = sorted({(item, value) for _u, _k, item, value, _n in chosen})
    position = {column: j for j, column in enumerate(columns)}
    shape = (design.n_psus, len(columns))
    numerator, denominator = np.zeros(shape), np.zeros(shape)
    denominator_sq = np.zeros(len(columns))
    n_chosen, n_answered = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    for unit_id, k, item, value, count in chosen:
        p, j, w = psu_of(unit_id, k), position[(item, value)], designs[unit_id].weight
        numerator[p, j] += w * count
        n_chosen[p, j] += count
    for unit_id, k, item, count in answered:
        p, w = psu_of(unit_id, k), designs[unit_id].weight
        for j, (column_item, _value) in enumerate(columns):
            if column_item == item:
                denominator[p, j] += w * count
                denominator_sq[j] += w * w * count
                n_answered[p, j] += count
    sums = CriterionSums(
        satisfied_weight=numerator,
        answered_weight=denominator,
        answered_weight_sq=denominator_sq,
        answered_count=n_answered,
        satisfied_count=n_chosen,
        row_count=np.zeros(design.n_psus, np.int64),
        row_weight=np.zeros(design.n_psus),
    )
    shares = option_shares(design, sums, columns, options)
    return {item: [s for s in shares if s.item == item] for item in item_codes}


def compare_waves(
    current: Wave, previous: Wave, options: Options
) -> list[tuple[str, Difference]]:
    """Each criterion, factor and the overall index: current − previous wave."""
    now = wave_analysis(current, options).overall
    before = wave_analysis(previous, options).overall
    pairs = [
        *zip(now.criteria, before.criteria, strict=False),
        *zip(now.factors, before.factors, strict=False),
        (now.overall, before.overall),
    ]
    return [
        (a.code, independent_difference(a.estimate, b.estimate, options.level))
        for a, b in pairs
        if a.code == b.code
        and np.isfinite(a.estimate.value)
        and np.isfinite(b.estimate.value)
    ]


def calibration_spec(margins: dict | None) -> CalibrationSpec | None:
    """A wave's calibration_margins as the statistics take them (None: no calibration).

    Stored as {"method": "poststratify" | "rake", "margins": [{"columns": [item
    codes], "population": {"value|value": count}}]}.
    """
    if not margins:
        return None
    return CalibrationSpec(
        method=CalibrationMethod(margins["method"]),
        margins=tuple(
            MarginSpec(tuple(m["columns"]), dict(m["population"]))
            for m in margins["margins"]
        ),
    )


def _calibrated(design, psu_index, weight, patterns, spec, n_criteria):  # type: ignore[no-untyped-def]
    """Calibrate the pattern records and return a function computing a domain."""
    counts = patterns.count.astype(np.float64)
    margins = [
        make_margin(
            "×".join(m.columns),
            [
                "|".join(parts)
                for parts in zip(
                    *(patterns.respondent[c] for c in m.columns), strict=True
                )
            ],
            m.population,
        )
        for m in spec.margins
    ]
    if spec.method is CalibrationMethod.poststratify:
        calibration = poststratify(weight, margins[0], counts)
    else:
        calibration = rake(weight, margins, counts)
    answered = mask_bits(patterns.answered_mask, n_criteria)
    satisfied = mask_bits(patterns.satisfied_mask & patterns.answered_mask, n_criteria)

    def compute(domain, criteria, factors, options):  # type: ignore[no-untyped-def]
        return calibrated_indices(
            design,
            psu_index,
            calibration,
            satisfied,
            answered,
            domain,
            criteria,
            factors,
            options,
            counts,
        )

    return compute
