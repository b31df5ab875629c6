"""Answers validated down columns (a file's rows at once) agree with the rules one
row at a time: the same clean answers and the same problems in the same order."""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from sipas.questionnaire import (
    AnswerProblem,
    ProblemKind,
    Questionnaire,
    ValidatedAnswers,
    load_file,
    load_text,
    validate_answers,
    validate_columns,
)
from sipas.questionnaire.logic import _checked, _chosen
from tests.questionnaire.test_loader import QUESTIONNAIRES
from tests.questionnaire.test_logic import ANSWER_VALUES, CHAINED

CODES = ["filter", "A1", "why", "age", "comment", "junk"]


def one_row_at_a_time(
    questionnaire: Questionnaire,
    raw: Mapping[str, object],
    section_codes: Collection[str] | None = None,
) -> ValidatedAnswers:
    """The rules as written for one row (the oracle): items in order, each
    visible when its rule's question was answered with one of its values."""
    scope = (
        None
        if section_codes is None
        else {
            item.code
            for section in questionnaire.sections
            if section.code in section_codes
            for item in section.items
        }
    )
    clean: dict[str, object] = {}
    problems: list[AnswerProblem] = []
    for item in questionnaire.items:
        rule = item.show_if
        if rule is not None and _chosen(clean.get(rule.item)).isdisjoint(rule.values):
            continue
        value = raw.get(item.code)
        result = None if value is None else _checked(item, value)
        if result is None:
            if item.required and (scope is None or item.code in scope):
                problems.append(AnswerProblem(item.code, ProblemKind.required))
        elif isinstance(result, AnswerProblem):
            problems.append(result)
        else:
            clean[item.code] = result
    return ValidatedAnswers(clean, tuple(problems))  # type: ignore[arg-type]


def as_columns(rows: list[dict[str, object]]) -> dict[str, list[object]]:
    """Rows as one column per code, None where a row has no value."""
    codes = {code for row in rows for code in row}
    return {code: [row.get(code) for row in rows] for code in codes}


def same(left: ValidatedAnswers, right: ValidatedAnswers) -> bool:
    return dict(left.answers) == dict(right.answers) and left.problems == right.problems


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.dictionaries(keys=st.sampled_from(CODES), values=ANSWER_VALUES),
        max_size=40,
    ),
    sections=st.sampled_from([None, (), ("main",)]),
)
def test_columns_give_each_row_what_the_rules_give_it(rows, sections):
    """Rows mixing valid, hidden, wrong and missing answers: each row's clean
    answers and problems are the oracle's, whatever the other rows hold, with
    one memo shared by all (as a file's rows share it)."""
    questionnaire = load_text(CHAINED, "chained.yaml").questionnaire
    memo: dict = {}
    columns = as_columns(rows)
    validated = validate_columns(
        questionnaire, columns, len(rows), section_codes=sections, memo=memo
    )
    assert len(validated) == len(rows)
    for row, result in zip(rows, validated, strict=True):
        assert same(result, one_row_at_a_time(questionnaire, row, sections))
    # and again with what the memo learnt: still the same
    again = validate_columns(
        questionnaire, columns, len(rows), section_codes=sections, memo=memo
    )
    assert all(same(a, b) for a, b in zip(again, validated, strict=True))


@settings(max_examples=100, deadline=None)
@given(raw=st.dictionaries(keys=st.sampled_from(CODES), values=ANSWER_VALUES))
def test_one_row_is_validated_as_the_rules_say(raw):
    """validate_answers (every channel's check) is the columns of one row, with
    unknown questions named first."""
    questionnaire = load_text(CHAINED, "chained.yaml").questionnaire
    result = validate_answers(questionnaire, raw)
    expected = one_row_at_a_time(questionnaire, raw)
    unknown = (
        (AnswerProblem("junk", ProblemKind.unknown_item),) if "junk" in raw else ()
    )
    assert dict(result.answers) == dict(expected.answers)
    assert result.problems == (*unknown, *expected.problems)


def test_the_national_form_by_columns_matches_row_by_row():
    """The shipped 2017 form (many skip rules), rows of its own option codes and
    of junk: the columns agree with the oracle row by row."""
    questionnaire = load_file(QUESTIONNAIRES / "sipas-2017-v2.yaml").questionnaire
    draw = random.Random(17)  # noqa: S311 - test data, the same every run
    rows = []
    for _ in range(500):
        row: dict[str, object] = {}
        for item in questionnaire.items:
            pick = draw.random()
            if pick < 0.1:
                continue
            if pick < 0.15:
                row[item.code] = draw.choice(["x", "7", " ", ("a", "b")])
            elif item.choice_codes:
                row[item.code] = draw.choice(item.choice_codes)
            else:
                row[item.code] = str(draw.randint(0, 200))
        rows.append(row)
    validated = validate_columns(questionnaire, as_columns(rows), len(rows), memo={})
    for row, result in zip(rows, validated, strict=True):
        assert same(result, one_row_at_a_time(questionnaire, row))
    assert any(result.problems for result in validated)
    assert any(not result.problems for result in validated)
