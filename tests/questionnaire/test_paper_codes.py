"""The digits printed next to each option of a paper form (shared with entry)."""

from __future__ import annotations

import pytest

from sipas.questionnaire import load_file, load_text
from sipas.questionnaire.numbering import QuestionNumber, numbering, question_numbers
from sipas.questionnaire.paper_codes import (
    choice_for_key,
    key_for_choice,
    key_length,
    option_keys,
)
from sipas.questionnaire.paper_skips import depends_on, skip_rules
from sipas.questionnaire.schema import Choice, Item, ItemType, LocalizedText
from tests.conftest import QUESTIONNAIRE_DIR
from tests.questionnaire.test_loader import MINIMAL


def _item(item_type: ItemType, codes: list[str]) -> Item:
    choices = tuple(
        Choice(code, LocalizedText({"vi": code, "en": code}), code == "9")
        for code in codes
    )
    return Item(
        "Q", item_type, LocalizedText({"vi": "Câu", "en": "Q"}), choices=choices
    )


@pytest.fixture(scope="module")
def sipas_2017():
    return load_file(QUESTIONNAIRE_DIR / "sipas-2017.yaml").questionnaire


def test_scale_keys_are_the_stored_codes():
    item = _item(ItemType.scale, ["1", "2", "3", "4", "5", "9"])
    assert option_keys(item) == [(c, c) for c in ["1", "2", "3", "4", "5", "9"]]
    assert choice_for_key(item, "9") == "9"
    assert choice_for_key(item, "6") is None


@pytest.mark.parametrize("item_type", [ItemType.single_choice, ItemType.multi_choice])
def test_choices_are_numbered_in_order_with_zero_for_the_tenth(item_type):
    codes = [f"c{n}" for n in range(1, 11)]
    keys = option_keys(_item(item_type, codes))
    assert [key for key, _ in keys] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "0",
    ]
    assert [code for _, code in keys] == codes


def test_more_than_ten_choices_take_two_digits_each():
    codes = [f"c{n}" for n in range(1, 13)]
    item = _item(ItemType.single_choice, codes)
    keys = option_keys(item)
    assert [key for key, _ in keys][:3] == ["01", "02", "03"]
    assert keys[-1] == ("12", "c12")
    assert key_length(item) == 2
    assert choice_for_key(item, "10") == "c10"
    assert choice_for_key(item, "1") is None  # a one-digit key is incomplete


def test_text_and_number_items_have_no_keys():
    assert option_keys(_item(ItemType.text, [])) == []
    assert key_length(_item(ItemType.number, [])) == 0


def test_yes_no_is_one_and_two(sipas_2017):
    item = sipas_2017.item("E_filter")
    assert option_keys(item) == [("1", "yes"), ("2", "no")]
    assert key_for_choice(item, "no") == "2"
    assert key_for_choice(item, "maybe") is None


def test_every_item_of_the_2017_form_has_distinct_keys_of_one_length(sipas_2017):
    for item in sipas_2017.items:
        keys = [key for key, _ in option_keys(item)]
        assert len(set(keys)) == len(keys) == len(item.choices), item.code
        assert {len(key) for key in keys} <= {key_length(item)}, item.code
        for key, code in option_keys(item):
            assert choice_for_key(item, key) == code
    assert key_length(sipas_2017.item("field")) == 2  # 12 fields


def test_the_e_filter_skips_to_the_first_question_after_the_e_criteria(sipas_2017):
    rule = skip_rules(sipas_2017)["E_filter"]
    assert rule.values == ("yes",)
    assert rule.dependents == ("E1", "E2", "E3", "E4")
    assert rule.resume_at == "harassment"
    late = skip_rules(sipas_2017)["on_time"]
    assert (late.values, late.dependents, late.resume_at) == (
        ("late",),
        ("apology",),
        "A1",
    )
    assert set(skip_rules(sipas_2017)) == {"E_filter", "on_time"}
    numbers = question_numbers(sipas_2017)
    assert numbers["field"] == 1
    assert numbers["E_filter"] + 5 == numbers["harassment"]


def test_a_chain_of_filters_counts_for_the_first_one_too():
    text = MINIMAL.replace(
        """      - {code: comment, type: text, max_length: 50,""",
        """      - {code: why, type: multi_choice, choices: yes_no, max: 1,
         show_if: {item: A1, in: ["1", "2"]},
         label: {vi: "Vì sao?", en: "Why?"}}
      - {code: comment, type: text, max_length: 50,""",
    )
    questionnaire = load_text(text, "chain.yaml").questionnaire
    rules = skip_rules(questionnaire)
    assert rules["filter"].dependents == ("A1", "why")
    assert rules["filter"].resume_at == "comment"
    assert rules["A1"].values == ("1", "2")
    assert depends_on(questionnaire, questionnaire.item("why"), "filter")
    assert not depends_on(questionnaire, questionnaire.item("comment"), "filter")


def test_a_filter_whose_dependents_end_the_form_resumes_nowhere():
    text = MINIMAL.replace(
        """      - {code: comment, type: text, max_length: 50,""",
        """      - {code: comment, type: text, max_length: 50,
         show_if: {item: filter, in: ["yes"]},""",
    )
    rule = skip_rules(load_text(text, "end.yaml").questionnaire)["filter"]
    assert rule.dependents == ("A1", "comment")
    assert rule.resume_at is None


def test_questions_are_numbered_once_and_only_criteria_keep_their_code(sipas_2017):
    named = numbering(sipas_2017)
    assert [named[item.code].number for item in sipas_2017.items] == list(
        range(1, len(sipas_2017.items) + 1)
    )
    assert named["field"] == QuestionNumber(1, None)
    assert named["unofficial_payment"].printed_code is None
    assert {code for code, name in named.items() if name.printed_code} == {
        item.code for item in sipas_2017.criteria
    }
    assert named["A1"].printed_code == "A1"
