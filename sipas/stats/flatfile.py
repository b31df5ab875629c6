"""The flat response file ("stats CSV" of DESIGN §5) read into arrays, or its errors."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

REQUIRED_COLUMNS = ("response_id", "stratum", "psu", "weight")
SCALE_VALUES = {
    "1": 1.0,
    "2": 2.0,
    "3": 3.0,
    "4": 4.0,
    "5": 5.0,
    "9": math.nan,
    "": math.nan,
}
#: A column named like a criterion code (A1, E4 …) must be an item of the questionnaire.
ITEM_LIKE = re.compile(r"^[A-Z][0-9]+$")
#: Stop collecting after this many errors; a broken file is usually broken everywhere.
MAX_ERRORS = 50


class FileProblemKind(StrEnum):
    """Why a row or column of the file cannot be used."""

    missing_column = "missing_column"
    unknown_item = "unknown_item"
    bad_value = "bad_value"
    bad_weight = "bad_weight"
    missing_stratum = "missing_stratum"
    missing_psu = "missing_psu"
    wrong_width = "wrong_width"
    empty = "empty"


@dataclass(frozen=True)
class FileProblem:
    """One problem: row (1 = header) and column name where it applies."""

    kind: FileProblemKind
    row: int | None
    column: str | None
    value: str | None = None


class FlatFileError(ValueError):
    """The file has problems; ``problems`` lists them (up to MAX_ERRORS)."""

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the file")
        self.problems = tuple(problems)


@dataclass(frozen=True)
class FlatData:
    """Rows of the file as arrays, criteria in the order asked for."""

    strata: list[str]
    psus: list[str]
    weights: NDArray[np.float64]
    #: rows × criteria, 1–5 or NaN (9 or blank)
    answers: NDArray[np.float64]
    #: other columns (strings) usable as domains
    others: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return len(self.strata)


def read_flat_text(
    text: str, criteria: Sequence[str], known_items: Iterable[str]
) -> FlatData:
    """Parse the file's text; raise FlatFileError with every problem found."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        raise FlatFileError([FileProblem(FileProblemKind.empty, 1, None)])
    header = [name.strip() for name in header]
    problems = _header_problems(header, criteria, set(known_items))
    if problems:
        raise FlatFileError(problems)
    return _read_rows(reader, header, criteria)


def _header_problems(
    header: list[str], criteria: Sequence[str], known: set[str]
) -> list[FileProblem]:
    problems = [
        FileProblem(FileProblemKind.missing_column, 1, name)
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    problems += [
        FileProblem(FileProblemKind.unknown_item, 1, name)
        for name in header
        if ITEM_LIKE.match(name) and name not in known
    ]
    return problems


def _read_rows(reader, header: list[str], criteria: Sequence[str]) -> FlatData:  # type: ignore[no-untyped-def]
    index = {name: i for i, name in enumerate(header)}
    criteria_at = [index.get(code) for code in criteria]
    other_names = [n for n in header if n not in REQUIRED_COLUMNS and n not in criteria]
    strata: list[str] = []
    psus: list[str] = []
    weights: list[float] = []
    answers: list[list[float]] = []
    others: dict[str, list[str]] = {name: [] for name in other_names}
    problems: list[FileProblem] = []
    for row_number, row in enumerate(reader, start=2):
        if not row or len(problems) >= MAX_ERRORS:
            continue
        if len(row) != len(header):
            problems.append(FileProblem(FileProblemKind.wrong_width, row_number, None))
            continue
        problems += _row_problems(row, row_number, index, criteria, criteria_at)
        strata.append(row[index["stratum"]].strip())
        psus.append(row[index["psu"]].strip())
        weights.append(_weight(row[index["weight"]]))
        answers.append(
            [
                SCALE_VALUES.get(row[i].strip(), math.nan)
                if i is not None
                else math.nan
                for i in criteria_at
            ]
        )
        for name in other_names:
            others[name].append(row[index[name]].strip())
    if problems:
        raise FlatFileError(problems[:MAX_ERRORS])
    if not strata:
        raise FlatFileError([FileProblem(FileProblemKind.empty, 2, None)])
    return FlatData(
        strata=strata,
        psus=psus,
        weights=np.asarray(weights, dtype=np.float64),
        answers=np.asarray(answers, dtype=np.float64).reshape(
            len(strata), len(criteria)
        ),
        others=others,
    )


def _weight(text: str) -> float:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return math.nan


def _row_problems(
    row: list[str],
    row_number: int,
    index: dict[str, int],
    criteria: Sequence[str],
    criteria_at: list[int | None],
) -> list[FileProblem]:
    problems = []
    if not row[index["stratum"]].strip():
        problems.append(
            FileProblem(FileProblemKind.missing_stratum, row_number, "stratum")
        )
    if not row[index["psu"]].strip():
        problems.append(FileProblem(FileProblemKind.missing_psu, row_number, "psu"))
    weight = _weight(row[index["weight"]])
    if not math.isfinite(weight) or weight <= 0:
        problems.append(
            FileProblem(
                FileProblemKind.bad_weight, row_number, "weight", row[index["weight"]]
            )
        )
    for code, at in zip(criteria, criteria_at, strict=True):
        if at is not None and row[at].strip() not in SCALE_VALUES:
            problems.append(
                FileProblem(FileProblemKind.bad_value, row_number, code, row[at])
            )
    return problems


#: Widest stratum, PSU or other value the fast reader keeps; a value this long may have
#: been cut, so such a file is read by the exact reader instead.
FAST_WIDTH = 64
_SCALE_BYTES = np.full(256, -1.0)
_SCALE_BYTES[0] = math.nan  # empty field
_SCALE_BYTES[ord("9")] = math.nan
for _digit in "12345":
    _SCALE_BYTES[ord(_digit)] = float(_digit)


def read_flat_file(
    path: str, criteria: Sequence[str], known_items: Iterable[str]
) -> FlatData:
    """Read a stats CSV from disk: a vectorised pass for well-formed files, the exact
    row-by-row reader (every error with row and column) for anything else."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = [name.strip() for name in next(csv.reader(handle), [])]
    if header:
        problems = _header_problems(header, criteria, set(known_items))
        if problems:
            raise FlatFileError(problems)
        fast = _read_fast(path, header, criteria)
        if fast is not None:
            return fast
    with open(path, encoding="utf-8", newline="") as handle:
        return read_flat_text(handle.read(), criteria, known_items)


def _read_fast(
    path: str, header: list[str], criteria: Sequence[str]
) -> FlatData | None:
    """Parse with numpy's C reader; None when the file needs the exact reader."""
    kinds = {"weight": "f8", **{code: "S2" for code in criteria}}
    dtype = [
        (f"f{i}", kinds.get(name, f"S{FAST_WIDTH}")) for i, name in enumerate(header)
    ]
    try:
        table = np.loadtxt(
            path,
            delimiter=",",
            skiprows=1,
            quotechar='"',
            dtype=dtype,
            encoding="latin1",
            ndmin=1,
        )
    except ValueError:
        return None
    column = {name: table[f"f{i}"] for i, name in enumerate(header)}
    if len(table) == 0:
        return None
    answers = np.full((len(table), len(criteria)), math.nan)
    for k, code in enumerate(criteria):
        if code in column:
            raw = np.ascontiguousarray(column[code]).view(np.uint8).reshape(-1, 2)
            if raw[:, 1].any():
                return None  # a value longer than one character
            answers[:, k] = _SCALE_BYTES[raw[:, 0]]
    weights = column["weight"]
    if (answers == -1).any() or not (np.isfinite(weights) & (weights > 0)).all():
        return None
    texts = {}
    for name in header:
        if name == "weight" or name in criteria or name == "response_id":
            continue
        values = column[name]
        if (np.char.str_len(values) >= FAST_WIDTH).any():
            return None
        try:
            texts[name] = np.char.strip(np.char.decode(values, "utf-8"))
        except UnicodeDecodeError:
            return None
        if name in ("stratum", "psu") and (np.char.str_len(texts[name]) == 0).any():
            return None
    return FlatData(
        strata=texts.pop("stratum"),
        psus=texts.pop("psu"),
        weights=np.asarray(weights, dtype=np.float64),
        answers=answers,
        others=texts,
    )
