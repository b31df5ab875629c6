"""Response files (CSV/XLSX) read and checked without the database.

Two layouts: the stats CSV of DESIGN §5 with a ``unit`` column (answers as codes),
and the labelled layout of our workbook's sheet of response forms (question wording
in a first header row, codes in a second one, answers as option labels). Headers are
matched by code or by wording, answers by code or by label (Vietnamese or English),
so both layouts go through the same rules. Everything the rows are checked against
(units, the wave, the user's scope) comes in as plain values in :class:`Context`.
"""

from __future__ import annotations

import unicodedata
import uuid as uuid_module
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat, zip_longest
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from sipas.models import Channel
from sipas.questionnaire import (
    AnswerProblem,
    AnswerValue,
    Item,
    ItemType,
    ProblemKind,
    Questionnaire,
    ValidatedAnswers,
    validate_columns,
)
from sipas.services.units.rows import FileError, RowError
from sipas.services.units.rules import clean

#: Columns of the stats CSV and the workbook that are not answers.
RESPONSE_ID, UNIT, CHANNEL, WAVE = "response_id", "unit", "channel", "wave"
#: Accepted and not imported: the wave's design gives weights, strata and PSUs.
IGNORED_COLUMNS = ("stratum", "psu", "weight", "unit_name", "submitted_at")
FIXED_COLUMNS = (RESPONSE_ID, UNIT, CHANNEL, WAVE, *IGNORED_COLUMNS)
#: Columns a derived response id does not depend on: the id itself, the round
#: (the id's name holds it) and what the import ignores.
UNCOUNTED_COLUMNS = frozenset((RESPONSE_ID, WAVE, *IGNORED_COLUMNS))
#: Multi-choice codes or labels are joined with this in one cell.
MULTI_SEPARATOR = ";"
#: A cell whose text has no entry in its column's memo yet.
_UNSEEN = object()
#: Rows checked between two reports of progress (a job's page shows them).
PROGRESS_ROWS = 1000
#: Records a problem of the row being checked: (column, reason).
Fail = Callable[[str, str], None]
#: Namespace of the response ids made for rows without one.
ROW_NAMESPACE = uuid_module.uuid5(uuid_module.NAMESPACE_URL, "sipas:response-import")


def fold(text: str) -> str:
    """Text compared without regard to case, spacing or Unicode form."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True)
class Vocabulary:
    """What headers and cells may say, worked out once per questionnaire.

    :param headings: folded heading (code, column name, wording) → column.
    :param options: item code → folded code or label → option code.
    :param channels: folded code or label → channel.
    """

    questionnaire: Questionnaire
    headings: Mapping[str, str]
    options: Mapping[str, Mapping[str, str]]
    channels: Mapping[str, Channel]


def vocabulary(
    questionnaire: Questionnaire,
    column_titles: Mapping[str, Sequence[str]],
    channel_titles: Mapping[Channel, Sequence[str]],
) -> Vocabulary:
    """The vocabulary of ``questionnaire``, with the fixed columns' and channels'
    translated titles (the workbook's headings) as further names."""
    headings: dict[str, str] = {}
    for column in FIXED_COLUMNS:
        for title in column_titles.get(column, ()):
            headings.setdefault(fold(title), column)
    for item in questionnaire.items:
        for text in item.label.values():
            headings[fold(text)] = item.code
    for name in (*FIXED_COLUMNS, *(item.code for item in questionnaire.items)):
        headings[fold(name)] = name
    options = {item.code: _option_names(item) for item in questionnaire.items}
    channels = {fold(channel.value): channel for channel in Channel}
    for channel, titles in channel_titles.items():
        for title in titles:
            channels.setdefault(fold(title), channel)
    return Vocabulary(questionnaire, headings, options, channels)


def _option_names(item: Item) -> dict[str, str]:
    """Folded labels, then codes (a code wins over another option's label)."""
    names: dict[str, str] = {}
    for choice in item.choices:
        for label in choice.label.values():
            names[fold(label)] = choice.code
    for choice in item.choices:
        names[fold(choice.code)] = choice.code
    return names


@dataclass(frozen=True)
class Layout:
    """Where the header is and what each column holds (None: unknown column)."""

    header_row: int
    headings: tuple[str, ...]
    columns: tuple[str | None, ...]
    #: True when the header names questions by their wording (labelled layout).
    labelled: bool


def find_layout(
    records: Sequence[tuple[int, tuple[object, ...]]], words: Vocabulary
) -> tuple[Layout, list[RowError]]:
    """The header (the first row, or the second under a row of wording) and a
    problem for each column that is neither a question nor a known column."""
    if not records:
        raise FileError(_l("The file is empty."))
    first = _header(records[0], words)
    header = first
    if len(records) > 1:
        second = _header(records[1], words)
        by_code = all(
            c is not None and fold(h) == fold(c)
            for h, c in zip(second.headings, second.columns, strict=True)
            if h
        )
        if by_code and UNIT in second.columns:
            header = Layout(second.header_row, second.headings, second.columns, True)
    if UNIT not in header.columns:
        raise FileError(
            _l("The file needs a column %(column)s with the unit codes.", column=UNIT)
        )
    errors = [
        RowError(
            header.header_row,
            heading,
            _l("Unknown column: not a question code or a column of the stats file."),
        )
        for heading, column in zip(header.headings, header.columns, strict=True)
        if heading and column is None
    ]
    # said once for the header, not once for every row
    errors += [
        RowError(
            header.header_row,
            code,
            _l("The file has no column for this question, which must be answered."),
        )
        for code in missing_required(words.questionnaire, header.columns)
    ]
    seen: dict[str, str] = {}
    for heading, column in zip(header.headings, header.columns, strict=True):
        if column is None:
            continue
        if column in seen:
            errors.append(
                RowError(
                    header.header_row,
                    heading,
                    _l("This column repeats the column %(other)s.", other=seen[column]),
                )
            )
        seen[column] = heading
    return header, errors


def _header(record: tuple[int, tuple[object, ...]], words: Vocabulary) -> Layout:
    number, cells = record
    headings = tuple(clean(cell) for cell in cells)
    columns = tuple(words.headings.get(fold(h)) if h else None for h in headings)
    labelled = any(
        c is not None and fold(h) != fold(c)
        for h, c in zip(headings, columns, strict=True)
    )
    return Layout(number, headings, columns, labelled)


@dataclass(frozen=True)
class Context:
    """What rows are checked against, loaded once by the caller.

    :param units: unit code → unit id, for every stored unit.
    :param wave_unit_ids: ids of the units taking part in the wave.
    :param allowed_unit_ids: units the importing user may enter data for (None: all).
    """

    wave_code: str
    units: Mapping[str, int]
    wave_unit_ids: frozenset[int]
    allowed_unit_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class ParsedRow:
    """One checked row, ready to store (what is made from its answers to store
    them, its criteria masks and packed choices, is made as it is stored: a
    check that stores nothing needs none of it)."""

    row: int
    uuid: uuid_module.UUID
    unit_id: int
    #: The channel the file states: checked, never stored (an import is stored
    #: with channel ``import``).
    channel: Channel
    answers: Mapping[str, AnswerValue]
    #: True when the file gave the response_id (not derived from the row).
    id_given: bool = False
    #: A derived id as it was made before 6 December 2026 (from every cell in the
    #: file's order): a row stored then under it counts as imported before.
    former_uuid: uuid_module.UUID | None = None


@dataclass
class Plan:
    """The rows that may be stored and every problem found, in file order."""

    layout: Layout
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: Rows with at least one problem.
    bad_rows: int = 0

    @property
    def header_broken(self) -> bool:
        """True when the header itself is wrong: then no row may be imported."""
        return any(error.row == self.layout.header_row for error in self.errors)


def plan_rows(
    records: Sequence[tuple[int, tuple[object, ...]]],
    words: Vocabulary,
    context: Context,
    progress: Callable[[int, int], None] | None = None,
) -> Plan:
    """Check every row of a file (its header included) without the database;
    ``progress`` is told (rows checked, rows in all) every PROGRESS_ROWS rows."""
    layout, header_errors = find_layout(records, words)
    plan = Plan(layout=layout, errors=header_errors)
    checker = _RowChecker(layout, words, context)
    start = next(i for i, (n, _c) in enumerate(records) if n == layout.header_row)
    body = records[start + 1 :]
    total = len(body)
    for first in range(0, total, PROGRESS_ROWS):
        if progress is not None:
            progress(first, total)
        for row, errors in checker.check_rows(body[first : first + PROGRESS_ROWS]):
            if errors:
                plan.errors.extend(errors)
                plan.bad_rows += 1
            elif row is not None:
                plan.rows.append(row)
    if progress is not None:
        progress(total, total)
    return plan


def missing_required(
    questionnaire: Questionnaire, columns: Sequence[str | None]
) -> list[str]:
    """The questions every response must answer (required, never skipped) that
    have no column among ``columns``."""
    present = set(columns)
    return [
        item.code
        for item in questionnaire.items
        if item.required and item.show_if is None and item.code not in present
    ]


class _Fixed(NamedTuple):
    """A row's columns other than answers, checked: its problems so far, and its
    id, unit and channel (None when wrong)."""

    number: int
    errors: list[RowError]
    #: True when the file gives the response_id (not derived from the row)
    given: bool
    uuid: uuid_module.UUID | None
    unit_id: int | None
    channel: Channel | None
    #: the id derived as before 6 December 2026 (None when the file gives one)
    former_uuid: uuid_module.UUID | None = None


class _RowChecker:
    """Checks rows a chunk at a time: the fixed columns row by row, remembering
    the ids seen so far, and the answers question by question down the chunk."""

    def __init__(self, layout: Layout, words: Vocabulary, context: Context) -> None:
        self.layout, self.words, self.context = layout, words, context
        self.questionnaire = words.questionnaire
        self.positions = {
            column: i for i, column in enumerate(layout.columns) if column is not None
        }
        self.heading = {
            column: layout.headings[i] for column, i in self.positions.items()
        }
        self.items = [
            (i, self.questionnaire.item(c))
            for c, i in self.positions.items()
            if self.questionnaire.has_item(c)
        ]
        #: the items of the file a skip rule may hide, in the file's order
        self.skippable = [item for _i, item in self.items if item.show_if is not None]
        #: required questions without a column: said once, for the header
        self.missing = frozenset(missing_required(self.questionnaire, layout.columns))
        self.seen_ids: dict[uuid_module.UUID, int] = {}
        self.occurrences: dict[tuple[str, ...], int] = {}
        self.former_occurrences: dict[tuple[str, ...], int] = {}
        # a column holds a few distinct values: each is read and checked once
        self.texts_memo: dict[str, dict[object, object]] = {
            item.code: {} for _i, item in self.items
        }
        self.codes_memo: dict[tuple[str, type, object], object] = {}
        self.validation_memo: dict = {}
        #: unit code → its unit id, or the problem with it
        self.units_memo: dict[str, tuple[int | None, str | None]] = {}
        #: channel text → the channel it names (None: none)
        self.channels_memo: dict[str, Channel | None] = {}

    def cell(self, cells: tuple[object, ...], column: str) -> str:
        position = self.positions.get(column)
        if position is None or position >= len(cells):
            return ""
        return clean(cells[position])

    def check_rows(
        self, records: Sequence[tuple[int, tuple[object, ...]]]
    ) -> list[tuple[ParsedRow | None, list[RowError]]]:
        """Each row of ``records`` checked: the row to store (None when it may
        not be) and its problems, in the order of its columns' checks."""
        fixed = [self._fixed(number, cells) for number, cells in records]
        answers, answer_errors = self._answers(records)
        checked: list[tuple[ParsedRow | None, list[RowError]]] = []
        for row, row_answers, more in zip(fixed, answers, answer_errors, strict=True):
            errors = row.errors
            errors.extend(RowError(row.number, *problem) for problem in more)
            if errors or row.uuid is None or row.unit_id is None or row.channel is None:
                checked.append((None, errors))
                continue
            parsed = ParsedRow(
                row.number,
                row.uuid,
                row.unit_id,
                row.channel,
                row_answers,
                row.given,
                row.former_uuid,
            )
            checked.append((parsed, errors))
        return checked

    def _fixed(self, number: int, cells: tuple[object, ...]) -> _Fixed:
        """The row's columns other than answers, checked."""
        errors: list[RowError] = []

        def fail(column: str, message: str) -> None:
            errors.append(RowError(number, self.heading.get(column, column), message))

        response_uuid = self._uuid(number, cells, fail)
        unit_id = self._unit(cells, fail)
        channel = self._channel(cells, fail)
        wave = self.cell(cells, WAVE)
        if wave and wave != self.context.wave_code:
            fail(
                WAVE,
                _l(
                    "This row belongs to survey round %(code)s, not %(target)s.",
                    code=wave,
                    target=self.context.wave_code,
                ),
            )
        self._beyond_header(cells, errors, number)
        given = bool(self.cell(cells, RESPONSE_ID))
        former = None if given else self._former_uuid(cells)
        return _Fixed(number, errors, given, response_uuid, unit_id, channel, former)

    def _beyond_header(
        self, cells: tuple[object, ...], errors: list[RowError], number: int
    ) -> None:
        """A problem for the first filled cell past the header's last column: a
        comma left unquoted in a comment, say, which moves every cell after it."""
        width = len(self.layout.columns)
        for position in range(width, len(cells)):
            if clean(cells[position]):
                message = _l(
                    "This row has more cells than the header has columns: its "
                    "cells may have moved (a comma in a text not in quotes?)."
                )
                errors.append(RowError(number, str(position + 1), message))
                return

    def _uuid(
        self, number: int, cells: tuple[object, ...], fail: Fail
    ) -> uuid_module.UUID | None:
        text = self.cell(cells, RESPONSE_ID)
        if text:
            try:
                value = uuid_module.UUID(text)
            except ValueError:
                fail(
                    RESPONSE_ID,
                    _l(
                        "The response_id must be a UUID such as "
                        "0f8fad5b-d9cb-469f-a165-70867728950e."
                    ),
                )
                return None
        else:
            value = self._derived_uuid(cells)
        first = self.seen_ids.setdefault(value, number)
        if first != number:
            fail(
                RESPONSE_ID,
                _l("The response_id is already on row %(row)s.", row=first),
            )
            return None
        return value

    def _derived_uuid(self, cells: tuple[object, ...]) -> uuid_module.UUID:
        """A stable id from the row's content: the same responses give the same ids
        whatever the order of the columns and whatever the columns the import
        ignores (a file saved again from a spreadsheet), and identical rows (two
        respondents answering alike) still differ."""
        content = tuple(
            f"{column}={clean(cells[i]) if i < len(cells) else ''}"
            for column, i in sorted(self.positions.items())
            if column not in UNCOUNTED_COLUMNS
        )
        occurrence = self.occurrences.get(content, 0)
        self.occurrences[content] = occurrence + 1
        name = "\x1f".join((self.context.wave_code, *content, str(occurrence)))
        return uuid_module.uuid5(ROW_NAMESPACE, name)

    def _former_uuid(self, cells: tuple[object, ...]) -> uuid_module.UUID:
        """The id derived as before 6 December 2026: every cell in the file's
        order, so that a file imported then is recognised again."""
        content = tuple(clean(cell) for cell in cells)
        occurrence = self.former_occurrences.get(content, 0)
        self.former_occurrences[content] = occurrence + 1
        name = "\x1f".join((self.context.wave_code, *content, str(occurrence)))
        return uuid_module.uuid5(ROW_NAMESPACE, name)

    def _unit(self, cells: tuple[object, ...], fail: Fail) -> int | None:
        code = self.cell(cells, UNIT)
        found = self.units_memo.get(code)
        if found is None:
            found = self.units_memo[code] = self._unit_verdict(code)
        unit_id, problem = found
        if problem is not None:
            fail(UNIT, problem)
        return unit_id

    def _unit_verdict(self, code: str) -> tuple[int | None, str | None]:
        """The unit of ``code`` (a file names a few, each looked at once), or the
        problem with it."""
        unit_id = self.context.units.get(code)
        if not code:
            return None, _l("Enter the unit code.")
        if unit_id is None:
            return None, _l("No unit has the code %(code)s.", code=code)
        if unit_id not in self.context.wave_unit_ids:
            return None, _l(
                "The unit %(code)s does not take part in this survey round.",
                code=code,
            )
        if (
            self.context.allowed_unit_ids is not None
            and unit_id not in self.context.allowed_unit_ids
        ):
            return None, _l(
                "The unit %(code)s is outside the units you work for.", code=code
            )
        return unit_id, None

    def _channel(self, cells: tuple[object, ...], fail: Fail) -> Channel | None:
        text = self.cell(cells, CHANNEL)
        if not text:
            return Channel.paper
        if text not in self.channels_memo:
            self.channels_memo[text] = self.words.channels.get(fold(text))
        channel = self.channels_memo[text]
        if channel is None:
            fail(
                CHANNEL,
                _l("Unknown channel: use web, kiosk, paper or interview."),
            )
        return channel

    def _answers(
        self, records: Sequence[tuple[int, tuple[object, ...]]]
    ) -> tuple[list[Mapping[str, AnswerValue]], list[list[tuple[str, str]]]]:
        """Each row's answers that may be stored and its problems as (heading,
        reason), the questions checked down their columns."""
        # the cells a column at a time, made once (a short row's missing cell
        # reads as an empty one)
        table = list(zip_longest(*(cells for _, cells in records), fillvalue=""))
        empty = ("",) * len(records)
        columns = {
            item.code: self._column(
                item, table[position] if position < len(table) else empty
            )
            for position, item in self.items
        }
        validated = validate_columns(
            self.questionnaire, columns, len(records), memo=self.validation_memo
        )
        answers: list[Mapping[str, AnswerValue]] = []
        problems: list[list[tuple[str, str]]] = []
        for row, verdict in enumerate(validated):
            found = [
                (
                    self.heading.get(p.item_code, p.item_code),
                    self._message(p, columns, row),
                )
                for p in verdict.problems
                if p.item_code not in self.missing
            ]
            if self.skippable:
                self._skipped(verdict, columns, row, found)
            answers.append(verdict.answers)
            problems.append(found)
        return answers, problems

    def _column(self, item: Item, cells: Sequence[object]) -> list[object]:
        """One question's ``cells`` as option codes (None: empty).

        Each text is looked up in the question's memo in one pass over the column
        (a file repeats a few texts per column); only texts not seen yet, and
        cells of other types, are worked out one by one."""
        texts = self.texts_memo[item.code]
        column = list(map(texts.get, cells, repeat(_UNSEEN, len(cells))))
        if _UNSEEN not in column:
            return column
        for k, cell in enumerate(cells):
            if column[k] is not _UNSEEN:
                continue
            if type(cell) is str:
                codes = texts[cell] = self._cell_codes(item, cell)
            else:
                # the type too: clean() reads True and 1 differently
                key = (item.code, type(cell), cell)
                codes = self.codes_memo.get(key, _UNSEEN)
                if codes is _UNSEEN:
                    codes = self.codes_memo[key] = self._cell_codes(item, cell)
            column[k] = codes
        return column

    def _cell_codes(self, item: Item, cell: object) -> object:
        """A cell's codes (None for an empty cell)."""
        value = clean(cell)
        return self._codes(item, value) if value else None

    def _skipped(
        self,
        verdict: ValidatedAnswers,
        columns: Mapping[str, list[object]],
        row: int,
        found: list[tuple[str, str]],
    ) -> None:
        """Add a problem for each answer in ``row`` to a question its skip rule
        hides (unless the rule's own question is wrong)."""
        broken: set[str] | None = None  # the questions found wrong, once needed
        for item in self.skippable:
            code = item.code
            if columns[code][row] is None or code in verdict.answers:
                continue
            if broken is None:
                broken = {p.item_code for p in verdict.problems}
            rule = item.show_if
            if code not in broken and rule is not None and rule.item not in broken:
                broken.add(code)
                message = _l(
                    "This question is skipped by the answer to %(item)s, so it "
                    "must stay empty.",
                    item=self.heading.get(rule.item, rule.item),
                )
                found.append((self.heading.get(code, code), message))

    def _codes(self, item: Item, value: str) -> object:
        """A cell's codes or labels as option codes (unknown text kept as is)."""
        names = self.words.options[item.code]
        if not names:
            return value
        if item.type is ItemType.multi_choice:
            parts = [p.strip() for p in value.split(MULTI_SEPARATOR) if p.strip()]
            return tuple(names.get(fold(p), p) for p in parts)
        return names.get(value) or names.get(fold(value), value)

    def _message(
        self, problem: AnswerProblem, columns: Mapping[str, list[object]], row: int
    ) -> str:
        item = self.questionnaire.item(problem.item_code)
        kind = problem.kind
        if kind is ProblemKind.required:
            return _l("This question must be answered.")
        if kind is ProblemKind.too_many_choices:
            return _l("At most %(n)s options may be chosen.", n=problem.limit)
        if kind is ProblemKind.too_long:
            return _l("At most %(n)s characters.", n=problem.limit)
        if kind is ProblemKind.not_a_number:
            return _l("Write a whole number.")
        if kind is ProblemKind.out_of_range:
            return _l("The number is outside the allowed range.")
        if item.type is ItemType.scale:
            return _l("A scale answer is 1 to 5, 9 (not applicable) or empty.")
        value = columns[item.code][row]
        shown = (
            MULTI_SEPARATOR.join(value)
            if isinstance(value, list | tuple)
            else str(value)
        )
        return _l(
            "“%(value)s” is not one of the options: %(options)s.",
            value=shown,
            options=", ".join(item.choice_codes),
        )
