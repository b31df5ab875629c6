"""The answers of a batch of counted responses as the downloads write them: one
dict per response, multi-choice options joined, personal data in free text masked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import sqlalchemy as sa

from sipas.database import batch_bound, plain_rows
from sipas.extensions import db
from sipas.models import Answer, Wave
from sipas.questionnaire import ItemType
from sipas.questionnaire.choices import ChoiceLayout, ChoiceSlot, choice_layout
from sipas.questionnaire.personal_data import mask_personal_data
from sipas.services.questionnaires import parsed
from sipas.services.responses.privacy import text_item_codes
from sipas.stats.choice_codes import multiple_chosen, packed_matrix, single_numbers

#: Multi-choice answers are joined with this in one cell.
MULTI_SEPARATOR = ";"


class ItemKinds(NamedTuple):
    """The codes of a questionnaire's items whose answers an export treats apart,
    and where its choices are packed."""

    #: free text: masked, and read row by row (it may hold any character)
    text: frozenset[str]
    #: multiple choice: one row per option chosen, joined in one cell
    multi: tuple[str, ...]
    #: the slots of the packed choices (single and multiple choices, scales)
    layout: ChoiceLayout
    #: neither free text nor packed (numbers): read row by row from packed batches
    unpacked: frozenset[str]

    @classmethod
    def of(cls, wave: Wave) -> ItemKinds:
        """The kinds of the items of ``wave``'s questionnaire."""
        questionnaire = parsed(wave.questionnaire)
        layout = choice_layout(questionnaire)
        text = text_item_codes(questionnaire)
        return cls(
            text,
            tuple(
                item.code
                for item in questionnaire.items
                if item.type is ItemType.multi_choice
            ),
            layout,
            frozenset(
                item.code
                for item in questionnaire.items
                if item.code not in text and layout.slot(item.code) is None
            ),
        )


class BatchAnswers(Mapping[int, dict[str, str | None]]):
    """The answers of a batch of responses: a dict per response id (made when
    asked for), or a column per question in the batch's order (the stats CSV's
    rows are zipped from these, no dict per response)."""

    def __init__(
        self,
        response_ids: list[int],
        columns: dict[str, list[str | None]],
        apart: dict[int, dict[str, str]],
    ) -> None:
        self.response_ids = response_ids
        #: packed answers unpacked: question → each response's answer (or None)
        self.columns = columns
        #: the answers read from the rows: response → question → answer
        self.apart = apart
        self._position = {r: k for k, r in enumerate(response_ids)}

    def __getitem__(self, response_id: int) -> dict[str, str | None]:
        """The response's answers by question (an unanswered one left out)."""
        position = self._position.get(response_id)
        if position is None and response_id not in self.apart:
            raise KeyError(response_id)
        found: dict[str, str | None] = {}
        if position is not None:  # a question not answered is left out, as rows do
            found = {
                code: value
                for code, column in self.columns.items()
                if (value := column[position]) is not None
            }
        return {**found, **self.apart.get(response_id, {})}

    def __iter__(self) -> Iterator[int]:
        return iter(self._position.keys() | self.apart.keys())

    def __len__(self) -> int:
        return len(self._position.keys() | self.apart.keys())

    def column(self, code: str) -> list[str | None]:
        """Each response's answer to question ``code``, in the batch's order."""
        if code in self.columns:
            return self.columns[code]
        return [self.apart.get(r, _NONE).get(code) for r in self.response_ids]


#: The answers of a response that has none.
_NONE: dict[str, str] = {}


def answers_of(
    response_ids: list[int],
    kinds: ItemKinds,
    packed: Sequence[bytes | None] | None = None,
) -> BatchAnswers:
    """Answers of a batch of responses (ids increasing); multi-choice values joined
    (in the order of their values), free text masked.

    From the responses' ``packed`` choices (in the order of ``response_ids``) when
    every one has them; else the database joins each response's item codes into
    one text and its values into another (100,000 responses: 100,000 rows read,
    not 3.3 million). Free text, which may hold any character, is read row by row
    beside them (and numbers, beside packed choices).
    """
    first, last = response_ids[0], response_ids[-1]
    matrix = None if packed is None else packed_matrix(packed, kinds.layout)
    columns: dict[str, list[str | None]] = {}
    if matrix is not None:
        columns = {s.code: _choice_column(matrix, s) for s in kinds.layout.slots}
        found: dict[int, dict[str, str]] = {}
        apart = kinds.text | kinds.unpacked
    else:
        found = {
            response_id: _split_answers(response_id, codes, values, kinds)
            for response_id, codes, values in plain_rows(
                _joined_answers(first, last, kinds.text)
            )
        }
        apart = kinds.text
    for response_id, code, value in plain_rows(
        _rows_of_items(tuple(sorted(apart))), {"first": first, "last": last}
    ):
        answers = found.setdefault(response_id, {})
        if code in kinds.text:
            value = mask_personal_data(value)
        # a further value of the same item: joined as a multi-choice answer's
        answers[code] = (
            answers[code] + MULTI_SEPARATOR + value if code in answers else value
        )
    return BatchAnswers(response_ids, columns, found)


def _choice_column(matrix: np.ndarray, slot: ChoiceSlot) -> list[str | None]:
    """One question's answer of each response (None: no answer); the options of
    a multiple choice joined in the order of their codes, as the rows sort."""
    if not slot.multiple:
        labels = np.asarray((None, *slot.options), dtype=object)
        return labels[single_numbers(matrix, slot)].tolist()
    chosen = multiple_chosen(matrix, slot)
    keys = np.packbits(chosen, axis=1, bitorder="little") @ (
        256 ** np.arange(slot.width, dtype=np.int64)
    )
    joined: dict[int, str | None] = {}
    for key in np.unique(keys).tolist():
        options = sorted(o for k, o in enumerate(slot.options) if key >> k & 1)
        joined[key] = MULTI_SEPARATOR.join(options) or None
    return [joined[key] for key in keys.tolist()]


#: Joins a response's item codes, and its values, into one text each: a control
#: character that no item code and no checked answer other than free text holds.
JOINER = "\x1e"


def _joined_answers(first: int, last: int, text_codes: frozenset[str]) -> sa.Select:
    """Per response of ids ``first``–``last``: its item codes and its values other
    than free text, each joined by ``JOINER``, in the order of (code, value)."""
    in_range = Answer.response_id.between(first, last)
    not_text = Answer.item_code.not_in(sorted(text_codes))
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        def joined(column: sa.ColumnElement[str] | Any) -> sa.ColumnElement[str]:
            order = aggregate_order_by(
                sa.literal(JOINER), Answer.item_code, Answer.value
            )
            return sa.func.string_agg(column, order)

    else:
        # SQLite feeds the rows in the order of the primary key it searches by, the
        # table itself (WITHOUT ROWID): (response, code, value), as ORDER BY would
        # (which an aggregate takes only from SQLite 3.44)

        def joined(column: sa.ColumnElement[str] | Any) -> sa.ColumnElement[str]:
            return sa.func.group_concat(column, JOINER)

    return (
        sa.select(Answer.response_id, joined(Answer.item_code), joined(Answer.value))
        .where(in_range, not_text)
        .group_by(Answer.response_id)
    )


def _answer_rows(
    first: int | sa.BindParameter[int], last: int | sa.BindParameter[int]
) -> sa.Select:
    """Answer rows of responses of ids ``first``–``last``, in (response, code,
    value) order."""
    return (
        sa.select(Answer.response_id, Answer.item_code, Answer.value)
        .where(Answer.response_id.between(first, last))
        .order_by(Answer.response_id, Answer.item_code, Answer.value)
    )


@lru_cache(maxsize=8)
def _rows_of_items(codes: tuple[str, ...]) -> sa.Select:
    """Answer rows to the questions ``codes`` of the responses of ids ``first``
    to ``last`` (parameters), in (response, code, value) order: one statement
    for every batch of a download, compiled once."""
    return _answer_rows(batch_bound("first"), batch_bound("last")).where(
        Answer.item_code.in_(codes)
    )


def _split_answers(
    response_id: int, codes: str, values: str, kinds: ItemKinds
) -> dict[str, str]:
    """One response's answers other than free text, from its joined codes and
    values (the options of a multiple-choice item come one after the other)."""
    code_list, value_list = codes.split(JOINER), values.split(JOINER)
    if len(code_list) != len(value_list):  # a value held the joiner: read its rows
        code_list, value_list = [], []
        rows = _answer_rows(response_id, response_id).where(
            Answer.item_code.not_in(sorted(kinds.text))
        )
        for _id, code, value in plain_rows(rows):
            code_list.append(code)
            value_list.append(value)
    answers = dict(zip(code_list, value_list, strict=True))
    repeated = len(code_list) - len(answers)  # options past an item's first
    for code in kinds.multi if repeated else ():
        chosen = code_list.count(code)
        if chosen > 1:
            first = code_list.index(code)
            answers[code] = MULTI_SEPARATOR.join(value_list[first : first + chosen])
            repeated -= chosen - 1
    if repeated:  # an item that is not multiple choice answered twice: join too
        return _joined_options(code_list, value_list)
    return answers


def _joined_options(code_list: list[str], value_list: list[str]) -> dict[str, str]:
    """Answers with the values of a repeated code joined, in the order given."""
    joined: dict[str, str] = {}
    for code, value in zip(code_list, value_list, strict=True):
        joined[code] = (
            joined[code] + MULTI_SEPARATOR + value if code in joined else value
        )
    return joined
