"""Text columns as sorted distinct labels and one label number per row.

A million stratum or PSU codes are a few hundred distinct strings: numbering them once
makes designs, domains and calibration cells integer work instead of string work.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Coded(Sequence[str]):
    """A column of strings: ``labels[codes[i]]`` is row i's value; labels are sorted
    (unless made by :meth:`in_given_order`)."""

    labels: tuple[str, ...]
    codes: NDArray[np.int64]

    @classmethod
    def of(cls, values: Sequence[str] | NDArray[Any]) -> Coded:
        """Number the distinct values of a column (any sequence of strings)."""
        # distinct values in order of appearance, then each row's number: both
        # passes iterate in C (a million rows, a few hundred values)
        distinct = list(dict.fromkeys(values))
        number = {value: k for k, value in enumerate(distinct)}
        codes = np.fromiter(
            map(number.__getitem__, values), dtype=np.int64, count=len(values)
        )
        return cls.from_dictionary(distinct, codes)

    @classmethod
    def from_dictionary(
        cls, labels: Sequence[str], codes: NDArray[np.integer]
    ) -> Coded:
        """From unsorted, possibly repeated labels (e.g. a dictionary-encoded column).

        Labels are stripped of surrounding spaces and put in Unicode NFC; labels
        equal after that become one label.
        """
        normalize = unicodedata.normalize
        cleaned = [normalize("NFC", label) for label in map(str.strip, labels)]
        if len(cleaned) == 0:
            return cls((), np.zeros(len(codes), dtype=np.int64))
        if "\x00" in "".join(cleaned):
            return cls._sorted_in_python(cleaned, codes)
        stripped = np.asarray(cleaned, dtype=str)
        unique, remap = np.unique(stripped, return_inverse=True)
        return cls(
            # numpy's strings made Python's at once (a million PSU codes: 0.3 s
            # one by one)
            tuple(unique.tolist()),
            remap.astype(np.int64)[np.asarray(codes, dtype=np.int64)],
        )

    @classmethod
    def _sorted_in_python(
        cls, cleaned: Sequence[str], codes: NDArray[np.integer]
    ) -> Coded:
        """:meth:`from_dictionary` of labels holding a NUL, which numpy's strings
        would drop from their ends ("P1\\x00" is not "P1")."""
        unique = sorted(set(cleaned))
        number = {label: k for k, label in enumerate(unique)}
        remap = np.fromiter(
            map(number.__getitem__, cleaned), dtype=np.int64, count=len(cleaned)
        )
        return cls(tuple(unique), remap[np.asarray(codes, dtype=np.int64)])

    @classmethod
    def in_given_order(cls, labels: Sequence[str], codes: NDArray[np.integer]) -> Coded:
        """As :meth:`from_dictionary`, the labels kept in the order given (of labels
        equal once stripped and in NFC, the first): for a column whose values need
        only be told apart, such as the PSU codes of a file where every response is
        its own PSU (sorting a million of them took longer than reading the file)."""
        normalize = unicodedata.normalize
        cleaned = [normalize("NFC", label) for label in map(str.strip, labels)]
        distinct = dict.fromkeys(cleaned)
        numbers = np.asarray(codes, dtype=np.int64)
        if len(distinct) == len(cleaned):
            return cls(tuple(cleaned), numbers)
        number = {label: k for k, label in enumerate(distinct)}
        remap = np.fromiter(
            map(number.__getitem__, cleaned), dtype=np.int64, count=len(cleaned)
        )
        return cls(tuple(distinct), remap[numbers])

    def __len__(self) -> int:
        return len(self.codes)

    # rows by position only: Sequence also takes a slice, which no caller needs
    def __getitem__(self, row: int) -> str:  # type: ignore[override]
        return self.labels[int(self.codes[row])]

    def __iter__(self) -> Iterator[str]:
        labels = self.labels
        return (labels[code] for code in self.codes.tolist())

    def rows_with(self, label: str) -> NDArray[np.bool_]:
        """True for the rows whose value is ``label``."""
        try:
            rows: NDArray[np.bool_] = self.codes == self.labels.index(label)
            return rows
        except ValueError:
            return np.zeros(len(self.codes), dtype=bool)

    def present_labels(self) -> list[str]:
        """Labels that at least one row has, in label order."""
        counts = np.bincount(self.codes, minlength=len(self.labels))
        return [label for label, n in zip(self.labels, counts, strict=True) if n]

    def crossed(self, *others: Coded, separator: str = "|") -> Coded:
        """The column of joined values ``self|other|…`` (a crossed variable)."""
        if not others:
            return self
        cell = self.codes.copy()
        for other in others:
            cell = cell * len(other.labels) + other.codes
        cells, codes = np.unique(cell, return_inverse=True)
        parts = [self, *others]
        labels = []
        for value in cells.tolist():
            pieces = []
            for column in reversed(parts):
                value, code = divmod(value, len(column.labels))
                pieces.append(column.labels[code])
            labels.append(separator.join(reversed(pieces)))
        return Coded.from_dictionary(labels, codes)
