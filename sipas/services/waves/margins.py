"""Calibration margins of a wave, written as structured text and checked against the
questionnaire.

One margin per line, the question codes before the colon (several, comma-separated,
for a crossed margin) and ``value=count`` pairs after it, values of a crossed margin
joined with ``|``::

    sex: male=4900, female=5100
    sex,age_group: male|18_25=1200, female|18_25=1300

Stored as the statistics read it (:func:`sipas.services.results.sums.calibration_spec`):
``{"method": "poststratify" | "rake", "margins": [{"columns": [...], "population":
{"value|value": count}}]}``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from sipas.questionnaire import Item, ItemType, Questionnaire
from sipas.stats.calibrate import CROSS_SEPARATOR, CalibrationMethod, MarginMismatch

_COUNT = re.compile(r"\d+")


class MarginError(ValueError):
    """The margins text is wrong; ``messages`` says where and why, line by line."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def parse_margins(
    text: str, method: str | None, questionnaire: Questionnaire
) -> dict[str, Any] | None:
    """The stored form of ``text`` (None when there is no calibration), or a
    MarginError listing every problem."""
    lines = [
        (number, line.strip())
        for number, line in enumerate(
            unicodedata.normalize("NFC", text or "").splitlines(), start=1
        )
        if line.strip()
    ]
    if not method:
        if lines:
            raise MarginError(
                [_("Choose a calibration method, or leave margins empty.")]
            )
        return None
    method = CalibrationMethod(method).value
    problems: list[str] = []
    margins = []
    for number, line in lines:
        margin = _parse_line(number, line, questionnaire, problems)
        if margin is not None:
            margins.append(margin)
    problems.extend(_check_set(method, margins, len(lines)))
    if problems:
        raise MarginError(problems)
    return {"method": method, "margins": margins}


def _parse_line(
    number: int, line: str, questionnaire: Questionnaire, problems: list[str]
) -> dict[str, Any] | None:
    """One margin, or None after adding its problems to ``problems``."""
    head, colon, body = line.partition(":")
    if not colon:
        problems.append(
            _('Line %(line)s: write "question: value=count, …".', line=number)
        )
        return None
    columns = [c.strip() for c in head.split(",") if c.strip()]
    found = len(problems)
    choices = [_choice_codes(number, c, questionnaire, problems) for c in columns]
    if not columns:
        problems.append(
            _("Line %(line)s: name a question before the colon.", line=number)
        )
    elif len(set(columns)) != len(columns):
        problems.append(_("Line %(line)s: a question is named twice.", line=number))
    population: dict[str, int] = {}
    for pair in (p.strip() for p in body.split(",")):
        if pair:
            _parse_pair(number, pair, choices, population, problems)
    if not population and len(problems) == found:
        problems.append(_("Line %(line)s: give at least one value=count.", line=number))
    if len(problems) > found:
        return None
    return {"columns": columns, "population": population}


def _choice_codes(
    number: int, code: str, questionnaire: Questionnaire, problems: list[str]
) -> tuple[str, ...] | None:
    """The option codes of single-choice question ``code``, or None (a problem)."""
    if not questionnaire.has_item(code):
        problems.append(
            _(
                "Line %(line)s: the questionnaire has no question %(code)s.",
                line=number,
                code=code,
            )
        )
        return None
    item = questionnaire.item(code)
    if item.type is not ItemType.single_choice:
        problems.append(
            _(
                "Line %(line)s: %(code)s is not a single-choice question.",
                line=number,
                code=code,
            )
        )
        return None
    return item.choice_codes


def _parse_pair(
    number: int,
    pair: str,
    choices: list[tuple[str, ...] | None],
    population: dict[str, int],
    problems: list[str],
) -> None:
    """Add ``value=count`` to ``population`` or its problem to ``problems``."""
    value, equals, count = (part.strip() for part in pair.partition("="))
    if not equals or not _COUNT.fullmatch(count):
        problems.append(
            _(
                'Line %(line)s: "%(pair)s" is not value=count with a whole number.',
                line=number,
                pair=pair,
            )
        )
        return
    parts = [part.strip() for part in value.split(CROSS_SEPARATOR)]
    if len(parts) != len(choices):
        problems.append(
            _(
                'Line %(line)s: "%(value)s" needs %(n)s values joined with "|".',
                line=number,
                value=value,
                n=len(choices),
            )
        )
        return
    for part, codes in zip(parts, choices, strict=True):
        if codes is not None and part not in codes:
            problems.append(
                _(
                    'Line %(line)s: "%(value)s" is not an option code (%(codes)s).',
                    line=number,
                    value=part,
                    codes=", ".join(codes),
                )
            )
            return
    key = CROSS_SEPARATOR.join(parts)
    if key in population:
        problems.append(
            _('Line %(line)s: "%(value)s" is given twice.', line=number, value=key)
        )
        return
    population[key] = int(count)


def _check_set(method: str, margins: list[dict[str, Any]], n_lines: int) -> list[str]:
    """Problems of the margins taken together."""
    if not n_lines:
        return [_("Give at least one margin, or choose no calibration.")]
    if method == CalibrationMethod.poststratify and n_lines != 1:
        return [_("Post-stratification takes exactly one margin (one line).")]
    totals = {sum(m["population"].values()) for m in margins}
    if len(totals) > 1:
        return [_("Every margin must add up to the same population total.")]
    if totals == {0}:
        return [_("The population counts add up to zero.")]
    return []


def margins_text(stored: dict[str, Any] | None) -> str:
    """The text a person edits for stored margins (inverse of ``parse_margins``)."""
    if not stored:
        return ""
    return "\n".join(
        ", ".join(m["columns"])
        + ": "
        + ", ".join(f"{value}={count}" for value, count in m["population"].items())
        for m in stored["margins"]
    )


def margins_method(stored: dict[str, Any] | None) -> str:
    """The stored calibration method, or "" for none."""
    return stored["method"] if stored else ""


@dataclass(frozen=True)
class MarginProblem:
    """One margin that does not fit the responses, in the questionnaire's words."""

    #: the margin's questions, by their label
    questions: tuple[str, ...]
    #: answers given by respondents but without a population count
    unknown: tuple[str, ...]
    #: answers with a population count but given by nobody
    unanswered: tuple[str, ...]


def mismatch_problem(
    questionnaire: Questionnaire, error: MarginMismatch, language: str
) -> MarginProblem:
    """``error`` named by question labels and answer labels instead of codes."""
    codes = error.columns
    items = [questionnaire.item(c) for c in codes if questionnaire.has_item(c)]
    if len(items) != len(codes):
        return MarginProblem(codes, error.unknown, error.unanswered)

    def answer_label(key: str) -> str:
        parts = key.split(CROSS_SEPARATOR)
        return " × ".join(
            _choice_label(item, part, language)
            for item, part in zip(items, parts, strict=False)
        )

    return MarginProblem(
        tuple(item.label.get_text(language) for item in items),
        tuple(answer_label(key) for key in error.unknown),
        tuple(answer_label(key) for key in error.unanswered),
    )


def _choice_label(item: Item, code: str, language: str) -> str:
    for choice in item.choices:
        if choice.code == code:
            return choice.label.get_text(language)
    return code
