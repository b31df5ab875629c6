"""Question numbers: "Câu 6" on the paper form, the entry screen and the review.

A surveyor types a paper form by matching what is printed with what is on the
screen, so both name a question the same way: by its number, counted 1, 2, …
across sections in questionnaire order (conditional questions included: paper
shows them all). Item codes are internal, except a criterion's (A1 …), which is
printed beside its number because the results name the criteria by it too.

Pure: nothing here knows about Flask or the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sipas.questionnaire.schema import Item, Questionnaire


@dataclass(frozen=True)
class QuestionNumber:
    """How a question is named on paper and on screen."""

    #: 1, 2, … across the whole questionnaire.
    number: int
    #: The criterion code printed beside the number (``A1``); None for questions
    #: that are not criteria.
    printed_code: str | None


def question_numbers(questionnaire: Questionnaire) -> dict[str, int]:
    """The number of each question by item code (1, 2, … across sections)."""
    return {item.code: number for number, item in enumerate(questionnaire.items, 1)}


def printed_code(item: Item) -> str | None:
    """The code printed beside a question: a criterion's own, else none."""
    return item.code if item.is_criterion else None


def numbering(questionnaire: Questionnaire) -> dict[str, QuestionNumber]:
    """Number and printed code of every question, by item code."""
    numbers = question_numbers(questionnaire)
    return {
        item.code: QuestionNumber(numbers[item.code], printed_code(item))
        for item in questionnaire.items
    }
