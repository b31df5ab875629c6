"""Rules every unit obeys, and its text folded for search; pure functions shared by
the unit forms, the import and the tree search."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from sipas.models.units import UnitLevel

#: Levels from the top of the hierarchy down; a child sits strictly lower.
LEVEL_ORDER = (
    UnitLevel.province,
    UnitLevel.district,
    UnitLevel.commune,
    UnitLevel.centre,
)

#: Vietnamese words accepted for each level, compared without diacritics.
LEVEL_WORDS = {
    "tinh": UnitLevel.province,
    "huyen": UnitLevel.district,
    "quan": UnitLevel.district,
    "thi xa": UnitLevel.district,
    "xa": UnitLevel.commune,
    "phuong": UnitLevel.commune,
    "thi tran": UnitLevel.commune,
    "trung tam": UnitLevel.centre,
}

CODE_PATTERN = re.compile(r"[\w-]+")
CODE_MAX = 40
NAME_MAX = 200


def clean(value: object) -> str:
    """A cell or form value as trimmed NFC text ("" for nothing)."""
    if value is None:
        return ""
    if type(value) is str and value.isascii():
        return value.strip()  # ASCII is its own NFC: the common case, fast
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets store the code 101 as 101.0
    return unicodedata.normalize("NFC", str(value)).strip()


def fold(text: str) -> str:
    """``text`` without diacritics, lower case: "Đông Hạ" → "dong ha"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    stripped = "".join(
        c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
    )
    return stripped.lower()


def highlight(text: str, query: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) parts where ``query`` matches it, ignoring
    diacritics and case."""
    needle = fold(query.strip())
    if not needle:
        return [(text, False)]
    folded, origin = "", []
    for index, char in enumerate(text):
        piece = _fold_char(char)
        folded += piece
        origin.extend([index] * len(piece))
    parts: list[tuple[str, bool]] = []
    done, start = 0, folded.find(needle)
    while start >= 0:
        begin, end = origin[start], origin[start + len(needle) - 1] + 1
        if begin > done:
            parts.append((text[done:begin], False))
        parts.append((text[begin:end], True))
        done = end
        start = folded.find(needle, start + len(needle))
    if done < len(text):
        parts.append((text[done:], False))
    return parts


def code_error(code: str) -> str | None:
    """Why ``code`` cannot be a unit code, or None."""
    if not code:
        return _l("Enter a code.")
    if len(code) > CODE_MAX:
        return _l("A code has at most %(n)s characters.", n=CODE_MAX)
    if not CODE_PATTERN.fullmatch(code):
        return _l("A code may hold only letters, digits, '-' and '_'.")
    return None


def parse_level(value: str) -> UnitLevel | None:
    """The level named by ``value`` (enum value or Vietnamese word), or None."""
    word = " ".join(fold(value).split())
    if word in UnitLevel.__members__:
        return UnitLevel(word)
    return LEVEL_WORDS.get(word)


def level_allows(child: UnitLevel, parent: UnitLevel) -> bool:
    """True if a unit of level ``child`` may sit under one of level ``parent``."""
    return LEVEL_ORDER.index(child) > LEVEL_ORDER.index(parent)


def parse_date(value: object) -> date | None:
    """A date from YYYY-MM-DD, dd/mm/yyyy or a spreadsheet date; ValueError else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value)
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def dates_error(valid_from: date | None, valid_to: date | None) -> str | None:
    """Why the validity dates do not fit together, or None."""
    if valid_from and valid_to and valid_to < valid_from:
        return _l("The end date is before the start date.")
    return None
