"""A response's answers to the choice questions packed into a few bytes.

Stored with the response when its answers are written (``responses.choice_codes``),
so that option shares, breakdowns by a respondent question and the downloads read
one short value per response instead of the answer rows
(sipas/stats/choice_codes.py unpacks them). Choice questions are the single and
multiple choices and the scales (a choice among 1–5 and "not applicable"); free text
and numbers are read from the rows.

Layout: a header (a format byte and a fingerprint of the layout), then one slot per
choice question in questionnaire order. A single choice or a scale holds its
option's number (0: no answer, k: the k-th option), in one byte, or two for more
than 254 options;
a multiple choice holds one bit per option (option k: byte k // 8, bit k % 8). A
reader compares the header with the questionnaire's layout and reads the answer
rows instead when they differ.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from types import MappingProxyType

from sipas.questionnaire.logic import AnswerValue
from sipas.questionnaire.schema import ItemType, Questionnaire

#: Version of this layout: the first byte of every packed value.
FORMAT = 1
#: Bytes before the first slot: the format and the layout's fingerprint.
HEADER_SIZE = 5
#: Most options a single choice may have in one byte (255 is never used).
ONE_BYTE_OPTIONS = 254
#: The questions whose answers are packed: one option, or several.
CHOICE_TYPES = (ItemType.single_choice, ItemType.scale, ItemType.multi_choice)


@dataclass(frozen=True)
class ChoiceSlot:
    """Where one choice question's answer sits in the packed bytes."""

    code: str
    #: first byte of the slot, counted from the start (header included)
    offset: int
    width: int
    options: tuple[str, ...]
    multiple: bool
    #: each option's number, from 1 (0 is "no answer")
    numbers: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        numbers = {code: k + 1 for k, code in enumerate(self.options)}
        object.__setattr__(self, "numbers", MappingProxyType(numbers))


#: A slot as pack_choices reads it: code, offset, width, option numbers, multiple.
_Step = tuple[str, int, int, dict[str, int], bool]


@dataclass(frozen=True)
class ChoiceLayout:
    """The slots of a questionnaire's choice questions, and the header that names
    this layout."""

    slots: tuple[ChoiceSlot, ...]
    header: bytes
    #: bytes of a packed value: header and every slot
    size: int
    #: a packed value without answers: the header, then zeros
    blank: bytes = field(init=False, repr=False, compare=False)
    #: each slot as (code, offset, width, option numbers, multiple), for packing
    steps: tuple[_Step, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        blank = self.header + bytes(self.size - len(self.header))
        steps = tuple(
            (s.code, s.offset, s.width, dict(s.numbers), s.multiple) for s in self.slots
        )
        object.__setattr__(self, "blank", blank)
        object.__setattr__(self, "steps", steps)

    def slot(self, code: str) -> ChoiceSlot | None:
        """The slot of question ``code``, None when it is not a choice question."""
        return next((slot for slot in self.slots if slot.code == code), None)


#: Layouts made lately, by the identity of their questionnaire (kept alive with it,
#: so that its id is not reused): the bulk paths pack a batch with one layout.
_LAYOUTS: dict[int, tuple[Questionnaire, ChoiceLayout]] = {}
#: Questionnaires whose layout is kept.
LAYOUTS_KEPT = 32


def choice_layout(questionnaire: Questionnaire) -> ChoiceLayout:
    """The layout of ``questionnaire``'s single and multiple choice questions."""
    found = _LAYOUTS.get(id(questionnaire))
    if found is not None and found[0] is questionnaire:
        return found[1]
    layout = _layout_of(questionnaire)
    if len(_LAYOUTS) >= LAYOUTS_KEPT:
        _LAYOUTS.pop(next(iter(_LAYOUTS)), None)
    _LAYOUTS[id(questionnaire)] = (questionnaire, layout)
    return layout


def _layout_of(questionnaire: Questionnaire) -> ChoiceLayout:
    slots, offset = [], HEADER_SIZE
    for item in questionnaire.items:
        if item.type not in CHOICE_TYPES:
            continue
        options = item.choice_codes
        multiple = item.type is ItemType.multi_choice
        if multiple:
            width = max(1, (len(options) + 7) // 8)
        else:
            width = 1 if len(options) <= ONE_BYTE_OPTIONS else 2
        slots.append(ChoiceSlot(item.code, offset, width, options, multiple))
        offset += width
    described = repr([(s.code, s.multiple, s.options) for s in slots]).encode()
    fingerprint = zlib.crc32(described).to_bytes(4, "big")
    return ChoiceLayout(tuple(slots), bytes([FORMAT]) + fingerprint, offset)


def pack_choices(
    layout: ChoiceLayout, answers: Mapping[str, AnswerValue]
) -> bytes | None:
    """The packed answers, or None when an answer is not one of its question's
    options (its wave's answer rows are read instead)."""
    return pack_many(layout, [answers])[0]


def pack_many(
    layout: ChoiceLayout, answers: Sequence[Mapping[str, AnswerValue]]
) -> list[bytes | None]:
    """:func:`pack_choices` of each of many responses, a question at a time: each
    question's answers are looked up down the column and written into every
    response's bytes with one slice (an import packs 100 000 at once)."""
    size = layout.size
    packed = bytearray(layout.blank * len(answers))
    valid = [True] * len(answers)
    for code, offset, width, numbers, multiple in layout.steps:
        column = [given.get(code) for given in answers]
        if multiple:
            pieces = _multiple_pieces(column, numbers, width, valid)
            for byte in range(width):
                packed[offset + byte :: size] = pieces[byte::width]
            continue
        found = _single_numbers(column, numbers, valid)
        if width == 1:
            packed[offset::size] = bytes(found)
        else:
            packed[offset::size] = bytes(number >> 8 for number in found)
            packed[offset + 1 :: size] = bytes(number & 255 for number in found)
    return [
        bytes(packed[k * size : (k + 1) * size]) if ok else None
        for k, ok in enumerate(valid)
    ]


#: Answers that are no answer, each a dictionary key: option number 0.
_NO_ANSWER: dict[object, int] = {None: 0, "": 0, (): 0}


def _single_numbers(
    column: list[AnswerValue | None], numbers: Mapping[str, int], valid: list[bool]
) -> list[int]:
    """Each answer's option number (0: none) down a single choice's column;
    ``valid`` turns False for a response whose answer is not an option."""
    lookup: dict[object, int] = dict(_NO_ANSWER)
    lookup.update(numbers.items())
    found = list(map(lookup.get, column, repeat(-1, len(column))))
    if -1 in found:  # an answer not looked up: read by the rule itself
        for k, answer in enumerate(column):
            if found[k] == -1:
                number = _single_number(numbers, answer)
                found[k] = 0 if number is None else number
                valid[k] = valid[k] and number is not None
    return found


def _single_number(
    numbers: Mapping[str, int], answer: AnswerValue | None
) -> int | None:
    """A single choice's option number (0: no answer), None when the answer is
    not an option (a tuple holds one answer at most)."""
    if not answer:  # None, "" or (): no answer
        return 0
    if isinstance(answer, str):
        return numbers.get(answer)
    if isinstance(answer, tuple) and len(answer) == 1:
        return numbers.get(answer[0])
    return None


def _multiple_pieces(
    column: list[AnswerValue | None],
    numbers: Mapping[str, int],
    width: int,
    valid: list[bool],
) -> bytes:
    """The slot bytes of each answer down a multiple choice's column, joined;
    ``valid`` turns False for a response with an option not in the list."""
    written: dict[AnswerValue | None, bytes | None] = {}
    pieces = []
    for k, answer in enumerate(column):
        if answer not in written:
            written[answer] = _multiple_bytes(numbers, width, answer)
        piece = written[answer]
        if piece is None:
            valid[k] = False
            piece = bytes(width)
        pieces.append(piece)
    return b"".join(pieces)


def _multiple_bytes(
    numbers: Mapping[str, int], width: int, answer: AnswerValue | None
) -> bytes | None:
    """A multiple choice's slot: a bit per chosen option; None when one is not
    an option."""
    slot = bytearray(width)
    if not answer:  # None, "" or (): no answer
        return bytes(slot)
    chosen = (answer,) if isinstance(answer, str) else answer
    for value in chosen:
        number = numbers.get(value)
        if number is None:
            return None
        slot[(number - 1) // 8] |= 1 << ((number - 1) % 8)
    return bytes(slot)
