"""From flat data to the results of DESIGN §5: whole sample and domains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sipas.stats.calibrate import (
    Calibration,
    CalibrationError,
    CalibrationMethod,
    margin_of_columns,
    poststratify,
    rake,
)
from sipas.stats.calibrated import calibrated_indices
from sipas.stats.design import Design, build_design
from sipas.stats.flatfile import FlatData
from sipas.stats.indices import FactorStructure, Indices, Options, compute_indices
from sipas.stats.sums import SATISFIED_FROM, CriterionSums, criterion_sums
from sipas.stats.tree import NodeStructure, with_tree


@dataclass(frozen=True)
class GroupIndices:
    """The indices of one domain value of a column."""

    column: str
    value: str
    indices: Indices


@dataclass(frozen=True)
class Analysis:
    """Everything the `stats` command reports."""

    design: Design
    n_rows: int
    df: int
    options: Options
    overall: Indices
    groups: tuple[GroupIndices, ...]


@dataclass(frozen=True)
class MarginSpec:
    """Columns crossed into one calibration variable, and its population counts.

    Population keys join the columns' values with "|", e.g. {"male|18_25": 1200}.
    """

    columns: tuple[str, ...]
    population: Mapping[str, float]


@dataclass(frozen=True)
class CalibrationSpec:
    """Post-stratify on one margin, or rake on several."""

    method: CalibrationMethod
    margins: tuple[MarginSpec, ...]


def calibrate_rows(data: FlatData, spec: CalibrationSpec) -> Calibration:
    """Calibrated weights of the file's rows (CalibrationError if they do not fit)."""
    margins = []
    for margin in spec.margins:
        missing = [c for c in margin.columns if c not in data.others]
        if missing:
            raise CalibrationError(f"the file has no column {missing[0]!r}")
        margins.append(
            margin_of_columns(
                {c: data.others[c] for c in margin.columns},
                margin.population,
                data.weights,
            )
        )
    if spec.method is CalibrationMethod.poststratify:
        if len(margins) != 1:
            raise CalibrationError("post-stratification takes exactly one margin")
        return poststratify(data.weights, margins[0])
    return rake(data.weights, margins)


def analyse(
    data: FlatData,
    criteria: Sequence[str],
    factors: Sequence[FactorStructure],
    options: Options,
    by: str | None = None,
    calibration: CalibrationSpec | None = None,
    tree: NodeStructure | None = None,
) -> Analysis:
    """Indices of the whole sample and, with ``by``, of each domain of that column.

    Domains are subpopulations of the full design: their sums keep every PSU of the
    design (zero where the domain has no rows), never a cut-down design. With
    ``tree``, every node of that index tree too.
    """
    if calibration is not None:
        return _analyse_calibrated(
            data, criteria, factors, options, by, calibration, tree
        )
    design, psu_of_row = build_design(data.strata, data.psus)

    def indices_of(sums: CriterionSums) -> Indices:
        indices = compute_indices(design, sums, criteria, factors, options)
        return with_tree(indices, design, sums, criteria, tree, options)

    whole = criterion_sums(design.n_psus, psu_of_row, data.weights, data.answers)
    overall = indices_of(whole)
    groups: list[GroupIndices] = []
    if by is not None:
        column = data.others[by]
        for value in column.present_labels():
            sums = criterion_sums(
                design.n_psus,
                psu_of_row,
                data.weights,
                data.answers,
                column.rows_with(value),
            )
            groups.append(GroupIndices(by, value, indices_of(sums)))
    df = design.n_psus - design.n_strata
    return Analysis(design, data.n_rows, df, options, overall, tuple(groups))


def _analyse_calibrated(
    data: FlatData,
    criteria: Sequence[str],
    factors: Sequence[FactorStructure],
    options: Options,
    by: str | None,
    spec: CalibrationSpec,
    tree: NodeStructure | None,
) -> Analysis:
    """As `analyse`, on post-stratified or raked weights."""
    design, psu_of_row = build_design(data.strata, data.psus)
    calibration = calibrate_rows(data, spec)
    answered = data.answers > 0
    satisfied = (data.answers >= SATISFIED_FROM).astype(float)

    def indices(in_domain: np.ndarray) -> Indices:
        return calibrated_indices(
            design,
            psu_of_row,
            calibration,
            satisfied,
            answered.astype(float),
            in_domain,
            criteria,
            factors,
            options,
            tree=tree,
        )

    overall = indices(np.ones(data.n_rows, dtype=bool))
    groups = []
    if by is not None:
        column = data.others[by]
        groups = [
            GroupIndices(by, value, indices(column.rows_with(value)))
            for value in column.present_labels()
        ]
    df = design.n_psus - design.n_strata
    return Analysis(design, data.n_rows, df, options, overall, tuple(groups))
