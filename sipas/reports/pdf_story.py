"""The report's summary: the dashboard's first-screen story as vector drawings, in
the dashboard's order — key-figure cards, the units against their scope, the
criteria × units heat map and the trend across rounds. Shaped by `story` (the same
figures, marks and words as the page); names wrap, never cut."""

from __future__ import annotations

import math
from collections.abc import Sequence

from flask_babel import gettext as _
from reportlab.graphics.shapes import (
    Circle,
    Drawing,
    Line,
    Polygon,
    PolyLine,
    Rect,
    String,
)
from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from sipas.i18n import format_percent
from sipas.reports import story
from sipas.reports.fonts import BOLD, REGULAR
from sipas.reports.pdf_styles import FRAME_WIDTH, INK, MUTED, RULE, para
from sipas.reports.svg_story import (
    HEAT_SCALE,
    REFERENCE,
    SERIES,
    STANDING_COLOURS,
    DotRow,
    heat_colour,
    zoomed_range,
)
from sipas.reports.wave_results import WaveResults
from sipas.stats.compare import Standing

SMALL = 7
#: Colours of a change on the cards (as on the page).
CHANGE_COLOURS = {"up": "#1d6b3a", "down": "#b00020"}
#: Most rows one drawing holds (three-line names fit a page); longer rankings and
#: heat maps take several.
ROWS_PER_DRAWING = 20
#: Room around a criterion code in a heat map column (pt): past the columns that
#: leave it (the national form's 51 codes like P1_1), the criteria go on in bands.
CODE_MARGIN = 4


def _drawing(width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    drawing.initialFontName = REGULAR  # else Helvetica is listed in the PDF
    return drawing


def _text(
    x: float,
    y: float,
    text: str,
    size: float = SMALL,
    font: str = REGULAR,
    anchor: str = "start",
    colour: colors.Color = INK,
) -> String:
    return String(
        x, y, text, fontName=font, fontSize=size, fillColor=colour, textAnchor=anchor
    )


def _lines(text: str, width: float, size: float = SMALL, font: str = REGULAR) -> list:
    """``text`` wrapped to ``width`` points (whole words, nothing cut)."""
    return simpleSplit(text, font, size, width) or [""]


def _hex(value: str) -> colors.Color:
    return colors.HexColor(value)


# --- key-figure cards -------------------------------------------------------


def _card(drawing: Drawing, card: story.Card, x: float, top: float, w: float, h: float):
    drawing.add(Rect(x, top - h, w, h, strokeColor=RULE, fillColor=colors.white))
    drawing.add(Rect(x, top - 3, w, 3, strokeColor=None, fillColor=_hex("#a3161b")))
    y = top - 12
    for line in _lines(card.title, w - 10, 7.5, BOLD):
        drawing.add(_text(x + 5, y, line, 7.5, BOLD))
        y -= 9
    value = card.value + (" *" if card.is_small else "")
    drawing.add(_text(x + 5, y - 11, value, 15, BOLD))
    y -= 21
    drawing.add(_text(x + 5, y, card.interval, 6.5, colour=MUTED))
    y -= 9
    if card.change is not None:
        y = _change_line(drawing, card.change, x + 5, y, w - 10)
    for line in _lines(card.note, w - 10, 6):
        drawing.add(_text(x + 5, y, line, 6, colour=MUTED))
        y -= 7.5


def _change_words(change: story.ChangeMark) -> str:
    return f"{change.points} · {change.verdict}"


def _change_line(
    drawing: Drawing, change: story.ChangeMark, x: float, y: float, width: float
) -> float:
    """The change's arrow (drawn: the font has no arrows) and its words; returns
    the next line's baseline."""
    colour = _hex(CHANGE_COLOURS.get(change.kind, "#5b6570"))
    middle = y + 2.2
    if change.kind == "up":
        drawing.add(
            Polygon(
                [x, middle - 2.5, x + 5, middle - 2.5, x + 2.5, middle + 2.5],
                fillColor=colour,
                strokeColor=None,
            )
        )
    elif change.kind == "down":
        drawing.add(
            Polygon(
                [x, middle + 2.5, x + 5, middle + 2.5, x + 2.5, middle - 2.5],
                fillColor=colour,
                strokeColor=None,
            )
        )
    else:
        drawing.add(
            _text(
                x + 2.5,
                y,
                "?" if change.kind == "untestable" else "=",
                6.5,
                BOLD,
                "middle",
                colour,
            )
        )
    for line in _lines(_change_words(change), width - 10, 6.5, BOLD):
        drawing.add(_text(x + 8, y, line, 6.5, BOLD, colour=colour))
        y -= 8
    return y


def _card_height(card: story.Card, w: float) -> float:
    height = 12.0 + 9 * len(_lines(card.title, w - 10, 7.5, BOLD)) + 30
    if card.change is not None:
        height += 8 * len(_lines(_change_words(card.change), w - 20, 6.5, BOLD))
    if card.note:
        height += 7.5 * len(_lines(card.note, w - 10, 6))
    return height + 4


def cards_drawing(cards: Sequence[story.Card], columns: int) -> Drawing:
    """Cards in a grid of ``columns``, each row as tall as its tallest card."""
    gap = 6
    w = (FRAME_WIDTH - gap * (columns - 1)) / columns
    rows = [cards[k : k + columns] for k in range(0, len(cards), columns)]
    heights = [max(_card_height(c, w) for c in row) for row in rows]
    drawing = _drawing(FRAME_WIDTH, sum(heights) + gap * len(rows))
    top = drawing.height
    for row, h in zip(rows, heights, strict=True):
        for k, card in enumerate(row):
            _card(drawing, card, k * (w + gap), top, w, h)
        top -= h + gap
    return drawing


# --- the units against the scope ------------------------------------------


def _marker(drawing: Drawing, standing: Standing, x: float, y: float, size: float):
    fill, stroke = (_hex(c) for c in STANDING_COLOURS[standing])
    paint = {"fillColor": fill, "strokeColor": stroke, "strokeWidth": 1}
    if standing is Standing.above:
        points = [x, y + size, x + size, y - size * 0.8, x - size, y - size * 0.8]
        drawing.add(Polygon(points, **paint))
    elif standing is Standing.below:
        points = [x, y - size, x + size, y + size * 0.8, x - size, y + size * 0.8]
        drawing.add(Polygon(points, **paint))
    else:
        drawing.add(Circle(x, y, size * 0.8, **paint))


def _axis(drawing, x_of, ticks, bottom, top) -> None:
    for tick in ticks:
        x = x_of(tick)
        drawing.add(Line(x, bottom, x, top, strokeColor=RULE, strokeWidth=0.3))
        label = format_percent(tick, 0)
        drawing.add(_text(x, bottom - 9, label, 6.5, anchor="middle", colour=MUTED))


def _ticks(low: float, high: float, step: float) -> list[float]:
    return [low + k * step for k in range(round((high - low) / step) + 1)]


def ranking_scale(
    rows: Sequence[DotRow], reference: float
) -> tuple[float, float, float]:
    """The axis (low, high, step) holding every unit's interval and the scope's
    value: one for all the drawings of a long ranking, so they compare."""
    return zoomed_range(
        [v for r in rows for v in (r.lower, r.upper, r.value)] + [reference]
    )


def ranking_drawing(
    rows: Sequence[DotRow],
    reference: float,
    reference_text: str,
    scale: tuple[float, float, float],
) -> Drawing:
    """One dot per unit with its interval and mark; the scope's value dashed."""
    label_width, value_width = 0.36 * FRAME_WIDTH, 36
    x0, x1 = label_width + 8, FRAME_WIDTH - value_width
    low, high, step = scale

    def x_of(value: float) -> float:
        return x0 + (min(max(value, low), high) - low) / (high - low) * (x1 - x0)

    labels = [_lines(r.label, label_width) for r in rows]
    heights = [max(14, 8.5 * len(lines) + 5) for lines in labels]
    height = 16 + sum(heights) + 14
    drawing = _drawing(FRAME_WIDTH, height)
    top, bottom = height - 16, 14
    _axis(drawing, x_of, _ticks(low, high, step), bottom, top)
    y = top
    for row, lines, h in zip(rows, labels, heights, strict=True):
        middle = y - h / 2
        first = middle + (len(lines) - 1) * 4.25 - 2.5
        for k, line in enumerate(lines):
            drawing.add(_text(label_width, first - 8.5 * k, line, anchor="end"))
        if math.isfinite(row.value):
            if math.isfinite(row.lower) and math.isfinite(row.upper):
                left, right = x_of(row.lower), x_of(row.upper)
                drawing.add(Line(left, middle, right, middle, strokeColor=INK))
                for x in (left, right):
                    drawing.add(Line(x, middle - 2.5, x, middle + 2.5, strokeColor=INK))
            _marker(drawing, row.standing, x_of(row.value), middle, 3.5)
            drawing.add(_text(FRAME_WIDTH, middle - 2.5, row.value_text, anchor="end"))
        y -= h
    if math.isfinite(reference):
        x = x_of(reference)
        line = Line(x, bottom, x, top + 4, strokeColor=_hex(REFERENCE))
        line.strokeDashArray, line.strokeWidth = [3, 2], 1
        drawing.add(line)
        drawing.add(
            _text(x, top + 7, reference_text, 7, BOLD, "middle", _hex(REFERENCE))
        )
    return drawing


def standing_legend(results: WaveResults) -> Drawing:
    """The four marks of the ranking, drawn, each with its words."""
    texts = [(s, story.standing_text(results, s)) for s in Standing]
    half = FRAME_WIDTH / 2
    drawing = _drawing(FRAME_WIDTH, 22)
    for k, (standing, text) in enumerate(texts):
        x, y = (k % 2) * half, 15 - (k // 2) * 10
        _marker(drawing, standing, x + 4, y + 2.3, 3)
        drawing.add(_text(x + 11, y, text, 7, colour=MUTED))
    return drawing


# --- criteria × units --------------------------------------------------------


def heat_drawing(data: story.HeatMap, rows: Sequence) -> Drawing:
    """Units in rows, criteria in columns grouped by factor, coloured by index; a
    white ▼ where a cell is significantly below the scope, * too few responses."""
    label_width = 0.25 * FRAME_WIDTH
    cell = (FRAME_WIDTH - label_width - 4) / max(len(data.columns), 1)
    labels = [_lines(r.label, label_width - 6, 6.5) for r in rows]
    heights = [max(13, 7.5 * len(lines) + 4) for lines in labels]
    header = 24
    drawing = _drawing(FRAME_WIDTH, header + sum(heights) + 2)
    top = drawing.height - header
    _heat_header(drawing, data, label_width, cell, top)
    y = top
    for row, lines, h in zip(rows, labels, heights, strict=True):
        font = BOLD if row.is_reference else REGULAR
        first = y - h / 2 + (len(lines) - 1) * 3.75 - 2.2
        for k, line in enumerate(lines):
            drawing.add(_text(label_width - 4, first - 7.5 * k, line, 6.5, font, "end"))
        for k, one in enumerate(row.cells):
            _heat_cell(drawing, one, label_width + k * cell, y - h, cell, h, data)
        if row.is_reference:
            drawing.add(Line(0, y - h, FRAME_WIDTH, y - h, strokeColor=INK))
        y -= h
    return drawing


def _heat_header(drawing, data, label_width, cell, top) -> None:
    groups: list[list] = []
    for k, column in enumerate(data.columns):
        if groups and groups[-1][0] == column.group:
            groups[-1][2] = k
        else:
            groups.append([column.group, k, k])
        x = label_width + (k + 0.5) * cell
        drawing.add(_text(x, top + 3, column.code, 6, anchor="middle"))
    for group, first, last in groups:
        x1, x2 = label_width + first * cell + 1, label_width + (last + 1) * cell - 1
        drawing.add(Line(x1, top + 12, x2, top + 12, strokeColor=INK))
        drawing.add(_text((x1 + x2) / 2, top + 15, group, 7, BOLD, "middle"))


def _heat_cell(drawing, cell, x, y, w, h, data) -> None:
    if cell.is_suppressed or not math.isfinite(cell.value):
        drawing.add(
            Rect(
                x + 0.5,
                y + 0.5,
                w - 1,
                h - 1,
                fillColor=_hex("#eef0f2"),
                strokeColor=RULE,
                strokeWidth=0.4,
            )
        )
        drawing.add(_text(x + w / 2, y + h / 2 - 2, cell.text, 6, anchor="middle"))
        return
    fill, ink = heat_colour(cell.value, data.low, data.step)
    drawing.add(
        Rect(x + 0.5, y + 0.5, w - 1, h - 1, fillColor=_hex(fill), strokeColor=None)
    )
    drawing.add(
        _text(x + w / 2, y + h / 2 - 2, cell.text, 6, anchor="middle", colour=_hex(ink))
    )
    if cell.is_below:
        right, top = x + w - 1.5, y + h - 1.5
        drawing.add(
            Polygon(
                [right - 5, top, right, top, right - 2.5, top - 4],
                fillColor=colors.white,
                strokeColor=INK,
                strokeWidth=0.5,
            )
        )


def heat_key(data: story.HeatMap) -> Drawing:
    """The colour classes of the heat map, with the marks explained beside."""
    box = 34
    drawing = _drawing(FRAME_WIDTH, 14)
    for k, (fill, ink) in enumerate(HEAT_SCALE):
        text = format_percent(data.low + k * data.step, 0)
        text = "< " + format_percent(data.low + data.step, 0) if k == 0 else text
        drawing.add(
            Rect(k * box, 2, box - 1, 11, fillColor=_hex(fill), strokeColor=None)
        )
        drawing.add(
            _text(k * box + box / 2, 5, text, 6, anchor="middle", colour=_hex(ink))
        )
    return drawing


# --- the trend across rounds -------------------------------------------------


def trend_drawing(
    rounds: Sequence[str], series: Sequence[tuple[str, list, bool]]
) -> Drawing:
    """One line per index (SIPAS bold with its intervals), labelled at its end."""
    left, right = 30, FRAME_WIDTH - 70
    values = [p.estimate.value for _l, pts, _s in series for p in pts if p is not None]
    low, high, step = zoomed_range(values)
    names = [_lines(r, (right - left) / max(len(rounds), 1) - 6, 6.5) for r in rounds]
    bottom = 12 + 8 * max(len(n) for n in names)
    height = bottom + 150
    drawing = _drawing(FRAME_WIDTH, height)
    top = height - 6

    def y_of(value: float) -> float:
        return bottom + (min(max(value, low), high) - low) / (high - low) * (
            top - bottom
        )

    pad = min((right - left) / max(len(rounds), 1) / 2, 60)

    def x_of(k: int) -> float:
        if len(rounds) == 1:
            return (left + right) / 2
        return left + pad + k * (right - left - 2 * pad) / (len(rounds) - 1)

    for tick in _ticks(low, high, step):
        y = y_of(tick)
        drawing.add(Line(left, y, right, y, strokeColor=RULE, strokeWidth=0.3))
        drawing.add(_text(left - 3, y - 2, format_percent(tick, 0), 6.5, anchor="end"))
    for k, lines in enumerate(names):
        for j, line in enumerate(lines):
            drawing.add(_text(x_of(k), bottom - 9 - 8 * j, line, 6.5, anchor="middle"))
    ends = []
    for k, (label, points, strong) in enumerate(series):
        colour, dash = SERIES[k % len(SERIES)]
        known = [(x_of(j), p) for j, p in enumerate(points) if p is not None]
        _trend_line(drawing, known, y_of, _hex(colour), dash, strong)
        if known:
            ends.append(
                [y_of(known[-1][1].estimate.value), label, colour, dash, strong]
            )
    _trend_ends(drawing, ends, right, bottom, top)
    return drawing


def _trend_line(drawing, known, y_of, colour, dash, strong) -> None:
    points = [v for x, p in known for v in (x, y_of(p.estimate.value))]
    if len(known) > 1:
        line = PolyLine(points, strokeColor=colour, strokeWidth=1.8 if strong else 1)
        if dash:
            line.strokeDashArray = [float(d) / 2 for d in dash.split()]
        drawing.add(line)
    for x, p in known:
        if (
            strong
            and math.isfinite(p.interval.lower)
            and math.isfinite(p.interval.upper)
        ):
            drawing.add(
                Line(
                    x,
                    y_of(p.interval.lower),
                    x,
                    y_of(p.interval.upper),
                    strokeColor=colour,
                    strokeWidth=0.8,
                )
            )
        drawing.add(
            Circle(
                x,
                y_of(p.estimate.value),
                2.2 if strong else 1.6,
                fillColor=colour,
                strokeColor=colors.white,
                strokeWidth=0.4,
            )
        )


def _trend_ends(drawing, ends, right, bottom, top) -> None:
    ends.sort(key=lambda end: -end[0])
    for k in range(1, len(ends)):
        ends[k][0] = min(ends[k][0], ends[k - 1][0] - 8.5)
    for y, label, colour, dash, strong in ends:
        line = Line(
            right + 4, y, right + 16, y, strokeColor=_hex(colour), strokeWidth=2
        )
        if dash:
            line.strokeDashArray = [float(d) / 2 for d in dash.split()]
        drawing.add(line)
        drawing.add(_text(right + 19, y - 2.3, label, 6.5, BOLD if strong else REGULAR))


# --- the section ---------------------------------------------------------------


def _chunks(items: Sequence, size: int = ROWS_PER_DRAWING) -> list[Sequence]:
    return [items[k : k + size] for k in range(0, len(items), size)] or [items]


def _trend_series(results: WaveResults) -> list[tuple[str, list, bool]]:
    series = []
    for code, _label, per_round in story.trend_series(results):
        last = next((r for r in reversed(per_round) if r is not None), None)
        short = "SIPAS" if code == "overall" else code
        end = f"{short} {format_percent(last.estimate.value, 1)}" if last else short
        series.append((end, per_round, code == "overall"))
    return series


def summary_section(results: WaveResults) -> list[Flowable]:
    """The summary before section I: cards, ranking, heat map, trend."""
    flow: list[Flowable] = [
        CondPageBreak(6 * cm),
        para(_("Key figures"), "h1"),
        cards_drawing(story.index_cards(results), 3),
    ]
    perception = story.perception_cards(results)
    if perception:
        flow += [Spacer(1, 6), cards_drawing(perception, 4)]
    flow += _ranking_part(results)
    flow += _trend_part(results)
    return flow


def _ranking_part(results: WaveResults) -> list[Flowable]:
    if not results.ranking:
        return []
    scope = story.scope_name(results)
    overall = results.indices.overall.estimate.value
    rows = [story.dot_row(results, ranked) for ranked in results.ranking]
    flow: list[Flowable] = [
        CondPageBreak(5 * cm),
        para(_("Units against %(scope)s", scope=scope), "h2"),
    ]
    reference = f"{scope}: {format_percent(overall, 1)}"
    scale = ranking_scale(rows, overall)
    flow += [
        ranking_drawing(chunk, overall, reference, scale) for chunk in _chunks(rows)
    ]
    flow.append(standing_legend(results))
    return flow + _heat_part(results, scope)


def _heat_part(results: WaveResults, scope: str) -> list[Flowable]:
    """The heat map's title and key kept with its first drawing."""
    data = story.heat_map_data(results)
    drawings = []
    for band in _column_bands(data):
        reference_row, *unit_rows = band.rows
        drawings += [
            heat_drawing(band, [reference_row, *c]) for c in _chunks(unit_rows)
        ]
    note = _(
        "Colour: the criterion's index (darker is lower); white triangle: "
        "significantly below %(scope)s; *: too few responses.",
        scope=scope,
    )
    head = [
        para(_("Which unit is weak on what"), "h2"),
        heat_key(data),
        para(note, "note"),
        drawings[0],
    ]
    return [KeepTogether(head), *drawings[1:]]


def _column_bands(data: story.HeatMap) -> list[story.HeatMap]:
    """``data`` in bands of as many criteria as leave their codes readable."""
    widest = max((stringWidth(c.code, REGULAR, 6) for c in data.columns), default=0)
    room = 0.75 * FRAME_WIDTH - 4  # as heat_drawing leaves the cells
    return story.column_bands(data, max(1, int(room // (widest + CODE_MARGIN))))


def _trend_part(results: WaveResults) -> list[Flowable]:
    if len(results.trend) < 2:
        return []
    legend = "; ".join(
        [_("SIPAS index")]
        + [
            f"{f.code}. {results.factor_name(f.code)}"
            for f in results.questionnaire.factors
        ]
    )
    return [
        KeepTogether(
            [
                para(_("Across survey rounds"), "h2"),
                trend_drawing(
                    [p.wave.title for p in results.trend], _trend_series(results)
                ),
                para(legend, "note"),
            ]
        )
    ]
