"""Serial numbers of paper forms and their check digit."""

import itertools

import pytest

from sipas.questionnaire.serials import (
    FormCode,
    FormNumber,
    SerialError,
    check_digit,
    form_code,
    format_serial,
    is_valid,
    parse_form_code,
    parse_serial,
    read_form_number,
)


def test_known_damm_check_digits():
    assert check_digit("572") == 4  # the textbook example
    assert is_valid("5724")
    assert format_serial(123) == f"000123-{check_digit('000123')}"


@pytest.mark.parametrize("number", [1, 7, 123, 99_999, 999_999])
def test_a_printed_serial_reads_back(number):
    assert parse_serial(format_serial(number)) == number
    assert parse_serial(" " + format_serial(number).replace("-", " ")) == number


def test_every_single_digit_error_is_caught():
    printed = format_serial(4_711).replace("-", "")
    for position, wrong in itertools.product(range(len(printed)), "0123456789"):
        if printed[position] == wrong:
            continue
        typed = printed[:position] + wrong + printed[position + 1 :]
        with pytest.raises(SerialError) as error:
            parse_serial(typed)
        assert error.value.reason == "check"


def test_every_swap_of_neighbouring_digits_is_caught():
    printed = format_serial(385_912).replace("-", "")
    for position in range(len(printed) - 1):
        a, b = printed[position], printed[position + 1]
        if a == b:
            continue
        swapped = printed[:position] + b + a + printed[position + 2 :]
        with pytest.raises(SerialError):
            parse_serial(swapped)


@pytest.mark.parametrize("typed", ["", "12345", "12345678", "abcdefg", "000000-0"])
def test_wrong_shapes_are_refused(typed):
    with pytest.raises(SerialError) as error:
        parse_serial(typed)
    assert error.value.reason == "format"


def test_out_of_range_serials_cannot_be_printed():
    with pytest.raises(ValueError, match="out of range"):
        format_serial(0)
    with pytest.raises(ValueError, match="out of range"):
        format_serial(10**6)


def test_form_code_round_trip():
    text = form_code("2026-q1", "QN-HALONG-TT", 42)
    assert text.startswith("SIPAS:2026-q1:QN-HALONG-TT:000042-")
    assert parse_form_code(text) == FormCode("2026-q1", "QN-HALONG-TT", 42)
    with pytest.raises(SerialError):
        parse_form_code("SIPAS:2026-q1:QN-HALONG-TT")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (format_serial(42), FormNumber(42)),
        (" " + format_serial(42).replace("-", " "), FormNumber(42)),
        (
            form_code("2026-q1", "QN-HALONG-TT", 42),
            FormNumber(42, "2026-q1", "QN-HALONG-TT"),
        ),
        (form_code("demo", "U1", 7) + "\n", FormNumber(7, "demo", "U1")),
    ],
)
def test_the_serial_box_reads_a_typed_serial_or_a_scanned_code(text, expected):
    assert read_form_number(text) == expected


def _wrong_check_digit(text: str) -> str:
    return text[:-1] + str((int(text[-1]) + 1) % 10)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("SIPAS:demo:U1", "format"),
        (_wrong_check_digit(form_code("demo", "U1", 42)), "check"),
        ("SIPAS::U1:000042-" + form_code("d", "U", 42)[-1], "format"),
        ("sipas-demo", "format"),
    ],
)
def test_a_damaged_scan_is_refused_with_its_reason(text, reason):
    with pytest.raises(SerialError) as error:
        read_form_number(text)
    assert error.value.reason == reason
