"""Packed choice answers (sipas/questionnaire/choices.py) unpacked as arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from sipas.questionnaire.choices import HEADER_SIZE, ChoiceLayout, ChoiceSlot


def packed_matrix(
    packed: Sequence[bytes | None], layout: ChoiceLayout
) -> NDArray[np.uint8] | None:
    """Responses × bytes of their packed answers; None when any response has none
    or was packed with another layout (its answers must be read from the rows)."""
    if None in packed:
        return None
    present = cast(Sequence[bytes], packed)
    if set(map(len, present)) - {layout.size}:
        return None
    joined = b"".join(present)
    matrix = np.frombuffer(joined, dtype=np.uint8).reshape(len(packed), layout.size)
    header = np.frombuffer(layout.header, dtype=np.uint8)
    if len(packed) and not (matrix[:, :HEADER_SIZE] == header).all():
        return None
    return matrix


def single_numbers(matrix: NDArray[np.uint8], slot: ChoiceSlot) -> NDArray[np.int64]:
    """Each response's option number of a single choice: 0 for no answer, k for
    the k-th option (``slot.options[k - 1]``)."""
    numbers = np.zeros(len(matrix), dtype=np.int64)
    for byte in range(slot.offset, slot.offset + slot.width):
        numbers = numbers * 256 + matrix[:, byte]
    return numbers


def multiple_chosen(matrix: NDArray[np.uint8], slot: ChoiceSlot) -> NDArray[np.bool_]:
    """Responses × options of a multiple choice: True where the option was chosen."""
    bits = np.unpackbits(
        matrix[:, slot.offset : slot.offset + slot.width], axis=1, bitorder="little"
    )
    return bits[:, : len(slot.options)].astype(bool)


def pack_columns(
    layout: ChoiceLayout,
    single: Mapping[str, NDArray[Any]],
    multiple: Mapping[str, tuple[Sequence[str], NDArray[np.bool_]]],
) -> list[bytes | None]:
    """The packed answers of many responses given question by question, as
    ``pack_choices`` packs one: ``single`` holds each response's option code (""
    for none), ``multiple`` the options and a responses × options matrix of the
    chosen ones. None for a response with an answer outside its options."""
    size = len(next(iter(single.values()))) if single else 0
    if multiple and not single:
        size = len(next(iter(multiple.values()))[1])
    matrix = np.zeros((size, layout.size), dtype=np.uint8)
    matrix[:, :HEADER_SIZE] = np.frombuffer(layout.header, dtype=np.uint8)
    valid = np.ones(size, dtype=bool)
    for slot in layout.slots:
        if slot.multiple and slot.code in multiple:
            options, chosen = multiple[slot.code]
            position = [slot.options.index(code) for code in options]
            bits = np.zeros((size, slot.width * 8), dtype=np.uint8)
            bits[:, position] = chosen
            matrix[:, slot.offset : slot.offset + slot.width] = np.packbits(
                bits, axis=1, bitorder="little"
            )
        elif not slot.multiple and slot.code in single:
            numbers = _option_numbers(single[slot.code], slot)
            valid &= numbers >= 0
            for k in range(slot.width):
                shift = 8 * (slot.width - 1 - k)
                matrix[:, slot.offset + k] = (np.maximum(numbers, 0) >> shift) & 255
    data, width = matrix.tobytes(), layout.size
    return [
        data[k * width : (k + 1) * width] if ok else None
        for k, ok in enumerate(valid.tolist())
    ]


def _option_numbers(codes: NDArray[Any], slot: ChoiceSlot) -> NDArray[np.int64]:
    """Each code's option number (0 for "", -1 for a code not among the options):
    a dictionary look-up per code (sorting the codes to find the distinct ones
    cost three times as much)."""
    number = {code: k + 1 for k, code in enumerate(slot.options)}
    number[""] = 0
    listed = np.asarray(codes, dtype=object).tolist()
    found = map(number.get, listed, repeat(-1, len(listed)))
    return np.fromiter(found, np.int64, len(listed))
