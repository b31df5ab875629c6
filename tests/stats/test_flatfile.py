"""The vectorised reader gives what the row-by-row reader gives, or steps aside."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from sipas.stats import flatfile
from sipas.stats.flatfile import FlatFileError, read_flat_file, read_flat_text
from tests.stats.survey_data import CRITERIA, write_survey_csv


def assert_same(fast, exact):
    assert list(fast.strata) == list(exact.strata)
    assert list(fast.psus) == list(exact.psus)
    np.testing.assert_array_equal(fast.weights, exact.weights)
    np.testing.assert_array_equal(fast.answers, exact.answers)
    assert set(fast.others) == set(exact.others)
    for name in exact.others:
        assert list(fast.others[name]) == list(exact.others[name])


@pytest.fixture
def fast_results(monkeypatch):
    """What each call of the Arrow reader returned (None: it stepped aside); every
    file, however small, offered to it."""
    monkeypatch.setattr(flatfile, "SMALL_FILE_BYTES", 0)
    results = []
    real = flatfile._read_fast

    def recording(*args):
        result = real(*args)
        results.append(result)
        return result

    monkeypatch.setattr(flatfile, "_read_fast", recording)
    return results


def test_fast_path_equals_the_exact_reader(tmp_path, fast_results):
    path = write_survey_csv(tmp_path / "s.csv")
    fast = read_flat_file(str(path), CRITERIA, CRITERIA)
    assert fast_results == [fast]  # the Arrow path was taken
    exact = read_flat_text(path.read_text(encoding="utf-8"), CRITERIA, CRITERIA)
    assert_same(fast, exact)


@pytest.mark.parametrize(
    "body",
    [
        "\ufeffresponse_id,stratum,psu,weight,A1,place\r\n"
        'r1,S1,P1,2.5,4,"Hạ Long, Quảng Ninh"\r\nr2,S1,P2,1,,"Cẩm Phả"\r\n',
        "response_id,stratum,psu,weight,A1,place\nr1, S1 ,P1,2,9,x\nr2,S2,P1,3,5,y\n",
    ],
    ids=["bom-crlf-quoted-unicode", "spaces-and-9"],
)
def test_quoted_fields_bom_and_crlf(tmp_path, body, fast_results):
    path = tmp_path / "q.csv"
    path.write_bytes(body.encode("utf-8"))
    fast = read_flat_file(str(path), ["A1"], ["A1"])
    assert fast_results == [fast]
    exact = read_flat_text(body, ["A1"], ["A1"])
    assert_same(fast, exact)


def test_both_readers_agree_on_odd_but_valid_values(tmp_path, fast_results):
    """Leading zeros, a line break inside a quoted value, NFD text, spaces."""
    decomposed = unicodedata.normalize("NFD", "Hạ Long")
    body = (
        "response_id,stratum,psu,weight,A1,A2,place\n"
        f'r1,S1,P1,2.5,04,9,"{decomposed}"\n'
        'r2,S1,P2,1,, 5 ,"two\nlines"\n'
        "r3,S1,P2,3,1,2,Hạ Long \n"
    )
    path = tmp_path / "odd.csv"
    path.write_text(body, encoding="utf-8")
    fast = read_flat_file(str(path), ["A1", "A2"], ["A1", "A2"])
    assert fast_results == [fast]
    exact = read_flat_text(body, ["A1", "A2"], ["A1", "A2"])
    assert_same(fast, exact)
    assert fast.answers.tolist() == [[4, 0], [0, 5], [1, 2]]
    assert list(fast.others["place"]) == ["Hạ Long", "two\nlines", "Hạ Long"]
    assert fast.others["place"].labels == ("Hạ Long", "two\nlines")  # NFC: one label


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("r1,S1,P1,2,10,x", "A1"),  # two characters: must not be cut to "1"
        ("r1,S1,P1,2,7,x", "A1"),
        ("r1,S1,P1,0,4,x", "weight"),
        ("r1,,P1,2,4,x", "stratum"),
        ("r1,S1, ,2,4,x", "psu"),
    ],
)
def test_anything_odd_goes_to_the_exact_reader(tmp_path, fast_results, row, column):
    """The Arrow reader is offered the file (however small) and steps aside; the
    exact reader names the row and column."""
    path = tmp_path / "bad.csv"
    path.write_text(f"response_id,stratum,psu,weight,A1,g\n{row}\n", encoding="utf-8")
    with pytest.raises(FlatFileError) as caught:
        read_flat_file(str(path), ["A1"], ["A1"])
    assert fast_results == [None]
    assert [p.column for p in caught.value.problems] == [column]
    assert caught.value.problems[0].row == 2


@pytest.mark.parametrize("value", ["0", "00", "-0", "7", "-3", "10", "0x4", "0X5"])
def test_the_fast_reader_refuses_what_the_exact_reader_refuses(
    tmp_path, fast_results, value
):
    """A written 0 reads as 0 in Arrow, as a blank does: the exact reader names it."""
    path = tmp_path / "zero.csv"
    path.write_text(
        f"response_id,stratum,psu,weight,A1,A2\nr1,S1,P1,2,4,\nr2,S1,P2,1,{value},5\n",
        encoding="utf-8",
    )
    with pytest.raises(FlatFileError) as caught:
        read_flat_file(str(path), ["A1", "A2"], ["A1", "A2"])
    assert fast_results == [None]  # Arrow read it, then stepped aside
    problem = caught.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (3, "A1", value)


def test_long_values_are_not_cut(tmp_path):
    long_psu = "P" * 80
    path = tmp_path / "long.csv"
    path.write_text(
        f"response_id,stratum,psu,weight,A1\nr1,S1,{long_psu},2,4\nr2,S1,P2,1,5\n",
        encoding="utf-8",
    )
    assert read_flat_file(str(path), ["A1"], ["A1"]).psus[0] == long_psu


def test_int8_chunks_with_offsets_and_nulls_are_copied_in_order():
    """Chunks of Arrow's int8 columns may start inside their buffers and hold nulls."""
    pa = pytest.importorskip("pyarrow")
    whole = pa.array([1, None, 3, 4, None, 9, 5, 2, None, 1, 3], type=pa.int8())
    column = pa.chunked_array(
        [whole.slice(1, 6), pa.array([2, 2], type=pa.int8()), whole.slice(9, 2)]
    )
    out = np.full(10, 7, dtype=np.uint8)
    flatfile._copy_int8(column, out)
    assert out.tolist() == [0, 3, 4, 0, 9, 5, 2, 2, 1, 3]


def test_answer_chunks_with_offsets_blanks_and_nulls_are_read_in_order():
    """Chunks of Arrow's binary columns may start inside their buffers, hold
    blanks, nulls and longer cells: each is read as the exact reader reads it."""
    pa = pytest.importorskip("pyarrow")
    whole = pa.array([b"1", b"", b"3", b"4", b"", b"9", b"5", b"2", b"", b"1", b"3"])
    column = pa.chunked_array(
        [
            whole.slice(1, 6),  # starts inside its buffers, with blanks
            pa.array([b"2", None]),  # a null reads as a blank
            pa.array([b" 4 ", b"04", b"009", b""]),  # longer cells
            whole.slice(9, 2),  # every cell one byte
            pa.array([b"", b""]),  # every cell blank
        ]
    )
    out = np.zeros(16, dtype=np.uint8)
    start = 0
    for chunk in column.chunks:
        assert flatfile._read_codes(chunk, out[start : start + len(chunk)])
        start += len(chunk)
    assert out.tolist() == [0, 3, 4, 0, 0, 5, 2, 0, 4, 4, 0, 0, 1, 3, 0, 0]


@pytest.mark.parametrize(
    "cells",
    [[b"4", b"0"], [b"45", b""], [b"4", b"x"], [b"\xff\xfe", b"4"], [b"", b"6"]],
)
def test_a_chunk_with_any_other_cell_is_refused(cells):
    """Two answers run together ("45" beside a blank has as many bytes as two
    answers), a 0, a letter, bytes that are no UTF-8."""
    pa = pytest.importorskip("pyarrow")
    out = np.zeros(len(cells), dtype=np.uint8)
    assert not flatfile._read_codes(pa.array(cells, type=pa.binary()), out)


def test_an_x_in_text_keeps_the_fast_reader(tmp_path, fast_results):
    """Only an answer such as "0x4" sends a file to the exact reader, not an x
    elsewhere ("Xã", "0 x")."""
    path = tmp_path / "x.csv"
    path.write_text(
        "response_id,stratum,psu,weight,A1,place\n"
        "r1,S1,P1,2,4,Xã Hạ Long\nr2,S1,P2,1,5,box 0 x\n",
        encoding="utf-8",
    )
    fast = read_flat_file(str(path), ["A1"], ["A1", "place"])
    assert fast_results == [fast]
    assert fast.answers.tolist() == [[4], [5]]


@pytest.mark.parametrize(
    ("header", "row", "as_bytes"),
    [
        ("response_id,stratum,psu,weight,A1,sex", "r1,S1,P1,2,4,nam", False),
        ("response_id,stratum,psu,weight,A1,place", "r1,S1,P1,2,4,Xã Hạ Long", True),
        ("response_id,stratum,psu,weight,A1,place", "r1,S1,P1,2,4,box", True),
    ],
    ids=["x-in-header-only", "capital-X-in-a-row", "x-in-a-row"],
)
def test_answers_are_read_as_bytes_only_when_a_row_holds_an_x(
    tmp_path, fast_results, monkeypatch, header, row, as_bytes
):
    """Answers are Arrow integers (less to read) unless a row holds an x, which
    could be a "0x4" that Arrow would read as 4; an x in the header ("sex",
    "expectations" in every export) does not count."""
    seen = []
    real = flatfile._byte_codes
    monkeypatch.setattr(
        flatfile, "_byte_codes", lambda *args: seen.append(1) or real(*args)
    )
    path = tmp_path / "h.csv"
    path.write_text(f"{header}\n{row}\nr2,S1,P2,1,5,y\n", encoding="utf-8")
    fast = read_flat_file(str(path), ["A1"], ["A1"])
    assert fast_results == [fast]
    assert fast.answers.tolist() == [[4], [5]]
    assert bool(seen) is as_bytes


def test_answers_read_as_bytes_equal_the_exact_reader(tmp_path, fast_results):
    """Leading zeros, spaces, 9, blanks and a line break in a quoted value, in a
    file whose rows hold an x: the bytes are read as the exact reader reads them."""
    body = (
        "response_id,stratum,psu,weight,A1,A2,A3,place\n"
        "r1,S1,P1,2.5,04,9,1,Xã Hạ Long\n"
        'r2,S1,P2,1,, 5 ,2,"two\nlines"\n'
        "r3,S2,P1,3,1,,009,x\n"
        "r4,S2,P2,3,5,3,,x\n"
    )
    path = tmp_path / "bytes.csv"
    path.write_text(body, encoding="utf-8")
    fast = read_flat_file(str(path), ["A1", "A2", "A3"], ["A1", "A2", "A3"])
    assert fast_results == [fast]
    exact = read_flat_text(body, ["A1", "A2", "A3"], ["A1", "A2", "A3"])
    assert_same(fast, exact)
    assert fast.answers.tolist() == [[4, 0, 1], [0, 5, 2], [1, 0, 0], [5, 3, 0]]


@pytest.mark.parametrize("reader", ["fast", "exact"])
def test_only_the_other_columns_asked_for_are_kept(tmp_path, monkeypatch, reader):
    """The analysis reads the --by and calibration columns: the others of an
    export (unit, channel, comment …) are left unread, by either reader."""
    if reader == "fast":
        monkeypatch.setattr(flatfile, "SMALL_FILE_BYTES", 0)
    body = (
        "response_id,stratum,psu,weight,A1,sex,comment,unit\n"
        "r1,S1,P1,2,4,nam,rất tốt,U1\nr2,S1,P2,1,5,nữ,,U2\n"
    )
    path = tmp_path / "wide.csv"
    path.write_text(body, encoding="utf-8")
    some = read_flat_file(str(path), ["A1"], ["A1"], others={"sex", "missing"})
    assert set(some.others) == {"sex"}
    assert list(some.others["sex"]) == ["nam", "nữ"]
    assert some.answers.tolist() == [[4], [5]]
    none = read_flat_file(str(path), ["A1"], ["A1"], others=())
    assert none.others == {}
    every = read_flat_file(str(path), ["A1"], ["A1"])
    assert set(every.others) == {"sex", "comment", "unit"}


@pytest.mark.parametrize(
    ("labels", "clean"),
    [
        (["P1", "P2", "a-b_c.9"], True),
        ([" P1", "P2"], False),
        (["P1", "P2\t"], False),
        (["P1", "P2\x1f"], False),  # str.strip() takes \x1c-\x1f off too
        (["P1", "Xã"], False),  # NFC could change it
        (["P1", "", "P2"], True),  # a blank has no ends (the reader refuses it)
    ],
)
def test_a_dictionary_is_already_clean_only_when_ascii_with_no_end_spaces(
    labels, clean
):
    pa = pytest.importorskip("pyarrow")
    assert flatfile._already_clean(pa.array(labels, type=pa.string())) is clean
    # a dictionary that starts inside its buffers, as a slice of a larger one
    sliced = pa.array(["  x", "é", *labels], type=pa.string()).slice(2)
    assert flatfile._already_clean(sliced) is clean


def test_psu_labels_keep_their_order_and_merge_on_either_path(tmp_path, fast_results):
    """Clean PSU codes are taken as Arrow gives them; codes equal once stripped
    and in NFC ("P1" and " P1", "Xã" decomposed and composed) are still one PSU."""
    decomposed = unicodedata.normalize("NFD", "Xã")
    rows = [("S1", "P2"), ("S1", "P1"), ("S1", "P2"), ("S2", "P3")]
    clean = tmp_path / "clean.csv"
    clean.write_text(
        "response_id,stratum,psu,weight,A1\n"
        + "".join(f"r{i},{s},{p},1,4\n" for i, (s, p) in enumerate(rows)),
        encoding="utf-8",
    )
    untidy = tmp_path / "untidy.csv"
    untidy.write_text(
        "response_id,stratum,psu,weight,A1\n"
        f"r1,S1,Xã,1,4\nr2,S1, P1,1,5\nr3,S1,{decomposed},1,4\nr4,S1,P1,1,3\n",
        encoding="utf-8",
    )
    first = read_flat_file(str(clean), ["A1"], ["A1"])
    assert first.psus.labels == ("P2", "P1", "P3")
    assert first.psus.codes.tolist() == [0, 1, 0, 2]
    second = read_flat_file(str(untidy), ["A1"], ["A1"])
    assert second.psus.labels == ("Xã", "P1")
    assert second.psus.codes.tolist() == [0, 1, 0, 1]
    assert fast_results == [first, second]  # both read by Arrow
