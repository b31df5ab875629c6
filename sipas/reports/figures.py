"""How a wave's results read: formatted figures ("82,66%"), the charts and the order
of the change table. Shared by the dashboard, the workbook and the report."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeGuard

from flask_babel import gettext as _
from markupsafe import Markup

from sipas.i18n import format_number, format_percent
from sipas.reports.svg import ChartRow, interval_chart
from sipas.reports.wave_results import OVERALL, Change, RankedUnit, WaveResults
from sipas.stats.compare import Comparison, Difference
from sipas.stats.indices import IndexResult
from sipas.stats.intervals import Interval


def finite(value: float | None) -> TypeGuard[float]:
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


def points_text(value: float | None) -> str:
    """A standard error in percentage points ("0,85"), or a dash."""
    return format_number(value * 100, 2) if finite(value) else "–"


def deff_text(value: float | None) -> str:
    """A design effect ("1,84"), or a dash."""
    return format_number(value, 2) if finite(value) else "–"


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
    """SIPAS first, then its domains (if the tree has them), the factors and the
    criteria (questionnaire order)."""
    by_code = {change.code: change for change in results.changes}
    rows = []
    if OVERALL in by_code:
        rows.append(ChangeRow(_("SIPAS index"), by_code[OVERALL]))
    for domain in results.domains:
        change = results.node_change(domain.code)
        if change is not None:
            rows.append(ChangeRow(results.node_label(domain), change))
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


def comparison_text(unit: RankedUnit, names: dict[str, str]) -> str:
    """How a ranked unit compares with the others, in words an official reads:
    "cannot be compared under this design" is never shown as "no difference"."""

    def listed(codes: tuple[str, ...]) -> str:
        return ", ".join(names.get(code, code) for code in codes)

    parts = []
    if unit.indistinguishable:
        parts.append(
            _(
                "No clear difference from %(units)s",
                units=listed(unit.indistinguishable),
            )
        )
    if (
        unit.untestable
        and not unit.indistinguishable
        and len(unit.untestable) == len(names) - 1
    ):
        parts.append(_("The sampling design cannot compare it with the other units †"))
    elif unit.untestable:
        parts.append(
            _(
                "The sampling design cannot compare it with %(units)s †",
                units=listed(unit.untestable),
            )
        )
    if not parts:
        return _("Clearly different from every other unit")
    return ". ".join(parts)


def next_mark(unit: RankedUnit) -> str:
    """≈ when the next unit was tested and not told apart, † when the design cannot
    compare the two, else nothing."""
    marks: dict[Comparison | None, str] = {
        Comparison.indistinguishable: "≈",
        Comparison.untestable: "†",
    }
    return marks.get(unit.comparison_with_next, "")


@dataclass(frozen=True)
class RankingSummary:
    """How many pairs of ranked units differ, do not, or cannot be compared."""

    different: int
    indistinguishable: int
    untestable: int


def ranking_summary(results: WaveResults) -> RankingSummary:
    """Counts of unit pairs by what the test of their difference could say."""
    ranked = results.ranking
    pairs = len(ranked) * (len(ranked) - 1) // 2
    same = sum(len(u.indistinguishable) for u in ranked) // 2
    untestable = sum(len(u.untestable) for u in ranked) // 2
    return RankingSummary(pairs - same - untestable, same, untestable)


def ranking_summary_text(results: WaveResults) -> str:
    """The ranking's pairs in one sentence ("Of 10 pairs of units, 6 differ …")."""
    summary = ranking_summary(results)
    pairs = summary.different + summary.indistinguishable + summary.untestable
    if summary.untestable == pairs:
        return _(
            "Under this sampling design none of the %(pairs)s pairs of units can "
            "be compared: the order below only reflects the figures collected.",
            pairs=pairs,
        )
    if summary.untestable:
        return _(
            "Of %(pairs)s pairs of units, %(different)s differ clearly, "
            "%(same)s cannot be told apart (their difference is within what chance "
            "explains) and %(untestable)s cannot be compared under this sampling "
            "design.",
            pairs=pairs,
            different=summary.different,
            same=summary.indistinguishable,
            untestable=summary.untestable,
        )
    return _(
        "Of %(pairs)s pairs of units, %(different)s differ clearly and %(same)s "
        "cannot be told apart (their difference is within what chance explains).",
        pairs=pairs,
        different=summary.different,
        same=summary.indistinguishable,
    )


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
