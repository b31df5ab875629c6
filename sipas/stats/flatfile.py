"""The flat response file ("stats CSV" of DESIGN §5) read into arrays, or its errors."""

from __future__ import annotations

import csv
import io
import itertools
import math
import mmap
import os
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from sipas.stats.coded import Coded

if TYPE_CHECKING:
    import pyarrow as pa

REQUIRED_COLUMNS = ("response_id", "stratum", "psu", "weight")
#: Highest scale value; 1 to it are answers.
SCALE_MAX = 5
#: The scale value for "not applicable": no answer, as a blank is.
NOT_APPLICABLE = 9
#: Answer code of each accepted scale value: 1–5 answered, 9 (not applicable) and
#: blank are no answer (0). Leading zeros are accepted ("04" is 4).
SCALE_CODES = {**{value: value for value in range(1, SCALE_MAX + 1)}, NOT_APPLICABLE: 0}
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

    strata: Coded
    psus: Coded
    weights: NDArray[np.float64]
    #: rows × criteria: 1–5 as answered, 0 for 9 or blank
    answers: NDArray[np.int8]
    #: other columns (strings, stripped, NFC) usable as domains
    others: dict[str, Coded] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return len(self.strata)


def read_flat_text(
    text: str,
    criteria: Sequence[str],
    known_items: Iterable[str],
    others: Collection[str] | None = None,
) -> FlatData:
    """Parse the file's text; raise FlatFileError with every problem found.
    ``others``: the columns besides the design's and the criteria to keep (None:
    every one)."""
    # newline="": csv itself takes CR, LF and CRLF as line ends (a file of bare CRs
    # from an old spreadsheet), and keeps those inside quotes as they are
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    # no cell too long to read (csv's own limit is 131 072 characters)
    limit = csv.field_size_limit(max(len(text), csv.field_size_limit()))
    try:
        header = next(reader, None)
        if not header:
            raise FlatFileError([FileProblem(FileProblemKind.empty, 1, None)])
        header = [name.strip() for name in header]
        problems = _header_problems(header, criteria, set(known_items))
        if problems:
            raise FlatFileError(problems)
        return _read_rows(reader, header, criteria, others)
    finally:
        csv.field_size_limit(limit)


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


def _read_rows(
    reader: Iterable[list[str]],
    header: list[str],
    criteria: Sequence[str],
    wanted: Collection[str] | None,
) -> FlatData:
    index = {name: i for i, name in enumerate(header)}
    criteria_at = [index.get(code) for code in criteria]
    other_names = _other_columns(header, criteria, wanted)
    strata: list[str] = []
    psus: list[str] = []
    weights: list[float] = []
    answers: list[list[int]] = []
    others: dict[str, list[str]] = {name: [] for name in other_names}
    problems: list[FileProblem] = []
    for row_number, row in enumerate(reader, start=2):
        if not row or len(problems) >= MAX_ERRORS:
            continue
        if len(row) != len(header):
            problems.append(FileProblem(FileProblemKind.wrong_width, row_number, None))
            continue
        problems += _row_problems(row, row_number, index, criteria, criteria_at)
        strata.append(row[index["stratum"]])
        psus.append(row[index["psu"]])
        weights.append(_weight(row[index["weight"]]))
        answers.append(
            [_scale_code(row[i]) or 0 if i is not None else 0 for i in criteria_at]
        )
        for name in other_names:
            others[name].append(row[index[name]])
    if problems:
        raise FlatFileError(problems[:MAX_ERRORS])
    if not strata:
        raise FlatFileError([FileProblem(FileProblemKind.empty, 2, None)])
    return FlatData(
        strata=Coded.of(strata),
        psus=Coded.of(psus),
        weights=np.asarray(weights, dtype=np.float64),
        answers=np.asarray(answers, dtype=np.int8).reshape(len(strata), len(criteria)),
        others={name: Coded.of(values) for name, values in others.items()},
    )


def _scale_code(text: str) -> int | None:
    """The answer code of a scale value (0: no answer), None when not a scale value."""
    text = text.strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit():
        return None
    return SCALE_CODES.get(int(text))


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
        if at is not None and _scale_code(row[at]) is None:
            problems.append(
                FileProblem(FileProblemKind.bad_value, row_number, code, row[at])
            )
    return problems


#: Files below this size go straight to the exact reader (importing pyarrow takes
#: longer than reading them).
SMALL_FILE_BYTES = 1 << 20


def read_flat_file(
    path: str,
    criteria: Sequence[str],
    known_items: Iterable[str],
    others: Collection[str] | None = None,
) -> FlatData:
    """Read a stats CSV from disk: Arrow's multi-threaded reader for well-formed files,
    the exact row-by-row reader (every error with row and column) for anything else.
    ``others``: the columns besides the design's and the criteria to keep (None:
    every one; an export's other columns are most of its bytes)."""
    with open(path, encoding="utf-8", newline="") as handle:
        # as the exact reader reads it: every BOM before the header left out
        while (char := handle.read(1)) == "\ufeff":
            pass
        lines = itertools.chain([char + handle.readline()], handle)
        header = [name.strip() for name in next(csv.reader(lines), [])]
    if header:
        problems = _header_problems(header, criteria, set(known_items))
        if problems:
            raise FlatFileError(problems)
        # a small file is read before pyarrow would have been imported
        big = os.path.getsize(path) >= SMALL_FILE_BYTES
        fast = _read_fast(path, header, criteria, others) if big else None
        if fast is not None:
            return fast
    with open(path, encoding="utf-8", newline="") as handle:
        return read_flat_text(handle.read(), criteria, known_items, others)


def _other_columns(
    header: Sequence[str], criteria: Sequence[str], wanted: Collection[str] | None
) -> list[str]:
    """The columns of ``header`` besides the design's and the criteria that are
    ``wanted`` (None: all of them)."""
    return [
        name
        for name in header
        if name not in REQUIRED_COLUMNS
        and name not in criteria
        and (wanted is None or name in wanted)
    ]


def _read_fast(
    path: str,
    header: list[str],
    criteria: Sequence[str],
    wanted: Collection[str] | None,
) -> FlatData | None:
    """Parse with pyarrow; None when the file needs the exact reader (any value the
    exact reader would refuse, an odd row, a duplicate column)."""
    import pyarrow as pa  # imported here: only large, clean files need it
    from pyarrow import csv as arrow_csv

    # a name with a line break: Arrow's skip_rows skips a line, not the header row
    if len(set(header)) != len(header) or any("\n" in n or "\r" in n for n in header):
        return None
    text = pa.dictionary(pa.int32(), pa.string())
    others = _other_columns(header, criteria, wanted)
    present = [code for code in criteria if code in header]
    # Arrow's integers would read "0x4" as 4, which the exact reader refuses: a file
    # with an x in its rows (Vietnamese text: "xã", "xin") has its answers read as
    # bytes, each checked here; one without, as integers (less to read)
    answers_as = (
        pa.binary() if _holds(path, b"x", b"X", past_header=True) else pa.int8()
    )
    types = {"weight": pa.float64(), **{code: answers_as for code in present}}
    types.update({name: text for name in ("stratum", "psu", *others)})
    quoted = _holds(path, b'"')
    try:
        table = arrow_csv.read_csv(
            path,
            read_options=arrow_csv.ReadOptions(column_names=header, skip_rows=1),
            # a line break can only sit inside a quoted value; without quotes Arrow
            # may split the file into blocks at any line break (much faster)
            parse_options=arrow_csv.ParseOptions(newlines_in_values=quoted),
            convert_options=arrow_csv.ConvertOptions(
                column_types=types,
                include_columns=["stratum", "psu", "weight", *present, *others],
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows == 0:
        return None
    table = table.unify_dictionaries()
    texts_read = ("stratum", "psu", *others)
    # Arrow drops the LF of a quoted CRLF whose CR ends one of its blocks: a kept
    # text with a CR in it is left to the exact reader
    if quoted and any(_holds_cr(table.column(name)) for name in texts_read):
        return None
    weights = table.column("weight")
    if weights.null_count:
        return None
    weights = weights.to_numpy()
    answers = _answer_codes(table, criteria, present)
    if answers is None:
        return None
    texts = {name: _coded(table.column(name)) for name in ("stratum", *others)}
    # PSU codes need only be told apart, and there may be a million
    texts["psu"] = _coded(table.column("psu"), sort=False)
    # a blank stratum or PSU (each label of an Arrow dictionary has rows)
    if not (np.isfinite(weights) & (weights > 0)).all() or any(
        "" in texts[name].labels for name in ("stratum", "psu")
    ):
        return None
    return FlatData(
        strata=texts.pop("stratum"),
        psus=texts.pop("psu"),
        weights=np.asarray(weights, dtype=np.float64),
        answers=answers,
        others=texts,
    )


def _holds(path: str, *needles: bytes, past_header: bool = False) -> bool:
    """True when the file holds any of ``needles`` anywhere (``past_header``: after
    its first line). A byte is looked for at memchr's speed: 10 ms a million rows."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return False
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start = data.find(b"\n") + 1 if past_header else 0
            return any(data.find(needle, start) >= 0 for needle in needles)


def _answer_codes(
    table: pa.Table, criteria: Sequence[str], present: Sequence[str]
) -> NDArray[np.int8] | None:
    """Rows × criteria answer codes (0 for blank, 9 or a criterion not in the file)
    from the int8 or binary columns; None when a value is not a scale value."""
    rows = table.num_rows
    # column-major: each criterion's codes are contiguous, as the sums read them
    values = np.zeros((rows, len(criteria)), dtype=np.uint8, order="F")
    # byte arithmetic a criterion at a time, not a lookup per value, through two
    # masks used again for each: over the whole matrix at once each mask was 22 MB
    # of fresh memory, whose page faults took longer (30-100 ms) than comparing
    masks = np.empty(rows, dtype=np.bool_), np.empty(rows, dtype=np.bool_)
    for k, code in enumerate(criteria):
        if code not in present:
            continue
        column, codes = table.column(code), values[:, k]
        if column.type == "int8":
            read = _integer_codes(column, codes, *masks)
        else:
            read = _byte_codes(column, codes)
        if not read:
            return None
    return values.view(np.int8)


def _integer_codes(
    column: pa.ChunkedArray,
    codes: NDArray[np.uint8],
    beyond: NDArray[np.bool_],
    applicable: NDArray[np.bool_],
) -> bool:
    """An int8 column's answer codes into ``codes``; False when a value is not a
    scale value (``beyond`` and ``applicable``: room for two masks)."""
    _copy_int8(column, codes)
    # a negative value's byte is above SCALE_MAX too, and a 0 that is not a blank
    # ("0", "00") leaves fewer non-zero bytes than values given
    np.greater(codes, SCALE_MAX, out=beyond)
    np.not_equal(codes, NOT_APPLICABLE, out=applicable)
    np.logical_and(beyond, applicable, out=beyond)
    if beyond.any() or np.count_nonzero(codes) != len(codes) - column.null_count:
        return False
    np.multiply(codes, applicable, out=codes)
    return True


def _copy_int8(column: pa.ChunkedArray, out: NDArray[np.uint8]) -> None:
    """An int8 Arrow column's bytes into ``out``, 0 where null, read from its
    buffers (a validity bitmap and the values) without loading pyarrow.compute."""
    start = 0
    for chunk in column.chunks:
        validity, data = chunk.buffers()
        size, offset = len(chunk), chunk.offset
        values = np.frombuffer(data, dtype=np.uint8, count=size, offset=offset)
        rows = out[start : start + size]
        if validity is not None and chunk.null_count:
            bits = np.frombuffer(validity, dtype=np.uint8)
            valid = np.unpackbits(bits, count=offset + size, bitorder="little")
            np.multiply(values, valid[offset:], out=rows)
        else:
            rows[:] = values
        start += size


def _byte_codes(column: pa.ChunkedArray, codes: NDArray[np.uint8]) -> bool:
    """A binary column's answer codes into ``codes`` (zeros); False when a cell
    is not a scale value."""
    start = 0
    for chunk in column.chunks:
        if not _read_codes(chunk, codes[start : start + len(chunk)]):
            return False
        start += len(chunk)
    return True


def _read_codes(chunk: pa.Array, out: NDArray[np.uint8]) -> bool:
    """A binary Arrow chunk's answer codes into ``out`` (zeros); False when a cell
    is no scale value. The cells are read from the chunk's buffers (offsets and bytes)
    without loading pyarrow.compute: cells of one byte as digits, a chunk holding
    longer cells (" 4", "04") a distinct text at a time."""
    size = len(chunk)
    _validity, offsets_buffer, data_buffer = chunk.buffers()
    offsets = np.frombuffer(
        offsets_buffer, dtype=np.int32, count=size + 1, offset=4 * chunk.offset
    )
    first, last = int(offsets[0]), int(offsets[-1])
    lengths = np.diff(offsets)
    if chunk.null_count or (size and int(lengths.max()) > 1):
        return _read_texts(chunk, out)
    if last == first:  # every cell blank
        return True
    data = np.frombuffer(data_buffer, dtype=np.uint8, count=last - first, offset=first)
    if last - first == size:  # every cell one byte
        return _digit_codes(data, out)
    # blanks among them: each byte goes to the cell that has it
    codes = np.empty_like(data)
    if not _digit_codes(data, codes):
        return False
    out[lengths > 0] = codes
    return True


def _digit_codes(cells: NDArray[np.uint8], out: NDArray[np.uint8]) -> bool:
    """The answer codes of one-byte cells into ``out``: "1"–"5" as they are, "9" no
    answer (0); False for any other byte."""
    # a byte below "0" wraps round above 9
    np.subtract(cells, ord("0"), out=out)
    low, high = int(out.min()), int(out.max())
    if low >= 1 and high <= SCALE_MAX:  # answers only: the common case
        return True
    if low < 1:  # a written 0
        return False
    out[out == NOT_APPLICABLE] = 0
    return int(out.max()) <= SCALE_MAX


def _read_texts(chunk: pa.Array, out: NDArray[np.uint8]) -> bool:
    """`_read_codes` of a chunk with longer cells: each distinct text read once,
    as the exact reader reads it."""
    cells = chunk.to_pylist()
    codes = {cell: _cell_code(cell) for cell in set(cells)}
    if None in codes.values():
        return False
    out[:] = np.fromiter(map(codes.__getitem__, cells), dtype=np.uint8, count=len(out))
    return True


def _cell_code(cell: bytes | None) -> int | None:
    """The answer code of one cell's bytes (None: no scale value)."""
    if cell is None:
        return 0
    try:
        return _scale_code(cell.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _coded(column: pa.ChunkedArray, sort: bool = True) -> Coded:
    """A dictionary-encoded Arrow column as a Coded column (its labels sorted, or
    in the dictionary's order)."""
    combined = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    labels, codes = combined.dictionary, combined.indices.to_numpy()
    if not sort and _already_clean(labels):
        # distinct in the dictionary and unchanged by stripping and NFC: nothing to
        # merge (a million UUIDs: hashing them to find no merge took 0.3 s)
        return Coded(tuple(labels.to_pylist()), codes.astype(np.int64))
    made = Coded.from_dictionary if sort else Coded.in_given_order
    return made(labels.to_pylist(), codes)


#: The bytes Python's str.strip() takes off an ASCII string's ends.
_ASCII_SPACES = np.zeros(256, dtype=np.bool_)
_ASCII_SPACES[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True


def _holds_cr(column: pa.ChunkedArray) -> bool:
    """True when a label of a dictionary-encoded string column holds a CR (each
    dictionary looked at once: after unify_dictionaries every chunk shares one,
    36 MB for a million UUIDs)."""
    seen: set[int] = set()
    for chunk in column.chunks:
        data = chunk.dictionary.buffers()[2]
        if data is None or data.address in seen:
            continue
        seen.add(data.address)
        if (np.frombuffer(data, dtype=np.uint8) == 13).any():
            return True
    return False


def _already_clean(dictionary: pa.Array) -> bool:
    """True when an Arrow string dictionary's labels are ASCII (NFC leaves them as
    they are) with no space at either end (strip does too): its labels, distinct
    as bytes, are then distinct once cleaned."""
    if str(dictionary.type) != "string" or len(dictionary) == 0:
        return False  # 32-bit offsets only, as the reader asks Arrow for
    offsets_buffer, data_buffer = dictionary.buffers()[1:3]
    if data_buffer is None:
        return False
    start = dictionary.offset
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[
        start : start + len(dictionary) + 1
    ]
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    if len(data) == 0 or data.max() >= 0x80:
        return False
    offsets = offsets - offsets[0]
    firsts, ends = offsets[:-1], offsets[1:]
    filled = ends > firsts
    return not (
        _ASCII_SPACES[data[firsts[filled]]].any()
        or _ASCII_SPACES[data[ends[filled] - 1]].any()
    )
