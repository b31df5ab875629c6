"""Gram totals Σ w·m·mᵀ of the satisfied and answered indicators (design effects).

The records are multiplied a block at a time (memory stays flat), each block on one
BLAS thread. The blocks' products are kept until all are made (2K × 2K numbers per
block: 2 bytes a record for 22 criteria) and added in block order whichever thread
made them, so the totals are the same to the bit on one core or two.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import cache
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

_Result = TypeVar("_Result")

#: Rows per block when forming the Gram totals, to keep memory flat on large files.
GRAM_BLOCK_ROWS = 1 << 13


def with_cross_products(
    work: Callable[[], _Result],
    totals: NDArray[np.float64],
    squares: NDArray[np.float64],
    by_criterion: NDArray[np.int8],
    satisfied_from: int,
) -> tuple[_Result, NDArray[np.float64], NDArray[np.float64]]:
    """``work()``'s result, Σ w·m·mᵀ over records for m = (satisfied₁…satisfied_K,
    answered₁…answered_K) and Σ w²·answered_k; ``totals`` and ``squares`` are each
    record's Σw and Σw², ``by_criterion`` its answer codes (criteria × records:
    0 no answer, satisfied from ``satisfied_from``).

    A helper thread multiplies blocks while ``work`` runs (BLAS and numpy's loops
    let go of the interpreter); the calling thread takes the blocks left after.
    """
    k, n_rows = by_criterion.shape
    n_blocks = -(-n_rows // GRAM_BLOCK_ROWS)
    products = np.empty((n_blocks, 2 * k, 2 * k))
    weight_sqs = np.empty((n_blocks, k))

    def multiply(block: int) -> None:
        rows = slice(block * GRAM_BLOCK_ROWS, (block + 1) * GRAM_BLOCK_ROWS)
        products[block], weight_sqs[block] = _block_products(
            totals[rows], squares[rows], by_criterion[:, rows], satisfied_from
        )

    blocks = iter(range(n_blocks))  # shared: each next() is atomic under the GIL
    failures: list[BaseException] = []
    with one_blas_thread():
        helper = threading.Thread(target=_take_all, args=(blocks, multiply, failures))
        if n_blocks > 1:
            helper.start()
        try:
            result = work()
            _take_all(blocks, multiply, failures)
        finally:
            if helper.is_alive():
                helper.join()
    if failures:
        raise failures[0]
    gram, weight_sq = np.zeros((2 * k, 2 * k)), np.zeros(k)
    for block in range(n_blocks):  # in block order, as one thread adds them
        gram += products[block]
        weight_sq += weight_sqs[block]
    return result, gram, weight_sq


def _take_all(
    blocks: Iterator[int],
    multiply: Callable[[int], None],
    failures: list[BaseException],
) -> None:
    """Multiply blocks until none is left; a failure is kept for the calling thread."""
    try:
        for block in blocks:
            multiply(block)
    except BaseException as error:  # noqa: BLE001  (raised again by the caller)
        failures.append(error)


def _block_products(
    totals: NDArray[np.float64],
    squares: NDArray[np.float64],
    by_criterion: NDArray[np.int8],
    satisfied_from: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One block's Σ w·m·mᵀ and Σ w²·answered_k."""
    k = by_criterion.shape[0]
    root = np.sqrt(totals)
    # √w·m: each indicator times √w straight into its row (1.0·√w is √w)
    indicators = np.empty((2 * k, by_criterion.shape[1]))
    np.multiply(by_criterion >= satisfied_from, root, out=indicators[:k])
    np.multiply(by_criterion > 0, root, out=indicators[k:])
    square_per_root = np.divide(squares, root, out=np.zeros_like(root), where=root > 0)
    return indicators @ indicators.T, indicators[k:] @ square_per_root


@cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries numpy loaded, found once (threadpoolctl imported then)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[object]:
    """BLAS on one thread while the Gram blocks are multiplied: the blocks are
    small, and OpenBLAS's threads spin-wait for each other, 20–30× slower on a
    busy two-core machine than one thread (benchmarks/bench_stats.py)."""
    limited: AbstractContextManager[object] = _blas().limit(limits=1, user_api="blas")
    return limited
