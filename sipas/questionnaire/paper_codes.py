"""The digits printed next to each option of a paper form: what the surveyor types.

One mapping serves the printed form and the keyboard entry screen, so it must stay
simple and stable (changing it would make old printed forms mean something else):

* **scale** items: the option's own code — ``1`` … ``5`` and ``9`` for "not
  applicable" — exactly what the statistics store;
* **single_choice** and **multi_choice** items, in the order the options are listed:

  - up to 10 options: one digit each, ``1`` … ``9``, then ``0`` for the tenth;
  - more than 10 options: every key has the same number of digits, zero-padded
    (``01`` … ``12`` for 12 options), so the entry screen knows when a key is complete;

* **text** and **number** items have no options, hence no keys.

Pure: nothing here knows about Flask or the database.
"""

from __future__ import annotations

from sipas.questionnaire.schema import Item, ItemType

#: Options a single-digit key can number (1 … 9, then 0 for the tenth).
ONE_DIGIT_OPTIONS = 10


def option_keys(item: Item) -> list[tuple[str, str]]:
    """The ``(key typed, choice code stored)`` pairs of an item, in option order."""
    if item.type is ItemType.scale:
        return [(choice.code, choice.code) for choice in item.choices]
    if item.type not in (ItemType.single_choice, ItemType.multi_choice):
        return []
    count = len(item.choices)
    if count <= ONE_DIGIT_OPTIONS:
        keys = [str(position % 10) for position in range(1, count + 1)]
    else:
        width = len(str(count))
        keys = [f"{position:0{width}d}" for position in range(1, count + 1)]
    return [(key, choice.code) for key, choice in zip(keys, item.choices, strict=True)]


def key_length(item: Item) -> int:
    """Digits typed for one option of ``item`` (0 for text and number items)."""
    keys = option_keys(item)
    return len(keys[0][0]) if keys else 0


def choice_for_key(item: Item, key: str) -> str | None:
    """The choice code a typed key stands for, or None if no option has that key."""
    return dict(option_keys(item)).get(key.strip())


def key_for_choice(item: Item, code: str) -> str | None:
    """The key printed next to the option with ``code``, or None."""
    return next((key for key, choice in option_keys(item) if choice == code), None)
