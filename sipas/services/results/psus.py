"""The PSU code of each record of a round whose responses (in units without a PSU
of their own) are their own PSUs: "response:<id>", numbered in the sorted order
of every code without making a million strings.

The numbers are those :meth:`Coded.from_dictionary` gives the same codes, so the
design's PSUs come in the same order (and its sums add in the same order) as when
the strings were made; the codes are made only when one is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import numpy as np
from numpy.typing import NDArray

from sipas.stats.coded import Coded

#: What each response's own PSU code starts with (its id follows).
RESPONSE_PREFIX = "response:"
#: Powers of ten an int64 holds: the digits of a response id are counted with them.
_POWERS = 10 ** np.arange(19, dtype=np.int64)


class ResponseCodes(Sequence[str]):
    """Sorted PSU codes: the units' codes before "response:", the responses'
    "response:<id>" in text order, then the units' codes after it."""

    def __init__(
        self, before: Sequence[str], ids: NDArray[np.int64], after: Sequence[str]
    ) -> None:
        self.before, self.ids, self.after = tuple(before), ids, tuple(after)

    def __len__(self) -> int:
        return len(self.before) + len(self.ids) + len(self.after)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index < len(self.before):
            return self.before[index]
        index -= len(self.before)
        if index < len(self.ids):
            return f"{RESPONSE_PREFIX}{int(self.ids[index])}"
        return self.after[index - len(self.ids)]


def response_psus(
    unit_psu: Coded, response_key: NDArray[np.int64]
) -> tuple[NDArray[np.int64], Sequence[str]]:
    """Each record's PSU code, as a number into the sorted codes, and those codes:
    its unit's PSU code, or for a unit without one ("") "response:<its id>"."""
    own = np.asarray(unit_psu.labels, dtype=object)[unit_psu.codes] != ""
    ids = response_key[~own].astype(np.int64)
    units = list(unit_psu.labels)
    if any(label.startswith(RESPONSE_PREFIX) for label in units):
        return _from_strings(unit_psu, own, ids)
    before = [label for label in units if label < RESPONSE_PREFIX]
    after = [label for label in units if label > RESPONSE_PREFIX]
    order = _text_order(ids)
    sorted_ids = ids[order]
    numbers = np.empty(len(unit_psu.codes), dtype=np.int64)
    # the units' codes: sorted already, each moved past the responses' if after
    unit_number = np.arange(len(units), dtype=np.int64)
    unit_number[len(before) :] += len(ids)
    numbers[own] = unit_number[unit_psu.codes[own]]
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids), dtype=np.int64)
    numbers[~own] = len(before) + rank
    return numbers, ResponseCodes(before, sorted_ids, after)


def _text_order(ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """The order of ``ids`` (from 0) as their decimal texts sort: "10" before
    "9", "12" before "120"."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    digits = np.maximum(np.searchsorted(_POWERS, ids, side="right"), 1)
    widest = int(digits.max())
    # each id padded with zeros to the widest's digits: compared as texts are,
    # a shorter text first when it is the start of a longer one
    padded = ids * _POWERS[widest - digits]
    return np.lexsort((digits, padded)).astype(np.int64)


def _from_strings(
    unit_psu: Coded, own: NDArray[np.bool_], ids: NDArray[np.int64]
) -> tuple[NDArray[np.int64], Sequence[str]]:
    """The codes made as strings and sorted: for a unit code that itself looks
    like a response's."""
    codes = np.empty(len(unit_psu.codes), dtype=np.int64)
    codes[own] = unit_psu.codes[own]
    codes[~own] = len(unit_psu.labels) + np.arange(len(ids))
    labels = [*unit_psu.labels, *(f"{RESPONSE_PREFIX}{k}" for k in ids.tolist())]
    coded = Coded.from_dictionary(labels, codes)
    return coded.codes, coded.labels
