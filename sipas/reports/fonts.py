"""The report's font: Be Vietnam Pro (SIL OFL), shipped by a PyPI package.

ReportLab's base fonts (Helvetica …) have no Vietnamese letters, so every string of
the report is set in this TrueType family, embedded (subset) in the PDF.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fontpkg_be_vietnam_pro
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile

#: Family name used in paragraph styles (``<b>`` and ``<i>`` pick the other faces).
FAMILY = "BeVietnamPro"
REGULAR = FAMILY
BOLD = f"{FAMILY}-Bold"
ITALIC = f"{FAMILY}-Italic"
BOLD_ITALIC = f"{FAMILY}-BoldItalic"

#: ReportLab name → file in the package's files/ folder.
FACES = {
    REGULAR: "BeVietnamPro-Regular.ttf",
    BOLD: "BeVietnamPro-Bold.ttf",
    ITALIC: "BeVietnamPro-Italic.ttf",
    BOLD_ITALIC: "BeVietnamPro-BoldItalic.ttf",
}


def font_file(face: str = REGULAR) -> Path:
    """Path of the TTF file of one face."""
    return Path(fontpkg_be_vietnam_pro.__file__).parent / "files" / FACES[face]


@cache
def register_fonts() -> str:
    """Register the four faces and the family once per process; return the family."""
    for face in FACES:
        pdfmetrics.registerFont(TTFont(face, str(font_file(face))))
    addMapping(FAMILY, 0, 0, REGULAR)
    addMapping(FAMILY, 1, 0, BOLD)
    addMapping(FAMILY, 0, 1, ITALIC)
    addMapping(FAMILY, 1, 1, BOLD_ITALIC)
    return FAMILY


@cache
def _covered(face: str) -> frozenset[int]:
    """Code points the face has a glyph for (its cmap)."""
    return frozenset(TTFontFile(str(font_file(face))).charToGlyph)


def missing_characters(text: str, face: str = REGULAR) -> set[str]:
    """Characters of ``text`` the face cannot draw (white space aside)."""
    covered = _covered(face)
    return {ch for ch in text if not ch.isspace() and ord(ch) not in covered}
