"""The column conventions of questionnaire workbooks: sheets, columns, types, cells.

One place for what the reader accepts and the writer writes (see docs/development.md,
"A questionnaire as a workbook").
"""

from __future__ import annotations

import difflib
from typing import Any

from sipas.questionnaire.schema import SUPPORTED_LANGUAGES
from sipas.questionnaire.xlsform_sheets import as_text

#: XLSForm types and ours (``scale``), each to the item type it becomes.
CHOICE_TYPES = {
    "select_one": "single_choice",
    "select_multiple": "multi_choice",
    "scale": "scale",
}
PLAIN_TYPES = {"text": "text", "integer": "number"}
GROUP_TYPES = ("begin_group", "end_group")
KNOWN_TYPES = (*CHOICE_TYPES, *PLAIN_TYPES, *GROUP_TYPES)

#: Columns of each sheet; ``::`` columns take a language of the form after them.
COLUMNS = {
    "settings": ("form_id", "version", "title::", "description::"),
    "factors": ("name", "label::", "weight"),
    "indices": ("name", "parent", "label::", "weight", "aggregate"),
    "choices": ("list_name", "name", "label::", "not_applicable"),
    "survey": (
        "type",
        "name",
        "label::",
        "hint::",
        "required",
        "relevant",
        "factor",
        "index",
        "max",
        "max_length",
        "min_value",
        "max_value",
    ),
}
#: Columns a sheet cannot do without.
REQUIRED_COLUMNS = {
    "settings": ("form_id", "version"),
    "factors": ("name",),
    "indices": ("name",),
    "choices": ("list_name", "name"),
    "survey": ("type", "name"),
}
NUMBER_KEYS = ("max", "max_length", "min_value", "max_value")
TRUE_WORDS = frozenset({"yes", "true", "true()", "1", "có"})
FALSE_WORDS = frozenset({"no", "false", "false()", "0", "không"})


def split_type(text: str) -> tuple[str, str]:
    """``select_one yes_no`` → (``select_one``, ``yes_no``); XLSForm spaces allowed."""
    words = text.split()
    if len(words) >= 2 and words[0].lower() in ("begin", "end"):
        return f"{words[0].lower()}_{words[1].lower()}", " ".join(words[2:])
    if not words:
        return "", ""
    return words[0].lower(), " ".join(words[1:])


def whole(value: Any) -> Any:
    """A cell meant as a whole number: ints kept, ``3.0`` and ``"3"`` made 3."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


def number(value: Any) -> int | float | None:
    """A weight: a number cell, or text like ``0,5`` / ``0.5``; None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(as_text(value).replace(",", "."))
    except ValueError:
        return None


def headings(sheet: str) -> list[str]:
    """The sheet's columns with each ``::`` column once per language."""
    expanded: list[str] = []
    for column in COLUMNS[sheet]:
        if column.endswith("::"):
            expanded.extend(f"{column}{language}" for language in SUPPORTED_LANGUAGES)
        else:
            expanded.append(column)
    return expanded


def suggestion(word: str, known: list[str] | tuple[str, ...]) -> str | None:
    """The known word ``word`` is most likely a misspelling of, if any is close."""
    close = difflib.get_close_matches(word.lower(), list(known), n=1, cutoff=0.75)
    return close[0] if close else None
