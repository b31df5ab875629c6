"""Sufficient statistics: per-PSU sums per criterion, the only input the indices need.

A database computes the same sums with GROUP BY (stratum, psu, domain, item); here they
are also made from row arrays, so both routes feed one engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from sipas.stats.design import number_values
from sipas.stats.gram import one_blas_thread, with_cross_products

_Scalar = TypeVar("_Scalar", bound=np.generic)

#: Scale answers 4 and 5 count as satisfied; 1–5 count as answered; 9 and blank do not.
SATISFIED_FROM = 4


@dataclass(frozen=True)
class CriterionSums:
    """Per-PSU sums for K criteria over one domain (arrays of shape (n_psus, K)).

    Where each PSU holds one response (a round whose responses are their own
    PSUs), the weighted sums are not kept: they are the counts (a byte each)
    times ``row_weight``, and :meth:`weight_totals` and :meth:`linear_values`
    make what is asked of them from those, without a PSUs × K array of float64
    (176 MB each at a million PSUs).
    """

    #: Σ w·[answer ≥ 4] (None: ``satisfied_count`` × ``row_weight``)
    satisfied_weight: NDArray[np.float64] | None
    #: Σ w·[answered 1–5] (None: ``answered_count`` × ``row_weight``)
    answered_weight: NDArray[np.float64] | None
    #: Σ w²·[answered] over the domain, per criterion, shape (K,) (Kish's deff)
    answered_weight_sq: NDArray[np.float64]
    #: number of answering rows (bytes when each PSU is one response)
    answered_count: NDArray[np.int64] | NDArray[np.int8]
    #: number of satisfied rows (bytes when each PSU is one response)
    satisfied_count: NDArray[np.int64] | NDArray[np.int8]
    #: rows of the domain per PSU (answered or not), shape (n_psus,)
    row_count: NDArray[np.int64]
    #: Σ w over the domain's rows per PSU, shape (n_psus,)
    row_weight: NDArray[np.float64]
    #: whole-domain Gram totals Σ w·a·bᵀ for a, b ∈ {satisfied, answered} (K×K each);
    #: None when the source could not provide them (design effects of indices are then
    #: not computed)
    gram_ss: NDArray[np.float64] | None = None
    gram_sa: NDArray[np.float64] | None = None
    gram_aa: NDArray[np.float64] | None = None
    #: the whole design's numbers of the PSUs the rows are of (increasing), when the
    #: sums hold only the PSUs with records of the domain (None: row i is PSU i)
    psus: NDArray[np.int64] | None = None
    #: what estimates work out of these sums for a design, kept for the next
    #: estimate of the same sums (sipas/stats/strata.py)
    worked_out: dict[str, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def n_criteria(self) -> int:
        """Number of criteria summed."""
        return int(self.answered_count.shape[1])

    @property
    def per_response(self) -> bool:
        """Each PSU holds one response: the weighted sums are made when used."""
        return self.satisfied_weight is None or self.answered_weight is None

    def weighted_sums(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The per-PSU (Σw·satisfied, Σw·answered), PSUs × K, made from the counts
        where they are not kept."""
        if self.satisfied_weight is None or self.answered_weight is None:
            weight = self.row_weight[:, None]
            return self.satisfied_count * weight, self.answered_count * weight
        return self.satisfied_weight, self.answered_weight

    def weight_totals(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(Σw·satisfied, Σw·answered) of each criterion over the domain."""
        if self.satisfied_weight is None or self.answered_weight is None:
            return self.answer_patterns.totals()
        return self.satisfied_weight.sum(axis=0), self.answered_weight.sum(axis=0)

    def linear_values(
        self, gradient_y: NDArray[np.float64], gradient_x: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Per PSU, Σ_k g_y,k·(Σw·satisfied_k) + g_x,k·(Σw·answered_k) for each
        column of the gradients (K × columns): the per-PSU totals of the
        linearised values of combinations of the criteria's totals."""
        if self.satisfied_weight is None or self.answered_weight is None:
            patterns = self.answer_patterns
            return patterns.spread(patterns.values(gradient_y, gradient_x))
        with one_blas_thread():
            found: NDArray[np.float64] = (
                self.satisfied_weight @ gradient_y + self.answered_weight @ gradient_x
            )
            return found

    @cached_property
    def answer_patterns(self) -> AnswerPatterns:
        """The distinct patterns of answers of the responses, where each PSU is
        one response (:class:`AnswerPatterns`)."""
        return AnswerPatterns.of(
            self.answered_count, self.satisfied_count, self.row_weight
        )


@dataclass(frozen=True)
class AnswerPatterns:
    """The responses of a domain whose PSUs are its responses, by pattern of
    answers (each criterion: no answer, answered, satisfied).

    A linear combination of the criteria's indicators has one value per pattern:
    it is worked out for the few thousand patterns and each response gets its
    pattern's value times its weight. An index's per-PSU values are then its
    values per pattern (a few KB), not a float per PSU (8 MB at a million), and
    are made again in milliseconds when a comparison asks for them."""

    #: patterns × K: each pattern's class of answer to each criterion (0 none,
    #: 1 answered below satisfied, 2 satisfied), a byte each
    classes: NDArray[np.int8]
    #: the pattern of each response (PSU), in 4 bytes
    pattern_of: NDArray[np.int32]
    #: each response's weight
    response_weight: NDArray[np.float64]

    @classmethod
    def of(
        cls,
        answered: NDArray[Any],
        satisfied: NDArray[Any],
        response_weight: NDArray[np.float64],
    ) -> AnswerPatterns:
        """The patterns of responses × K answered and satisfied flags."""
        _distinct, first, pattern_of = _distinct_patterns(answered, satisfied)
        return cls(
            classes=np.add(answered[first], satisfied[first], dtype=np.int8),
            pattern_of=pattern_of,
            response_weight=response_weight,
        )

    def pattern_weights(self) -> NDArray[np.float64]:
        """The summed weight of each pattern (made when asked: as long as the
        responses when each has a pattern of its own)."""
        return np.bincount(
            self.pattern_of, weights=self.response_weight, minlength=len(self.classes)
        ).astype(np.float64)

    def totals(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(Σw·satisfied, Σw·answered) of each criterion, from each pattern's
        summed weight, a block of patterns at a time."""
        satisfied, answered = np.zeros((2, self.classes.shape[1]))
        weights = self.pattern_weights()
        with one_blas_thread():
            for first in range(0, len(self.classes), PATTERN_BLOCK):
                block = self.classes[first : first + PATTERN_BLOCK]
                weight = weights[first : first + PATTERN_BLOCK]
                satisfied += weight @ (block == 2)
                answered += weight @ (block >= 1)
        return satisfied, answered

    def values(
        self, gradient_y: NDArray[np.float64], gradient_x: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Patterns × columns: Σ_k g_y,k·satisfied_k + g_x,k·answered_k, a block
        of patterns at a time (as many patterns as responses cost no PSUs × K
        array of float64)."""
        found = np.empty((len(self.classes), gradient_y.shape[1]))
        with one_blas_thread():
            for first in range(0, len(self.classes), PATTERN_BLOCK):
                block = self.classes[first : first + PATTERN_BLOCK]
                found[first : first + PATTERN_BLOCK] = (block == 2) @ gradient_y + (
                    block >= 1
                ) @ gradient_x
        return found

    def spread(self, per_pattern: NDArray[np.float64]) -> NDArray[np.float64]:
        """Each response's pattern's value (patterns × columns, or patterns)
        times its weight: the per-PSU values."""
        found = per_pattern[self.pattern_of]
        found *= (
            self.response_weight if found.ndim == 1 else self.response_weight[:, None]
        )
        return found


#: Patterns whose flags are made float64 at a time (about 11 MB for 22 criteria).
PATTERN_BLOCK = 1 << 16
#: Criteria whose answer classes (three each) fit in one 64-bit key.
KEYED_CRITERIA = 39


def _distinct_patterns(
    answered: NDArray[Any], satisfied: NDArray[Any]
) -> tuple[int, NDArray[np.int64], NDArray[np.int32]]:
    """How many distinct rows of classes of answer (answered + satisfied: 0, 1
    or 2 per criterion) the responses have, the first response of each (in the
    order of the patterns' keys) and each response's number among them."""
    if answered.shape[1] <= KEYED_CRITERIA:
        key = np.zeros(len(answered), dtype=np.int64)
        for k in range(answered.shape[1]):  # the classes read as a number in base 3
            key *= 3
            key += answered[:, k]
            key += satisfied[:, k]
        _keys, first, pattern_of = np.unique(
            key, return_index=True, return_inverse=True
        )
    else:
        _rows, first, pattern_of = np.unique(
            np.add(answered, satisfied, dtype=np.int8),
            axis=0,
            return_index=True,
            return_inverse=True,
        )
    return len(first), first.astype(np.int64), pattern_of.reshape(-1).astype(np.int32)


#: Answer codes kept per row: 0 = no answer (9 or blank), 1–5 the scale value;
#: summed in three classes: no answer, answered below SATISFIED_FROM, satisfied.
N_CLASSES = 3


def answer_codes(answers: NDArray[Any]) -> NDArray[np.int8]:
    """Rows × criteria of int8 codes: 1–5 as answered, 0 for 9, blank or NaN."""
    # one pass: a negative code's byte is above 5 too
    if answers.dtype == np.int8 and (
        answers.size == 0 or answers.view(np.uint8).max() <= 5
    ):
        return answers
    valid = np.isfinite(answers) & (answers >= 1) & (answers <= 5)
    return np.where(valid, np.nan_to_num(answers), 0).astype(np.int8)


def criterion_sums(
    n_psus: int,
    psu_of_row: NDArray[np.int64],
    weights: NDArray[np.float64],
    answers: NDArray[Any],
    in_domain: NDArray[np.bool_] | None = None,
    counts: NDArray[np.int64] | None = None,
) -> CriterionSums:
    """Sums from records: ``answers`` is records × K of 1–5 (0, 9 or NaN: no answer).

    A record stands for ``counts`` identical responses (1 each by default) of weight
    ``weights`` each, so counted answer patterns give the sums of their responses.
    """
    codes = answer_codes(answers)
    if in_domain is not None:
        psu_of_row, weights, codes = (
            psu_of_row[in_domain],
            weights[in_domain],
            codes[in_domain],
        )
        counts = None if counts is None else counts[in_domain]
    domain = np.zeros(len(psu_of_row), dtype=np.int64)
    return next(domain_sums(n_psus, psu_of_row, weights, codes, domain, 1, counts))


def domain_sums(
    n_psus: int,
    psu_of_row: NDArray[np.int64],
    weights: NDArray[np.float64],
    answers: NDArray[Any],
    domain_of_row: NDArray[np.int64],
    n_domains: int,
    counts: NDArray[np.int64] | None = None,
    with_gram: bool = True,
    compact: bool = False,
) -> Iterator[CriterionSums]:
    """The sums of each domain 0..n_domains-1, one domain at a time, each made
    from its own records when asked for: per-PSU sums over the PSUs that hold
    records of the domain, and Gram totals over its records (skipped without
    ``with_gram``: the indices then carry no design effects, and many domains
    cost little more than one). With ``compact`` each domain's sums hold only its
    PSUs with records (`CriterionSums.psus`), so many small domains of a design
    of many PSUs cost what their records do. A caller that uses each domain's
    sums and lets them go holds one domain's per-PSU arrays at a time (ten
    domains over a million PSUs: 40 MB, not 400)."""
    # criteria × records: each criterion's codes contiguous (no copy for a file's
    # column-major answers)
    by_criterion = np.ascontiguousarray(answer_codes(answers).T)
    if counts is not None and bool(np.all(counts == 1)):
        counts = None  # each record one response: no copy of the weights
    totals = weights if counts is None else weights * counts
    domain_rows: Iterable[NDArray[np.int64] | None] = [None]  # one: every record
    if n_domains > 1:
        # each domain's records in their order in the file (stable): its sums add
        # in that order, whatever the other domains
        order = np.argsort(domain_of_row, kind="stable")
        bounds = np.searchsorted(domain_of_row[order], np.arange(n_domains + 1))
        domain_rows = (order[bounds[d] : bounds[d + 1]] for d in range(n_domains))
    for rows in domain_rows:
        yield _sums_of(
            n_psus,
            psu_of_row,
            weights,
            totals,
            by_criterion,
            counts,
            with_gram,
            compact,
            rows=rows,
        )


def _sums_of(
    n_psus: int,
    psu_of_row: NDArray[np.int64],
    weights: NDArray[np.float64],
    totals: NDArray[np.float64],
    by_criterion: NDArray[np.int8],
    counts: NDArray[np.int64] | None,
    with_gram: bool,
    compact: bool,
    rows: NDArray[np.int64] | None = None,
) -> CriterionSums:
    """One domain's sums from its records (``totals``: each record's Σw, its
    weight times its count; ``by_criterion``: criteria × records), which are
    ``rows`` of the arrays given (None: all of them)."""
    psus, cell_of_row = _numbered(
        psu_of_row if rows is None else psu_of_row[rows], n_psus
    )
    if len(psus) > MANY_CELLS:
        # the records in cell order (stable: each cell's sum in the same order):
        # counting into a million cells in record order misses the cache at
        # every record
        order = np.argsort(cell_of_row, kind="stable")
        cell_of_row = cell_of_row[order]
        rows = order if rows is None else rows[order]
    if rows is not None:  # the domain's records gathered once, in that order
        weights, totals = weights[rows], totals[rows]
        by_criterion = by_criterion[:, rows]
        counts = None if counts is None else counts[rows]
    squares = weights * totals  # each record's Σw²
    k = by_criterion.shape[0]
    per_cell_sums = partial(
        _per_cell_sums, len(psus), cell_of_row, totals, by_criterion, counts
    )

    grams: dict[str, NDArray[Any]] = {}
    if with_gram:  # the Gram blocks are multiplied while the per-cell sums run
        per_cell, gram, weight_sq = with_cross_products(
            per_cell_sums, totals, squares, by_criterion, SATISFIED_FROM
        )
        grams = {
            "gram_ss": gram[:k, :k],
            "gram_sa": gram[:k, k:],
            "gram_aa": gram[k:, k:],
        }
    else:
        # a criterion at a time: the flags of all of them as float64 would be
        # criteria × records × 8 bytes (176 MB at a million records)
        weight_sq = np.array([np.dot(codes > 0, squares) for codes in by_criterion])
        per_cell = per_cell_sums()
    del squares, weights, by_criterion, per_cell_sums  # the domain's copies
    # over every PSU of the design unless compact; as they are when the domain
    # has records in every PSU (psus are increasing: then they are 0..n-1)
    as_they_are = compact or len(psus) == n_psus
    spread: dict[str, Any] = {}
    for name in list(per_cell):
        # each array let go once spread (a million PSUs: 176 MB each)
        values = per_cell.pop(name)
        spread[name] = (
            values if as_they_are or values is None else _spread(values, psus, n_psus)
        )
        del values
    return CriterionSums(
        **spread,
        answered_weight_sq=weight_sq,
        **grams,
        psus=psus if compact else None,
    )


def _numbered(
    psu_of_row: NDArray[np.int64], n_psus: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The PSUs that hold records (increasing) and each record's rank among them;
    a few records among many PSUs are sorted rather than looked up in a table
    over every PSU."""
    if len(psu_of_row) * SPARSE_RATIO < n_psus:
        distinct, rank = np.unique(psu_of_row, return_inverse=True)
        return distinct.astype(np.int64), rank.reshape(-1).astype(np.int64)
    return number_values(psu_of_row)


#: Records per PSU below which a domain's PSUs are numbered by sorting.
SPARSE_RATIO = 16


#: Cells from which the records are put in cell order before they are summed.
MANY_CELLS = 1 << 16


def _spread(
    values: NDArray[_Scalar], psus: NDArray[np.int64], n_psus: int
) -> NDArray[_Scalar]:
    """Rows of some PSUs put in an array over all PSUs of the design (0 elsewhere)."""
    spread = np.zeros((n_psus, *values.shape[1:]), dtype=values.dtype)
    spread[psus] = values
    return spread


def _count_per(
    key: NDArray[np.int64], counts: NDArray[np.int64] | None, size: int
) -> NDArray[np.int64]:
    """How many responses have each key value (records weighted by their counts)."""
    if counts is None:
        return np.bincount(key, minlength=size).astype(np.int64)
    return np.rint(np.bincount(key, weights=counts, minlength=size)).astype(np.int64)


def _per_cell_sums(
    n_cells: int,
    cell_of_row: NDArray[np.int64],
    totals: NDArray[np.float64],
    by_criterion: NDArray[np.int8],
    counts: NDArray[np.int64] | None,
) -> dict[str, NDArray[Any] | None]:
    """The per-PSU fields of CriterionSums, one row per (domain, PSU) cell: Σw and
    response counts per (cell, class of answer: none, answered below satisfied,
    satisfied) from two bincounts per criterion over one integer key."""
    if n_cells == len(cell_of_row):  # records are put in cell order (if not yet)
        if bool(np.all(cell_of_row[1:] > cell_of_row[:-1])):
            return _one_record_per_cell(totals, by_criterion, counts)
        order = np.argsort(cell_of_row, kind="stable")
        return _one_record_per_cell(
            totals[order],
            by_criterion[:, order],
            None if counts is None else counts[order],
        )
    k = by_criterion.shape[0]
    # criteria × cells while filling (contiguous rows), cells × criteria at the end
    sums: dict[str, NDArray[Any]] = {
        "satisfied_weight": np.empty((k, n_cells)),
        "answered_weight": np.empty((k, n_cells)),
        "answered_count": np.empty((k, n_cells), dtype=np.int64),
        "satisfied_count": np.empty((k, n_cells), dtype=np.int64),
    }
    # one key and one class array for every pass: a fresh 8 MB array each time
    # costs its page faults again (a million records: 34 -> 22 ms)
    key = np.empty_like(cell_of_row)
    joint_class = np.empty(len(cell_of_row), dtype=np.int8)
    width = _joint_width(n_cells, k)
    for first in range(0, k, width):
        group = by_criterion[first : first + width]
        _joint_classes(group, joint_class)
        classes = N_CLASSES ** len(group)
        np.multiply(cell_of_row, classes, out=key)
        np.add(key, joint_class, out=key)
        # per (cell, joint class) of these criteria only: never cells × 3^K
        shape = (n_cells,) + (N_CLASSES,) * len(group)
        joint = {
            "weight": np.bincount(key, totals, n_cells * classes).reshape(shape),
            "count": _count_per(key, counts, n_cells * classes).reshape(shape),
        }
        for position in range(len(group)):
            others = tuple(1 + p for p in range(len(group)) if p != position)
            for kind, per_joint in joint.items():
                per_class = per_joint.sum(axis=others)  # cells × classes
                sums[f"satisfied_{kind}"][first + position] = per_class[:, 2]
                sums[f"answered_{kind}"][first + position] = (
                    per_class[:, 1] + per_class[:, 2]
                )
    for name, values in sums.items():
        sums[name] = values.T  # a view: column k of a criterion is contiguous
    return {
        **sums,
        "row_count": _count_per(cell_of_row, counts, n_cells),
        "row_weight": np.bincount(cell_of_row, weights=totals, minlength=n_cells),
    }


#: Criteria summed in one pass over the records: their answer classes make one
#: joint class (3^g of them), while cells × joint classes stay within JOINT_BINS
#: (its sums then stay in the cache). Four criteria of 250 PSUs: 20 250 sums, and
#: a million records are read 6 times instead of 22 (per-PSU sums 84 -> 45 ms).
JOINT_CRITERIA = 4
JOINT_BINS = 1 << 15


def _joint_width(n_cells: int, k: int) -> int:
    """How many of ``k`` criteria one pass over the records sums (at least one)."""
    width = 1
    while (
        width < min(JOINT_CRITERIA, k)
        and n_cells * N_CLASSES ** (width + 1) <= JOINT_BINS
    ):
        width += 1
    return width


def _joint_classes(group: NDArray[np.int8], out: NDArray[np.int8]) -> None:
    """Each record's answer classes of the criteria in ``group`` (criteria ×
    records), read as one number in base 3 into ``out``: class 0 no answer, 1
    answered below SATISFIED_FROM, 2 satisfied."""
    out.fill(0)
    answer_class = np.empty_like(out)
    for codes in group:
        np.add(
            (codes > 0).view(np.int8),
            (codes >= SATISFIED_FROM).view(np.int8),
            out=answer_class,
        )
        np.multiply(out, N_CLASSES, out=out)
        np.add(out, answer_class, out=out)


def _one_record_per_cell(
    totals: NDArray[np.float64],
    by_criterion: NDArray[np.int8],
    counts: NDArray[np.int64] | None,
) -> dict[str, NDArray[Any] | None]:
    """`_per_cell_sums` where each cell holds one record (records in cell order):
    every sum is that record's value (every response its own PSU)."""
    answered, satisfied = by_criterion > 0, by_criterion >= SATISFIED_FROM
    ones = np.ones(len(totals), dtype=np.int64) if counts is None else counts
    if counts is None or counts.max(initial=0) <= 1:
        # each record one response: counts of 0 or 1, a byte each (PSUs ×
        # criteria: 22 MB instead of 176 MB each at a million PSUs), and the
        # weighted sums are those times the weights (CriterionSums: not kept)
        return {
            "satisfied_weight": None,
            "answered_weight": None,
            "answered_count": answered.view(np.int8).T,
            "satisfied_count": satisfied.view(np.int8).T,
            "row_count": ones.copy(),
            "row_weight": totals.copy(),
        }
    return {
        "satisfied_weight": (satisfied * totals).T,
        "answered_weight": (answered * totals).T,
        "answered_count": (answered * ones).T,
        "satisfied_count": (satisfied * ones).T,
        "row_count": ones.copy(),
        "row_weight": totals.copy(),
    }
