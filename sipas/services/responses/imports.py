"""Response files: check the whole file, then store all rows, the valid rows only,
or nothing; idempotent on ``response_id`` (the response's UUID)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from sipas.ahead import MadeAhead
from sipas.collector import cycles_collected_after
from sipas.extensions import db
from sipas.i18n import format_number
from sipas.labels import CHANNEL_LABELS
from sipas.models import (
    Channel,
    Response,
    ResponseStatus,
    Unit,
    User,
    Wave,
    WaveStatus,
)
from sipas.models.base import utcnow
from sipas.questionnaire import ItemType, criteria_masks
from sipas.questionnaire.choices import choice_layout, pack_many
from sipas.questionnaire.quality import Verdict
from sipas.services.audit import record_event
from sipas.services.questionnaires import parsed
from sipas.services.responses import batches, bulk, quality
from sipas.services.responses.rows import (
    Context,
    ParsedRow,
    Vocabulary,
    plan_rows,
    vocabulary,
)
from sipas.services.units.rows import FileError, RowError, read_records
from sipas.services.units.tree import visible_unit_ids
from sipas.services.waves.lookup import visible_waves, wave_units
from sipas.workbook_reader import MAX_ROWS, declared_rows

log = logging.getLogger(__name__)

#: Told (rows checked, rows in all) as a check goes on.
RowsChecked = Callable[[int, int], None]

#: Largest file accepted for an import (about 150 000 rows of the stats CSV).
MAX_IMPORT_BYTES = 50 * 1024 * 1024

#: Paper forms' response ids are made from wave and serial (uuid5), so anyone can
#: work out those of forms not entered yet; client ids are random (version 4).
PAPER_ID_VERSION = 5
PAPER_ID_REFUSED = _l(
    "This response_id has the form of a paper form's id: paper forms are typed in "
    "on the paper entry screen, never imported. Leave the cell empty."
)

#: The workbook's headings of the columns that are not answers (see workbook.py).
COLUMN_TITLES = {
    "response_id": _l("Response"),
    "unit": _l("Unit code"),
    "unit_name": _l("Unit"),
    "channel": _l("Channel"),
    "submitted_at": _l("Submitted at"),
    "weight": _l("Weight"),
}


@dataclass(frozen=True)
class ImportReport:
    """What an import found and did."""

    #: Rows of answers in the file.
    rows: int = 0
    #: Rows stored by this import.
    imported: int = 0
    #: Valid rows whose response_id was stored before (by an earlier import).
    already: int = 0
    #: Rows with at least one problem.
    bad_rows: int = 0
    errors: tuple[RowError, ...] = ()
    #: Why the file could not be read at all.
    file_error: str | None = None
    #: Rows that would be stored if the valid rows only were imported.
    valid: int = 0
    #: True when the stored rows wait for an administrator's acceptance.
    waiting: bool = False
    #: The import batch holding the stored rows (None: nothing stored).
    batch_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.file_error is None


def import_file(
    wave: Wave,
    filename: str,
    data: bytes,
    user: User | None,
    *,
    valid_only: bool = False,
    progress: RowsChecked | None = None,
) -> ImportReport:
    """Check a CSV/XLSX file of responses for ``wave`` and store its rows.

    Nothing is stored while any row is wrong, unless ``valid_only``: then the
    rows without problems are (never when the header itself is wrong). Rows whose
    response_id is already stored count as already imported. Surveyors may only
    import rows of units within their scope. ``progress`` hears how far the
    check is. The caller commits.
    """
    checked = check_file(wave, filename, data, user, progress)
    return store_checked_file(wave, filename, data, user, checked, valid_only)


@dataclass(frozen=True)
class Checked:
    """A file checked against the database, nothing stored yet: the report so
    far and the rows that are new."""

    report: ImportReport
    fresh: list[ParsedRow]
    header_broken: bool = False


def check_file(
    wave: Wave,
    filename: str,
    data: bytes,
    user: User | None,
    progress: RowsChecked | None = None,
) -> Checked:
    """Read and check a file of responses for ``wave``; stores nothing (reads
    only). ``progress`` is told (rows checked, rows in all) as the check goes."""
    if wave.status is not WaveStatus.open:
        return _refused(_l("Answers can only be added to an open survey round."))
    if len(data) > MAX_IMPORT_BYTES:
        return _refused(_l("The file is larger than 50 MB."))
    try:
        # the cells are dropped once checked: the rows keep only their answers
        with cycles_collected_after():
            plan = plan_rows(
                read_records(filename, data),
                _vocabulary(wave),
                _context(wave, user),
                progress,
            )
    except FileError as error:
        return _refused(error.args[0])
    if not plan.rows and not plan.bad_rows and not plan.header_broken:
        return _refused(_l("The file has no data rows."))
    errors = list(plan.errors)
    fresh, already, elsewhere = _split_stored(wave, plan.rows)
    errors.extend(elsewhere)
    errors.sort(key=lambda error: error.row)
    report = ImportReport(
        rows=len(plan.rows) + plan.bad_rows,
        already=len(already),
        bad_rows=plan.bad_rows + len(elsewhere),
        errors=tuple(errors),
        valid=0 if plan.header_broken else len(fresh),
    )
    return Checked(report, fresh, plan.header_broken)


def _stored_since(
    wave: Wave, fresh: list[ParsedRow], report: ImportReport, header_broken: bool
) -> tuple[list[ParsedRow], ImportReport]:
    """The checked new rows that are still new, and the report with the others:
    stored before in this wave, or refused as another wave's."""
    still, already, elsewhere = _split_stored(wave, fresh)
    if len(still) == len(fresh):
        return fresh, report
    errors = sorted([*report.errors, *elsewhere], key=lambda error: error.row)
    return still, replace(
        report,
        already=report.already + len(already),
        bad_rows=report.bad_rows + len(elsewhere),
        errors=tuple(errors),
        valid=0 if header_broken else len(still),
    )


def _refused(message: str) -> Checked:
    return Checked(ImportReport(file_error=message), [])


def store_checked_file(
    wave: Wave,
    filename: str,
    data: bytes,
    user: User | None,
    checked: Checked,
    valid_only: bool = False,
) -> ImportReport:
    """Store the new rows of a checked file: all of them when it has no problem,
    the valid ones when ``valid_only`` (never when the header is wrong), else
    none; what was done. Flushes; the caller commits."""
    report = checked.report
    if report.file_error is not None:
        return report
    fresh = checked.fresh
    if fresh and (valid_only or not report.errors):
        # again, in the transaction that stores: another import may have stored
        # some of these rows since the check
        fresh, report = _stored_since(wave, fresh, report, checked.header_broken)
    if report.errors and (not valid_only or checked.header_broken):
        return report
    imported, batch_id = 0, None
    if fresh:  # an import of rows all stored before makes no batch
        batch = batches.new_batch(wave, filename, data, user)
        with cycles_collected_after():
            imported = _store(wave, fresh, user, batch)
        batch_id = batch.id
    waiting = imported > 0 and not wave.counts_unaccepted_imports
    report = ImportReport(
        **{
            **report.__dict__,
            "imported": imported,
            "waiting": waiting,
            "batch_id": batch_id,
        }
    )
    _audit(wave, filename, report, user, valid_only)
    return report


def is_large(filename: str, data: bytes, threshold: int) -> bool:
    """True when a file has at least ``threshold`` rows of answers, counted
    without reading it: the lines of a CSV (a cell with a line break counts
    twice), the rows an XLSX's sheets declare (see declared_rows). A workbook
    declaring more rows than the reader takes is no job: it is refused at once."""
    if filename.lower().endswith(".xlsx"):
        rows = declared_rows(data) - 1  # the header
        return threshold <= rows < MAX_ROWS
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return lines - 1 >= threshold


def import_waves(user: User) -> list[Wave]:
    """The open waves ``user`` may import into: all for admins, else those with a
    unit in the user's scope."""
    return visible_waves(visible_unit_ids(user), (WaveStatus.open,))


def summary(report: ImportReport) -> str:
    """One line for people: what was stored, skipped and refused."""
    line = _l(
        "Imported %(imported)s, skipped %(already)s already imported, "
        "%(bad)s rows with errors.",
        imported=format_number(report.imported),
        already=format_number(report.already),
        bad=format_number(report.bad_rows),
    )
    if not report.waiting:
        return line
    waiting = _l("They count once an administrator accepts the file.")
    return f"{line} {waiting}"


def _vocabulary(wave: Wave) -> Vocabulary:
    """Headings and channel names in Vietnamese and English (the workbook's)."""
    titles: dict[str, list[str]] = {column: [] for column in COLUMN_TITLES}
    channels: dict = {channel: [] for channel in CHANNEL_LABELS}
    for language in ("vi", "en"):
        with force_locale(language):
            for column, title in COLUMN_TITLES.items():
                titles[column].append(str(title))
            for channel, label in CHANNEL_LABELS.items():
                channels[channel].append(str(label))
    return vocabulary(parsed(wave.questionnaire), titles, channels)


def _context(wave: Wave, user: User | None) -> Context:
    units = dict(db.session.execute(sa.select(Unit.code, Unit.id)).all())
    in_wave = (wave_unit.unit_id for wave_unit in wave_units(wave))
    allowed = visible_unit_ids(user) if user is not None else None
    return Context(
        wave_code=wave.code,
        units=units,
        wave_unit_ids=frozenset(in_wave),
        allowed_unit_ids=frozenset(allowed) if allowed is not None else None,
    )


def _split_stored(
    wave: Wave, rows: list[ParsedRow]
) -> tuple[list[ParsedRow], list[ParsedRow], list[RowError]]:
    """Rows not stored yet, rows stored before in this wave, and a problem for each
    row whose id belongs to a response of another wave."""
    former = [row.former_uuid for row in rows if row.former_uuid is not None]
    stored = bulk.stored_waves([row.uuid for row in rows] + former)
    fresh, already, errors = [], [], []
    for row in rows:
        wave_id = stored.get(row.uuid.hex)
        if wave_id is None and row.former_uuid is not None:
            wave_id = stored.get(row.former_uuid.hex)  # imported before 6 Dec 2026
        if wave_id is None and row.id_given and row.uuid.version == PAPER_ID_VERSION:
            errors.append(RowError(row.row, "response_id", PAPER_ID_REFUSED))
        elif wave_id is None:
            fresh.append(row)
        elif wave_id == wave.id:
            already.append(row)
        else:
            message = _l("This response_id is already stored in another survey round.")
            errors.append(RowError(row.row, "response_id", message))
    return fresh, already, errors


def _store(wave: Wave, rows: list[ParsedRow], user: User | None, batch) -> int:
    """Insert the responses and their answers through the driver
    (sipas/services/responses/bulk.py), a chunk at a time: no query per row, and
    on SQLite each next chunk judged and encoded in another thread while SQLite
    spreads the answers of the one before (sipas/ahead.py)."""
    fixed = {
        "wave_id": wave.id,
        "questionnaire_id": wave.questionnaire_id,
        "channel": Channel.imported,
        "import_batch_id": batch.id,
        "language": "vi",
        "entered_by_id": user.id if user is not None else None,
        "submitted_at": utcnow(),
    }
    judge = _Judge(wave, fixed)
    size = bulk.chunk_rows(len(rows))
    chunks = [rows[at : at + size] for at in range(0, len(rows), size)]
    # a file in one chunk (PostgreSQL, or a small file) has its answers packed as
    # they are written, never all held at once (35 MB at 100 000 rows)
    make = partial(judge.columns, packed_now=len(chunks) > 1)
    with bulk.indexes_built_after(len(rows)), MadeAhead(make, chunks) as made:
        for columns, answers in made:
            ids = bulk.insert_responses(columns)
            packed = zip(ids, answers, strict=True)
            bulk.insert_answers(((k, *texts) for k, texts in packed), made.start_next)
    batch.rows = len(rows)
    db.session.flush()
    return len(rows)


class _Judge:
    """Status, reason and signals of imported rows: the quality rules of every
    channel, then the wait for acceptance. The rules see only a row's answers (an
    import has no timings), so equal criteria answers get one assessment.

    Its :meth:`columns` run in another thread: nothing there reads the database
    or the ORM (what it needs of the wave is read here)."""

    def __init__(self, wave: Wave, fixed: dict[str, object]) -> None:
        #: The columns every row shares.
        self.fixed = fixed
        self.dialect = bulk.dialect()
        self.questionnaire = parsed(wave.questionnaire)
        self.counts_unaccepted = wave.counts_unaccepted_imports
        self.multiple = [
            item.code
            for item in self.questionnaire.items
            if item.type is ItemType.multi_choice
        ]
        self.layout = choice_layout(self.questionnaire)
        self.probe = Response(channel=Channel.imported)
        self.known: dict[tuple, dict] = {}

    def columns(
        self, rows: list[ParsedRow], packed_now: bool = True
    ) -> tuple[bulk.DriverRows, Iterable[bulk.AnswerObjects]]:
        """The rows' response columns as the driver takes them (the quality
        verdict, criteria masks and packed choices of each, and the columns all
        share), and the rows' answers packed (now, or as they are read)."""
        verdicts = [self.values(row) for row in rows]
        masks = [criteria_masks(self.questionnaire, row.answers) for row in rows]
        columns: dict[str, list] = {
            "uuid": [row.uuid for row in rows],
            "unit_id": [row.unit_id for row in rows],
            "criteria_answered": [answered for answered, _ in masks],
            "criteria_satisfied": [satisfied for _, satisfied in masks],
            "choice_codes": pack_many(self.layout, [row.answers for row in rows]),
            **{name: [v[name] for v in verdicts] for name in verdicts[0]},
            **{name: [value] * len(rows) for name, value in self.fixed.items()},
        }
        driver = bulk.driver_rows(Response.__table__, columns, self.dialect)
        answers = bulk.answer_objects((row.answers for row in rows), self.multiple)
        return driver, list(answers) if packed_now else answers

    def values(self, row: ParsedRow) -> dict:
        """The quality columns of ``row``."""
        key = tuple(row.answers.get(item.code) for item in self.questionnaire.criteria)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = self._assessed(row)
        return found

    def _assessed(self, row: ParsedRow) -> dict:
        assessment = quality.assess(
            self.probe, self.questionnaire, row.answers, earlier_in_minute=0
        )
        status, reason = ResponseStatus.complete, None
        if assessment.verdict is Verdict.excluded:
            status, reason = ResponseStatus.flagged, assessment.reason
        elif not self.counts_unaccepted:
            status, reason = ResponseStatus.flagged, batches.AWAITING_ACCEPTANCE
        return {
            "status": status,
            "status_reason": reason,
            "quality_signals": assessment.mask,
        }


def _audit(
    wave: Wave,
    filename: str,
    report: ImportReport,
    user: User | None,
    valid_only: bool,
) -> None:
    record_event(
        "responses.import",
        user=user,
        object_type="wave",
        object_id=str(wave.id),
        details={
            "wave": wave.code,
            "file": filename,
            "rows": report.rows,
            "imported": report.imported,
            "already": report.already,
            "errors": len(report.errors),
            "bad_rows": report.bad_rows,
            "valid_only": valid_only,
            "batch": report.batch_id,
        },
    )
    log.info(
        "response import %s into %s: %s stored, %s already there, %s rows refused",
        filename,
        wave.code,
        report.imported,
        report.already,
        report.bad_rows,
    )
