"""Skip instructions of a paper form, derived from the items' ``show_if`` rules.

On paper nothing hides a question, so after a filter question the form says where
to go: "if the answer is «Có», go on; otherwise go to question N", where N is the
first later question that does not depend on the filter (directly or through
another question). Pure: nothing here knows about Flask or the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sipas.questionnaire.schema import Item, Questionnaire


@dataclass(frozen=True)
class SkipRule:
    """What the form says after one filter question."""

    #: Code of the filter question.
    filter_item: str
    #: Answers (choice codes, in the filter's option order) that lead on to the
    #: dependent questions.
    values: tuple[str, ...]
    #: Later questions asked only on those answers, directly or through another.
    dependents: tuple[str, ...]
    #: First later question that does not depend on the filter; None when every
    #: question after it does (the respondent is done).
    resume_at: str | None


def depends_on(questionnaire: Questionnaire, item: Item, filter_code: str) -> bool:
    """True if ``item`` is shown only through ``filter_code`` (a chain of show_if)."""
    rule = item.show_if
    seen: set[str] = set()
    while rule is not None and rule.item not in seen:
        if rule.item == filter_code:
            return True
        seen.add(rule.item)
        rule = questionnaire.item(rule.item).show_if
    return False


def skip_rules(questionnaire: Questionnaire) -> dict[str, SkipRule]:
    """The skip rule after each filter question, keyed by the filter's code."""
    items = questionnaire.items
    filters = {item.show_if.item for item in items if item.show_if is not None}
    rules: dict[str, SkipRule] = {}
    for position, item in enumerate(items):
        if item.code not in filters:
            continue
        later = items[position + 1 :]
        dependents = tuple(
            other.code for other in later if depends_on(questionnaire, other, item.code)
        )
        resume_at = next(
            (
                other.code
                for other in later
                if not depends_on(questionnaire, other, item.code)
            ),
            None,
        )
        rules[item.code] = SkipRule(
            item.code, _leading_values(item, later), dependents, resume_at
        )
    return rules


def _leading_values(filter_item: Item, later: tuple[Item, ...]) -> tuple[str, ...]:
    """Answers of the filter that some question directly depending on it asks for."""
    wanted = {
        value
        for other in later
        if other.show_if is not None and other.show_if.item == filter_item.code
        for value in other.show_if.values
    }
    ordered = tuple(code for code in filter_item.choice_codes if code in wanted)
    return ordered + tuple(sorted(wanted - set(ordered)))
