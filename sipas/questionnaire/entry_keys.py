"""Typed keys of a paper form → answers, with the paper's skip rules.

What a surveyor types on the entry screen, one string per item: the option keys of
:mod:`sipas.questionnaire.paper_codes` (several keys one after another for a
multi-choice item), digits for a number, free text for a text item, and
:data:`NO_ANSWER_KEY` when the respondent left the question blank. The browser
applies the same rules live; :func:`decode` is what the server trusts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sipas.questionnaire.logic import is_visible, normalize_text
from sipas.questionnaire.paper_codes import option_keys
from sipas.questionnaire.schema import (
    DEFAULT_TEXT_MAX_LENGTH,
    Item,
    ItemType,
    Questionnaire,
)

#: Typed when the respondent gave no answer (a blank box on paper).
NO_ANSWER_KEY = "-"

#: An entered answer: a code or text, a list of codes (multi-choice), None = no answer.
EntryValue = str | list[str] | None


class KeyProblem(StrEnum):
    """Why a typed value cannot stand (the web layer words it per language)."""

    missing = "missing"
    invalid_key = "invalid_key"
    repeated_key = "repeated_key"
    too_many = "too_many"
    skipped = "skipped"
    too_long = "too_long"
    not_a_number = "not_a_number"
    out_of_range = "out_of_range"


@dataclass(frozen=True)
class KeyedItem:
    """An item as the entry screen shows it: its keys and how long one key is."""

    item: Item
    keys: tuple[tuple[str, str], ...]

    @property
    def key_length(self) -> int:
        """Characters of one option key (0 for text and number items)."""
        return len(self.keys[0][0]) if self.keys else 0

    @property
    def max_keys(self) -> int:
        """How many option keys the item takes."""
        if self.item.type is not ItemType.multi_choice:
            return 1
        return self.item.max_choices or len(self.keys)

    @property
    def max_length(self) -> int:
        """The input's maxlength."""
        if self.keys:
            return self.key_length * self.max_keys
        if self.item.type is ItemType.number:
            bounds = (self.item.min_value or 0, self.item.max_value or 10**9)
            return max(len(str(bound)) for bound in bounds)
        return self.item.max_length or DEFAULT_TEXT_MAX_LENGTH

    def code_of(self, key: str) -> str | None:
        """The choice code typed as ``key``, or None."""
        return dict(self.keys).get(key)

    def key_of(self, code: str) -> str:
        """The key of choice ``code``."""
        return next(key for key, choice in self.keys if choice == code)


def keyed_items(questionnaire: Questionnaire) -> tuple[KeyedItem, ...]:
    """Every item with its option keys, in questionnaire order."""
    return tuple(
        KeyedItem(item, tuple(option_keys(item))) for item in questionnaire.items
    )


@dataclass(frozen=True)
class Decoded:
    """Answers of the visible items (None = no answer) and the problems found."""

    answers: dict[str, EntryValue]
    problems: dict[str, KeyProblem]

    @property
    def is_valid(self) -> bool:
        """True when every typed value stands."""
        return not self.problems


def decode(questionnaire: Questionnaire, typed: Mapping[str, str]) -> Decoded:
    """Read the typed value of every item, skip rules applied as on paper.

    An item whose ``show_if`` is not met must be left empty; a visible item must be
    typed (a key, or :data:`NO_ANSWER_KEY`), except text items where empty means no
    answer.
    """
    answers: dict[str, EntryValue] = {}
    problems: dict[str, KeyProblem] = {}
    for keyed in keyed_items(questionnaire):
        item = keyed.item
        text = (typed.get(item.code) or "").strip()
        given = {code: value for code, value in answers.items() if value is not None}
        if not is_visible(item, given, questionnaire):
            if text and text != NO_ANSWER_KEY:
                problems[item.code] = KeyProblem.skipped
            continue
        result = _decode_one(keyed, typed.get(item.code) or "")
        if isinstance(result, KeyProblem):
            problems[item.code] = result
        else:
            answers[item.code] = result
    return Decoded(answers, problems)


def _decode_one(keyed: KeyedItem, raw: str) -> EntryValue | KeyProblem:
    item = keyed.item
    text = raw.strip()
    if text == NO_ANSWER_KEY:
        return None
    if item.type is ItemType.text:
        clean = normalize_text(raw)
        if len(clean) > (item.max_length or DEFAULT_TEXT_MAX_LENGTH):
            return KeyProblem.too_long
        return clean or None
    if not text:
        return KeyProblem.missing
    if item.type is ItemType.number:
        return _decode_number(item, text)
    if item.type is ItemType.multi_choice:
        return _decode_multi(keyed, text)
    code = keyed.code_of(text)
    return KeyProblem.invalid_key if code is None else code


def _decode_multi(keyed: KeyedItem, text: str) -> list[str] | KeyProblem:
    size = keyed.key_length
    if len(text) % size:
        return KeyProblem.invalid_key
    keys = [text[start : start + size] for start in range(0, len(text), size)]
    if any(keyed.code_of(key) is None for key in keys):
        return KeyProblem.invalid_key
    if len(set(keys)) != len(keys):
        return KeyProblem.repeated_key
    if len(keys) > keyed.max_keys:
        return KeyProblem.too_many
    chosen = {keyed.code_of(key) for key in keys}
    return [code for code in keyed.item.choice_codes if code in chosen]


def _decode_number(item: Item, text: str) -> str | KeyProblem:
    if not text.isdigit():
        return KeyProblem.not_a_number
    number = int(text)
    too_low = item.min_value is not None and number < item.min_value
    too_high = item.max_value is not None and number > item.max_value
    return KeyProblem.out_of_range if too_low or too_high else str(number)


def encode(
    questionnaire: Questionnaire, answers: Mapping[str, EntryValue]
) -> dict[str, str]:
    """The keys that type ``answers`` back in ({item code: typed string})."""
    typed: dict[str, str] = {}
    for keyed in keyed_items(questionnaire):
        code = keyed.item.code
        if code not in answers:
            continue
        typed[code] = encode_value(keyed, answers[code])
    return typed


def encode_value(keyed: KeyedItem, value: EntryValue) -> str:
    """The typed string of one answer."""
    if value is None:
        return NO_ANSWER_KEY
    if not keyed.keys:
        return str(value)
    values = [value] if isinstance(value, str) else value
    return "".join(keyed.key_of(code) for code in values)


def differing_items(
    questionnaire: Questionnaire,
    first: Mapping[str, EntryValue],
    second: Mapping[str, EntryValue],
) -> list[str]:
    """Codes of the items whose entered answers differ (an item skipped on one entry
    and answered on the other differs too), in questionnaire order."""
    missing = object()
    return [
        item.code
        for item in questionnaire.items
        if _same_shape(first.get(item.code, missing))
        != _same_shape(second.get(item.code, missing))
    ]


def _same_shape(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def compared_items(
    first: Mapping[str, EntryValue], second: Mapping[str, EntryValue]
) -> int:
    """How many items the two entries hold between them."""
    return len(set(first) | set(second))


def stored_answers(answers: Mapping[str, EntryValue]) -> dict[str, object]:
    """The answers as the response store takes them (no-answer items left out)."""
    return {code: value for code, value in answers.items() if value is not None}
