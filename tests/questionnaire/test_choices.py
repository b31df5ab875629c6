"""Choice answers packed into a few bytes: layout, packing, what cannot be packed."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from sipas.questionnaire import load_file
from sipas.questionnaire.choices import (
    FORMAT,
    HEADER_SIZE,
    choice_layout,
    pack_choices,
    pack_many,
)
from sipas.questionnaire.schema import Choice, ItemType, LocalizedText
from tests.conftest import QUESTIONNAIRE_DIR


@pytest.fixture(scope="module")
def questionnaire():
    return load_file(QUESTIONNAIRE_DIR / "sipas-2017.yaml").questionnaire


def with_options(questionnaire, code: str, count: int):
    """``questionnaire`` with question ``code`` given ``count`` options o0, o1 …"""
    options = tuple(
        Choice(f"o{k}", LocalizedText({"vi": f"Lựa chọn {k}"})) for k in range(count)
    )
    sections = tuple(
        replace(
            section,
            items=tuple(
                replace(item, choices=options) if item.code == code else item
                for item in section.items
            ),
        )
        for section in questionnaire.sections
    )
    return replace(questionnaire, sections=sections)


def test_every_choice_question_has_a_slot_in_questionnaire_order(questionnaire):
    layout = choice_layout(questionnaire)
    choice_items = [
        item.code
        for item in questionnaire.items
        if item.type in (ItemType.single_choice, ItemType.multi_choice, ItemType.scale)
    ]
    assert [slot.code for slot in layout.slots] == choice_items
    assert layout.slots[0].offset == HEADER_SIZE
    for before, after in zip(layout.slots, layout.slots[1:], strict=False):
        assert after.offset == before.offset + before.width
    assert layout.size == layout.slots[-1].offset + layout.slots[-1].width
    assert layout.slot("expectations").multiple
    assert layout.slot("A1").options == ("1", "2", "3", "4", "5", "9")
    assert layout.slot("comment") is None  # free text is read from its rows


def test_a_single_choice_holds_its_option_number(questionnaire):
    layout = choice_layout(questionnaire)
    packed = pack_choices(layout, {"trips": "4plus", "sex": "female", "A1": "9"})
    assert packed[0] == FORMAT
    assert packed[:HEADER_SIZE] == layout.header
    trips, sex = layout.slot("trips"), layout.slot("sex")
    assert packed[trips.offset] == 4  # the fourth option: ("1", "2", "3", "4plus")
    assert packed[sex.offset] == 2
    assert packed[layout.slot("A1").offset] == 6  # not applicable: the sixth
    # every other slot says "no answer"
    others = [s for s in layout.slots if s.code not in ("trips", "sex", "A1")]
    assert all(packed[s.offset] == 0 for s in others)


def test_a_multiple_choice_holds_a_bit_per_option(questionnaire):
    layout = choice_layout(questionnaire)
    slot = layout.slot("expectations")
    chosen = ("information", "facilities", "lower_fees")
    packed = pack_choices(layout, {"expectations": chosen})
    assert packed[slot.offset] == 0b1001001  # options 0, 3 and 6
    assert pack_choices(layout, {"expectations": ()})[slot.offset] == 0


def test_more_options_take_more_bytes(questionnaire):
    many = with_options(questionnaire, "field", 300)
    layout = choice_layout(many)
    field = layout.slot("field")
    assert field.width == 2
    packed = pack_choices(layout, {"field": "o299"})
    assert int.from_bytes(packed[field.offset : field.offset + 2], "big") == 300
    nine = choice_layout(with_options(questionnaire, "expectations", 9))
    assert nine.slot("expectations").width == 2
    packed = pack_choices(nine, {"expectations": ("o8",)})
    assert packed[nine.slot("expectations").offset + 1] == 1


def test_an_answer_outside_the_options_cannot_be_packed(questionnaire):
    layout = choice_layout(questionnaire)
    assert pack_choices(layout, {"trips": "7"}) is None
    assert pack_choices(layout, {"expectations": ("information", "bribes")}) is None
    assert pack_choices(layout, {"trips": ("1", "2")}) is None  # two answers to one


def test_another_questionnaire_has_another_header(questionnaire):
    changed = with_options(questionnaire, "trips", 4)  # same count, other codes
    assert choice_layout(changed).header != choice_layout(questionnaire).header
    assert choice_layout(questionnaire) is choice_layout(questionnaire)


def packed_one_by_one(layout, answers) -> bytes | None:
    """The packing rule written plainly, a response and a question at a time:
    the reference for packing many at once."""
    packed = bytearray(layout.blank)
    for slot in layout.slots:
        answer = answers.get(slot.code)
        if not answer:
            continue
        if slot.multiple:
            for value in (answer,) if isinstance(answer, str) else answer:
                if value not in slot.numbers:
                    return None
                number = slot.numbers[value] - 1
                packed[slot.offset + number // 8] |= 1 << (number % 8)
            continue
        if not isinstance(answer, str):
            if len(answer) != 1:
                return None
            answer = answer[0]
        if answer not in slot.numbers:
            return None
        number = slot.numbers[answer]
        packed[slot.offset : slot.offset + slot.width] = number.to_bytes(
            slot.width, "big"
        )
    return bytes(packed)


def varied_answers(layout, count: int, seed: int) -> list[dict]:
    """Answers of every shape a file gives: options, no answer in its three
    forms, one answer in a tuple, two, unknown codes, repeated options."""
    rng = random.Random(seed)  # noqa: S311  (reproducible test data)
    rows = []
    for _ in range(count):
        row = {}
        for slot in layout.slots:
            options = list(slot.options)
            shape = rng.random()
            if shape < 0.1:
                continue
            if shape < 0.15:
                row[slot.code] = rng.choice([None, "", ()])
            elif shape < 0.17:
                row[slot.code] = "nowhere"
            elif slot.multiple:
                picked = rng.sample(options, rng.randint(1, min(3, len(options))))
                if shape < 0.2:
                    picked += picked[:1]  # an option twice
                row[slot.code] = tuple(picked) if shape < 0.9 else picked[0]
            elif shape < 0.2:
                row[slot.code] = (rng.choice(options),)
            elif shape < 0.21:
                row[slot.code] = (rng.choice(options), rng.choice(options))
            else:
                row[slot.code] = rng.choice(options)
        rows.append(row)
    return rows


@pytest.mark.parametrize("options", [None, 300])
def test_many_responses_are_packed_as_each_on_its_own(questionnaire, options):
    # 300 options: two-byte singles; 9 options: a two-byte multiple choice
    if options:
        questionnaire = with_options(questionnaire, "field", options)
        questionnaire = with_options(questionnaire, "expectations", 9)
    layout = choice_layout(questionnaire)
    rows = varied_answers(layout, 3000, seed=options or 1)
    packed = pack_many(layout, rows)
    assert packed == [packed_one_by_one(layout, row) for row in rows]
    assert 0 < packed.count(None) < len(rows)  # both kinds are there
    assert pack_many(layout, []) == []
    assert [pack_choices(layout, row) for row in rows[:50]] == packed[:50]
