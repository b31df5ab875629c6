"""Charts of the PDF report, drawn with reportlab.graphics in the embedded font.

Factor indices are bars from 0 to 100% with their interval as a whisker (bars that
start elsewhere exaggerate differences). The summary's charts (ranking, heat map,
trend) are in `pdf_story`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from sipas.i18n import format_percent
from sipas.reports.fonts import BOLD, REGULAR
from sipas.reports.pdf_styles import (
    ACCENT,
    ACCENT_LIGHT,
    FRAME_WIDTH,
    INK,
    MUTED,
    RULE,
    is_known,
)
from sipas.stats.indices import IndexResult

LABEL_SIZE = 8
TICK_SIZE = 7.5


@dataclass(frozen=True)
class ChartRow:
    """One row of a chart: its label, the index and whether to set it in bold."""

    label: str
    result: IndexResult
    strong: bool = False


def _drawing(width: float, height: float) -> Drawing:
    """A drawing whose initial font is ours (the default, Helvetica, would be
    listed in the PDF even if no string used it)."""
    drawing = Drawing(width, height)
    drawing.initialFontName = REGULAR
    return drawing


def _bounds(result: IndexResult) -> tuple[float, float, float] | None:
    value = result.estimate.value
    lower, upper = result.interval.lower, result.interval.upper
    if not (is_known(value) and is_known(lower) and is_known(upper)):
        return None
    return value, lower, upper


def _label(x: float, y: float, text: str, font: str = REGULAR) -> String:
    """A row label (or value) in the chart's label size."""
    return String(x, y, text, fontName=font, fontSize=LABEL_SIZE, fillColor=INK)


def _fit(text: str, width: float, font: str = REGULAR, size: float = LABEL_SIZE) -> str:
    """``text`` cut with an ellipsis so it fits ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _axis(
    drawing: Drawing,
    x0: float,
    plot: float,
    top: float,
    ticks: Sequence[float],
    lo: float,
    hi: float,
) -> None:
    """Vertical grid lines with percent labels under the plot."""
    for tick in ticks:
        x = x0 + (tick - lo) / (hi - lo) * plot
        drawing.add(Line(x, 12, x, top, strokeColor=RULE, strokeWidth=0.3))
        drawing.add(
            String(
                x,
                3,
                format_percent(tick, 0),
                fontName=REGULAR,
                fontSize=TICK_SIZE,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )


def _whisker(drawing: Drawing, x1: float, x2: float, y: float, cap: float) -> None:
    drawing.add(Line(x1, y, x2, y, strokeColor=INK, strokeWidth=0.8))
    for x in (x1, x2):
        drawing.add(Line(x, y - cap, x, y + cap, strokeColor=INK, strokeWidth=0.8))


def factor_chart(rows: Sequence[ChartRow], width: float = FRAME_WIDTH) -> Drawing:
    """Horizontal bars (0–100%) with 95% interval whiskers and the value at the end."""
    label_width, value_width = 0.36 * width, 44
    plot = width - label_width - value_width - 8
    row_height = 26
    height = 18 + row_height * len(rows)
    drawing = _drawing(width, height)
    x0 = label_width + 6
    _axis(drawing, x0, plot, height - 2, [k / 5 for k in range(6)], 0.0, 1.0)
    for k, row in enumerate(rows):
        y = height - (k + 0.5) * row_height - 2
        font = BOLD if row.strong else REGULAR
        lines = simpleSplit(row.label, font, LABEL_SIZE, label_width)[:2]
        if (
            len(lines) == 2
            and len(simpleSplit(row.label, font, LABEL_SIZE, label_width)) > 2
        ):
            lines[1] = _fit(lines[1] + " …", label_width, font)
        for j, line in enumerate(lines):
            offset = (len(lines) - 1) * 4.5 - j * 9.5
            drawing.add(_label(0, y + offset - 3, line, font))
        bounds = _bounds(row.result)
        if bounds is None:
            continue
        value, lower, upper = bounds
        colour = ACCENT if row.strong else ACCENT_LIGHT
        drawing.add(
            Rect(x0, y - 6, value * plot, 12, fillColor=colour, strokeColor=None)
        )
        _whisker(drawing, x0 + max(lower, 0) * plot, x0 + min(upper, 1) * plot, y, 3.5)
        drawing.add(_label(x0 + plot + 6, y - 3, format_percent(value), font))
    return drawing
