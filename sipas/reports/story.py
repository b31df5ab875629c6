"""The story of a wave's results as the first screen and the report's summary tell
it: headline cards (indices with their change, perception figures), the units
against their scope, the criteria × units heat map and the trend across rounds.
Shaped once here from the result data classes; drawn as SVG (dashboard) and as
ReportLab drawings (PDF)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from sipas.i18n import format_number, format_percent
from sipas.reports.figures import interval_text, shown_percent
from sipas.reports.svg_story import (
    DotRow,
    HeatCell,
    HeatColumn,
    HeatRow,
    Series,
    heat_classes,
    heat_legend,
    heat_map,
    ranking_chart,
    trend_chart,
)
from sipas.reports.wave_results import OVERALL, Change, RankedUnit, WaveResults
from sipas.stats.compare import Comparison, Standing
from sipas.stats.indices import IndexResult
from sipas.stats.intervals import Interval

#: Short names of the headline perception figures (the question itself, from the
#: questionnaire, is shown under each).
KEY_SHARE_NAMES = {
    "harassment": _l("Harassed or troubled by officials"),
    "unofficial_payment": _l("Paid beyond the official fees"),
    "late": _l("Received the result late"),
    "trips": _l("Came more than twice"),
}
#: A unit against its scope, in words.
STANDING_TEXTS = {
    Standing.above: _l("significantly higher"),
    Standing.below: _l("significantly lower"),
    Standing.not_different: _l("no clear difference"),
    Standing.untestable: _l("cannot be tested under this design"),
}
#: The marks of the charts, as text (legends and tables).
STANDING_SYMBOLS = {
    Standing.above: "▲",
    Standing.below: "▼",
    Standing.not_different: "●",
    Standing.untestable: "○",
}


@dataclass(frozen=True)
class ChangeMark:
    """An index's change against the previous round, as a card shows it."""

    #: up, down, flat (not significant) or untestable
    kind: str
    arrow: str
    points: str
    verdict: str


@dataclass(frozen=True)
class Card:
    """One headline card: a name, the value, its interval and what it means."""

    code: str
    title: str
    value: str
    interval: str
    is_small: bool = False
    change: ChangeMark | None = None
    #: the question and the answers counted (perception cards)
    note: str = ""


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def level_text(results: WaveResults) -> str:
    """The confidence level as "95%"."""
    return format_percent(results.options.level, 0)


def ci_text(results: WaveResults, interval: Interval) -> str:
    """ "95% CI: 80,10% – 85,02%" (no interval: a dash)."""
    return _(
        "%(level)s CI: %(interval)s",
        level=level_text(results),
        interval=interval_text(interval),
    )


def change_mark(change: Change | None) -> ChangeMark | None:
    """Arrow, points and verdict of a change (None: nothing to compare with)."""
    if change is None:
        return None
    difference = change.difference
    points = difference.value * 100
    sign = "+" if points > 0 else ("−" if points < 0 else "±")
    text = _(
        "%(sign)s%(points)s points", sign=sign, points=format_number(abs(points), 1)
    )
    comparison = difference.comparison
    if comparison is Comparison.untestable:
        return ChangeMark("untestable", "?", text, _("the change cannot be tested"))
    if comparison is Comparison.indistinguishable:
        return ChangeMark("flat", "→", text, _("not significant"))
    if points > 0:
        return ChangeMark("up", "▲", text, _("significant rise"))
    return ChangeMark("down", "▼", text, _("significant fall"))


def _index_card(
    results: WaveResults, code: str, title: str, result: IndexResult
) -> Card:
    return Card(
        code=code,
        title=title,
        value=shown_percent(result.estimate.value),
        interval=ci_text(results, result.interval),
        is_small=results.thresholds.is_small(result),
        change=change_mark(results.change_of(code)),
    )


def index_cards(results: WaveResults) -> list[Card]:
    """SIPAS, then its domains (policy, services …) when the questionnaire's index
    tree has them, else the factors; each with its change."""
    cards = [_index_card(results, OVERALL, _("SIPAS index"), results.indices.overall)]
    if results.domains:
        return cards + domain_cards(results)
    for factor in results.indices.factors:
        title = f"{factor.code}. {results.factor_name(factor.code)}"
        cards.append(_index_card(results, factor.code, title, factor))
    return cards


def domain_cards(results: WaveResults) -> list[Card]:
    """The domains of the index tree with their intervals and changes."""
    return [
        Card(
            code=row.code,
            title=results.node_label(row),
            value=shown_percent(row.result.estimate.value),
            interval=ci_text(results, row.result.interval),
            is_small=results.thresholds.is_small_estimate(row.result.estimate),
            change=change_mark(results.node_change(row.code)),
        )
        for row in results.domains
    ]


def perception_cards(results: WaveResults) -> list[Card]:
    """The headline perception figures with their intervals and questions."""
    cards = []
    for key in results.key_shares:
        share = key.share
        note = _(
            "%(question)s — answer: %(answers)s",
            question=key.question,
            answers=", ".join(key.answers),
        )
        cards.append(
            Card(
                code=key.code,
                title=str(KEY_SHARE_NAMES.get(key.code, key.question)),
                value=shown_percent(share.estimate.value, 1),
                interval=ci_text(results, share.interval),
                is_small=share.estimate.n < results.thresholds.min_n,
                note=note,
            )
        )
    return cards


def scope_name(results: WaveResults) -> str:
    """The name of what the units are compared with: the chosen unit, else the
    unit above the ranked ones (the province), else the round."""
    if results.root is not None:
        return results.root.name
    parents = {r.unit.parent for r in results.ranking if r.unit.parent is not None}
    if len(parents) == 1:
        return next(iter(parents)).name
    return _("the whole survey round")


def standing_text(results: WaveResults, standing: Standing) -> str:
    """ "significantly lower than Tỉnh X" and the like (the legends)."""
    scope = scope_name(results)
    if standing is Standing.above:
        return _("significantly higher than %(scope)s", scope=scope)
    if standing is Standing.below:
        return _("significantly lower than %(scope)s", scope=scope)
    if standing is Standing.not_different:
        return _("no clear difference from %(scope)s", scope=scope)
    return _(
        "cannot be compared with %(scope)s under this sampling design", scope=scope
    )


def dot_row(results: WaveResults, ranked: RankedUnit) -> DotRow:
    """A ranked unit as a row of the dot chart, with its mark and tooltip."""
    result = ranked.overall
    standing = ranked.standing()
    label = f"{ranked.rank}. {ranked.unit.name}"
    detail = "; ".join(
        (
            f"{label}: {shown_percent(result.estimate.value)}",
            ci_text(results, result.interval),
            f"{STANDING_SYMBOLS[standing]} {STANDING_TEXTS[standing]}",
        )
    )
    return DotRow(
        label=label,
        value=result.estimate.value,
        lower=result.interval.lower,
        upper=result.interval.upper,
        value_text=shown_percent(result.estimate.value, 1),
        standing=standing,
        detail=detail,
        is_small=results.thresholds.is_small(result),
    )


def ranking_figure(results: WaveResults, width: float = 1000) -> Markup:
    """The units' SIPAS as dots with intervals and the scope's SIPAS as a line."""
    overall = results.indices.overall.estimate.value
    return ranking_chart(
        [dot_row(results, ranked) for ranked in results.ranking],
        overall,
        f"{scope_name(results)}: {shown_percent(overall, 1)}",
        title=_(
            "SIPAS index of each unit against %(scope)s", scope=scope_name(results)
        ),
        desc=_(
            "Dots: each unit's SIPAS index; lines: its %(level)s confidence interval; "
            "dashed vertical line: the index of %(scope)s. ▲ significantly higher, "
            "▼ significantly lower, ● no clear difference, ○ cannot be tested. "
            "The same figures are in the table below.",
            level=level_text(results),
            scope=scope_name(results),
        ),
        tick_text=lambda value: format_percent(value, 0),
        width=width,
    )


def standing_counts(results: WaveResults) -> dict[Standing, int]:
    """How many ranked units stand above, below … their scope."""
    counts = dict.fromkeys(Standing, 0)
    for ranked in results.ranking:
        counts[ranked.standing()] += 1
    return counts


#: Most criteria in one SVG heat map: the 2017 form's 22 are drawn at their size
#: on a desk; more would be scaled down to fit the page.
SVG_HEAT_COLUMNS = 22


@dataclass(frozen=True)
class HeatMap:
    """The criteria × units table behind the heat map: columns, rows (the scope
    first), and the colour classes."""

    columns: tuple[HeatColumn, ...]
    rows: tuple[HeatRow, ...]
    low: float
    step: float


def _cell(
    results: WaveResults, unit: tuple[str, str], result: IndexResult, below: bool
) -> HeatCell:
    """A heat-map cell of ``unit`` (code, name): suppressed with too few
    responses, else its value and whether it is significantly below the scope."""
    code, name = unit
    label = f"{name} — {result.code}. {results.criterion_label(result.code)}"
    key = (code, result.code)
    value = result.estimate.value
    if results.thresholds.is_small(result):
        detail = _("%(cell)s: too few responses", cell=label)
        return HeatCell(value, "*", detail, is_suppressed=True, key=key)
    detail = f"{label}: {shown_percent(value)}"
    if below:
        detail += (
            f" ({STANDING_SYMBOLS[Standing.below]} {STANDING_TEXTS[Standing.below]})"
        )
    text = format_number(value * 100, 0) if _finite(value) else "–"
    return HeatCell(value, text, detail, is_below=below, key=key)


def heat_map_data(results: WaveResults) -> HeatMap:
    """Criteria in the questionnaire's order as columns; the scope, then each
    ranked unit, as rows."""
    columns = tuple(
        HeatColumn(
            r.code, r.factor or "", f"{r.code}. {results.criterion_label(r.code)}"
        )
        for r in results.indices.criteria
    )
    scope = scope_name(results)
    reference = ("", scope)
    rows = [
        HeatRow(
            scope,
            tuple(
                _cell(results, reference, r, False) for r in results.indices.criteria
            ),
            is_reference=True,
        )
    ]
    for ranked in results.ranking:
        unit = (ranked.unit.code, ranked.unit.name)
        cells = tuple(
            _cell(results, unit, r, ranked.standing(r.code) is Standing.below)
            for r in ranked.indices.criteria
        )
        rows.append(HeatRow(ranked.unit.name, cells))
    shown = [c.value for row in rows for c in row.cells if not c.is_suppressed]
    low, step = heat_classes(shown)
    return HeatMap(columns, tuple(rows), low, step)


def column_bands(data: HeatMap, fitting: int) -> list[HeatMap]:
    """``data`` in bands of whole factors, each at most ``fitting`` criteria (a
    factor alone if it is wider): the national form's 51 side by side would make
    every cell and code too small to read."""
    groups: list[list[int]] = []
    for k, column in enumerate(data.columns):
        if groups and data.columns[groups[-1][0]].group == column.group:
            groups[-1].append(k)
        else:
            groups.append([k])
    bands: list[list[int]] = []
    for group in groups:
        if bands and len(bands[-1]) + len(group) <= fitting:
            bands[-1] += group
        else:
            bands.append(list(group))
    return [
        replace(
            data,
            columns=tuple(data.columns[k] for k in band),
            rows=tuple(
                replace(row, cells=tuple(row.cells[k] for k in band))
                for row in data.rows
            ),
        )
        for band in bands
    ] or [data]


def heat_map_figure(results: WaveResults, data: HeatMap) -> Markup:
    """The heat map as SVG: one drawing per band of `SVG_HEAT_COLUMNS` criteria."""
    bands = column_bands(data, SVG_HEAT_COLUMNS)
    span = max(len(band.columns) for band in bands)
    return Markup("").join(_heat_band(results, band, span) for band in bands)


def _heat_band(results: WaveResults, data: HeatMap, span: int) -> Markup:
    return heat_map(
        data.columns,
        data.rows,
        classes=(data.low, data.step),
        span=span,
        title=_("Criteria by unit: which unit is weak on what"),
        desc=_(
            "Each row is a unit, each column a criterion; the colour shows the index "
            "(darker is lower) and the number is the index in percent. A white "
            "triangle marks a criterion significantly below %(scope)s; * marks too "
            "few responses. The same figures are in the table below.",
            scope=scope_name(results),
        ),
    )


def heat_key(data: HeatMap) -> Markup:
    """The colour key of the heat map."""
    return heat_legend(data.low, data.step, lambda v: format_percent(v, 0))


def has_untestable_cells(results: WaveResults) -> bool:
    """True when the design cannot test some unit's criteria against the scope."""
    return any(
        ranked.standing(r.code) is Standing.untestable
        for ranked in results.ranking
        for r in ranked.indices.criteria
    )


def trend_series(
    results: WaveResults,
) -> list[tuple[str, str, list[IndexResult | None]]]:
    """(code, label, results per round) of SIPAS and each factor."""
    codes = [(OVERALL, _("SIPAS index"))]
    codes += [(f.code, f.code) for f in results.questionnaire.factors]
    series = []
    for code, label in codes:
        per_round = []
        for point in results.trend:
            found = {r.code: r for r in point.indices.factors}
            found[OVERALL] = point.indices.overall
            per_round.append(found.get(code))
        series.append((code, label, per_round))
    return series


def _points(per_round) -> tuple[tuple[float, float, float], ...]:
    nan = math.nan
    return tuple(
        (r.estimate.value, r.interval.lower, r.interval.upper) if r else (nan, nan, nan)
        for r in per_round
    )


def trend_figure(results: WaveResults, width: float = 1000) -> Markup:
    """SIPAS and the factors across the rounds of the questionnaire."""
    lines = []
    for code, label, per_round in trend_series(results):
        last = next((r for r in reversed(per_round) if r is not None), None)
        short = "SIPAS" if code == OVERALL else code
        end = f"{short} {shown_percent(last.estimate.value, 1)}" if last else short
        lines.append(Series(label, _points(per_round), end, strong=code == OVERALL))
    return trend_chart(
        [point.wave.title for point in results.trend],
        lines,
        title=_("SIPAS and factor indices across survey rounds"),
        desc=_(
            "One line per index, one point per survey round of this questionnaire "
            "(units merged since are followed into their successors); the SIPAS "
            "line carries its %(level)s confidence intervals. The same figures "
            "are in the table below.",
            level=level_text(results),
        ),
        tick_text=lambda value: format_percent(value, 0),
        width=width,
    )
