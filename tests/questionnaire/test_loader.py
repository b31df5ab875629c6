"""The questionnaire loader: shipped files load; each problem is found at its line."""

from __future__ import annotations

import textwrap

import pytest

from sipas.questionnaire import (
    ItemType,
    QuestionnaireError,
    load_file,
    load_text,
    parse_definition,
)
from sipas.questionnaire.logic import is_visible
from tests.conftest import ROOT

QUESTIONNAIRES = ROOT / "questionnaires"

MINIMAL = textwrap.dedent(
    """\
    code: mini
    version: 1
    languages: [vi, en]
    title: {vi: "Phiếu thử", en: "Test form"}
    factors:
      - {code: A, name: {vi: "Tiếp cận", en: "Access"}}
    choice_lists:
      satisfaction5:
        - {code: "1", label: {vi: "Rất không hài lòng", en: "Very dissatisfied"}}
        - {code: "2", label: {vi: "Không hài lòng", en: "Dissatisfied"}}
        - {code: "3", label: {vi: "Bình thường", en: "Neutral"}}
        - {code: "4", label: {vi: "Hài lòng", en: "Satisfied"}}
        - {code: "5", label: {vi: "Rất hài lòng", en: "Very satisfied"}}
        - {code: "9", label: {vi: "Không áp dụng", en: "N/A"}, not_applicable: true}
      yes_no:
        - {code: "yes", label: {vi: "Có", en: "Yes"}}
        - {code: "no", label: {vi: "Không", en: "No"}}
    sections:
      - code: main
        title: {vi: "Phần chính", en: "Main part"}
        items:
          - {code: filter, type: single_choice, choices: yes_no, required: true,
             label: {vi: "Có góp ý?", en: "Any feedback?"}}
          - {code: A1, type: scale, choices: satisfaction5, factor: A,
             show_if: {item: filter, in: ["yes"]},
             label: {vi: "Chỗ ngồi", en: "Seats"}}
          - {code: comment, type: text, max_length: 50,
             label: {vi: "Ý kiến khác", en: "Other comments"}}
    """
)


def mutate(old: str, new: str) -> str:
    """The minimal file with one piece of text replaced."""
    assert old in MINIMAL
    return MINIMAL.replace(old, new, 1)


def line_of(text: str, fragment: str) -> int:
    """1-based line of the first line containing ``fragment``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def problems_of(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(QuestionnaireError) as caught:
        load_text(text, "test.yaml")
    return [(p.line, p.message) for p in caught.value.problems]


@pytest.mark.parametrize("path", sorted(QUESTIONNAIRES.glob("*.yaml")), ids=str)
def test_every_shipped_file_loads(path):
    """A file is named after its code, and a later version adds ``-v<version>``."""
    questionnaire = load_file(path).questionnaire
    names = {questionnaire.code, f"{questionnaire.code}-v{questionnaire.version}"}
    assert path.stem in names


def test_version_2_asks_about_the_result_only_of_whoever_received_it():
    questionnaire = load_file(QUESTIONNAIRES / "sipas-2017-v2.yaml").questionnaire
    assert questionnaire.version == 2
    on_time = questionnaire.item("on_time")
    assert on_time.choice_codes[-1] == "not_received"
    assert on_time.choices[-1].label.get_text("vi") == "Chưa nhận kết quả"
    not_yet = {"on_time": "not_received"}
    for code in ("D1", "D2", "D3", "apology"):
        assert not is_visible(questionnaire.item(code), not_yet, questionnaire)
    for answer in ("early", "on_time", "late"):
        for code in ("D1", "D2", "D3"):
            item = questionnaire.item(code)
            assert is_visible(item, {"on_time": answer}, questionnaire)


def test_version_2_lists_yes_before_no_in_every_yes_no_question():
    questionnaire = load_file(QUESTIONNAIRES / "sipas-2017-v2.yaml").questionnaire
    orders = {
        item.code: item.choice_codes
        for item in questionnaire.items
        if set(item.choice_codes) == {"yes", "no"}
    }
    assert set(orders) == {"apology", "E_filter", "harassment", "unofficial_payment"}
    assert set(map(tuple, orders.values())) == {("yes", "no")}


def test_sipas_2017_has_the_22_criteria_in_five_factors():
    questionnaire = load_file(QUESTIONNAIRES / "sipas-2017.yaml").questionnaire
    expected = {
        "A": ["A1", "A2", "A3", "A4"],
        "B": ["B1", "B2", "B3", "B4", "B5"],
        "C": ["C1", "C2", "C3", "C4", "C5", "C6"],
        "D": ["D1", "D2", "D3"],
        "E": ["E1", "E2", "E3", "E4"],
    }
    assert [f.code for f in questionnaire.factors] == list(expected)
    for factor, codes in expected.items():
        assert [i.code for i in questionnaire.criteria_of(factor)] == codes
    assert len(questionnaire.criteria) == 22
    for code in ("E1", "E2", "E3", "E4"):
        assert questionnaire.item(code).show_if.item == "E_filter"
    order = [item.code for item in questionnaire.items]
    assert order.index("E_filter") < order.index("E1")
    for code in (
        "field",
        "submission_channel",
        "trips",
        "on_time",
        "apology",
        "harassment",
        "unofficial_payment",
        "overall",
        "comment",
        "sex",
        "age_group",
        "ethnicity",
        "education",
        "occupation",
    ):
        assert questionnaire.has_item(code), code
    assert questionnaire.item("expectations").type is ItemType.multi_choice
    assert questionnaire.item("expectations").max_choices == 3
    assert questionnaire.item("overall").factor is None
    a1 = questionnaire.item("A1")
    assert (
        a1.label["vi"]
        == "Nơi ngồi chờ tại Bộ phận Tiếp nhận và Trả kết quả có đủ chỗ ngồi"
    )


def test_minimal_file_loads_and_round_trips_through_its_definition():
    loaded = load_text(MINIMAL, "mini.yaml")
    assert parse_definition(loaded.definition) == loaded.questionnaire


def test_hash_ignores_layout_and_comments_but_not_wording():
    base = load_text(MINIMAL, "a.yaml").sha256
    relaid = load_text(
        "# a comment\n" + MINIMAL.replace("version: 1", "version:   1"), "b"
    )
    reworded = load_text(mutate('"Chỗ ngồi"', '"Chỗ ngồi chờ"'), "c")
    assert relaid.sha256 == base
    assert reworded.sha256 != base


@pytest.mark.parametrize(
    ("old", "new", "fragment", "message"),
    [
        ("type: text", "type: slider", "type: slider", "unknown type"),
        ("code: comment,", "code: comment, colour: red,", "colour", "unknown key"),
        ('{code: "yes",', "{code: yes,", "code: yes", "not a string"),
        ('{code: "1",', "{code: 01,", "code: 01", "not a string"),
        ("code: comment,", "code: A1,", "code: A1, type: text", "duplicate item code"),
        ("code: comment,", "code: weight,", "code: weight", "reserved"),
        (
            "choices: yes_no, required",
            "choices: yesno, required",
            "yesno",
            "unknown choice",
        ),
        ('en: "Seats"', 'fr: "Sièges"', "Sièges", "unknown language"),
        ("item: filter,", "item: comment,", "item: comment", "not an earlier item"),
        ("item: filter,", "item: A1,", "item: A1,", "points at itself"),
        ("item: filter,", "item: [filter],", "item: [filter]", "not an earlier item"),
        ('in: ["yes"]', 'in: ["maybe"]', "maybe", "not an option"),
        ("factor: A,", "factor: Z,", "factor: Z", "unknown factor"),
        ("factor: A,", "factor: [A],", "factor: [A]", "unknown factor"),
        ("max_length: 50", "max_length: fifty", "fifty", "whole number"),
        ("required: true,", 'required: "true",', 'required: "true"', "true or false"),
        ("version: 1", "version: 0", "version: 0", "at least 1"),
        ("type: text, max_length", "type: text, max: 2, max_length", "max: 2", "max"),
    ],
)
def test_each_problem_is_reported_at_its_line(old, new, fragment, message):
    text = mutate(old, new)
    found = problems_of(text)
    expected_line = line_of(text, fragment)
    assert any(line == expected_line and message in text_ for line, text_ in found), (
        found
    )


def test_missing_language_is_reported_at_the_text():
    text = mutate(
        'title: {vi: "Phần chính", en: "Main part"}', 'title: {vi: "Phần chính"}'
    )
    assert (
        line_of(text, "Phần chính"),
        "section main lacks the 'en' text",
    ) in problems_of(text)


def test_duplicate_keys_are_refused():
    text = mutate("version: 1\n", "version: 1\nversion: 2\n")
    assert (3, "duplicate key 'version'") in problems_of(text)


def test_factor_without_criteria():
    text = mutate(
        '  - {code: A, name: {vi: "Tiếp cận", en: "Access"}}\n',
        '  - {code: A, name: {vi: "Tiếp cận", en: "Access"}}\n'
        '  - {code: B, name: {vi: "Thủ tục", en: "Procedures"}}\n',
    )
    assert (line_of(text, "code: B"), "factor 'B' has no criteria") in problems_of(text)


def test_scale_list_must_hold_1_to_5():
    text = mutate(
        '    - {code: "5", label: {vi: "Rất hài lòng", en: "Very satisfied"}}\n', ""
    )
    assert any("codes 1–5" in message for _line, message in problems_of(text))


def test_yaml_syntax_error_has_its_line():
    text = mutate("version: 1", "version: [1")
    ((line, message),) = problems_of(text)
    assert "YAML syntax" in message
    assert line is not None


def test_all_problems_of_a_file_are_reported_together():
    text = mutate("type: text", "type: slider").replace("factor: A,", "factor: Z,")
    messages = " ".join(message for _line, message in problems_of(text))
    assert "unknown type" in messages
    assert "unknown factor" in messages


def test_unreadable_file(tmp_path):
    with pytest.raises(QuestionnaireError) as caught:
        load_file(tmp_path / "absent.yaml")
    assert "cannot read file" in str(caught.value)
