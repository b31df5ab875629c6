"""Skip rules, normalisation and answer validation (pure, no app)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipas.questionnaire import (
    ProblemKind,
    criteria_masks,
    criteria_values,
    deciding_items,
    is_visible,
    load_text,
    normalize_text,
    validate_answers,
    visible_items,
    visible_sections,
)
from tests.questionnaire.test_loader import MINIMAL

CHAINED = MINIMAL.replace(
    """      - {code: comment, type: text, max_length: 50,""",
    """      - {code: why, type: multi_choice, choices: yes_no, max: 1,
         show_if: {item: A1, in: ["1", "2"]},
         label: {vi: "Vì sao?", en: "Why?"}}
      - {code: age, type: number, min_value: 18, max_value: 120,
         label: {vi: "Tuổi", en: "Age"}}
      - {code: comment, type: text, max_length: 50,""",
)


@pytest.fixture(scope="module")
def questionnaire():
    return load_text(CHAINED, "chained.yaml").questionnaire


def kinds(result):
    return {(p.item_code, p.kind) for p in result.problems}


def test_normalize_text_gives_nfc_without_controls():
    decomposed = unicodedata.normalize("NFD", "  Hoà  ")
    assert decomposed != "Hoà"
    assert normalize_text(decomposed) == unicodedata.normalize("NFC", "Hoà")
    assert normalize_text("a\r\nb\x00c\u200b") == "a\nbc"


def test_show_if_and_chained_hiding(questionnaire):
    a1, why = questionnaire.item("A1"), questionnaire.item("why")
    assert not is_visible(a1, {"filter": "no"})
    assert is_visible(a1, {"filter": "yes"})
    assert is_visible(why, {"filter": "yes", "A1": "2"}, questionnaire)
    # A1 answered "2" but hidden again by the filter: "why" is hidden too
    assert not is_visible(why, {"filter": "no", "A1": "2"}, questionnaire)
    codes = [i.code for i in visible_items(questionnaire, {"filter": "no"})]
    assert codes == ["filter", "age", "comment"]


def test_the_deciding_items_are_those_rules_look_at(questionnaire):
    assert deciding_items(questionnaire) == {"filter", "A1"}
    # whatever else is answered, the same deciding answers show the same items
    deciding = {"filter": "yes", "A1": "2"}
    shown = visible_items(questionnaire, deciding)
    assert [i.code for i in shown] == ["filter", "A1", "why", "age", "comment"]
    others = {"why": ("yes",), "age": "40", "comment": "Nhanh"}
    assert visible_items(questionnaire, {**deciding, **others}) == shown


def test_show_if_on_a_multi_choice_target():
    text = CHAINED.replace(
        "      - {code: age, type: number",
        """      - {code: because, type: text, show_if: {item: why, in: ["no"]},
         label: {vi: "Lý do", en: "Reason"}}
      - {code: age, type: number""",
    )
    questionnaire = load_text(text, "multi.yaml").questionnaire
    because = questionnaire.item("because")
    assert is_visible(because, {"why": ("yes", "no")})
    assert not is_visible(because, {"why": ("yes",)})


def test_a_section_stays_when_its_conditional_item_depends_on_it(questionnaire):
    assert [s.code for s in visible_sections(questionnaire, {})] == ["main"]


def test_valid_answers_are_cleaned(questionnaire):
    result = validate_answers(
        questionnaire,
        {
            "filter": "yes",
            "A1": "1",
            "why": ["no", "no"],
            "age": " 42 ",
            "comment": "Tốt",
        },
    )
    assert result.is_valid
    assert dict(result.answers) == {
        "filter": "yes",
        "A1": "1",
        "why": ("no",),
        "age": "42",
        "comment": "Tốt",
    }


def test_hidden_answers_are_dropped_silently(questionnaire):
    result = validate_answers(
        questionnaire, {"filter": "no", "A1": "5", "why": ["yes"]}
    )
    assert result.is_valid
    assert set(result.answers) == {"filter"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"filter": "yes", "Z9": "1"}, ("Z9", ProblemKind.unknown_item)),
        ({"filter": "perhaps"}, ("filter", ProblemKind.not_a_choice)),
        ({"filter": ["yes", "no"]}, ("filter", ProblemKind.not_single)),
        ({}, ("filter", ProblemKind.required)),
        ({"filter": "   "}, ("filter", ProblemKind.required)),
        (
            {"filter": "yes", "A1": "2", "why": ["yes", "no"]},
            ("why", ProblemKind.too_many_choices),
        ),
        ({"filter": "no", "comment": "x" * 51}, ("comment", ProblemKind.too_long)),
        ({"filter": "no", "age": "forty"}, ("age", ProblemKind.not_a_number)),
        ({"filter": "no", "age": "12"}, ("age", ProblemKind.out_of_range)),
    ],
)
def test_each_problem_kind(questionnaire, raw, expected):
    result = validate_answers(questionnaire, raw)
    assert not result.is_valid
    assert expected in kinds(result)


def test_limits_are_reported(questionnaire):
    result = validate_answers(questionnaire, {"filter": "no", "comment": "x" * 60})
    (problem,) = result.problems
    assert problem.limit == 50


def test_required_only_in_the_given_sections(questionnaire):
    assert validate_answers(questionnaire, {}, section_codes=()).is_valid
    assert not validate_answers(questionnaire, {}, section_codes=("main",)).is_valid


def test_criteria_values_skip_not_applicable(questionnaire):
    assert criteria_values(questionnaire, {"A1": "9"}) == {"A1": None}
    assert criteria_values(questionnaire, {"A1": "4"}) == {"A1": 4}
    assert criteria_values(questionnaire, {}) == {"A1": None}


ANSWER_VALUES = st.one_of(
    st.none(),
    st.sampled_from(["yes", "no", "1", "2", "4", "9", "42", ""]),
    st.text(max_size=80),
    st.lists(st.sampled_from(["yes", "no", "x"]), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    raw=st.dictionaries(
        keys=st.sampled_from(["filter", "A1", "why", "age", "comment", "junk"]),
        values=ANSWER_VALUES,
    )
)
def test_whatever_is_posted_the_clean_answers_are_storable(raw):
    """Property: output re-validates unchanged, holds no hidden or unknown item."""
    questionnaire = load_text(CHAINED, "chained.yaml").questionnaire
    result = validate_answers(questionnaire, raw)
    again = validate_answers(questionnaire, result.answers, section_codes=())
    assert again.is_valid
    assert dict(again.answers) == dict(result.answers)
    for code in result.answers:
        item = questionnaire.item(code)
        assert is_visible(item, result.answers, questionnaire)
    if "junk" in raw:
        assert ("junk", ProblemKind.unknown_item) in kinds(result)


def test_criteria_masks(questionnaire):
    assert criteria_masks(questionnaire, {"A1": "5"}) == (1, 1)
    assert criteria_masks(questionnaire, {"A1": "3"}) == (1, 0)
    assert criteria_masks(questionnaire, {"A1": "9"}) == (0, 0)
    assert criteria_masks(questionnaire, {}) == (0, 0)
