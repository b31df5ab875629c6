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

Spellings that hide a number or an address are read through: digits of any script,
en and em dashes, "/", "_", "," or runs of spaces between digits, the letter O for a
zero inside a number, and "at … dot" written out without brackets.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

#: What replaces a hidden character.
MASK = "•"

#: Dashes read as "-": hyphen, non-breaking hyphen, figure, en and em dash, bar, minus.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"


class _Folding(dict[int, int]):
    """Characters read as ASCII, one for one (so positions in the folded text are
    positions in the text): full-width forms (U+FF01–U+FF5E, "０９１２", "＠"),
    digits of every script ("٠٩١٢", "০৯"), dashes; found as they are met."""

    def __missing__(self, code: int) -> int:
        character = chr(code)
        if 0xFF01 <= code <= 0xFF5E:
            folded = code - 0xFEE0
        elif code == 0x3000:  # ideographic space
            folded = 0x20
        elif character in _DASHES:
            folded = ord("-")
        elif unicodedata.category(character) == "Nd":
            folded = ord("0") + unicodedata.digit(character)
        else:
            raise LookupError(code)  # str.translate: left as it is
        self[code] = folded
        return folded


_FOLD = _Folding()
#: A letter O among the digits of a number ("O912 345 67O"): read as a zero. The
#: run touches no other letter, so words are never read as numbers.
_O_IN_NUMBER = re.compile(r"(?<![^\W\d_])(?=[\doO]*\d)[\doO]+(?![^\W\d_])")
#: … and a group of O's on its own next to a group of digits ("03–O–000 000").
_O_ALONE = re.compile(r"(?<![^\W\d_])[oO]+(?![^\W\d_])")
_DIGITS_BEFORE = re.compile(r"\d[ .\-/_,]{1,6}$")
_DIGITS_AFTER = re.compile(r"[ .\-/_,]{1,6}\d")


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
#: In a phone number also a closing bracket ("(0203) 3xxx xxx", "(+84) 912 …"), "/"
#: or "_", a comma without spaces ("0912,345,678"; "0,5, 0,7" is a list) and runs of
#: up to six spaces.
_PHONE_SEP = r"(?:[ \t\u00a0\u202f]{1,6}|[ \u00a0\u202f]?[.\-)/_][ \u00a0\u202f]?|,)?"
#: Dates written with "/" ("12/03/2024", "03/2024") are never part of a number:
#: hidden before numbers are looked for ("/" separates a phone's digits too).
_SLASH_DATE = re.compile(
    r"(?<![\d/])\d{1,2}/(?:\d{1,2}/\d{2,4}|\d{1,2}|\d{4})(?![\d/])"
)


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
#: of three (dotted groups of three are an amount: "123.456.789"; "2024 2024 3" is
#: two years and a count).
_CMND = r"[0-3](?:\d{8}|\d\d[ \u00a0]\d{3}[ \u00a0]\d{3})"
_CITIZEN_ID = re.compile(
    rf"{_ALONE_BEFORE}(?:{_CCCD}|{_CMND}){_ALONE_AFTER}{_AMOUNT_AFTER}",
    re.IGNORECASE,
)
#: Passport: one letter and seven digits ("B1234567", "C 1234567").
_PASSPORT = re.compile(r"(?<![\w•])[A-Za-z] ?\d{7}(?![\w•])")

#: Written-out "@" and "." of obfuscated addresses: "a [at] b [dot] com", and
#: "a at b dot com" (English words only: "chấm" is an everyday Vietnamese word).
_AT = r"(?:\s?@\s?|\s?[\[({]\s?(?:at|a còng)\s?[\])}]\s?|\s+at\s+)"
_DOT = r"(?:\.|\s?[\[({]\s?(?:dot|chấm)\s?[\])}]\s?|\s+dot\s+)"
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
_DIGIT_RUN = re.compile(r"\d(?:[ .\-)/_,\u00a0\u202f\t]{0,7}\d){6}")
_AT_WORD = re.compile(r"[\[({]\s?(?:at|a còng)\s?[\])}]|\sat\s.*\sdot\s", re.IGNORECASE)


def fold(text: str) -> str:
    """``text`` as ASCII where it hides digits or signs (same length): full-width
    forms, digits of any script, dashes, and a letter O among a number's digits."""
    if not text.isascii():
        text = text.translate(_FOLD)
    if "o" in text or "O" in text:
        text = _O_IN_NUMBER.sub(lambda m: _zeros(m.group()), text)
        for _ in range(3):  # "03–O–O–000 000": each pass reads one more group
            text = _O_ALONE.sub(_zero_if_in_number, text)
    return text


def _zero_if_in_number(match: re.Match[str]) -> str:
    """A group of O's as zeros when digits are next to it, across a separator."""
    text, (start, end) = match.string, match.span()
    before, after = text[max(0, start - 7) : start], text[end : end + 7]
    if _DIGITS_BEFORE.search(before) or _DIGITS_AFTER.match(after):
        return _zeros(match.group())
    return match.group()


def _zeros(run: str) -> str:
    return run.replace("o", "0").replace("O", "0")


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
    without_dates = _SLASH_DATE.sub(lambda m: "#" * len(m.group()), folded)
    taken: list[Finding] = []
    for kind, pattern in patterns:
        searched = folded if kind is Kind.email else without_dates
        for match in pattern.finditer(searched):
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
