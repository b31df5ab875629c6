"""Population and target sample of each unit of a wave: from the grid form or from
a CSV/XLSX file, all checked before anything is stored."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO

from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import User, Wave, WaveUnit
from sipas.services.audit import record_event
from sipas.services.waves.lookup import wave_units
from sipas.workbook_reader import WorkbookRefused, read_active_sheet

#: Columns of the import file, in this order.
IMPORT_COLUMNS = ("unit_code", "population", "target_sample")
#: Both numbers of one unit: (population, target sample); None = not set.
Targets = tuple[int | None, int | None]
#: A whole number, with or without Vietnamese thousands dots ("12.400").
_WHOLE = re.compile(r"\d+|\d{1,3}(\.\d{3})+")


@dataclass
class ParsedTargets:
    """Numbers per wave unit id, and the problems found (nothing is stored if any)."""

    values: dict[int, Targets] = field(default_factory=dict)
    #: grid: {"population-<wave unit id>": message}; file: {row number: message}
    errors: dict[str | int, str] = field(default_factory=dict)


def parse_count(raw: object) -> tuple[int | None, str | None]:
    """A cell as a non-negative whole number or None when empty; else an error."""
    if raw is None:
        return None, None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return (raw, None) if raw >= 0 else (None, _("Enter a whole number ≥ 0."))
    text = str(raw).strip().replace(" ", "")
    if not text:
        return None, None
    if not _WHOLE.fullmatch(text):
        return None, _("Enter a whole number ≥ 0.")
    return int(text.replace(".", "")), None


def parse_grid(units: Iterable[WaveUnit], form: Mapping[str, str]) -> ParsedTargets:
    """The grid's cells ``population-<id>`` and ``target-<id>`` for every unit."""
    parsed = ParsedTargets()
    for wu in units:
        numbers = []
        for prefix in ("population", "target"):
            name = f"{prefix}-{wu.id}"
            number, error = parse_count(form.get(name))
            if error:
                parsed.errors[name] = error
            numbers.append(number)
        parsed.values[wu.id] = (numbers[0], numbers[1])
    return parsed


class UnreadableFile(ValueError):
    """The upload is not a CSV (UTF-8) or XLSX file, or a workbook past the limits;
    the message (for people) is the first argument."""


def read_rows(filename: str, stream: IO[bytes]) -> list[list[object]]:
    """The rows of a CSV (UTF-8, BOM allowed) or XLSX file, header included."""
    try:
        return _read_rows(filename, stream)
    except WorkbookRefused as error:
        raise UnreadableFile(error.args[0]) from error
    except (ValueError, OSError, KeyError, csv.Error) as error:
        raise UnreadableFile(_("The file could not be read as CSV or XLSX.")) from error


def _read_rows(filename: str, stream: IO[bytes]) -> list[list[object]]:
    if filename.lower().endswith(".xlsx"):
        return [list(row) for row in read_active_sheet(stream.read())]
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    return [list(row) for row in csv.reader(text)]


def parse_import(wave: Wave, rows: list[list[object]]) -> ParsedTargets:
    """Each data row checked: a unit of the wave (once), two whole numbers ≥ 0."""
    parsed = ParsedTargets()
    header = [str(c or "").strip().lower() for c in (rows[0] if rows else [])]
    if header[:3] != list(IMPORT_COLUMNS):
        parsed.errors[1] = _(
            "The first row must be: %(columns)s.", columns=",".join(IMPORT_COLUMNS)
        )
        return parsed
    by_code = {wu.unit.code: wu for wu in wave_units(wave)}
    for number, row in enumerate(rows[1:], start=2):
        cells = [*row, None, None, None][:3]
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        problem = _row_problem(parsed, by_code, cells)
        if problem:
            parsed.errors[number] = problem
    if not parsed.values and not parsed.errors:
        parsed.errors[2] = _("The file has no data rows.")
    return parsed


def _row_problem(
    parsed: ParsedTargets, by_code: dict[str, WaveUnit], cells: list[object]
) -> str | None:
    """Add one row's numbers to ``parsed``; its problem if it has one."""
    code = str(cells[0] or "").strip()
    wave_unit = by_code.get(code)
    if wave_unit is None:
        return _("Unit %(code)s is not part of this survey round.", code=code or "–")
    if wave_unit.id in parsed.values:
        return _("Unit %(code)s appears twice.", code=code)
    population, error = parse_count(cells[1])
    target, target_error = parse_count(cells[2])
    if error or target_error:
        return _("Population and target sample must be whole numbers ≥ 0.")
    parsed.values[wave_unit.id] = (population, target)
    return None


def store_targets(
    wave: Wave, values: Mapping[int, Targets], user: User | None, source: str
) -> int:
    """Write checked numbers; audit the units whose numbers changed (their count)."""
    changed = {}
    for wu in wave_units(wave):
        if wu.id not in values:
            continue
        population, target = values[wu.id]
        if (wu.population, wu.target_sample) != (population, target):
            changed[wu.unit.code] = {
                "from": [wu.population, wu.target_sample],
                "to": [population, target],
            }
            wu.population, wu.target_sample = population, target
    db.session.flush()
    if changed:
        record_event(
            "wave.targets",
            user=user,
            object_type="wave",
            object_id=wave.code,
            details={"source": source, "units": changed},
        )
    return len(changed)
