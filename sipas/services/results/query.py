"""Counted answer patterns of a wave: the one grouped query behind wave statistics.

Each response carries two bit masks of its criteria (answered 1–5, satisfied 4–5), set
when it was written. The database counts responses per unit, channel and mask pair —
an index-only scan of `ix_responses_patterns` — and Python receives those counts as
numpy columns, never the answer rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm

from sipas.database import row_batches
from sipas.models import Answer, Channel, Response, ResponseStatus, Wave
from sipas.questionnaire.choices import ChoiceSlot
from sipas.services.results.packed import ChoiceReader, PackedChoices
from sipas.services.waves.design import UnitDesign
from sipas.stats.choice_codes import single_numbers
from sipas.stats.coded import Coded

#: Rows taken from the database cursor at a time.
FETCH_ROWS = 100_000


class Breakdown(StrEnum):
    """Domains a wave can be broken down by (besides a respondent question)."""

    unit = "unit"
    unit_level = "unit_level"
    channel = "channel"


@dataclass(frozen=True)
class Patterns:
    """Counted answer patterns with their unit, PSU key, channel and answers asked for.

    Each record stands for ``count`` responses that share all of these.
    """

    unit_id: np.ndarray
    #: the response id when every response is its own PSU, else 0
    response_key: np.ndarray
    channel: Coded
    answered_mask: np.ndarray
    satisfied_mask: np.ndarray
    count: np.ndarray
    #: each record's answer ("" for none) to the questions asked for (a breakdown
    #: question, calibration variables)
    answers: dict[str, Coded]

    def __len__(self) -> int:
        return len(self.count)


#: Channels numbered in label order, so that the query returns integers.
CHANNEL_LABELS = tuple(sorted(channel.value for channel in Channel))


def _fetch(
    statement: sa.Select, n_integers: int
) -> tuple[np.ndarray, list[list[str | None]]]:
    """The result's first ``n_integers`` columns as an integer matrix and the other
    (text) columns as lists, read straight from the DB-API cursor in chunks: a
    million Row objects would cost more than the query."""
    n_texts = len(statement.selected_columns) - n_integers
    integers = [np.zeros((0, n_integers), dtype=np.int64)]
    texts: list[list[str | None]] = [[] for _ in range(n_texts)]
    for rows in row_batches(statement, FETCH_ROWS):
        if not n_texts:
            integers.append(np.array(rows, dtype=np.int64))
            continue
        columns = list(zip(*rows, strict=True))
        integers.append(np.array(columns[:n_integers], dtype=np.int64).T)
        for text, column in zip(texts, columns[n_integers:], strict=True):
            text.extend(column)
    return np.concatenate(integers), texts


def counted_patterns(
    wave: Wave, per_response: bool, answer_items: Sequence[str] = ()
) -> Patterns:
    """One grouped query: counted responses per unit, channel and masks (and
    response, and answers to ``answer_items``, when asked: single-choice questions,
    which have at most one answer row per response)."""
    keys = [Response.unit_id, Response.channel]
    if per_response:
        keys.append(Response.id)
    masks = [Response.criteria_answered, Response.criteria_satisfied]
    # one outer join per (single-choice) question: an index lookup per response,
    # where a scalar subquery would be evaluated again for the grouping
    joined = [sa.orm.aliased(Answer) for _code in answer_items]
    answers = [answer.value for answer in joined]
    channel_number = sa.case(
        {label: k for k, label in enumerate(CHANNEL_LABELS)}, value=Response.channel
    )
    # grouped by the columns themselves, in the index's order; read as integers
    # (masks are NULL for a response written before they existed: 0)
    integers = [
        Response.unit_id,
        channel_number,
        Response.id if per_response else sa.literal_column("0"),
        *(sa.func.coalesce(mask, 0) for mask in masks),
        sa.func.count(),
    ]
    statement = sa.select(*integers, *answers).select_from(Response)
    for answer, code in zip(joined, answer_items, strict=True):
        statement = statement.outerjoin(
            answer, sa.and_(answer.response_id == Response.id, answer.item_code == code)
        )
    statement = statement.where(
        Response.wave_id == wave.id, Response.status == ResponseStatus.complete
    ).group_by(*keys, *masks, *answers)
    table, texts = _fetch(statement, len(integers))
    return Patterns(
        unit_id=table[:, 0],
        response_key=table[:, 2],
        channel=Coded(CHANNEL_LABELS, table[:, 1]),
        answered_mask=table[:, 3],
        satisfied_mask=table[:, 4],
        count=table[:, 5],
        answers={
            code: Coded.of(["" if value is None else value for value in column])
            for code, column in zip(answer_items, texts, strict=True)
        },
    )


def response_answers(
    wave: Wave,
    code: str,
    response_ids: np.ndarray,
    choices: ChoiceReader | None = None,
) -> Coded:
    """Each given response's answer to the single-choice question ``code`` ("" for
    none): from the responses' packed choices (of ``choices`` if given) when they
    all have them, else the wave's rows of the (item, response, value) index, in
    one scan."""
    packed = (choices or ChoiceReader(wave)).of()
    slot = None if packed is None else packed.layout.slot(code)
    if packed is not None and slot is not None and not slot.multiple:
        return _packed_answers(packed, slot, response_ids)
    counted = sa.select(Response.id).where(
        Response.wave_id == wave.id, Response.status == ResponseStatus.complete
    )
    statement = sa.select(Answer.response_id, Answer.value).where(
        Answer.item_code == code, Answer.response_id.in_(counted)
    )
    table, (values,) = _fetch(statement, 1)
    answer_of = dict(zip(table[:, 0].tolist(), values, strict=True))
    return Coded.of([answer_of.get(key) or "" for key in response_ids.tolist()])


def _packed_answers(
    packed: PackedChoices, slot: ChoiceSlot, response_ids: np.ndarray
) -> Coded:
    """`response_answers` from packed choices ("" for a response not among them:
    counted by an earlier statement, voided since)."""
    numbers = np.zeros(len(response_ids), np.int64)
    if len(packed.response_id):
        order = np.argsort(packed.response_id)
        at = np.searchsorted(packed.response_id, response_ids, sorter=order)
        found = order[np.minimum(at, len(order) - 1)]
        numbers = np.where(
            packed.response_id[found] == response_ids,
            single_numbers(packed.matrix, slot)[found],
            0,
        )
    present = np.unique(numbers)
    labels = ("", *slot.options)
    return Coded.from_dictionary(
        [labels[n] for n in present.tolist()], np.searchsorted(present, numbers)
    )


def domains_of(patterns: Patterns, designs: dict[int, UnitDesign], by: str) -> Coded:
    """The domain of each pattern record: its unit, unit level, channel or answer."""
    if by == Breakdown.channel:
        return patterns.channel
    if by == Breakdown.unit:
        return per_unit_value(designs, patterns, lambda d: d.unit.code)
    if by == Breakdown.unit_level:
        return per_unit_value(designs, patterns, lambda d: str(d.unit.level))
    return patterns.answers[by]


def per_unit_value(
    designs: dict[int, UnitDesign],
    patterns: Patterns,
    value: Callable[[UnitDesign], str],
) -> Coded:
    """``value`` of each record's unit, numbered once per unit."""
    unit_ids = sorted(designs)
    per_unit = Coded.of([value(designs[u]) for u in unit_ids])
    lookup = np.zeros(max(unit_ids, default=0) + 1, dtype=np.int64)
    lookup[unit_ids] = per_unit.codes
    return Coded(per_unit.labels, lookup[patterns.unit_id])
