"""Personal data in free-text answers: Vietnamese phone numbers, citizen ID and
passport numbers, e-mail addresses — found and masked.

Pure (standard library only). A mask keeps the text readable and the kind of data
visible: digits and letters become "•" except a few at the ends —
``0912 345 678`` → ``09•• ••• •78``, ``001234567890`` → ``••••••••••90``,
``nguyenvana@gmail.com`` → ``n•••••••••@gmail.com``. A mask contains no digit or
letter run that could be found again, so masking is idempotent.

Not personal, so left alone: ordinary numbers (years, amounts such as
"500.000 đồng" or "1.500.000.000 đ", dates, counts, "câu 12", decision numbers
"1234/QĐ-UBND"), public hotlines (1800/1900 …) and emergency numbers (113, 115).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

#: What replaces a hidden character.
MASK = "•"

#: Full-width ASCII forms (U+FF01–U+FF5E, e.g. "０９１２", "＠") read as ASCII;
#: one character for one, so positions in the folded text are positions in the text.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20  # ideographic space


class Kind(StrEnum):
    """The kinds of personal data found."""

    phone = "phone"
    citizen_id = "citizen_id"
    passport = "passport"
    email = "email"


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and where it is (``text[start:end]``)."""

    kind: Kind
    start: int
    end: int


#: Between two digits of a number: nothing, a space, or a dot/hyphen (spaced or not).
_SEP = r"(?:[ \t\u00a0\u202f]{1,2}|[ \u00a0\u202f]?[.\-][ \u00a0\u202f]?)?"
#: In a phone number also a closing bracket: "(0203) 3xxx xxx", "(+84) 912 …".
_PHONE_SEP = r"(?:[ \t\u00a0\u202f]{1,2}|[ \u00a0\u202f]?[.\-)][ \u00a0\u202f]?)?"


def _digits(count: int, sep: str = _SEP) -> str:
    """``count`` digits, each but the first optionally after a separator."""
    return r"\d" + rf"(?:{sep}\d)" + "{" + str(count - 1) + "}"


#: Money and measures after a number: then it is neither a phone nor an ID.
_AMOUNT_AFTER = (
    r"(?![ \u00a0]?(?:(?:đồng|đ|vnđ|vnd|triệu|nghìn|ngàn|tỷ|tỉ|k|usd)\b|%|\$))"
)
#: Mobile 0[3|5|7|8|9]x (10 digits), old 01x mobiles and 02x landlines (11 digits),
#: old 04x/06x landlines (10); with 0, or +84 / (+84) / 84 instead of the 0.
_NATIONAL = (
    rf"(?:[3-9]{_PHONE_SEP}{_digits(8, _PHONE_SEP)}"
    rf"|[12]{_PHONE_SEP}{_digits(9, _PHONE_SEP)})"
)
_PHONE = re.compile(
    rf"""
    (?<![\d+])
    (?:
        (?:\(\s?\+?\s?84\s?\)|\+\s?84|84)(?:{_PHONE_SEP}0)?   # country code
      | \(?\s?0
    )
    {_PHONE_SEP}{_NATIONAL}
    (?!\d){_AMOUNT_AFTER}
    """,
    re.VERBOSE | re.IGNORECASE,
)

#: An ID stands alone: no digit next to it, even across a separator.
_ALONE_BEFORE = r"(?<!\d)(?<!\d[ .,\-])"
_ALONE_AFTER = r"(?!\d)(?![ .,\-]\d)"
#: Citizen identity card (CCCD): 12 digits, the first a province code 0xx.
_CCCD = rf"0{_SEP}{_digits(11)}"
#: Old identity card (CMND): 9 digits starting 0–3, unseparated or in space groups
#: (dotted groups of three are an amount: "123.456.789").
_CMND = r"[0-3](?:[ \u00a0]?\d){8}"
_CITIZEN_ID = re.compile(
    rf"{_ALONE_BEFORE}(?:{_CCCD}|{_CMND}){_ALONE_AFTER}{_AMOUNT_AFTER}",
    re.IGNORECASE,
)
#: Passport: one letter and seven digits ("B1234567", "C 1234567").
_PASSPORT = re.compile(r"(?<![\w•])[A-Za-z] ?\d{7}(?![\w•])")

#: Written-out "@" and "." of obfuscated addresses: "a [at] b [dot] com".
_AT = r"(?:\s?@\s?|\s?[\[({]\s?(?:at|a còng)\s?[\])}]\s?)"
_DOT = r"(?:\.|\s?[\[({]\s?(?:dot|chấm)\s?[\])}]\s?)"
_LABEL = r"[^\W_](?:[\w\-]*[^\W_])?"
_EMAIL = re.compile(
    rf"(?<![\w.%+\-•])(?P<local>[\w%+\-](?:[\w.%+\-]*[\w%+\-])?){_AT}"
    rf"(?P<domain>{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}[^\W\d_]{{2,}})(?![\w\-])",
    re.IGNORECASE,
)

#: Checked in this order; a later finding overlapping an earlier one is dropped
#: (an ID must stand alone, so it is tried before the looser phone pattern).
_NUMBERS = (
    (Kind.citizen_id, _CITIZEN_ID),
    (Kind.phone, _PHONE),
    (Kind.passport, _PASSPORT),
)
#: Quick tests that let most comments skip the patterns: a run of seven digits
#: (separators allowed), an "@" or a written-out one.
_DIGIT_RUN = re.compile(r"\d(?:[ .\-)\u00a0\u202f\t]{0,3}\d){6}")
_AT_WORD = re.compile(r"[\[({]\s?(?:at|a còng)\s?[\])}]", re.IGNORECASE)
_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")


def fold(text: str) -> str:
    """``text`` with full-width digits, letters and signs as ASCII (same length)."""
    return text.translate(_FOLD) if _FULL_WIDTH.search(text) else text


def find_personal_data(text: str) -> tuple[Finding, ...]:
    """Every phone number, ID number and e-mail address in ``text``, in order."""
    if not text:
        return ()
    folded = fold(text)
    patterns: list[tuple[Kind, re.Pattern[str]]] = []
    if "@" in folded or _AT_WORD.search(folded):
        patterns.append((Kind.email, _EMAIL))
    if _DIGIT_RUN.search(folded):
        patterns.extend(_NUMBERS)
    taken: list[Finding] = []
    for kind, pattern in patterns:
        for match in pattern.finditer(folded):
            start, end = _trimmed(folded, match.start(), match.end())
            if all(end <= f.start or start >= f.end for f in taken):
                taken.append(Finding(kind, start, end))
    return tuple(sorted(taken, key=lambda f: f.start))


def _trimmed(folded: str, start: int, end: int) -> tuple[int, int]:
    """The span without the brackets and spaces a pattern may take at its ends."""
    while start < end and folded[start] in " \t\u00a0\u202f(":
        start += 1
    while end > start and folded[end - 1] in " \t\u00a0\u202f)":
        end -= 1
    return start, end


def contains_personal_data(text: str) -> bool:
    """True when ``text`` holds at least one phone, ID number or e-mail address."""
    return bool(find_personal_data(text))


def mask_personal_data(text: str) -> str:
    """``text`` with every piece of personal data masked (see the module's notes)."""
    findings = find_personal_data(text)
    if not findings:
        return text
    parts: list[str] = []
    position = 0
    for finding in findings:
        parts.append(text[position : finding.start])
        parts.append(_mask(finding.kind, text[finding.start : finding.end]))
        position = finding.end
    parts.append(text[position:])
    return "".join(parts)


def _mask(kind: Kind, found: str) -> str:
    """One finding masked: phones keep their first and last two digits, IDs and
    passports the last two, e-mail addresses the first letter and the domain."""
    if kind is Kind.email:
        return _mask_email(found)
    keep_first = 2 if kind is Kind.phone else 0
    folded = fold(found)
    positions = [i for i, c in enumerate(folded) if c.isalnum() and c.isascii()]
    hidden = set(positions[keep_first:-2])
    return "".join(MASK if i in hidden else c for i, c in enumerate(found))


def _mask_email(found: str) -> str:
    match = _EMAIL.match(fold(found))
    if match is None:  # cannot happen: ``found`` was matched by the same pattern
        return MASK * len(found)
    local_end = match.end("local")
    if local_end == 1:
        return MASK + found[1:]
    return found[0] + MASK * (local_end - 1) + found[local_end:]


__all__ = [
    "MASK",
    "Finding",
    "Kind",
    "contains_personal_data",
    "find_personal_data",
    "fold",
    "mask_personal_data",
]
