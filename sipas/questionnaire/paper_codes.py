"""The keys a surveyor types for each option of a printed form.

Printed next to every box on the paper questionnaire and typed on the entry screen,
so both read from here: scale items use their choice codes (1–5, 9 = not
applicable); other choice items number their options 1…9, 0 in choice order, or
01, 02 … when an item has more than ten options.
"""

from __future__ import annotations

from sipas.questionnaire.schema import Item, ItemType

#: Most options numbered with one digit ("1"…"9", then "0" for the tenth).
_ONE_DIGIT_OPTIONS = 10


def option_keys(item: Item) -> list[tuple[str, str]]:
    """(key, choice code) of each option of ``item``; empty for text and number."""
    if item.type is ItemType.scale:
        return [(choice.code, choice.code) for choice in item.choices]
    if item.type not in (ItemType.single_choice, ItemType.multi_choice):
        return []
    if len(item.choices) <= _ONE_DIGIT_OPTIONS:
        return [
            (str((position + 1) % 10), choice.code)
            for position, choice in enumerate(item.choices)
        ]
    return [
        (f"{position + 1:02d}", choice.code)
        for position, choice in enumerate(item.choices)
    ]
