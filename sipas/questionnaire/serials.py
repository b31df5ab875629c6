"""Serial numbers of paper forms: a running number with a Damm check digit, and the
machine-readable code printed on each form (wave, unit, serial).

The Damm check digit catches every single wrong digit and every swap of two
neighbouring digits — the two typing errors people make most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Digits of the running number on the form (the check digit comes after them).
SERIAL_DIGITS = 6
#: Prefix of the code printed as QR and barcode text on every form.
CODE_PREFIX = "SIPAS"

# Damm's totally anti-symmetric quasigroup of order 10.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


class SerialError(ValueError):
    """A typed or scanned serial that cannot be a form's serial."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(f"{reason}: {text!r}")
        #: "format" (not digits of the right length) or "check" (wrong check digit)
        self.reason = reason
        self.text = text


def check_digit(digits: str) -> int:
    """The Damm check digit of a string of decimal digits."""
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def is_valid(digits_with_check: str) -> bool:
    """True if the last digit is the Damm check digit of the ones before."""
    return digits_with_check.isdigit() and check_digit(digits_with_check) == 0


def format_serial(number: int) -> str:
    """The serial as printed and typed: the running number, a dash, the check digit
    (``format_serial(123) == "000123-4"``)."""
    if not 0 < number < 10**SERIAL_DIGITS:
        raise ValueError(f"serial {number} out of range")
    digits = f"{number:0{SERIAL_DIGITS}d}"
    return f"{digits}-{check_digit(digits)}"


def parse_serial(text: str) -> int:
    """The running number of a typed serial; spaces and dashes are ignored, the
    check digit must match (raises SerialError)."""
    digits = re.sub(r"[\s\-–.]", "", text)
    if not digits.isdigit() or len(digits) != SERIAL_DIGITS + 1:
        raise SerialError("format", text)
    if not is_valid(digits):
        raise SerialError("check", text)
    number = int(digits[:-1])
    if number == 0:
        raise SerialError("format", text)
    return number


@dataclass(frozen=True)
class FormCode:
    """What the machine-readable code of a form says."""

    wave_code: str
    unit_code: str
    serial: int


def form_code(wave_code: str, unit_code: str, serial: int) -> str:
    """The text of the QR/barcode printed on a form."""
    return f"{CODE_PREFIX}:{wave_code}:{unit_code}:{format_serial(serial)}"


def parse_form_code(text: str) -> FormCode:
    """Read a scanned form code (raises SerialError)."""
    parts = text.strip().split(":")
    if len(parts) != 4 or parts[0] != CODE_PREFIX or not parts[1] or not parts[2]:
        raise SerialError("format", text)
    return FormCode(parts[1], parts[2], parse_serial(parts[3]))


@dataclass(frozen=True)
class FormNumber:
    """What went into the entry screen's serial box: typed or scanned."""

    serial: int
    #: The round and unit the scanned code names; None for a typed serial.
    wave_code: str | None = None
    unit_code: str | None = None


def read_form_number(text: str) -> FormNumber:
    """A typed serial (``000123-4``) or a scanned form code (``SIPAS:…``, which a
    barcode scanner types as keys); raises SerialError."""
    if text.strip().startswith(f"{CODE_PREFIX}:"):
        code = parse_form_code(text)
        return FormNumber(code.serial, code.wave_code, code.unit_code)
    return FormNumber(parse_serial(text))
