"""How a wave's results read: formatted figures ("82,66%"), the charts and the order
of the change table. Shared by the dashboard, the workbook and the report."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

from sipas.i18n import format_number, format_percent
from sipas.reports.svg import ChartRow, interval_chart
from sipas.services.results import OVERALL, Change, WaveResults
from sipas.stats.compare import Difference
from sipas.stats.indices import IndexResult
from sipas.stats.intervals import Interval


def finite(value: float | None) -> bool:
    """True for a number that can be shown."""
    return value is not None and math.isfinite(value)


def shown_percent(value: float | None, digits: int = 2) -> str:
    """A fraction as "82,66%", or a dash when it is not defined."""
    return format_percent(value, digits) if finite(value) else "–"


def interval_text(interval: Interval) -> str:
    """An interval as "80,10% – 85,02%"."""
    if not (finite(interval.lower) and finite(interval.upper)):
        return "–"
    return f"{format_percent(interval.lower)} – {format_percent(interval.upper)}"


def change_text(difference: Difference) -> str:
    """A change in percentage points with its sign: "+1,25" / "−0,40"."""
    points = difference.value * 100
    sign = "+" if points > 0 else ("−" if points < 0 else "±")
    return sign + format_number(abs(points), 2)


def p_text(p_value: float) -> str:
    """A p-value as "p = 0,012" (or "p < 0,001")."""
    if p_value < 0.001:
        return "p < " + format_number(0.001, 3)
    return "p = " + format_number(p_value, 3)


def significance_text(difference: Difference) -> str:
    """Whether a change is real, in words."""
    if difference.is_significant:
        return _("statistically significant (%(p)s)", p=p_text(difference.p_value))
    return _("not enough evidence of a change (%(p)s)", p=p_text(difference.p_value))


@dataclass(frozen=True)
class ChangeRow:
    """One line of the change table: what changed and by how much."""

    label: str
    change: Change


def change_rows(results: WaveResults) -> list[ChangeRow]:
    """SIPAS first, then the factors, then the criteria (questionnaire order)."""
    by_code = {change.code: change for change in results.changes}
    rows = []
    if OVERALL in by_code:
        rows.append(ChangeRow(_("SIPAS index"), by_code[OVERALL]))
    for factor in results.questionnaire.factors:
        if factor.code in by_code:
            rows.append(
                ChangeRow(results.factor_name(factor.code), by_code[factor.code])
            )
    for criterion in results.questionnaire.criteria:
        if criterion.code in by_code:
            label = f"{criterion.code}. {results.criterion_label(criterion.code)}"
            rows.append(ChangeRow(label, by_code[criterion.code]))
    return rows


def _chart(
    results: WaveResults,
    labelled: list[tuple[str, IndexResult]],
    title: str,
    *,
    dots: bool = False,
) -> Markup:
    """A chart of (label, index) rows with intervals and small-sample marks."""
    rows = [
        ChartRow(
            label=label,
            value=result.estimate.value,
            lower=result.interval.lower,
            upper=result.interval.upper,
            value_text=shown_percent(result.estimate.value),
            is_small=results.thresholds.is_small(result),
        )
        for label, result in labelled
    ]
    scale = (
        _("Dots on a scale zoomed to the intervals")
        if dots
        else _("Bars from 0% to 100%")
    )
    desc = _(
        "%(scale)s; each line is the %(level)s confidence interval; hollow marks "
        "rest on too few responses. The same figures are in the table below.",
        scale=scale,
        level=format_percent(results.options.level, 0),
    )
    return interval_chart(
        rows,
        title=title,
        desc=desc,
        tick_text=lambda value: format_percent(value, 0),
        dots=dots,
    )


def factor_chart(results: WaveResults) -> Markup:
    """SIPAS and the five factors as bars with their intervals."""
    labelled = [(_("SIPAS index"), results.indices.overall)]
    labelled += [(results.factor_name(r.code), r) for r in results.indices.factors]
    return _chart(results, labelled, _("SIPAS and factor indices"))


def criteria_chart(results: WaveResults) -> Markup:
    """The criteria, weakest first, as bars with their intervals."""
    labelled = [
        (f"{r.code}. {results.criterion_label(r.code)}", r)
        for r in results.criteria_weakest_first
    ]
    return _chart(results, labelled, _("Criteria, weakest first"))


def ranking_chart(results: WaveResults) -> Markup:
    """The units' SIPAS as dots with their intervals, best first."""
    labelled = [(f"{u.rank}. {u.unit.name}", u.overall) for u in results.ranking]
    return _chart(results, labelled, _("Units ranked by SIPAS index"), dots=True)


def is_untestable(result: IndexResult) -> bool:
    """True when the design gives the estimate no variance (e.g. a unit that is a
    single PSU): its differences from other units cannot be tested."""
    estimate = result.estimate
    return finite(estimate.value) and (estimate.df < 1 or not estimate.variance > 0)


def small_count(results: WaveResults) -> int:
    """Estimates on the page that rest on too few responses."""
    small: Callable[[IndexResult], bool] = results.thresholds.is_small
    count = len(results.small_results)
    count += sum(small(ranked.overall) for ranked in results.ranking)
    for breakdown in results.breakdowns:
        for row in breakdown.rows:
            indices = row.indices
            count += sum(small(r) for r in (indices.overall, *indices.factors))
    return count
