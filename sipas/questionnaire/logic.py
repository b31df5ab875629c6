"""Skip rules and answer validation: what may be stored for a questionnaire.

Pure functions over the frozen schema. Every channel (phone, kiosk, paper entry, file
import) validates through :func:`validate_columns`, so the rules live in one place:
a file's rows at once, down each question's column, and one response through
:func:`validate_answers`, its one-row case.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from sipas.questionnaire.schema import (
    DEFAULT_TEXT_MAX_LENGTH,
    NOT_APPLICABLE_CODE,
    Item,
    ItemType,
    Questionnaire,
    Section,
)

#: A stored answer: one code or text, or a tuple of codes for multi-choice items.
AnswerValue = str | tuple[str, ...]

_KEPT_CONTROLS = frozenset("\n\t")
#: Control and format characters, and lone surrogates (valid in JSON as "\ud800"
#: escapes, but no text: they cannot be encoded for the database).
_DROPPED = frozenset({"Cc", "Cf", "Cs"})


def normalize_text(value: str) -> str:
    """Unicode NFC, LF line ends, no control characters or lone surrogates, no
    surrounding blanks."""
    if value.isascii() and value.isprintable():
        return value.strip()  # already NFC, no controls: the common case, fast
    value = (
        unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    )
    kept = (
        char
        for char in value
        if char in _KEPT_CONTROLS or unicodedata.category(char) not in _DROPPED
    )
    return "".join(kept).strip()


def _chosen(answer: object) -> set[str]:
    """The codes held by an answer, whatever its shape."""
    if answer is None:
        return set()
    if isinstance(answer, list | tuple):
        return {str(value) for value in answer}
    return {str(answer)}


def is_visible(
    item: Item,
    answers: Mapping[str, object],
    questionnaire: Questionnaire | None = None,
) -> bool:
    """True if ``item`` is asked given ``answers`` (its show_if holds).

    With ``questionnaire`` given, an item whose target is itself hidden is hidden too.
    """
    rule = item.show_if
    if rule is None:
        return True
    if questionnaire is not None:
        target = questionnaire.item(rule.item)
        if not is_visible(target, answers, questionnaire):
            return False
    return bool(_chosen(answers.get(rule.item)) & set(rule.values))


def deciding_items(questionnaire: Questionnaire) -> frozenset[str]:
    """The codes of the items whose answers show or hide others: equal answers to
    these, equal :func:`visible_items`."""
    return frozenset(
        item.show_if.item for item in questionnaire.items if item.show_if is not None
    )


def visible_items(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> tuple[Item, ...]:
    """The items asked given ``answers``, in order."""
    return tuple(
        item for item in questionnaire.items if is_visible(item, answers, questionnaire)
    )


def visible_sections(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> tuple[Section, ...]:
    """Sections with something to ask: a visible item. (An item that an answer on
    the same section could still show needs no rule of its own: its filter is
    visible there. A filter hidden itself, as the national form's feedback filter
    is from whoever used no service, shows nothing.)"""
    return tuple(
        section
        for section in questionnaire.sections
        if any(is_visible(item, answers, questionnaire) for item in section.items)
    )


class ProblemKind(StrEnum):
    """Why an answer cannot be stored (the web layer words it per language)."""

    unknown_item = "unknown_item"
    hidden_item = "hidden_item"
    not_a_choice = "not_a_choice"
    not_single = "not_single"
    required = "required"
    too_many_choices = "too_many_choices"
    too_long = "too_long"
    not_a_number = "not_a_number"
    out_of_range = "out_of_range"


@dataclass(frozen=True)
class AnswerProblem:
    """One problem with one answer; ``limit`` is the bound that was broken."""

    item_code: str
    kind: ProblemKind
    limit: int | None = None


@dataclass(frozen=True)
class ValidatedAnswers:
    """Clean answers (visible items only, normalised) and the problems found."""

    answers: Mapping[str, AnswerValue]
    problems: tuple[AnswerProblem, ...]

    @property
    def is_valid(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def _is_empty(value: object) -> bool:
    return (
        value is None or value == "" or (isinstance(value, list | tuple) and not value)
    )


def _clean(item: Item, value: object) -> AnswerValue | AnswerProblem:
    """The stored form of one non-empty answer, or the problem with it."""
    if item.type is ItemType.multi_choice:
        return _clean_multi(item, value)
    if isinstance(value, list | tuple):
        if len(value) != 1:
            return AnswerProblem(item.code, ProblemKind.not_single)
        value = value[0]
    if isinstance(value, Mapping | list | tuple):
        # a structure (JSON from a device), not one value to be read as text
        return AnswerProblem(item.code, ProblemKind.not_single)
    text = normalize_text(str(value))
    if item.type in (ItemType.single_choice, ItemType.scale):
        if text not in item.choice_codes:
            return AnswerProblem(item.code, ProblemKind.not_a_choice)
        return text
    if item.type is ItemType.text:
        limit = item.max_length or DEFAULT_TEXT_MAX_LENGTH
        if len(text) > limit:
            return AnswerProblem(item.code, ProblemKind.too_long, limit)
        return text
    return _clean_number(item, text)


def _clean_multi(item: Item, value: object) -> AnswerValue | AnswerProblem:
    chosen = {normalize_text(str(code)) for code in _chosen(value)}
    if not chosen <= set(item.choice_codes):
        return AnswerProblem(item.code, ProblemKind.not_a_choice)
    if item.max_choices is not None and len(chosen) > item.max_choices:
        return AnswerProblem(item.code, ProblemKind.too_many_choices, item.max_choices)
    return tuple(code for code in item.choice_codes if code in chosen)


def _clean_number(item: Item, text: str) -> AnswerValue | AnswerProblem:
    try:
        number = int(text.replace(" ", ""))
    except ValueError:
        return AnswerProblem(item.code, ProblemKind.not_a_number)
    too_low = item.min_value is not None and number < item.min_value
    too_high = item.max_value is not None and number > item.max_value
    if too_low or too_high:
        return AnswerProblem(item.code, ProblemKind.out_of_range)
    return str(number)


def validate_answers(
    questionnaire: Questionnaire,
    raw: Mapping[str, object],
    *,
    section_codes: Collection[str] | None = None,
    memo: dict[tuple[str, object], AnswerValue | AnswerProblem] | None = None,
) -> ValidatedAnswers:
    """Check raw answers against the questionnaire; keep only what may be stored.

    Answers to items hidden by ``show_if`` are dropped, not refused (the respondent
    changed a filter answer). With ``section_codes``, only those sections' items must
    be answered; visibility is still judged on all answers. ``memo`` (a dict the
    caller keeps across many calls, e.g. the rows of a file) remembers each item's
    verdict on each value, so a file's few distinct values are checked once.
    """
    unknown = [
        AnswerProblem(str(code), ProblemKind.unknown_item)
        for code in raw
        if not questionnaire.has_item(str(code))
    ]
    columns = {code: (value,) for code, value in raw.items()}
    (validated,) = validate_columns(
        questionnaire, columns, 1, section_codes=section_codes, memo=memo
    )
    if not unknown:
        return validated
    return ValidatedAnswers(validated.answers, (*unknown, *validated.problems))


def validate_columns(
    questionnaire: Questionnaire,
    columns: Mapping[str, Sequence[object]],
    rows: int,
    *,
    section_codes: Collection[str] | None = None,
    memo: dict[tuple[str, object], AnswerValue | AnswerProblem] | None = None,
) -> list[ValidatedAnswers]:
    """:func:`validate_answers` of ``rows`` rows at once, given as one column of
    raw values per item code (None: no answer; codes of no item are ignored).

    Each item is judged down its column, each distinct text once, so a file's
    rows cost a few dictionary look-ups per answer.
    """
    required_scope = _required_scope(questionnaire, section_codes)
    targets = deciding_items(questionnaire)
    answers: list[dict[str, AnswerValue]] = [{} for _ in range(rows)]
    problems: dict[int, list[AnswerProblem]] = {}
    # each item's visibility by row (None: every row) and, for the items that
    # rules look at, its clean answers by row
    shown: dict[str, list[bool] | None] = {}
    cleaned: dict[str, list[AnswerValue | None]] = {}
    for item in questionnaire.items:
        visible = shown[item.code] = _visible_rows(item, shown, cleaned, rows)
        results = _checked_column(item, columns.get(item.code), rows, memo)
        required = item.required and (
            required_scope is None or item.code in required_scope
        )
        code = item.code
        clean_column = _clean_column(results, required)
        if clean_column is not None:
            # the common column: no problem in it, nothing missing that must be
            # there; its answers are kept without looking at each verdict's kind
            _keep_column(code, clean_column, visible, answers)
            if code in targets:
                cleaned[code] = _visible_only(clean_column, visible)
        else:
            kept = _keep_checked(code, results, visible, required, answers, problems)
            if code in targets:
                cleaned[code] = kept
    return [
        ValidatedAnswers(answers=clean, problems=tuple(problems.get(row, ())))
        for row, clean in enumerate(answers)
    ]


def _keep_checked(
    code: str,
    results: Sequence[AnswerValue | AnswerProblem | None],
    visible: Sequence[bool] | None,
    required: bool,
    answers: list[dict[str, AnswerValue]],
    problems: dict[int, list[AnswerProblem]],
) -> list[AnswerValue | None]:
    """Keep a column's clean answers and its problems (a missing answer where
    one is ``required``) in the rows that show its item; its clean answers by
    row (None where none)."""
    kept: list[AnswerValue | None] = [None] * len(results)
    for row, result in enumerate(results):
        if visible is not None and not visible[row]:
            continue
        if result is None:
            if required:
                problems.setdefault(row, []).append(
                    AnswerProblem(code, ProblemKind.required)
                )
        elif isinstance(result, AnswerProblem):
            problems.setdefault(row, []).append(result)
        else:
            answers[row][code] = result
            kept[row] = result
    return kept


def _clean_column(
    results: Sequence[AnswerValue | AnswerProblem | None], required: bool
) -> Sequence[AnswerValue | None] | None:
    """``results`` when no verdict in it is a problem, nor an answer missing
    where one is ``required`` (its few distinct verdicts are looked at); else
    None."""
    distinct = set(results)
    if required and None in distinct:
        return None
    if any(isinstance(verdict, AnswerProblem) for verdict in distinct):
        return None
    return cast(Sequence[AnswerValue | None], results)


def _keep_column(
    code: str,
    results: Sequence[AnswerValue | None],
    visible: Sequence[bool] | None,
    answers: list[dict[str, AnswerValue]],
) -> None:
    """Keep a clean column's answers (``results`` holds no problem) in the rows
    that show its item (``visible``; None: every row)."""
    if visible is None:
        for clean, result in zip(answers, results, strict=True):
            if result is not None:
                clean[code] = result
        return
    for clean, result, seen in zip(answers, results, visible, strict=True):
        if seen and result is not None:
            clean[code] = result


def _visible_only(
    results: Sequence[AnswerValue | None],
    visible: Sequence[bool] | None,
) -> list[AnswerValue | None]:
    """A clean column's answers where its item is shown, None elsewhere."""
    if visible is None:
        return list(results)
    return [
        result if seen else None for result, seen in zip(results, visible, strict=True)
    ]


def _visible_rows(
    item: Item,
    shown: Mapping[str, list[bool] | None],
    cleaned: Mapping[str, list[AnswerValue | None]],
    rows: int,
) -> list[bool] | None:
    """Whether ``item`` is asked in each row (None: in every row), as
    :func:`is_visible` judges it on the clean answers of the items before it."""
    rule = item.show_if
    if rule is None:
        return None
    values = cleaned.get(rule.item)
    if values is None:  # a rule on an item not answered before it: never shown
        return [False] * rows
    wanted = frozenset(rule.values)
    matches: dict[AnswerValue | None, bool] = {}
    for value in set(values):
        matches[value] = not _chosen(value).isdisjoint(wanted)
    target_shown = shown.get(rule.item)
    if target_shown is None:
        return [matches[value] for value in values]
    return [
        seen and matches[value]
        for seen, value in zip(target_shown, values, strict=True)
    ]


def _checked_column(
    item: Item,
    values: Sequence[object] | None,
    rows: int,
    memo: dict[tuple[str, object], AnswerValue | AnswerProblem] | None,
) -> list[AnswerValue | AnswerProblem | None]:
    """:func:`_checked` down one column, each distinct value worked out once."""
    if values is None:
        return [None] * rows
    distinct = _distinct_texts(values)
    if distinct is not None:
        # a file's column: texts and tuples of texts, a few of them
        verdicts = {
            value: None if value is None else _verdict(item, value, memo)
            for value in distinct
        }
        return list(map(verdicts.__getitem__, values))
    known: dict[str, AnswerValue | AnswerProblem | None] = {}
    results: list[AnswerValue | AnswerProblem | None] = []
    add = results.append
    for value in values:
        if value is None:
            add(None)
        elif type(value) is str:
            if value in known:
                add(known[value])
            else:
                add(known.setdefault(value, _verdict(item, value, memo)))
        else:
            add(_verdict(item, value, memo))
    return results


def _distinct_texts(values: Sequence[object]) -> set[object] | None:
    """The distinct values of a column when each is None, a text or a tuple of
    texts; else None (a number is not looked up by value: 1 == True == 1.0, which
    the checks read differently; a list cannot be)."""
    try:
        distinct = set(values)
    except TypeError:  # a list or a mapping (JSON from a device)
        return None
    for value in distinct:
        kind = type(value)
        if kind is tuple:
            if any(type(part) is not str for part in value):  # type: ignore[attr-defined]
                return None
        elif kind is not str and value is not None:
            return None
    return distinct


def _verdict(
    item: Item,
    value: object,
    memo: dict[tuple[str, object], AnswerValue | AnswerProblem] | None,
) -> AnswerValue | AnswerProblem | None:
    """:func:`_checked` of one value, through ``memo`` when there is one."""
    return _checked(item, value) if memo is None else _remembered(item, value, memo)


def _checked(item: Item, value: object) -> AnswerValue | AnswerProblem | None:
    """The stored form of an answer, the problem with it, or None for no answer."""
    if _is_empty(value) or (isinstance(value, str) and not normalize_text(value)):
        return None
    return _clean(item, value)


#: Marks a value known to be no answer, in a memo of :func:`_checked`.
_NO_ANSWER = ""


def _remembered(
    item: Item,
    value: object,
    memo: dict[tuple[str, object], AnswerValue | AnswerProblem],
) -> AnswerValue | AnswerProblem | None:
    """:func:`_checked` of ``value``, worked out once per item and text (values
    of other types are checked each time: 1, 1.0 and True are equal keys)."""
    if isinstance(value, list | tuple) and all(type(v) is str for v in value):
        key: tuple[str, object] = (item.code, tuple(value))
    elif type(value) is str:
        key = (item.code, value)
    else:
        return _checked(item, value)
    result = memo.get(key)
    if result is None:
        result = _checked(item, value)
        memo[key] = _NO_ANSWER if result is None else result
    return None if result == _NO_ANSWER else result


def _required_scope(
    questionnaire: Questionnaire, section_codes: Collection[str] | None
) -> set[str] | None:
    """Item codes whose required answers are enforced (None = all)."""
    if section_codes is None:
        return None
    return {
        item.code
        for section in questionnaire.sections
        if section.code in section_codes
        for item in section.items
    }


def criteria_values(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue]
) -> dict[str, int | None]:
    """Each criterion's answer as 1–5, or None for not applicable or no answer."""
    values: dict[str, int | None] = {}
    get = answers.get
    for item in questionnaire.criteria:
        answer = get(item.code)
        values[item.code] = _level(answer) if answer else None
    return values


def criteria_masks(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue]
) -> tuple[int, int]:
    """(answered, satisfied) masks: bit k set for criterion k answered 1–5 / 4–5."""
    answered = satisfied = 0
    bit = 1
    get = answers.get
    for item in questionnaire.criteria:
        answer = get(item.code)
        level = _level(answer) if answer else None
        if level is not None:
            answered |= bit
            if level >= 4:
                satisfied |= bit
        bit <<= 1
    return answered, satisfied


#: The scale's answers as levels, looked up before anything is worked out.
_LEVELS = {str(level): level for level in range(1, 6)}


def _level(answer: AnswerValue) -> int | None:
    """A criterion's non-empty answer as 1–5; None for not applicable (or a
    tuple, which no scale holds)."""
    if type(answer) is str and answer in _LEVELS:
        return _LEVELS[answer]
    if isinstance(answer, str) and answer != NOT_APPLICABLE_CODE:
        return int(answer)
    return None
