"""A wave's results as an Excel workbook: every counted response with its answers
as option labels, and the tables of the dashboard as numbers Excel computes with."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from sipas.files import FileChunks
from sipas.i18n import format_number
from sipas.models import Wave
from sipas.questionnaire import Item, ItemType, Questionnaire
from sipas.reports.figures import change_rows, comparison_text
from sipas.reports.wave_results import OVERALL, ShareTable, WaveResults
from sipas.services.results.answers import MULTI_SEPARATOR
from sipas.services.results.exports import (
    Progress,
    count_counted,
    counted_batches,
)
from sipas.services.waves.design import unit_designs
from sipas.spreadsheets import SHEET_ROWS, StreamedWorkbook
from sipas.stats.indices import IndexResult, Indices

#: What a cell of these sheets holds.
CellValue = str | float | datetime | None

PERCENT = "0.00%"
#: Responses from which a workbook may pass 4 GB before compression (about 4 kB a
#: response in the sheet's XML: 1M responses were refused without ZIP64).
LARGE_FROM = 200_000
#: Multi-choice labels are joined with this in one cell.
LABEL_SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    """A column of a table sheet: its heading, width and whether it is a share."""

    heading: str
    width: float = 14
    is_percent: bool = False


def results_workbook(
    results: WaveResults,
    unit_ids: Collection[int] | None,
    channel_labels: dict[str, str],
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The workbook as chunks of bytes: responses first, then the dashboard's
    tables; ``progress`` hears ``(responses done, responses total)`` after each
    batch. The file is made whole before the first chunk is returned, in a
    temporary file: a million responses make 240 MB, never held in memory."""
    target = tempfile.TemporaryFile(prefix="sipas-workbook-")
    try:
        workbook = StreamedWorkbook(target)
        _responses_sheets(workbook, results, unit_ids, channel_labels, progress)
        for title, columns, rows in _tables(results):
            _table_sheet(workbook, title, columns, rows)
        workbook.close()
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return FileChunks(target)


def _labeller(item: Item, language: str) -> Callable[[str], CellValue]:
    """A function turning a stored answer of ``item`` into what the sheet shows."""
    if item.type is ItemType.number:
        return lambda value: int(value) if value.lstrip("-").isdigit() else value
    if not item.choices:
        return lambda value: value
    labels = {c.code: c.label.get_text(language) for c in item.choices}
    if item.type is ItemType.multi_choice:
        return lambda value: LABEL_SEPARATOR.join(
            labels.get(code, code) for code in value.split(MULTI_SEPARATOR)
        )
    return lambda value: labels.get(value, value)


def _responses_sheets(
    workbook: StreamedWorkbook,
    results: WaveResults,
    unit_ids: Collection[int] | None,
    channel_labels: dict[str, str],
    progress: Progress | None = None,
) -> None:
    """One row per counted response: wording in the first header row, codes in the
    second, answers as option labels; more responses than a sheet holds continue on
    further sheets, as the first one says."""
    wave, questionnaire, language = (
        results.wave,
        results.questionnaire,
        results.language,
    )
    items = list(questionnaire.items)
    fixed = [
        (_("Response"), "response_id", 38),
        (_("Unit code"), "unit", 16),
        (_("Unit"), "unit_name", 30),
        (_("Channel"), "channel", 16),
        (_("Submitted at"), "submitted_at", 20),
        (_("Weight"), "weight", 12),
    ]
    widths = [w for _h, _c, w in fixed] + [
        24 if item.type in (ItemType.text, ItemType.multi_choice) else 18
        for item in items
    ]
    headings = [h for h, _c, _w in fixed] + [i.label.get_text(language) for i in items]
    codes = [c for _h, c, _w in fixed] + [i.code for i in items]
    # a response's own UUID, time and free text are written in their cells; the
    # rest repeats from row to row and goes to the shared strings
    repeated = [False, True, True, True, False, True] + [
        item.type is not ItemType.text for item in items
    ]
    title = _("Response forms")
    per_sheet = SHEET_ROWS - 3  # two heading rows, and a note on the first sheet
    total = count_counted(wave, unit_ids)
    if total >= LARGE_FROM:
        workbook.allow_large()
    n_sheets = max(1, -(-total // per_sheet))
    sheet, written = None, 0
    for columns in _response_columns(
        wave, questionnaire, unit_ids, channel_labels, language, progress
    ):
        start, count = 0, len(columns[0])
        while start < count:
            if written % per_sheet == 0:
                part = written // per_sheet + 1
                sheet = workbook.sheet(title if part == 1 else f"{title} ({part})")
                sheet.widths(widths)
                if n_sheets > 1:
                    sheet.write_row([_sheet_note(title, part, n_sheets, total)])
                sheet.heading(headings)
                sheet.heading(codes)
                sheet.freeze(sheet.rows, 1)
            assert sheet is not None  # noqa: S101  (made at the first response)
            room = min(count - start, per_sheet - written % per_sheet)
            sheet.write_columns(
                [column[start : start + room] for column in columns], repeated
            )
            start += room
            written += room
    if sheet is None:  # no responses: the headings alone
        sheet = workbook.sheet(title)
        sheet.widths(widths)
        sheet.heading(headings)
        sheet.heading(codes)
        sheet.freeze(2, 1)


def _sheet_note(title: str, part: int, parts: int, total: int) -> str:
    """What a sheet of responses holds when they take several sheets."""
    return _(
        "%(total)s responses, more than one sheet can hold: this sheet is part "
        "%(part)d of %(parts)d; the parts are the sheets “%(title)s”, “%(title)s "
        "(2)” and so on.",
        total=format_number(total),
        part=part,
        parts=parts,
        title=title,
    )


def _response_columns(
    wave: Wave,
    questionnaire: Questionnaire,
    unit_ids,
    channel_labels,
    language,
    progress: Progress | None = None,
) -> Iterator[list[list[CellValue]]]:
    """Each batch of counted responses as the columns of its rows: the response,
    its unit, channel, time and weight, then an answer per question (None where
    not answered)."""
    designs = unit_designs(wave)
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    labellers = [(i.code, _labeller(i, language)) for i in questionnaire.items]
    for responses, answers in counted_batches(wave, unit_ids, progress):
        units = [designs[response.unit_id] for response in responses]
        yield [
            [response.uuid for response in responses],
            [design.unit.code for design in units],
            [design.unit.name for design in units],
            [
                channel_labels.get(str(response.channel), str(response.channel))
                for response in responses
            ],
            [_local_time(response.submitted_at, zone) for response in responses],
            [design.weight for design in units],
            *[_shown(answers.column(code), label) for code, label in labellers],
        ]


def _shown(answers: list[str | None], label: Callable[[str], CellValue]):
    """A column of answers as the sheet shows them, each distinct answer
    labelled once."""
    shown = {
        answer: None if answer is None else label(answer) for answer in set(answers)
    }
    return [shown[answer] for answer in answers]


def _local_time(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored UTC time as the local wall-clock time Excel shows (no zone)."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).replace(tzinfo=None)


def _table_sheet(
    workbook: StreamedWorkbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[CellValue]],
) -> None:
    """A sheet with one bold, frozen header row; share columns as percentages."""
    sheet = workbook.sheet(title)
    sheet.widths(c.width for c in columns)
    sheet.freeze(1)
    sheet.heading(c.heading for c in columns)
    percent = workbook.number_format(PERCENT)
    formats = [percent if c.is_percent else None for c in columns]
    for row in rows:
        sheet.write_row(row, formats)


def _number(value: float | None) -> float | None:
    return value if value is not None and value == value else None  # NaN → empty


def _figures(result: IndexResult, small: bool) -> list[CellValue]:
    """n, index, lower, upper and the small-n mark of one estimate."""
    return [
        result.estimate.n,
        _number(result.estimate.value),
        _number(result.interval.lower),
        _number(result.interval.upper),
        _("yes") if small else "",
    ]


def _figure_columns() -> list[Column]:
    return [
        Column("n", 10),
        Column(_("Index"), 12, True),
        Column(_("Lower bound"), 14, True),
        Column(_("Upper bound"), 14, True),
        Column(_("Too few responses"), 16),
    ]


def _tables(results: WaveResults):
    """(sheet title, columns, rows) of each dashboard table."""
    yield _summary(results)
    yield _criteria(results)
    if results.ranking:
        yield _ranking(results)
    if results.breakdowns:
        yield _breakdowns(results)
    if results.perceptions:
        yield _shares(_("Perceptions"), results.perceptions)
    if results.expectations:
        yield _shares(_("Expectations"), results.expectations)
    if results.changes:
        yield _changes(results)
    if results.tree:  # last: the sheets before it keep their places
        yield _tree(results)


def _summary(results: WaveResults):
    small = results.thresholds.is_small
    indices = results.indices
    rows = [
        [OVERALL, _("SIPAS index"), *_figures(indices.overall, small(indices.overall))]
    ]
    rows += [
        [r.code, results.factor_name(r.code), *_figures(r, small(r))]
        for r in indices.factors
    ]
    columns = [Column(_("Code"), 10), Column(_("Index name"), 44), *_figure_columns()]
    return _("Summary"), columns, rows


def _tree(results: WaveResults):
    """Every node of the index tree: where it sits and its figures (as in JSON)."""
    labels = {row.code: results.node_label(row) for row in results.tree}
    labels[results.questionnaire.index_tree.code] = _("SIPAS index")
    rows = [
        [
            row.code,
            labels[row.code],
            row.depth,
            row.parent or "",
            _number(row.result.estimate.value),
            _number(row.result.estimate.se),
            row.result.estimate.df,
            _number(row.result.estimate.deff),
            _number(row.result.interval.lower),
            _number(row.result.interval.upper),
        ]
        for row in results.tree
    ]
    columns = [
        Column(_("Code"), 10),
        Column(_("Index name"), 50),
        Column(_("Level"), 8),
        Column(_("Parent index"), 12),
        Column(_("Index"), 12, True),
        Column(_("Standard error"), 14, True),
        Column("df", 8),
        Column(_("Design effect"), 12),
        Column(_("Lower bound"), 14, True),
        Column(_("Upper bound"), 14, True),
    ]
    return _("Indices"), columns, rows


def _criteria(results: WaveResults):
    small = results.thresholds.is_small
    rows = [
        [r.code, results.criterion_label(r.code), r.factor, *_figures(r, small(r))]
        for r in results.criteria_weakest_first
    ]
    columns = [
        Column(_("Code"), 10),
        Column(_("Criterion"), 70),
        Column(_("Factor"), 10),
        *_figure_columns(),
    ]
    return _("Criteria"), columns, rows


def _ranking(results: WaveResults):
    small = results.thresholds.is_small
    names = {r.unit.code: r.unit.name for r in results.ranking}
    rows = [
        [
            r.rank,
            r.unit.code,
            r.unit.name,
            *_figures(r.overall, small(r.overall)),
            comparison_text(r, names),
            ", ".join(r.indistinguishable),
            ", ".join(r.untestable),
        ]
        for r in results.ranking
    ]
    columns = [
        Column(_("Rank"), 8),
        Column(_("Unit code"), 16),
        Column(_("Unit"), 36),
        *_figure_columns(),
        Column(_("Comparison with the other units"), 60),
        Column(_("Not distinguishable from"), 30),
        Column(_("Cannot be compared under this design with"), 30),
    ]
    return _("Ranking"), columns, rows


def _group_figures(indices: Indices, small) -> list[CellValue]:
    return [
        *_figures(indices.overall, small(indices.overall)),
        *[_number(f.estimate.value) for f in indices.factors],
    ]


def _breakdowns(results: WaveResults):
    small = results.thresholds.is_small
    rows = [
        [breakdown.title, row.label, *_group_figures(row.indices, small)]
        for breakdown in results.breakdowns
        for row in breakdown.rows
    ]
    factors = [Column(f.code, 10, True) for f in results.questionnaire.factors]
    columns = [
        Column(_("Variable"), 30),
        Column(_("Group"), 30),
        *_figure_columns(),
        *factors,
    ]
    return _("Breakdowns"), columns, rows


def _shares(title: str, tables: Sequence[ShareTable]):
    rows = [
        [
            table.title,
            table.labels.get(share.option, share.option),
            share.estimate.n,
            _number(share.estimate.value),
            _number(share.interval.lower),
            _number(share.interval.upper),
        ]
        for table in tables
        for share in table.shares
    ]
    columns = [
        Column(_("Question"), 50),
        Column(_("Answer"), 50),
        Column("n", 10),
        Column(_("Share"), 12, True),
        Column(_("Lower bound"), 14, True),
        Column(_("Upper bound"), 14, True),
    ]
    return title, columns, rows


def _changes(results: WaveResults):
    rows = [
        [
            row.change.code,
            row.label,
            _number(row.change.current.estimate.value),
            _number(row.change.previous.estimate.value),
            _number(row.change.difference.value),
            _number(row.change.difference.lower),
            _number(row.change.difference.upper),
            _number(row.change.difference.p_value),
            _("yes") if row.change.difference.is_significant else _("no"),
        ]
        for row in change_rows(results)
    ]
    columns = [
        Column(_("Code"), 10),
        Column(_("Index name"), 60),
        Column(_("Now"), 12, True),
        Column(_("Before"), 12, True),
        Column(_("Change"), 12, True),
        Column(_("Lower bound"), 14, True),
        Column(_("Upper bound"), 14, True),
        Column("p", 10),
        Column(_("Significant"), 12),
    ]
    return _("Change"), columns, rows
