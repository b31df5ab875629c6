"""Calibration margins of a wave: a grid of population counts per answer to the
questions about the respondent, checked cell by cell.

Stored as the statistics read it (:func:`sipas.services.results.sums.calibration_spec`):
``{"method": "poststratify" | "rake", "margins": [{"columns": [...], "population":
{"value|value": count}}]}``. The grid writes one question per margin; crossed margins
(several columns) come from the command line or JSON and are kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from sipas.questionnaire import Item, Questionnaire
from sipas.services.waves.targets import parse_count
from sipas.stats.calibrate import CROSS_SEPARATOR, CalibrationMethod, MarginMismatch


def cell_name(question: str, option: str) -> str:
    """The grid input holding the population of ``option`` of ``question``."""
    return f"margin-{question}-{option}"


def total_name(question: str) -> str:
    """Where the grid says what is wrong with the total of ``question``."""
    return f"margin-{question}-total"


@dataclass
class ParsedMargins:
    """The stored form of the grid (None: no calibration) and its problems."""

    spec: dict[str, Any] | None = None
    #: {cell or total name: message}; nothing may be stored while there is one
    errors: dict[str, str] = field(default_factory=dict)


def parse_margin_grid(
    cells: Mapping[str, str],
    questions: Sequence[Item],
    kept: Sequence[dict[str, Any]] = (),
) -> ParsedMargins:
    """The margins of the grid ``cells`` for ``questions`` (a question with every
    cell empty is not a margin), plus the crossed margins ``kept`` as stored."""
    parsed = ParsedMargins()
    margins = [
        margin
        for item in questions
        if (margin := _question_margin(item, cells, parsed.errors)) is not None
    ]
    margins.extend(kept)
    if parsed.errors or not margins:
        return parsed
    totals = {sum(m["population"].values()) for m in margins}
    used = [m["columns"][0] for m in margins if len(m["columns"]) == 1]
    if len(totals) > 1:
        for code in used:
            parsed.errors[total_name(code)] = _(
                "Every question must add up to the same number of people."
            )
    elif totals == {0}:
        for code in used:
            parsed.errors[total_name(code)] = _("The numbers add up to zero.")
    if not parsed.errors:
        method = CalibrationMethod.poststratify if len(margins) == 1 else "rake"
        parsed.spec = {"method": CalibrationMethod(method).value, "margins": margins}
    return parsed


def _question_margin(
    item: Item, cells: Mapping[str, str], errors: dict[str, str]
) -> dict[str, Any] | None:
    """One question's margin, None when its cells are empty or wrong (``errors``)."""
    counts = {}
    for code in item.choice_codes:
        name = cell_name(item.code, code)
        counts[code], problem = parse_count(cells.get(name))
        if problem:
            errors[name] = problem
    if all(count is None for count in counts.values()):
        return None
    for code, count in counts.items():
        name = cell_name(item.code, code)
        if count is None and name not in errors:
            errors[name] = _("Enter the number of people (0 if there are none).")
    if any(name.startswith(f"margin-{item.code}-") for name in errors):
        return None
    return {"columns": [item.code], "population": counts}


def margin_cells(stored: dict[str, Any] | None) -> dict[str, str]:
    """The grid's cells for stored margins (those of one question)."""
    cells = {}
    for margin in (stored or {}).get("margins", []):
        if len(margin["columns"]) == 1:
            for value, count in margin["population"].items():
                cells[cell_name(margin["columns"][0], value)] = str(count)
    return cells


def crossed_margins(stored: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The stored margins of several questions at once (the grid keeps them)."""
    return [m for m in (stored or {}).get("margins", []) if len(m["columns"]) > 1]


@dataclass(frozen=True)
class MarginInWords:
    """A stored margin named by its questions' and answers' labels."""

    questions: tuple[str, ...]
    #: (answer label, population) in the stored order
    counts: tuple[tuple[str, int], ...]


def margins_in_words(
    stored: dict[str, Any] | None, questionnaire: Questionnaire, language: str
) -> list[MarginInWords]:
    """Every stored margin with labels instead of codes (codes when unknown)."""
    described = []
    for margin in (stored or {}).get("margins", []):
        items = [
            questionnaire.item(c) if questionnaire.has_item(c) else None
            for c in margin["columns"]
        ]
        described.append(
            MarginInWords(
                tuple(
                    item.label.get_text(language) if item else code
                    for item, code in zip(items, margin["columns"], strict=True)
                ),
                tuple(
                    (_key_label(items, key, language), count)
                    for key, count in margin["population"].items()
                ),
            )
        )
    return described


def _key_label(items: list[Item | None], key: str, language: str) -> str:
    """ "Nam × Từ 18 đến 25 tuổi" for the key "male|18_25"."""
    return " × ".join(
        _choice_label(item, part, language) if item else part
        for item, part in zip(items, key.split(CROSS_SEPARATOR), strict=False)
    )


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

    labelled: list[Item | None] = list(items)
    return MarginProblem(
        tuple(item.label.get_text(language) for item in items),
        tuple(_key_label(labelled, key, language) for key in error.unknown),
        tuple(_key_label(labelled, key, language) for key in error.unanswered),
    )


def _choice_label(item: Item, code: str, language: str) -> str:
    for choice in item.choices:
        if choice.code == code:
            return choice.label.get_text(language)
    return code


@dataclass(frozen=True)
class GridCell:
    """One input of the margins grid."""

    name: str
    label: str
    value: str
    error: str | None


@dataclass(frozen=True)
class GridQuestion:
    """One question of the margins grid with a cell per answer."""

    code: str
    label: str
    cells: tuple[GridCell, ...]
    total_error: str | None

    @property
    def is_open(self) -> bool:
        """Shown unfolded: it holds numbers or problems."""
        return bool(self.total_error) or any(c.value or c.error for c in self.cells)


def margin_grid(
    questions: Sequence[Item],
    cells: Mapping[str, str],
    errors: Mapping[str, str],
    language: str,
) -> list[GridQuestion]:
    """The grid as the page shows it: labels, what was typed, and the problems."""
    return [
        GridQuestion(
            item.code,
            item.label.get_text(language),
            tuple(
                GridCell(
                    name,
                    choice.label.get_text(language),
                    cells.get(name, ""),
                    errors.get(name),
                )
                for choice in item.choices
                if (name := cell_name(item.code, choice.code))
            ),
            errors.get(total_name(item.code)),
        )
        for item in questions
    ]
