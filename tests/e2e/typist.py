"""A scripted typist for the paper-entry screen: the keys of a whole form, typed
into a real browser with the keyboard only (used by the e2e test and the benchmark)."""

from __future__ import annotations

from collections.abc import Mapping

from sipas.questionnaire import ItemType, Questionnaire, is_visible
from sipas.questionnaire.entry_keys import (
    NO_ANSWER_KEY,
    EntryValue,
    encode_value,
    keyed_items,
)
from tests.e2e.conftest import wait_until


def key_plan(
    questionnaire: Questionnaire, answers: Mapping[str, EntryValue]
) -> list[tuple[str, bool]]:
    """(typed string, Enter needed after it) for each question the paper asks,
    in order; the screen moves on by itself after a complete key."""
    given = {code: value for code, value in answers.items() if value is not None}
    plan = []
    for keyed in keyed_items(questionnaire):
        item = keyed.item
        if not is_visible(item, given, questionnaire):
            continue
        typed = encode_value(keyed, answers.get(item.code))
        if typed == NO_ANSWER_KEY:
            plan.append((typed, False))
        elif item.type in (ItemType.text, ItemType.number):
            plan.append((typed, True))
        else:
            plan.append((typed, len(typed) < keyed.max_length))
    return plan


def type_form(page, plan: list[tuple[str, bool]], delay_ms: float = 0) -> int:
    """Type ``plan`` where the focus is; the last key opens the review. Returns the
    number of keys pressed."""
    keys = 0
    for typed, enter in plan:
        page.keyboard.type(typed, delay=delay_ms)
        keys += len(typed)
        if enter:
            page.keyboard.press("Enter")
            keys += 1
    return keys


def log_in(page, url: str, username: str, password: str) -> None:
    """Log in with the keyboard: the username (where the page puts the cursor), Tab,
    the password, Enter."""
    page.goto(f"{url}/auth/login")
    wait_until(page, "() => document.activeElement.id === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
