"""Sufficient statistics: per-PSU sums per criterion, the only input the indices need.

A database computes the same sums with GROUP BY (stratum, psu, domain, item); here they
are also made from row arrays, so both routes feed one engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from sipas.stats.design import number_values
from sipas.stats.gram import with_cross_products

_Scalar = TypeVar("_Scalar", bound=np.generic)

#: Scale answers 4 and 5 count as satisfied; 1–5 count as answered; 9 and blank do not.
SATISFIED_FROM = 4


@dataclass(frozen=True)
class CriterionSums:
    """Per-PSU sums for K criteria over one domain (arrays of shape (n_psus, K))."""

    #: Σ w·[answer ≥ 4]
    satisfied_weight: NDArray[np.float64]
    #: Σ w·[answered 1–5]
    answered_weight: NDArray[np.float64]
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

    @property
    def n_criteria(self) -> int:
        """Number of criteria summed."""
        return int(self.answered_weight.shape[1])


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
    totals = weights if counts is None else weights * counts
    squares = weights * totals
    if n_domains == 1:
        yield _sums_of(
            n_psus,
            psu_of_row,
            totals,
            squares,
            by_criterion,
            counts,
            with_gram,
            compact,
        )
        return
    # each domain's records in their order in the file (stable): its sums add in
    # that order, whatever the other domains
    order = np.argsort(domain_of_row, kind="stable")
    bounds = np.searchsorted(domain_of_row[order], np.arange(n_domains + 1))
    for d in range(n_domains):
        rows = order[bounds[d] : bounds[d + 1]]
        yield _sums_of(
            n_psus,
            psu_of_row[rows],
            totals[rows],
            squares[rows],
            by_criterion[:, rows],
            None if counts is None else counts[rows],
            with_gram,
            compact,
        )


def _sums_of(
    n_psus: int,
    psu_of_row: NDArray[np.int64],
    totals: NDArray[np.float64],
    squares: NDArray[np.float64],
    by_criterion: NDArray[np.int8],
    counts: NDArray[np.int64] | None,
    with_gram: bool,
    compact: bool,
) -> CriterionSums:
    """One domain's sums from its records (``totals``, ``squares``: each record's
    Σw and Σw²; ``by_criterion``: criteria × records)."""

    def per_cell_sums() -> tuple[NDArray[np.int64], dict[str, NDArray[Any]]]:
        # the PSUs numbered here too: the Gram blocks are multiplied meanwhile
        psus, cell_of_row = _numbered(psu_of_row, n_psus)
        cells = _by_cell(cell_of_row, totals, by_criterion, counts)
        return psus, _per_cell_sums(len(psus), *cells)

    k = by_criterion.shape[0]
    grams: dict[str, NDArray[Any]] = {}
    if with_gram:
        (psus, per_cell), gram, weight_sq = with_cross_products(
            per_cell_sums, totals, squares, by_criterion, SATISFIED_FROM
        )
        grams = {
            "gram_ss": gram[:k, :k],
            "gram_sa": gram[:k, k:],
            "gram_aa": gram[k:, k:],
        }
    else:
        psus, per_cell = per_cell_sums()
        weight_sq = (by_criterion > 0) @ squares
    spread: dict[str, NDArray[Any]] = {}
    for name in list(per_cell):
        # each array let go once spread (a million PSUs: 176 MB each)
        values = per_cell.pop(name)
        spread[name] = values if compact else _spread(values, psus, n_psus)
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


def _by_cell(
    cell_of_row: NDArray[np.int64],
    totals: NDArray[np.float64],
    by_criterion: NDArray[np.int8],
    counts: NDArray[np.int64] | None,
) -> tuple[
    NDArray[np.int64], NDArray[np.float64], NDArray[np.int8], NDArray[np.int64] | None
]:
    """The records in cell order (stable: each cell's sum in the same order) when
    there are many cells: counting into a million cells in record order misses
    the cache at every record."""
    if int(cell_of_row.max(initial=0)) < MANY_CELLS:
        return cell_of_row, totals, by_criterion, counts
    order = np.argsort(cell_of_row, kind="stable")
    return (
        cell_of_row[order],
        totals[order],
        by_criterion[:, order],
        None if counts is None else counts[order],
    )


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
) -> dict[str, NDArray[Any]]:
    """The per-PSU fields of CriterionSums, one row per (domain, PSU) cell: Σw and
    response counts per (cell, class of answer: none, answered below satisfied,
    satisfied) from two bincounts per criterion over one integer key."""
    if n_cells == len(cell_of_row):  # records are put in cell order (if not yet)
        order = np.argsort(cell_of_row, kind="stable")
        return _one_record_per_cell(
            totals[order],
            by_criterion[:, order],
            None if counts is None else counts[order],
        )
    k = by_criterion.shape[0]
    key_base = cell_of_row * N_CLASSES
    size = n_cells * N_CLASSES
    # criteria × cells while filling (contiguous rows), cells × criteria at the end
    sums: dict[str, NDArray[Any]] = {
        "satisfied_weight": np.empty((k, n_cells)),
        "answered_weight": np.empty((k, n_cells)),
        "answered_count": np.empty((k, n_cells), dtype=np.int64),
        "satisfied_count": np.empty((k, n_cells), dtype=np.int64),
    }
    # one key and one class array for every criterion: a fresh 8 MB array per
    # criterion costs its page faults again (a million records: 34 -> 22 ms)
    key = np.empty_like(key_base)
    answer_class = np.empty(len(key_base), dtype=np.int8)
    for j, codes in enumerate(by_criterion):
        # class 0 no answer, 1 answered below SATISFIED_FROM, 2 satisfied
        np.add(
            (codes > 0).view(np.int8),
            (codes >= SATISFIED_FROM).view(np.int8),
            out=answer_class,
        )
        np.add(key_base, answer_class, out=key)
        # per (cell, class) of this criterion only: never cells × K × classes
        for kind, per_class in (
            ("weight", np.bincount(key, totals, size).reshape(-1, N_CLASSES)),
            ("count", _count_per(key, counts, size).reshape(-1, N_CLASSES)),
        ):
            sums[f"satisfied_{kind}"][j] = per_class[:, 2]
            sums[f"answered_{kind}"][j] = per_class[:, 1] + per_class[:, 2]
    for name, values in sums.items():
        sums[name] = values.T  # a view: column k of a criterion is contiguous
    return {
        **sums,
        "row_count": _count_per(cell_of_row, counts, n_cells),
        "row_weight": np.bincount(cell_of_row, weights=totals, minlength=n_cells),
    }


def _one_record_per_cell(
    totals: NDArray[np.float64],
    by_criterion: NDArray[np.int8],
    counts: NDArray[np.int64] | None,
) -> dict[str, NDArray[Any]]:
    """`_per_cell_sums` where each cell holds one record (records in cell order):
    every sum is that record's value (every response its own PSU)."""
    answered, satisfied = by_criterion > 0, by_criterion >= SATISFIED_FROM
    ones = np.ones(len(totals), dtype=np.int64) if counts is None else counts
    if counts is None or counts.max(initial=0) <= 1:
        # each record one response: counts of 0 or 1, a byte each (PSUs ×
        # criteria: 22 MB instead of 176 MB each at a million PSUs)
        answered_count, satisfied_count = (
            answered.view(np.int8),
            satisfied.view(np.int8),
        )
    else:
        answered_count, satisfied_count = answered * ones, satisfied * ones
    return {
        "satisfied_weight": (satisfied * totals).T,
        "answered_weight": (answered * totals).T,
        "answered_count": answered_count.T,
        "satisfied_count": satisfied_count.T,
        "row_count": ones.copy(),
        "row_weight": totals.copy(),
    }
