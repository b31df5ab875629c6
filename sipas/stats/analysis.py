"""From flat data to the results of DESIGN §5: whole sample and domains."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sipas.stats.design import Design, build_design
from sipas.stats.flatfile import FlatData
from sipas.stats.indices import FactorStructure, Indices, Options, compute_indices
from sipas.stats.sums import criterion_sums


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


def analyse(
    data: FlatData,
    criteria: Sequence[str],
    factors: Sequence[FactorStructure],
    options: Options,
    by: str | None = None,
) -> Analysis:
    """Indices of the whole sample and, with ``by``, of each domain of that column.

    Domains are subpopulations of the full design: their sums keep every PSU of the
    design (zero where the domain has no rows), never a cut-down design.
    """
    design, psu_of_row = build_design(data.strata, data.psus)
    whole = criterion_sums(design.n_psus, psu_of_row, data.weights, data.answers)
    overall = compute_indices(design, whole, criteria, factors, options)
    groups: list[GroupIndices] = []
    if by is not None:
        column = np.asarray(data.others[by], dtype=object)
        for value in sorted(set(data.others[by])):
            sums = criterion_sums(
                design.n_psus, psu_of_row, data.weights, data.answers, column == value
            )
            indices = compute_indices(design, sums, criteria, factors, options)
            groups.append(GroupIndices(column=by, value=value, indices=indices))
    df = design.n_psus - design.n_strata
    return Analysis(design, data.n_rows, df, options, overall, tuple(groups))
