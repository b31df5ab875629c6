"""Indices of a wave straight from the database, with SQL GROUP BY doing the heavy pass.

The database counts responses per unit, channel and criteria masks
(:mod:`sipas.services.results.query`); Python only sees those counts — never the answer
rows — and turns them into the per-PSU sums of :mod:`sipas.stats`, so the numbers
equal those of the exported stats CSV (a test checks exactly that, which also checks
the masks against the answers).

``Breakdown`` is re-exported here for callers that ask for a breakdown, and
``wave_shares`` (option shares, :mod:`sipas.services.results.shares`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from sipas.models import Wave
from sipas.services.questionnaires import parsed
from sipas.services.results.packed import ChoiceReader
from sipas.services.results.psus import response_psus
from sipas.services.results.query import (
    Breakdown,
    Patterns,
    counted_patterns,
    domains_of,
    per_unit_value,
    response_answers,
)
from sipas.services.results.shares import wave_shares as wave_shares
from sipas.services.waves.design import UnitDesign, unit_designs
from sipas.stats.analysis import Analysis, CalibrationSpec, GroupIndices, MarginSpec
from sipas.stats.calibrate import (
    CalibrationMethod,
    margin_of_columns,
    poststratify,
    rake,
)
from sipas.stats.calibrated import calibrated_indices
from sipas.stats.coded import Coded
from sipas.stats.compare import (
    Difference,
    domain_difference,
    independent_difference,
    index_differences,
)
from sipas.stats.design import Design, build_design, numbered_design
from sipas.stats.indices import (
    FactorStructure,
    Indices,
    Options,
    compute_indices,
    without_psu_values,
)
from sipas.stats.masks import codes_from_masks, mask_bits
from sipas.stats.structure import factor_structure, index_structure
from sipas.stats.sums import CriterionSums, criterion_sums, domain_sums
from sipas.stats.tree import NodeStructure, with_tree


def _per_unit(
    designs: dict[int, UnitDesign], value: Callable[[UnitDesign], float]
) -> np.ndarray:
    """An array indexed by unit id holding ``value(design)`` of each unit."""
    table = np.zeros(max(designs, default=0) + 1)
    for unit_id, design in designs.items():
        table[unit_id] = value(design)
    return table


def _pattern_design(
    designs: dict[int, UnitDesign], patterns: Patterns, per_response: bool
) -> tuple[Design, np.ndarray]:
    """The design and each pattern row's PSU (per unit, unless responses are PSUs)."""
    if per_response:
        own_psus = per_unit_value(designs, patterns, lambda d: d.psu or "")
        return numbered_design(
            per_unit_value(designs, patterns, lambda d: d.stratum),
            *response_psus(own_psus, patterns.response_key),
        )
    unit_ids = sorted(designs)
    # here every unit has its PSU (one without would make the responses the PSUs)
    unit_psus = [psu for u in unit_ids if (psu := designs[u].psu) is not None]
    design, unit_psu = build_design([designs[u].stratum for u in unit_ids], unit_psus)
    lookup = np.zeros(max(unit_ids, default=0) + 1, dtype=np.int64)
    lookup[unit_ids] = unit_psu
    return design, lookup[patterns.unit_id]


#: Indices of a domain (record mask) under the wave's calibrated weights.
CalibratedIndices = Callable[[np.ndarray, Sequence[FactorStructure], Options], Indices]


@dataclass(frozen=True)
class WaveData:
    """A wave's counted answer patterns placed in its design: one database query,
    then the indices of any number of domains (subtrees, breakdowns) from memory."""

    design: Design
    criteria: tuple[str, ...]
    factors: tuple[FactorStructure, ...]
    designs: dict[int, UnitDesign]
    patterns: Patterns
    psu_index: np.ndarray
    weight: np.ndarray
    #: the records' criterion answer codes (uncalibrated waves)
    codes: np.ndarray | None
    #: domain mask → indices on calibrated weights (calibrated waves)
    calibrated: CalibratedIndices | None
    #: the questionnaire's index tree (a calibrated wave's ``calibrated`` has it too)
    tree: NodeStructure | None = None
    #: every response is its own PSU, so each record is one response
    per_response: bool = False

    @property
    def answer_codes(self) -> np.ndarray:
        """The records' criterion answer codes, which only uncalibrated waves keep."""
        if self.codes is None:
            raise TypeError("a calibrated wave's indices come from its calibration")
        return self.codes

    def rows_of_units(self, unit_ids: Collection[int]) -> np.ndarray:
        """True for the records of responses from ``unit_ids``."""
        return np.isin(self.patterns.unit_id, np.fromiter(unit_ids, np.int64))

    def indices(self, options: Options, rows: np.ndarray | None = None) -> Indices:
        """Indices of all counted responses, or of the domain ``rows`` (record mask)."""
        if rows is None and self.calibrated is None:
            return self._indices_of(
                criterion_sums(
                    self.design.n_psus,
                    self.psu_index,
                    self.weight,
                    self.answer_codes,
                    counts=self.patterns.count,
                ),
                options,
            )
        if rows is None:
            rows = np.ones(len(self.patterns), bool)
        if self.calibrated is not None:
            return self.calibrated(rows, self.factors, options)
        return self.domain_indices(
            Coded(("in",), np.zeros(len(rows), np.int64)), options, rows
        )[0][1]

    def domain_indices(
        self,
        domains: Coded,
        options: Options,
        within: np.ndarray | None = None,
        design_effects: bool = True,
        compared: bool = True,
    ) -> list[tuple[str, Indices]]:
        """(label, indices) of each domain that has responses (among ``within``);
        without ``design_effects`` the factor and overall indices carry no deff,
        which makes many domains cheap. Unless ``compared``, the estimates carry
        no per-PSU values (only comparisons take them), dropped domain by
        domain."""
        if self.calibrated is not None:
            inside = np.ones(len(domains), bool) if within is None else within
            masks = (
                (label, domains.rows_with(label) & inside)
                for label in domains.present_labels()
            )
            return [
                (label, self.calibrated(mask, self.factors, options))
                for label, mask in masks
                if mask.any()
            ]
        columns = (
            self.psu_index,
            self.weight,
            self.answer_codes,
            domains.codes,
            self.patterns.count,
        )
        if within is not None and not within.all():
            # records outside add nothing to any domain's per-PSU sums, and the
            # design (every PSU) is kept: leave them out rather than sum them too
            # (no copy when every record is in)
            columns = tuple(column[within] for column in columns)
        psu, weight, codes, labels, counts = columns
        # made domain by domain as the indices use them: one domain's per-PSU
        # sums held at a time
        per_domain = domain_sums(
            self.design.n_psus,
            psu,
            weight,
            codes,
            labels,
            len(domains.labels),
            counts,
            with_gram=design_effects,
            compact=True,
        )
        found: list[tuple[str, Indices]] = []
        for label in domains.labels:
            sums = next(per_domain)
            if sums.row_count.any():
                found.append((label, self._indices_of(sums, options, compared)))
            del sums  # let go before the next domain's are made
        return found

    def _indices_of(
        self, sums: CriterionSums, options: Options, compared: bool = True
    ) -> Indices:
        indices = compute_indices(
            self.design, sums, self.criteria, self.factors, options
        )
        indices = with_tree(
            indices, self.design, sums, self.criteria, self.tree, options
        )
        return indices if compared else without_psu_values(indices)


def wave_data(wave: Wave, answer_items: Sequence[str] = ()) -> WaveData:
    """Count the wave's answer patterns (with the answers to ``answer_items``, for
    breakdowns) and place them in the wave's design."""
    questionnaire = parsed(wave.questionnaire)
    criteria = tuple(item.code for item in questionnaire.criteria)
    factors = tuple(factor_structure(questionnaire))
    tree = index_structure(questionnaire)
    designs = unit_designs(wave)
    per_response = any(d.psu is None for d in designs.values())
    spec = calibration_spec(wave.calibration_margins)
    items = [c for m in spec.margins for c in m.columns] if spec else []
    items.extend(code for code in answer_items if code not in set(Breakdown))
    patterns = counted_patterns(wave, per_response, tuple(dict.fromkeys(items)))
    design, psu_index = _pattern_design(designs, patterns, per_response)
    weight = _per_unit(designs, lambda d: d.weight)[patterns.unit_id]
    if spec is None:
        codes = codes_from_masks(
            patterns.answered_mask, patterns.satisfied_mask, len(criteria)
        )
        calibrated = None
    else:
        codes = None
        calibrated = _calibrated(
            design, psu_index, weight, patterns, spec, criteria, tree
        )
    return WaveData(
        design,
        criteria,
        factors,
        designs,
        patterns,
        psu_index,
        weight,
        codes,
        calibrated,
        tree,
        per_response,
    )


def breakdown_data(
    wave: Wave, data: WaveData, code: str, choices: ChoiceReader | None = None
) -> WaveData:
    """``data`` with each record's answer to the single-choice question ``code``.

    Where each record is one response (an uncalibrated wave whose responses are
    their own PSUs), the answers come from one index-only scan of that question's
    answers, matched to the records by response id; otherwise the patterns are
    counted again with the answer (grouping changes the records).
    """
    if not data.per_response or data.calibrated is not None:
        return wave_data(wave, [code])
    answers = response_answers(wave, code, data.patterns.response_key, choices)
    patterns = replace(data.patterns, answers={**data.patterns.answers, code: answers})
    return replace(data, patterns=patterns)


def wave_analysis(wave: Wave, options: Options, by: str | None = None) -> Analysis:
    """Indices of the wave's counted responses, whole and (with ``by``) per domain:
    a unit, unit level, channel (`Breakdown`) or the code of a respondent question."""
    data = wave_data(wave, [by] if by is not None else [])
    overall = data.indices(options)
    groups: tuple[GroupIndices, ...] = ()
    if by is not None:
        domains = domains_of(data.patterns, data.designs, by)
        groups = tuple(
            GroupIndices(by, label, indices)
            for label, indices in data.domain_indices(domains, options)
        )
    design = data.design
    n_rows = int(data.patterns.count.sum())
    return Analysis(
        design, n_rows, design.n_psus - design.n_strata, options, overall, groups
    )


def compare_waves(
    current: Wave, previous: Wave, options: Options
) -> list[tuple[str, Difference]]:
    """Each criterion, factor and the overall index: current − previous wave
    (independent samples: variances add)."""
    return index_differences(
        wave_analysis(current, options).overall,
        wave_analysis(previous, options).overall,
        partial(independent_difference, level=options.level),
    )


def compare_domains(
    analysis: Analysis, first: str, second: str
) -> list[tuple[str, Difference]]:
    """Each index: domain ``first`` − domain ``second`` of one wave's breakdown, with
    their covariance (the same PSUs carry both)."""
    groups = {group.value: group.indices for group in analysis.groups}
    return index_differences(
        groups[first],
        groups[second],
        partial(
            domain_difference,
            analysis.design,
            level=analysis.options.level,
            lonely_psu=analysis.options.lonely_psu,
        ),
    )


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


def _calibrated(
    design: Design,
    psu_index: np.ndarray,
    weight: np.ndarray,
    patterns: Patterns,
    spec: CalibrationSpec,
    criteria: tuple[str, ...],
    tree: NodeStructure | None = None,
) -> CalibratedIndices:
    """Calibrate the pattern records and return a function computing a domain."""
    counts = patterns.count.astype(np.float64)
    margins = []
    for margin in spec.margins:
        margins.append(
            margin_of_columns(
                {c: patterns.answers[c] for c in margin.columns},
                margin.population,
                weight,
                counts,
            )
        )
    if spec.method is CalibrationMethod.poststratify:
        calibration = poststratify(weight, margins[0], counts)
    else:
        calibration = rake(weight, margins, counts)
    answered = mask_bits(patterns.answered_mask, len(criteria))
    satisfied = mask_bits(
        patterns.satisfied_mask & patterns.answered_mask, len(criteria)
    )

    def compute(
        domain: np.ndarray, factors: Sequence[FactorStructure], options: Options
    ) -> Indices:
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
            tree,
        )

    return compute
