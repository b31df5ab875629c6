"""Packed choice answers read back as arrays, and packed column by column."""

from __future__ import annotations

import numpy as np
import pytest

from sipas.questionnaire import load_file
from sipas.questionnaire.choices import choice_layout, pack_choices
from sipas.stats.choice_codes import (
    multiple_chosen,
    pack_columns,
    packed_matrix,
    single_numbers,
)
from tests.conftest import QUESTIONNAIRE_DIR


@pytest.fixture(scope="module")
def layout():
    return choice_layout(load_file(QUESTIONNAIRE_DIR / "sipas-2017.yaml").questionnaire)


def responses(layout, size: int, seed: int = 1):
    """Random answers: each choice question answered or not, options at random."""
    rng = np.random.default_rng(seed)
    drawn = []
    for _ in range(size):
        answers = {}
        for slot in layout.slots:
            if rng.random() < 0.2:
                continue
            if slot.multiple:
                picked = rng.random(len(slot.options)) < 0.4
                answers[slot.code] = tuple(np.asarray(slot.options)[picked].tolist())
            else:
                answers[slot.code] = str(rng.choice(slot.options))
        drawn.append(answers)
    return drawn


def test_unpacked_answers_are_the_packed_ones(layout):
    drawn = responses(layout, 200)
    matrix = packed_matrix([pack_choices(layout, a) for a in drawn], layout)
    for slot in layout.slots:
        if slot.multiple:
            chosen = multiple_chosen(matrix, slot)
            expected = [
                [o in a.get(slot.code, ()) for o in slot.options] for a in drawn
            ]
            assert chosen.tolist() == expected
        else:
            labels = ("", *slot.options)
            numbers = single_numbers(matrix, slot)
            assert [labels[n] for n in numbers] == [a.get(slot.code, "") for a in drawn]


def test_a_response_without_packed_answers_makes_the_rows_needed(layout):
    packed = [pack_choices(layout, a) for a in responses(layout, 3)]
    assert packed_matrix(packed, layout) is not None
    assert packed_matrix([*packed, None], layout) is None
    other = bytes([packed[0][0] + 1]) + packed[0][1:]  # another format
    assert packed_matrix([*packed, other], layout) is None
    assert packed_matrix([*packed, packed[0][:-1]], layout) is None
    assert packed_matrix([], layout).shape == (0, layout.size)


def test_columns_pack_as_one_response_at_a_time(layout):
    drawn = responses(layout, 300, seed=2)
    drawn[5]["trips"] = "99"  # not an option: that response cannot be packed
    single = {
        s.code: np.array([a.get(s.code, "") for a in drawn], dtype=object)
        for s in layout.slots
        if not s.multiple
    }
    # the options of a multiple choice in another order than the questionnaire's
    multiple = {
        s.code: (
            s.options[::-1],
            np.array(
                [[o in a.get(s.code, ()) for o in s.options[::-1]] for a in drawn]
            ),
        )
        for s in layout.slots
        if s.multiple
    }
    packed = pack_columns(layout, single, multiple)
    assert packed == [pack_choices(layout, a) for a in drawn]
    assert packed[5] is None
