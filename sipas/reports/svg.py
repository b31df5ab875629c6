"""SVG charts of estimates with interval whiskers, as markup strings (no JavaScript).

Each chart is an accessible image (``role="img"`` with ``<title>`` and ``<desc>``)
that pages show next to a table of the same figures; it scales with the page and
prints as vectors. Callers pass the texts already formatted in their language.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

#: Colours with at least 4.5:1 contrast on white (WCAG AA for graphics and text).
INK = "#1b1f24"
BAR = "#1f5f8b"
GRID = "#8a96a3"
SMALL = "#8a4b00"

WIDTH = 1000
ROW_HEIGHT = 26
TOP = 8
AXIS_HEIGHT = 30
VALUE_WIDTH = 80
#: Share of the width given to the labels; longer ones wrap onto more lines.
LABEL_SHARE = 0.38
FONT = 13
LINE = 16
CHAR = 7.2  # average width of a character at FONT px, for wrapping
_ids = count(1)


@dataclass(frozen=True)
class ChartRow:
    """One estimate: a fraction with its interval, and how to show it."""

    label: str
    value: float
    lower: float
    upper: float
    #: the value as pages show it, e.g. "82,66%"
    value_text: str
    #: resting on too few responses: drawn hollow with a dashed outline
    is_small: bool = False


def _finite(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def wrap(text: str, width: float, size: float = FONT) -> list[str]:
    """``text`` in lines that fit ``width`` px (never cut: a long word stays
    whole on its line)."""
    chars = max(8, int(width / (CHAR * size / FONT)))
    return textwrap.wrap(text, chars, break_long_words=False) or [""]


def text_lines(
    lines: Sequence[str],
    x: float,
    middle: float,
    anchor: str = "end",
    size: float = FONT,
    weight: str = "normal",
    halo: bool = False,
) -> str:
    """Multi-line SVG text centred vertically on ``middle``; with ``halo``, a white
    outline keeps it readable over grid lines."""
    first = middle - (len(lines) - 1) * LINE / 2 + size * 0.35
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{first + k * LINE:.1f}">{escape(line)}</tspan>'
        for k, line in enumerate(lines)
    )
    outline = ' stroke="#ffffff" stroke-width="4" paint-order="stroke"' if halo else ""
    return (
        f'<text text-anchor="{anchor}" font-size="{size}" font-weight="{weight}" '
        f'fill="{INK}"{outline}>{spans}</text>'
    )


def _axis(
    x_of: Callable[[float], float],
    ticks: Sequence[float],
    top: float,
    bottom: float,
    tick_text: Callable[[float], str],
) -> list[str]:
    """Vertical grid lines with their labels under the plot."""
    parts = []
    for tick in ticks:
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="{GRID}" stroke-width="1" stroke-dasharray="2 3"/>'
            f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle" '
            f'font-size="12" fill="{INK}">{escape(tick_text(tick))}</text>'
        )
    return parts


def _ticks(low: float, high: float) -> list[float]:
    """Round ticks between ``low`` and ``high`` (fractions), four to six of them."""
    span = high - low
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25) if span / s <= 6)
    first = math.ceil(low / step - 1e-9) * step
    return [
        round(first + k * step, 6) for k in range(int((high - first) / step + 1e-9) + 1)
    ]


def _range(rows: Sequence[ChartRow], from_zero: bool) -> tuple[float, float]:
    """The scale's ends: 0–100% for bars, the data's span (rounded) for dots."""
    if from_zero:
        return 0.0, 1.0
    lows = [r.lower for r in rows if _finite(r.lower)] or [0.0]
    highs = [r.upper for r in rows if _finite(r.upper)] or [1.0]
    low = max(0.0, math.floor(min(lows) * 20) / 20)
    high = min(1.0, math.ceil(max(highs) * 20) / 20)
    return (low, high) if high > low else (0.0, 1.0)


def interval_chart(
    rows: Sequence[ChartRow],
    *,
    title: str,
    desc: str,
    tick_text: Callable[[float], str],
    dots: bool = False,
) -> Markup:
    """A horizontal chart: one bar (or dot, with ``dots``) per row with its interval.

    Bars start at 0% so their lengths compare; dots use the span of the intervals so
    that close units can be told apart by eye.
    """
    chart_id = f"chart-{next(_ids)}"
    label_width = LABEL_SHARE * WIDTH
    plot_left, plot_right = label_width + 12, WIDTH - VALUE_WIDTH
    low, high = _range(rows, from_zero=not dots)

    def x_of(value: float) -> float:
        share = (min(max(value, low), high) - low) / (high - low)
        return plot_left + share * (plot_right - plot_left)

    labels = [wrap(row.label, label_width) for row in rows]
    heights = [max(ROW_HEIGHT, LINE * len(lines) + 10) for lines in labels]
    plot_bottom = TOP + sum(heights)
    height = plot_bottom + AXIS_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        *_axis(x_of, _ticks(low, high), TOP, plot_bottom, tick_text),
    ]
    top = float(TOP)
    for row, lines, row_height in zip(rows, labels, heights, strict=True):
        place = (top, row_height, plot_left)
        parts.append(_row(row, lines, place, x_of, dots))
        top += row_height
    parts.append(
        f'<line x1="{plot_left}" y1="{TOP}" x2="{plot_left}" y2="{plot_bottom}" '
        f'stroke="{INK}" stroke-width="1"/></svg>'
    )
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def _row(
    row: ChartRow,
    lines: list[str],
    place: tuple[float, float, float],
    x_of: Callable[[float], float],
    dots: bool,
) -> str:
    """One row: its label (wrapped, never cut), the bar or dot, the whisker and
    the value."""
    top, row_height, plot_left = place
    middle = top + row_height / 2
    colour = SMALL if row.is_small else BAR
    parts = [
        f"<g><title>{escape(row.label)}: {escape(row.value_text)}</title>",
        text_lines(lines, plot_left - 8, middle),
    ]
    if _finite(row.value):
        x = x_of(row.value)
        dash = ' stroke-dasharray="4 2"' if row.is_small else ""
        if dots:
            fill = "#ffffff" if row.is_small else colour
            parts.append(
                f'<circle cx="{x:.1f}" cy="{middle:.1f}" r="5" fill="{fill}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        else:
            fill = "#ffffff" if row.is_small else colour
            parts.append(
                f'<rect x="{plot_left}" y="{middle - 8:.1f}" '
                f'width="{x - plot_left:.1f}" '
                f'height="16" fill="{fill}" stroke="{colour}" '
                f'stroke-width="1.5"{dash}/>'
            )
        if _finite(row.lower, row.upper):
            parts.append(_whisker(x_of(row.lower), x_of(row.upper), middle))
        parts.append(
            f'<text x="{WIDTH - 4}" y="{middle + 4:.1f}" text-anchor="end" '
            f'font-size="13" fill="{INK}">{escape(row.value_text)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _whisker(left: float, right: float, middle: float) -> str:
    """An interval: a line with end caps."""
    path = (
        f"M{left:.1f} {middle:.1f}H{right:.1f}"
        f"M{left:.1f} {middle - 5:.1f}V{middle + 5:.1f}"
        f"M{right:.1f} {middle - 5:.1f}V{middle + 5:.1f}"
    )
    # a white halo keeps the dark whisker visible over a dark bar
    return (
        f'<path d="{path}" stroke="#ffffff" stroke-width="4" fill="none"/>'
        f'<path d="{path}" stroke="{INK}" stroke-width="1.5" fill="none"/>'
    )
