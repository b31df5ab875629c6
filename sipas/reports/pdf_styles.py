"""Paragraph and table styles of the PDF report, and the figures as they are shown.

Every style names the embedded font explicitly: ReportLab's defaults are Helvetica,
which has no Vietnamese letters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeGuard
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, Table, TableStyle

from sipas.i18n import format_number, format_percent
from sipas.reports.fonts import BOLD, FAMILY, REGULAR, register_fonts
from sipas.stats.intervals import Interval

PAGE_SIZE = A4
MARGIN_LEFT, MARGIN_RIGHT = 2.5 * cm, 2 * cm
MARGIN_TOP, MARGIN_BOTTOM = 2 * cm, 2 * cm
#: Width of the text block.
FRAME_WIDTH = PAGE_SIZE[0] - MARGIN_LEFT - MARGIN_RIGHT

INK = colors.HexColor("#1b1f24")
MUTED = colors.HexColor("#5b6570")
RULE = colors.HexColor("#9aa3ad")
HEADER_FILL = colors.HexColor("#e8edf3")
GROUP_FILL = colors.HexColor("#f4f6f8")
ACCENT = colors.HexColor("#1f5fa8")
ACCENT_LIGHT = colors.HexColor("#6f9bd1")
WEAK = colors.HexColor("#b45309")

register_fonts()


def _style(name: str, **settings: object) -> ParagraphStyle:
    base = {"fontName": REGULAR, "fontSize": 10, "leading": 13.5, "textColor": INK}
    base.update(settings)
    return ParagraphStyle(name, **base)


STYLES = {
    "body": _style("body", alignment=TA_JUSTIFY, spaceBefore=3, spaceAfter=5),
    "heading_left": _style(
        "heading_left", fontName=BOLD, fontSize=10, leading=13, alignment=TA_CENTER
    ),
    "heading_right": _style(
        "heading_right", fontName=BOLD, fontSize=10, leading=13, alignment=TA_CENTER
    ),
    "dateline": _style(
        "dateline", fontName=f"{FAMILY}-Italic", alignment=TA_CENTER, fontSize=10
    ),
    "title": _style(
        "title", fontName=BOLD, fontSize=15, leading=20, alignment=TA_CENTER
    ),
    "subtitle": _style(
        "subtitle", fontName=BOLD, fontSize=11.5, leading=15.5, alignment=TA_CENTER
    ),
    "centred": _style("centred", alignment=TA_CENTER, spaceAfter=2),
    "h1": _style(
        "h1", fontName=BOLD, fontSize=12, leading=16, spaceBefore=12, spaceAfter=6
    ),
    "h2": _style(
        "h2",
        fontName=f"{FAMILY}-BoldItalic",
        fontSize=10.5,
        leading=14,
        spaceBefore=8,
        spaceAfter=4,
    ),
    "cell": _style("cell", fontSize=8.5, leading=10.5, alignment=TA_LEFT),
    "cell_bold": _style("cell_bold", fontName=BOLD, fontSize=8.5, leading=10.5),
    "cell_right": _style("cell_right", fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
    "head": _style("head", fontName=BOLD, fontSize=8.5, leading=10.5),
    "head_right": _style(
        "head_right", fontName=BOLD, fontSize=8.5, leading=10.5, alignment=TA_RIGHT
    ),
    "note": _style("note", fontSize=8.5, leading=11, textColor=MUTED, spaceAfter=3),
    "item": _style("item", fontSize=9.5, leading=12.5, leftIndent=10, spaceBefore=3),
    "choices": _style(
        "choices", fontSize=8.5, leading=11, leftIndent=22, textColor=MUTED
    ),
    "footer": _style("footer", fontSize=8, alignment=TA_CENTER, textColor=MUTED),
}


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped) in one of the report's styles."""
    return Paragraph(escape(text), STYLES[style])


def markup(text: str, style: str = "body") -> Paragraph:
    """A paragraph whose text already holds ReportLab markup (``<b>`` …)."""
    return Paragraph(text, STYLES[style])


def is_known(value: float | None) -> TypeGuard[float]:
    """True for a finite number (an index of an empty domain is NaN)."""
    return value is not None and math.isfinite(value)


def pct(value: float | None) -> str:
    """A fraction as the dashboard shows it ("82,66%"), or a dash."""
    return format_percent(value) if is_known(value) else "–"


def interval_text(interval: Interval) -> str:
    """ "80,12% – 85,03%", or a dash when the interval is undefined."""
    if not (is_known(interval.lower) and is_known(interval.upper)):
        return "–"
    return f"{format_percent(interval.lower)} – {format_percent(interval.upper)}"


def count(value: int | float | None) -> str:
    """A count in the Vietnamese way ("12.345")."""
    return format_number(value)


def data_table(
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    *,
    right_columns: Sequence[int] = (),
    group_rows: Sequence[int] = (),
    extra: Sequence[tuple] = (),
) -> Table:
    """A table with a header row repeated on every page it spans.

    Strings become paragraphs (so long wording wraps inside its cell); columns in
    ``right_columns`` are right-aligned; ``group_rows`` span the whole width.
    """
    cells = []
    for r, row in enumerate(rows):
        cells.append(
            [
                _cell(value, header=r == 0, right=c in right_columns)
                for c, value in enumerate(row)
            ]
        )
    commands: list[tuple] = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    for r in group_rows:
        commands += [
            ("SPAN", (0, r), (-1, r)),
            ("BACKGROUND", (0, r), (-1, r), GROUP_FILL),
        ]
    commands += list(extra)
    table = Table(cells, colWidths=list(widths), repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _cell(value: object, *, header: bool, right: bool) -> object:
    if not isinstance(value, str):
        return value
    if header:
        return para(value, "head_right" if right else "head")
    return para(value, "cell_right" if right else "cell")
