"""Responses that are their own PSUs are numbered as their "response:<id>" codes
sort, without making the strings: the same numbers and codes as numbering the
strings, so the design's PSUs (and every sum over them) come in the same order."""

from __future__ import annotations

import numpy as np
import pytest

from sipas.services.results.psus import response_psus
from sipas.stats.coded import Coded

UNIT_CODES = [
    "",
    "A",
    "QN-1",
    "respons",
    "response",
    "responsf",
    "rest",
    "zeta",
    "Đông",
]


def by_strings(unit_psu: Coded, ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The oracle: every record's code as a string, numbered in sorted order."""
    labels = [
        unit_psu.labels[code] or f"response:{key}"
        for code, key in zip(unit_psu.codes.tolist(), ids.tolist(), strict=True)
    ]
    coded = Coded.of(labels)
    return coded.codes, list(coded.labels)


@pytest.mark.parametrize(
    "units",
    [UNIT_CODES, [""], ["", "b"], ["", "response:7"], ["", "response:"], ["x", "y"]],
)
@pytest.mark.parametrize("records", [1, 40, 3000])
def test_ids_are_numbered_as_their_codes_sort(units, records):
    rng = np.random.default_rng(records)
    # ids of every width, and those whose texts start alike: 9, 10, 12, 120, 1200
    pool = np.concatenate(
        [
            np.arange(1, 40),
            [9, 10, 99, 100, 12, 120, 1200, 1000],
            rng.integers(1, 10**12, 4000),
        ]
    )
    ids = rng.permutation(np.unique(pool))[:records].astype(np.int64)
    unit_psu = Coded.of([units[k] for k in rng.integers(0, len(units), len(ids))])
    numbers, codes = response_psus(unit_psu, ids)
    expected_numbers, expected_codes = by_strings(unit_psu, ids)
    # the oracle numbers only the codes that some record has: compare the codes
    # each record gets and their order
    assert [codes[n] for n in numbers.tolist()] == [
        expected_codes[n] for n in expected_numbers.tolist()
    ]
    assert list(codes) == sorted(codes)
    order = np.argsort(numbers, kind="stable")
    assert np.array_equal(order, np.argsort(expected_numbers, kind="stable"))


def test_the_codes_are_read_only_when_asked_for():
    unit_psu = Coded.of(["", "", "zone", "Area"])
    ids = np.array([12, 9, 0, 0], dtype=np.int64)
    numbers, codes = response_psus(unit_psu, ids)
    # "" (units without a code), "Area" < "response:…" < "zone"
    assert list(codes) == ["", "Area", "response:12", "response:9", "zone"]
    assert [codes[n] for n in numbers.tolist()] == [
        "response:12",
        "response:9",
        "zone",
        "Area",
    ]
    assert codes[-1] == "zone"
    assert codes[1:3] == ["Area", "response:12"]
    with pytest.raises(IndexError):
        codes[5]
