"""Calibration to known population counts: post-stratification and raking.

Weights are adjusted as R's `postStratify` and `rake` adjust them, and the linearised
values of any estimate are residualised the way `survey:::svyrecvar` does it, so the
variances agree with R: post-strata subtract their weighted mean (old weights), raking
repeats ten sweeps of the margins' plain category means of x/w.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from sipas.stats.coded import Coded

#: rake(): at most this many sweeps; stop when no joint cell moves by epsilon or more
RAKE_MAX_ITERATIONS = 10
RAKE_EPSILON = 1.0
#: svyrecvar residualises raked estimates with this many sweeps
RAKE_VARIANCE_SWEEPS = 10
#: Values of a crossed margin are joined with this ("male|18_25").
CROSS_SEPARATOR = "|"
#: A margin's name joins its columns with this ("sex×age_group").
MARGIN_NAME_SEPARATOR = "×"


class CalibrationMethod(StrEnum):
    poststratify = "poststratify"
    rake = "rake"


class CalibrationError(ValueError):
    """The margins do not fit the sample (a category without population, or empty)."""


class MarginMismatch(CalibrationError):
    """Categories of one margin that the sample and the population do not share.

    ``unknown``: answered in the sample but given no population count;
    ``unanswered``: given a population count but answered by nobody.
    """

    def __init__(
        self, margin: str, unknown: Sequence[str] = (), unanswered: Sequence[str] = ()
    ) -> None:
        problems = []
        if unknown:
            problems.append(f"no population count for {sorted(unknown)}")
        if unanswered:
            problems.append(f"no sample in {sorted(unanswered)}")
        super().__init__(f"{margin}: {'; '.join(problems)}")
        self.margin = margin
        #: the margin's columns (question codes)
        self.columns = tuple(margin.split(MARGIN_NAME_SEPARATOR))
        self.unknown = tuple(sorted(unknown))
        self.unanswered = tuple(sorted(unanswered))


@dataclass(frozen=True)
class Margin:
    """One calibration variable: each record's category and the population counts."""

    name: str
    #: category index of each record
    category: NDArray[np.int64]
    labels: tuple[str, ...]
    population: NDArray[np.float64]


@dataclass(frozen=True)
class Calibration:
    """Calibrated weights and what variance residualisation needs."""

    method: CalibrationMethod
    margins: tuple[Margin, ...]
    weights: NDArray[np.float64]
    #: weights right after each margin's adjustment in the last sweep (rake), or the
    #: weights before calibration (post-stratification)
    snapshots: tuple[NDArray[np.float64], ...]

    def residualize(
        self, x: NDArray[np.float64], counts: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Residualise weighted linearised values ``x`` (records × m) as svyrecvar does.

        ``counts`` is the number of identical responses a record stands for (1 each when
        records are rows); ``x`` holds the record's total.
        """
        counts = np.ones(len(x)) if counts is None else counts
        if self.method is CalibrationMethod.poststratify:
            return _residualize_poststratified(
                x, self.margins[0], self.snapshots[0], self.weights, counts
            )
        for _ in range(RAKE_VARIANCE_SWEEPS):
            for margin, weights in zip(self.margins, self.snapshots, strict=True):
                x = _subtract_plain_means(x, margin, weights, counts)
        return x


def _category_sums(margin: Margin, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sums of ``values`` (records × m) per category (categories × m)."""
    n = len(margin.labels)
    return np.column_stack(
        [
            np.bincount(margin.category, weights=values[:, j], minlength=n)
            for j in range(values.shape[1])
        ]
    )


def _residualize_poststratified(
    x: NDArray[np.float64],
    margin: Margin,
    old_weights: NDArray[np.float64],
    new_weights: NDArray[np.float64],
    counts: NDArray[np.float64],
) -> NDArray[np.float64]:
    """x - psw·(Σ x·oldw/psw / Σ oldw) per post-stratum."""
    numerators = _category_sums(margin, x * (old_weights / new_weights)[:, None])
    denominators = np.bincount(
        margin.category, weights=old_weights * counts, minlength=len(margin.labels)
    )
    means = numerators / np.where(denominators > 0, denominators, 1)[:, None]
    return x - means[margin.category] * (new_weights * counts)[:, None]


def _subtract_plain_means(
    x: NDArray[np.float64],
    margin: Margin,
    weights: NDArray[np.float64],
    counts: NDArray[np.float64],
) -> NDArray[np.float64]:
    """x - w·ave(x/w): R's plain (unweighted) category means for raking."""
    totals = _category_sums(margin, x / weights[:, None])
    sizes = np.bincount(margin.category, weights=counts, minlength=len(margin.labels))
    means = totals / np.where(sizes > 0, sizes, 1)[:, None]
    return x - means[margin.category] * (weights * counts)[:, None]


def make_margin(
    name: str, values: Sequence[str] | Coded, population: Mapping[str, float]
) -> Margin:
    """A margin from each record's value and the known counts per value."""
    values = values if isinstance(values, Coded) else Coded.of(values)
    population = {
        unicodedata.normalize("NFC", key.strip()): count
        for key, count in population.items()
    }
    labels = tuple(sorted(population))
    index = {label: k for k, label in enumerate(labels)}
    unknown = [v for v in values.present_labels() if v not in index]
    if unknown:
        raise MarginMismatch(name, unknown=unknown)
    category_of_label = np.asarray(
        [index.get(label, -1) for label in values.labels], dtype=np.int64
    )
    counts = np.asarray([float(population[label]) for label in labels])
    return Margin(name, category_of_label[values.codes], labels, counts)


def margin_of_columns(
    columns: Mapping[str, Coded],
    population: Mapping[str, float],
    weights: NDArray[np.float64],
    counts: NDArray[np.float64] | None = None,
) -> Margin:
    """A margin on the crossed ``columns`` (name → values), with the rule for
    unanswered questions.

    Records that left a margin question unanswered (an empty value in any of the
    columns) and whose cell the population does not name form one cell of their
    own, kept at its share of the weights before calibration: with ``p`` that share
    and ``N`` the population total, the cell's target is ``p·N`` and every named
    category's count is multiplied by ``1 − p``. The margin's total stays ``N``, the
    respondents without an answer keep their weight, and those with an answer are
    calibrated to the population's distribution (missing answers are assumed to
    fall like the given ones).
    """
    name = MARGIN_NAME_SEPARATOR.join(columns)
    first, *rest = columns.values()
    crossed = first.crossed(*rest, separator=CROSS_SEPARATOR)
    cleaned = {
        unicodedata.normalize("NFC", key.strip()): count
        for key, count in population.items()
    }
    missing = _unanswered(list(columns.values())) & ~_named(crossed, cleaned)
    if not missing.any():
        return make_margin(name, crossed, cleaned)
    counts = np.ones(len(weights)) if counts is None else counts
    weighted = weights * counts
    share = float(weighted[missing].sum() / weighted.sum())
    total = float(sum(cleaned.values()))
    cell = CROSS_SEPARATOR.join([""] * len(columns))
    targets = {key: count * (1 - share) for key, count in cleaned.items()}
    targets[cell] = share * total
    relabelled = Coded.from_dictionary(
        [*crossed.labels, cell],
        np.where(missing, len(crossed.labels), crossed.codes),
    )
    return make_margin(name, relabelled, targets)


def _unanswered(columns: Sequence[Coded]) -> NDArray[np.bool_]:
    """True for the records with an empty value in any of ``columns``."""
    blank = np.zeros(len(columns[0]), dtype=bool)
    for column in columns:
        blank |= column.rows_with("")
    return blank


def _named(values: Coded, population: Mapping[str, float]) -> NDArray[np.bool_]:
    """True for the records whose value has a population count."""
    known = np.asarray([label in population for label in values.labels], dtype=bool)
    return known[values.codes] if len(known) else np.zeros(len(values), dtype=bool)


def _poststratify(
    weights: NDArray[np.float64], margin: Margin, counts: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Weights times Population_k / Σ_{k} w in each category k."""
    sample = np.bincount(
        margin.category, weights=weights * counts, minlength=len(margin.labels)
    )
    present = sample > 0
    if np.any(~present & (margin.population > 0)):
        missing = [
            margin.labels[k] for k in np.flatnonzero(~present & (margin.population > 0))
        ]
        raise MarginMismatch(margin.name, unanswered=missing)
    factor = np.divide(
        margin.population, sample, out=np.ones_like(sample), where=present
    )
    return weights * factor[margin.category]


def poststratify(
    weights: NDArray[np.float64],
    margin: Margin,
    counts: NDArray[np.float64] | None = None,
) -> Calibration:
    """R's postStratify on one (possibly crossed) variable."""
    counts = np.ones(len(weights)) if counts is None else counts
    new = _poststratify(weights, margin, counts)
    return Calibration(CalibrationMethod.poststratify, (margin,), new, (weights,))


def rake(
    weights: NDArray[np.float64],
    margins: Sequence[Margin],
    counts: NDArray[np.float64] | None = None,
) -> Calibration:
    """R's rake: sweep post-stratification over the margins until the joint table of
    all margins moves by less than epsilon, at most ten sweeps."""
    counts = np.ones(len(weights)) if counts is None else counts
    joint = _joint_cells(margins)
    current = weights
    old_table = np.bincount(joint, weights=current * counts)
    snapshots: list[NDArray[np.float64]] = []
    for _ in range(RAKE_MAX_ITERATIONS):
        snapshots = []
        for margin in margins:
            current = _poststratify(current, margin, counts)
            snapshots.append(current)
        new_table = np.bincount(
            joint, weights=current * counts, minlength=len(old_table)
        )
        if np.max(np.abs(old_table - new_table)) < RAKE_EPSILON:
            break
        old_table = new_table
    return Calibration(
        CalibrationMethod.rake, tuple(margins), current, tuple(snapshots)
    )


def _joint_cells(margins: Sequence[Margin]) -> NDArray[np.int64]:
    """A joint cell number per record from all margins' categories."""
    cell = np.zeros(len(margins[0].category), dtype=np.int64)
    for margin in margins:
        cell = cell * len(margin.labels) + margin.category
    _, joint = np.unique(cell, return_inverse=True)
    return joint


def trim_weights(
    weights: NDArray[np.float64],
    upper: float = np.inf,
    lower: float = -np.inf,
    *,
    strict: bool = False,
) -> NDArray[np.float64]:
    """Cap weights to [lower, upper] and share what was cut off equally among the
    weights inside, as R's trimWeights does.

    ``strict`` repeats until no weight is outside; unlike R (whose recursion does not
    end when shares keep pushing weights just over the cap) weights already at a
    bound receive no share, so it always ends and the total is kept.
    """
    outside = (weights < lower) | (weights > upper)
    if not outside.any() or outside.all():
        return weights
    total = float(weights.sum())
    if strict and not lower * len(weights) <= total <= upper * len(weights):
        raise CalibrationError("no weights within these bounds keep the total")
    trimmed = np.clip(weights, lower, upper)
    cut = float((weights - trimmed).sum())
    trimmed[~outside] += cut / int((~outside).sum())
    while strict and ((trimmed > upper) | (trimmed < lower)).any():
        fixed = (trimmed >= upper) | (trimmed <= lower)
        if fixed.all():
            break
        clipped = np.clip(trimmed, lower, upper)
        cut = float((trimmed - clipped).sum())
        clipped[~fixed] += cut / int((~fixed).sum())
        trimmed = clipped
    return trimmed
