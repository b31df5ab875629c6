"""SVG charts of the dashboard's story: the units against their scope, the criteria
× units heat map and the trend across rounds (markup strings, no JavaScript).

Every chart is an accessible image (``role="img"``, ``<title>`` and ``<desc>``) with
its data in a table beside it; labels are never cut: long names wrap onto several
lines. Callers pass the texts already formatted in their language.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

from sipas.reports.svg import CHAR, FONT, GRID, INK, LINE, text_lines, wrap
from sipas.stats.compare import Standing

#: Marks of a unit against its scope: (fill, stroke); shapes in `_marker`.
STANDING_COLOURS = {
    Standing.above: ("#1f5f8b", "#1f5f8b"),
    Standing.below: ("#c04a00", "#c04a00"),
    Standing.not_different: ("#5b6673", "#5b6673"),
    Standing.untestable: ("#ffffff", "#5b6673"),
}
#: The scope's value (reference line).
REFERENCE = "#7c1014"
#: Colours of the trend's lines (Okabe–Ito, safe for colour-blind readers) and
#: their dash patterns, so that lines differ without colour too.
SERIES = (
    (INK, ""),
    ("#e69f00", "8 4"),
    ("#56b4e9", "2 3"),
    ("#009e73", "10 3 2 3"),
    ("#0072b2", "5 5"),
    ("#d55e00", "1 2"),
)
#: Sequential colour-blind-safe scale (viridis), darkest = lowest, and the text
#: colour readable on each.
HEAT_SCALE = (
    ("#440154", "#ffffff"),
    ("#443983", "#ffffff"),
    ("#31688e", "#ffffff"),
    ("#21918c", INK),
    ("#35b779", INK),
    ("#90d743", INK),
    ("#fde725", INK),
)
SUPPRESSED = "#eef0f2"
_ids = count(1)


def _open(width: float, height: float, title: str, desc: str, css: str) -> list[str]:
    chart_id = f"story-{next(_ids)}"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _finite(*values: float) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def zoomed_range(values: Sequence[float]) -> tuple[float, float, float]:
    """Ends of an axis holding ``values`` (fractions) and its tick step."""
    known = [v for v in values if _finite(v)] or [0.0, 1.0]
    span = max(known) - min(known)
    step = 0.01 if span < 0.06 else 0.02 if span < 0.12 else 0.05 if span < 0.3 else 0.1
    low = max(0.0, math.floor(min(known) / step - 0.2) * step)
    high = min(1.0, math.ceil(max(known) / step + 0.2) * step)
    return (low, high, step) if high > low else (0.0, 1.0, 0.2)


def _ticks(low: float, high: float, step: float) -> list[float]:
    return [round(low + k * step, 6) for k in range(round((high - low) / step) + 1)]


def _grid(
    line: tuple[float, float, float, float],
    at: tuple[float, float],
    anchor: str,
    text: str,
) -> str:
    """A dotted grid line and its tick label."""
    x1, y1, x2, y2 = line
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{GRID}" stroke-dasharray="2 3"/><text x="{at[0]:.1f}" '
        f'y="{at[1]:.1f}" text-anchor="{anchor}" font-size="12" fill="{INK}">'
        f"{escape(text)}</text>"
    )


def _marker(standing: Standing, x: float, y: float, size: float = 6) -> str:
    """▲ above, ▼ below, ● not different, ○ untestable (shape and colour)."""
    fill, stroke = STANDING_COLOURS[standing]
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="2"'
    if standing is Standing.above:
        points = (
            f"{x},{y - size} {x + size},{y + size * 0.8} {x - size},{y + size * 0.8}"
        )
        return f'<polygon points="{points}" {paint}/>'
    if standing is Standing.below:
        points = (
            f"{x},{y + size} {x + size},{y - size * 0.8} {x - size},{y - size * 0.8}"
        )
        return f'<polygon points="{points}" {paint}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size * 0.8:.1f}" {paint}/>'


@dataclass(frozen=True)
class DotRow:
    """One unit of the ranking: its value, interval and standing, formatted."""

    label: str
    value: float
    lower: float
    upper: float
    value_text: str
    standing: Standing
    #: the row's tooltip: name, value, interval and standing in words
    detail: str
    is_small: bool = False


def ranking_chart(
    rows: Sequence[DotRow],
    reference: float,
    reference_text: str,
    *,
    title: str,
    desc: str,
    tick_text: Callable[[float], str],
    width: float = 1000,
) -> Markup:
    """Dots with intervals, one row per unit, on an axis zoomed to the data, the
    scope's value as a vertical line; marks by standing against it. Narrower than
    600 the names go above their rows, across the whole width."""
    stacked = width < 600
    label_width = width - 8 if stacked else 0.34 * width
    value_width = max(64, 0.11 * width)
    plot_left = 20 if stacked else label_width + 16
    plot_right = width - value_width
    low, high, step = zoomed_range(
        [v for r in rows for v in (r.lower, r.upper, r.value)] + [reference]
    )

    def x_of(value: float) -> float:
        share = (min(max(value, low), high) - low) / (high - low)
        return plot_left + share * (plot_right - plot_left)

    labels = [wrap(r.label, label_width) for r in rows]
    if stacked:
        heights = [LINE * len(lines) + 28 for lines in labels]
    else:
        heights = [max(30, LINE * len(lines) + 12) for lines in labels]
    top, bottom = 30, 30 + sum(heights)
    parts = _open(width, bottom + 34, title, desc, "chart-ranking")
    for tick in _ticks(low, high, step):
        x = x_of(tick)
        line = (x, top, x, bottom)
        parts.append(_grid(line, (x, bottom + 20), "middle", tick_text(tick)))
    if _finite(reference):  # under the rows: names and dots stay on top
        parts.append(_reference(x_of(reference), reference_text, top, bottom, width))
    y = top
    for row, lines, height in zip(rows, labels, heights, strict=True):
        place = RowPlace(y, height, label_width, width, stacked)
        parts.append(_dot_row(row, lines, place, x_of))
        y += height
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def _reference(x: float, text: str, top: float, bottom: float, width: float) -> str:
    """The scope's value: a dashed vertical line, labelled above the plot."""
    anchor = "end" if x > 0.65 * width else "start" if x < 0.35 * width else "middle"
    return (
        f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom}" '
        f'stroke="{REFERENCE}" stroke-width="2" stroke-dasharray="6 3"/>'
        f'<text x="{x:.1f}" y="{top - 12}" text-anchor="{anchor}" font-size="13" '
        f'font-weight="bold" fill="{REFERENCE}">{escape(text)}</text>'
    )


@dataclass(frozen=True)
class RowPlace:
    """Where a ranking row goes: its top, height, the label column and layout."""

    top: float
    height: float
    label_width: float
    width: float
    stacked: bool


def _dot_row(row: DotRow, lines: list[str], place: RowPlace, x_of) -> str:
    """A unit's name (beside its dot, or above it when stacked), its interval,
    its mark and its value."""
    top, height = place.top, place.height
    if place.stacked:
        label_middle = top + 4 + LINE * len(lines) / 2
        label = text_lines(lines, 0, label_middle, "start", halo=True)
        middle = top + LINE * len(lines) + 14
        rule_from = 0.0
    else:
        middle = top + height / 2
        label = text_lines(lines, place.label_width, middle)
        rule_from = place.label_width + 16
    parts = [
        f"<g><title>{escape(row.detail)}</title>",
        label,
        f'<line x1="{rule_from:.0f}" y1="{top + height:.1f}" x2="{place.width:.0f}" '
        f'y2="{top + height:.1f}" stroke="#e3e7eb"/>',
    ]
    if _finite(row.value):
        if _finite(row.lower, row.upper):
            left, right = x_of(row.lower), x_of(row.upper)
            parts.append(
                f'<path d="M{left:.1f} {middle:.1f}H{right:.1f}" stroke="{INK}" '
                f'stroke-width="2"/>'
                f'<path d="M{left:.1f} {middle - 6:.1f}V{middle + 6:.1f}'
                f'M{right:.1f} {middle - 6:.1f}V{middle + 6:.1f}" stroke="{INK}" '
                f'stroke-width="1.5"/>'
            )
        parts.append(_marker(row.standing, x_of(row.value), middle, 7))
        parts.append(
            f'<text x="{place.width - 4:.0f}" y="{middle + 4.5:.1f}" '
            f'text-anchor="end" font-size="{FONT}" fill="{INK}">'
            f"{escape(row.value_text)}</text>"
        )
    parts.append("</g>")
    return "".join(parts)


@dataclass(frozen=True)
class HeatCell:
    """One criterion of one unit: its colour class, text and whether it is below
    the scope (significantly) or suppressed (too few responses)."""

    value: float
    text: str
    detail: str
    is_below: bool = False
    is_suppressed: bool = False
    #: the row's unit code and the column's criterion (data attributes of the cell)
    key: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class HeatRow:
    label: str
    cells: tuple[HeatCell, ...]
    #: the scope's own row (drawn in bold, first)
    is_reference: bool = False


@dataclass(frozen=True)
class HeatColumn:
    code: str
    group: str
    detail: str


def heat_classes(values: Sequence[float]) -> tuple[float, float]:
    """Lower end and width of the colour classes: round steps (1, 2 or 5 points)
    with the top class holding the highest value; the lowest class also holds
    everything below it (its key reads "< …")."""
    known = [v for v in values if _finite(v)] or [0.0, 1.0]
    span = max(known) - min(known)
    step = 0.05 if span > 0.12 else 0.02 if span > 0.05 else 0.01
    top = math.floor(max(known) / step + 1e-9) * step
    return top - (len(HEAT_SCALE) - 1) * step, step


def heat_colour(value: float, low: float, step: float) -> tuple[str, str]:
    """(fill, text colour) of the class holding ``value``."""
    k = int((value - low) / step + 1e-9) if _finite(value) else 0
    return HEAT_SCALE[min(max(k, 0), len(HEAT_SCALE) - 1)]


def heat_map(
    columns: Sequence[HeatColumn],
    rows: Sequence[HeatRow],
    *,
    title: str,
    desc: str,
    cell_width: float = 46,
    classes: tuple[float, float] | None = None,
    span: int | None = None,
) -> Markup:
    """Units in rows, criteria in columns grouped by factor, each cell coloured by
    its index; a white ▼ where a cell is significantly below the scope. A band of
    a wider map passes the map's colour ``classes`` and laid-out ``span`` (its
    widest band's columns), so that every band has the same colours and scale."""
    label_width = 280.0
    labels = [wrap(r.label, label_width - 12) for r in rows]
    heights = [max(34, LINE * len(lines) + 10) for lines in labels]
    low, step = classes or heat_classes([c.value for r in rows for c in r.cells])
    top = 52
    width = label_width + cell_width * max(len(columns), span or 0) + 4
    height = top + sum(heights) + 4
    parts = _open(width, height, title, desc, "chart-heat")
    parts += _heat_header(columns, label_width, cell_width, top)
    y = float(top)
    for row, lines, row_height in zip(rows, labels, heights, strict=True):
        weight = "bold" if row.is_reference else "normal"
        parts.append(
            text_lines(
                lines, label_width - 10, y + row_height / 2, "end", weight=weight
            )
        )
        for k, cell in enumerate(row.cells):
            x = label_width + k * cell_width
            parts.append(_heat_cell(cell, x, y, cell_width, row_height, low, step))
        if row.is_reference:
            parts.append(
                f'<line x1="0" y1="{y + row_height:.1f}" x2="{width:.0f}" '
                f'y2="{y + row_height:.1f}" stroke="{INK}" stroke-width="2"/>'
            )
        y += row_height
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def _heat_header(columns, label_width, cell_width, top) -> list[str]:
    parts = []
    groups: list[tuple[str, int, int]] = []
    for k, column in enumerate(columns):
        if groups and groups[-1][0] == column.group:
            groups[-1] = (column.group, groups[-1][1], k)
        else:
            groups.append((column.group, k, k))
    for group, first, last in groups:
        x1 = label_width + first * cell_width + 2
        x2 = label_width + (last + 1) * cell_width - 2
        parts.append(
            f'<line x1="{x1:.1f}" y1="20" x2="{x2:.1f}" y2="20" stroke="{INK}" '
            f'stroke-width="2"/><text x="{(x1 + x2) / 2:.1f}" y="14" '
            f'text-anchor="middle" font-size="{FONT}" font-weight="bold" '
            f'fill="{INK}">{escape(group)}</text>'
        )
    for k, column in enumerate(columns):
        x = label_width + (k + 0.5) * cell_width
        parts.append(
            f"<g><title>{escape(column.detail)}</title>"
            f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" '
            f'font-size="{FONT}" fill="{INK}">{escape(column.code)}</text></g>'
        )
    return parts


def _cell_key(cell: HeatCell) -> str:
    unit, criterion = cell.key
    return f'data-unit="{escape(unit)}" data-criterion="{escape(criterion)}"'


def _heat_cell(cell, x, y, width, height, low, step) -> str:
    """One cell: its colour, its value, and a white ▼ when significantly below."""
    box = f'x="{x + 1:.1f}" y="{y + 1:.1f}" width="{width - 2:.1f}" '
    box += f'height="{height - 2:.1f}"'
    suppressed = cell.is_suppressed or not _finite(cell.value)
    if suppressed:
        fill, ink = SUPPRESSED, INK
        flags, outline = (
            ' data-suppressed="1"',
            f' stroke="{GRID}" stroke-dasharray="3 2"',
        )
    else:
        (fill, ink), outline = heat_colour(cell.value, low, step), ""
        flags = ' data-below="1"' if cell.is_below else ""
    parts = [
        f'<g class="heat-cell" {_cell_key(cell)}{flags}>',
        f"<title>{escape(cell.detail)}</title>",
        f'<rect {box} fill="{fill}"{outline}/>',
        f'<text x="{x + width / 2:.1f}" y="{y + height / 2 + 4.5:.1f}" '
        f'text-anchor="middle" font-size="{FONT}" fill="{ink}">'
        f"{escape(cell.text)}</text>",
    ]
    if cell.is_below and not suppressed:
        right, top = x + width - 3, y + 3
        parts.append(
            f'<polygon points="{right - 12:.1f},{top:.1f} {right:.1f},{top:.1f} '
            f'{right - 6:.1f},{top + 9:.1f}" fill="#ffffff" stroke="{INK}" '
            f'stroke-width="1.5"/>'
        )
    parts.append("</g>")
    return "".join(parts)


def heat_legend(low: float, step: float, tick_text: Callable[[float], str]) -> Markup:
    """The colour classes as a small horizontal key (an image with its own text)."""
    box, gap = 64, 2
    width = len(HEAT_SCALE) * (box + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heat-key" aria-hidden="true" '
        f'viewBox="0 0 {width} 22">'
    ]
    for k, (fill, ink) in enumerate(HEAT_SCALE):
        x = k * (box + gap)
        text = tick_text(low + k * step)
        text = "< " + tick_text(low + step) if k == 0 else text
        parts.append(
            f'<rect x="{x}" y="0" width="{box}" height="22" fill="{fill}"/>'
            f'<text x="{x + box / 2}" y="15" text-anchor="middle" font-size="12" '
            f'fill="{ink}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (escaped)


@dataclass(frozen=True)
class Series:
    """One index across rounds: its short label and (value, lower, upper) per
    round (NaN where unknown)."""

    label: str
    points: tuple[tuple[float, float, float], ...]
    end_text: str
    strong: bool = False


def trend_chart(
    rounds: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    tick_text: Callable[[float], str],
    width: float = 1000,
) -> Markup:
    """Lines across rounds, the strong series (SIPAS) with its intervals; each
    line labelled at its end, round names wrapped under the axis. The labels
    get the room their words need (a phone's narrow chart gives up plot width)."""
    labels = max((_label_width(one) for one in series), default=0.0)
    left, right = 56, width - max(min(190, 0.3 * width), 40 + labels + 6)
    values = [v for s in series for p in s.points for v in (p if s.strong else p[:1])]
    low, high, step = zoomed_range(values)
    plot_top, plot_bottom = 16, 300

    def y_of(value: float) -> float:
        share = (min(max(value, low), high) - low) / (high - low)
        return plot_bottom - share * (plot_bottom - plot_top)

    column = (right - left) / max(len(rounds), 1)
    pad = min(column / 2, 130)

    def x_of(k: int) -> float:
        if len(rounds) == 1:
            return (left + right) / 2
        return left + pad + k * (right - left - 2 * pad) / (len(rounds) - 1)

    names = [wrap(r, min(column, 2 * pad) - 8, 12) for r in rounds]
    height = plot_bottom + 26 + LINE * max(len(n) for n in names)
    parts = _open(width, height, title, desc, "chart-trend")
    for tick in _ticks(low, high, step):
        y = y_of(tick)
        line = (left, y, right, y)
        parts.append(_grid(line, (left - 8, y + 4), "end", tick_text(tick)))
    for k, lines in enumerate(names):
        parts.append(
            text_lines(
                lines,
                x_of(k),
                plot_bottom + 22 + (len(lines) - 1) * LINE / 2,
                "middle",
                12,
            )
        )
    ends = []
    for k, one in enumerate(series):
        colour, dash = SERIES[k % len(SERIES)]
        parts.append(_line(one, x_of, y_of, colour, dash))
        last = next((p[0] for p in reversed(one.points) if _finite(p[0])), math.nan)
        if _finite(last):
            ends.append([y_of(last), one, colour, dash])
    parts += _end_labels(ends, right, plot_top, plot_bottom)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (escaped)


def _line(one: Series, x_of, y_of, colour: str, dash: str) -> str:
    known = [(x_of(k), p) for k, p in enumerate(one.points) if _finite(p[0])]
    stroke = 3 if one.strong else 2
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    parts = [f"<g><title>{escape(one.label)}</title>"]
    if len(known) > 1:
        path = "M" + "L".join(f"{x:.1f} {y_of(p[0]):.1f}" for x, p in known)
        parts.append(
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{stroke}"'
            f"{dashes}/>"
        )
    for x, (value, lower, upper) in known:
        if one.strong and _finite(lower, upper):
            parts.append(
                f'<path d="M{x:.1f} {y_of(lower):.1f}V{y_of(upper):.1f}'
                f"M{x - 5:.1f} {y_of(lower):.1f}H{x + 5:.1f}"
                f'M{x - 5:.1f} {y_of(upper):.1f}H{x + 5:.1f}" stroke="{colour}" '
                f'stroke-width="1.5"/>'
            )
        radius = 4.5 if one.strong else 3.5
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y_of(value):.1f}" r="{radius}" '
            f'fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
        )
    parts.append("</g>")
    return "".join(parts)


#: Width of a bold character against CHAR, the average of a regular one.
BOLD_WIDER = 1.2


def _label_width(one: Series) -> float:
    """About how wide a line's end label is drawn (bold for the strong line)."""
    return len(one.end_text) * CHAR * (BOLD_WIDER if one.strong else 1.0)


def _end_labels(ends, right, top, bottom) -> list[str]:
    """Labels at the right end of each line, pushed apart so none overlap."""
    ends.sort(key=lambda end: end[0])
    for k in range(1, len(ends)):
        ends[k][0] = max(ends[k][0], ends[k - 1][0] + LINE)
    overflow = ends[-1][0] - bottom if ends else 0
    if overflow > 0:
        for end in ends:
            end[0] -= overflow
    parts = []
    for y, one, colour, dash in ends:
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        weight = "bold" if one.strong else "normal"
        parts.append(
            f'<line x1="{right + 8}" y1="{y:.1f}" x2="{right + 34}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="3"{dashes}/><text x="{right + 40}" '
            f'y="{y + 4.5:.1f}" font-size="{FONT}" font-weight="{weight}" '
            f'fill="{INK}">{escape(one.end_text)}</text>'
        )
    return parts
