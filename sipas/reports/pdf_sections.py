"""Sections I–IV of the PDF report, as platypus flowables."""

from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape as _escape

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.lib.units import cm
from reportlab.platypus import CondPageBreak, Flowable, Spacer, Table

from sipas.i18n import format_percent
from sipas.labels import WAVE_STATUS_LABELS
from sipas.models import UnitLevel, Wave, Weighting
from sipas.reports.figures import next_mark, ranking_summary_text
from sipas.reports.fonts import REGULAR
from sipas.reports.pdf_charts import ChartRow, factor_chart
from sipas.reports.pdf_heading import scope_text
from sipas.reports.pdf_styles import (
    FRAME_WIDTH,
    count,
    data_table,
    interval_text,
    is_known,
    markup,
    para,
    pct,
)
from sipas.reports.wave_results import WaveResults
from sipas.stats.indices import IndexResult

#: Names of unit levels inside sentences ("each province is a stratum").
LEVEL_NAMES = {
    UnitLevel.province: _l("province"),
    UnitLevel.district: _l("district"),
    UnitLevel.commune: _l("commune"),
    UnitLevel.centre: _l("service centre"),
}


def heading(number: str, title: str) -> list[Flowable]:
    """A numbered section heading kept with what follows."""
    return [CondPageBreak(4 * cm), para(f"{number}. {title}", "h1")]


def level_name(level: UnitLevel | None) -> str:
    return str(LEVEL_NAMES[level]) if level is not None else ""


def design_sentences(wave: Wave) -> list[str]:
    """The wave's sampling design and weighting in words."""
    sentences = []
    if wave.strata_level is not None:
        sentences.append(
            _(
                "Stratified sample: each %(level)s is a stratum.",
                level=level_name(wave.strata_level),
            )
        )
    else:
        sentences.append(_("A single stratum (no stratification)."))
    if wave.psu_level is not None:
        sentences.append(
            _(
                "Primary sampling units: the %(level)s units; responses are clustered "
                "in them.",
                level=level_name(wave.psu_level),
            )
        )
    else:
        sentences.append(_("Each response is its own sampling unit."))
    if wave.weighting is Weighting.unit_population:
        sentences.append(
            _(
                "Weights: the unit's population (people served in the period) "
                "divided by its valid responses."
            )
        )
    else:
        sentences.append(_("Every response has the same weight."))
    if wave.calibration_margins:
        sentences.append(
            _(
                "Weights calibrated to known population margins of: %(variables)s.",
                variables=", ".join(sorted(wave.calibration_margins)),
            )
        )
    return sentences


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "…"


def channel_text(results: WaveResults) -> str:
    """ "Phone / web: 1.234 (45,2%); Kiosk: …" from the channel breakdown."""
    channel = next((b for b in results.breakdowns if b.code == "channel"), None)
    if channel is None or not results.responses:
        return "–"
    parts = []
    for row in channel.rows:
        n = row.indices.overall.estimate.n
        parts.append(
            f"{row.label}: {count(n)} ({format_percent(n / results.responses, 1)})"
        )
    return "; ".join(parts)


def general_section(results: WaveResults) -> list[Flowable]:
    """I. The survey round, its questionnaire, the sample and the design."""
    wave, questionnaire = results.wave, results.questionnaire
    rows = [
        (_("Survey round"), f"{wave.title} ({wave.code})"),
        (_("Period"), f"{_day(wave.starts_on)} – {_day(wave.ends_on)}"),
        (_("Status"), str(WAVE_STATUS_LABELS[wave.status])),
        (
            _("Questionnaire"),
            _(
                "%(title)s (%(code)s, version %(version)s)",
                title=questionnaire.title.get_text(results.language),
                code=questionnaire.code,
                version=questionnaire.version,
            ),
        ),
        (_("Scope"), scope_text(results)),
        (_("Valid responses"), count(results.responses)),
        (_("Units with responses"), count(results.responding_units)),
        (_("Channels"), channel_text(results)),
        (_("Sampling design"), " ".join(design_sentences(wave))),
    ]
    table = Table(
        [[para(k, "cell_bold"), para(v, "cell")] for k, v in rows],
        colWidths=[0.27 * FRAME_WIDTH, 0.73 * FRAME_WIDTH],
        hAlign="LEFT",
    )
    table.setStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, "#9aa3ad"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
    )
    return [*heading("I", _("General information and sample")), table]


def small_mark(results: WaveResults, result: IndexResult) -> str:
    """The index, marked with * when it rests on too few responses."""
    value = result.estimate.value
    small = is_known(value) and results.thresholds.is_small(result)
    return pct(value) + (" *" if small else "")


def small_note(results: WaveResults, marked: list[IndexResult]) -> list[Flowable]:
    """The footnote of the small-sample mark, if any of ``marked`` carries it."""
    if not any(results.thresholds.is_small(r) for r in marked):
        return []
    return [
        para(
            _(
                "* Fewer than %(n)s responses or an effective sample size below "
                "%(effective)s: read with care.",
                n=results.thresholds.min_n,
                effective=count(results.thresholds.min_effective_n),
            ),
            "note",
        )
    ]


def ci_header(results: WaveResults) -> str:
    return _(
        "%(level)s confidence interval",
        level=format_percent(results.options.level, 0),
    )


def overall_section(results: WaveResults) -> list[Flowable]:
    """II. SIPAS and the factor indices, as a table and a chart with interval bars."""
    indices = results.indices
    header = [_("Index"), _("Responses"), _("Value"), ci_header(results)]
    rows: list[list[object]] = [header]
    chart_rows = [ChartRow(_("SIPAS (overall)"), indices.overall, strong=True)]
    rows.append(
        [
            markup(f"<b>{_escape(_('SIPAS (overall)'))}</b>", "cell"),
            count(indices.overall.estimate.n),
            small_mark(results, indices.overall),
            interval_text(indices.overall.interval),
        ]
    )
    for factor in indices.factors:
        label = f"{factor.code}. {results.factor_name(factor.code)}"
        chart_rows.append(ChartRow(label, factor))
        rows.append(
            [
                label,
                count(factor.estimate.n),
                small_mark(results, factor),
                interval_text(factor.interval),
            ]
        )
    widths = [0.46, 0.13, 0.14, 0.27]
    story = [
        *heading("II", _("Overall results and results by factor")),
        para(overall_sentence(results)),
        data_table(rows, [w * FRAME_WIDTH for w in widths], right_columns=(1, 2, 3)),
        *small_note(results, [indices.overall, *indices.factors]),
        Spacer(1, 6),
        factor_chart(chart_rows),
        para(
            _(
                "Bars: index value; whiskers: %(level)s confidence interval.",
                level=format_percent(results.options.level, 0),
            ),
            "note",
        ),
    ]
    return story


def overall_sentence(results: WaveResults) -> str:
    """One sentence with SIPAS, its interval and the highest and lowest factor."""
    overall = results.indices.overall
    if not is_known(overall.estimate.value):
        return _("No valid response: the indices cannot be computed.")
    text = _(
        "The SIPAS index is %(value)s (%(level)s confidence interval %(interval)s), "
        "from %(n)s valid responses.",
        value=pct(overall.estimate.value),
        level=format_percent(results.options.level, 0),
        interval=interval_text(overall.interval),
        n=count(results.responses),
    )
    known = [f for f in results.indices.factors if is_known(f.estimate.value)]
    if len(known) >= 2:
        best = max(known, key=lambda f: f.estimate.value)
        worst = min(known, key=lambda f: f.estimate.value)
        text += " " + _(
            "Highest factor: %(best)s (%(best_value)s); lowest: %(worst)s "
            "(%(worst_value)s).",
            best=results.factor_name(best.code),
            best_value=pct(best.estimate.value),
            worst=results.factor_name(worst.code),
            worst_value=pct(worst.estimate.value),
        )
    return text


def criteria_section(results: WaveResults) -> list[Flowable]:
    """III. The criteria grouped by factor, with n, index, interval and marks."""
    header = [_("Code"), _("Criterion"), _("Responses"), _("Index"), ci_header(results)]
    rows: list[list[object]] = [header]
    group_rows = []
    for factor in results.indices.factors:
        group_rows.append(len(rows))
        name = _escape(f"{factor.code}. {results.factor_name(factor.code)}")
        rows.append(
            [
                markup(f"<b>{name}</b> — {pct(factor.estimate.value)}", "cell"),
                "",
                "",
                "",
                "",
            ]
        )
        for criterion in results.indices.criteria:
            if criterion.factor != factor.code:
                continue
            rows.append(
                [
                    criterion.code,
                    results.criterion_label(criterion.code),
                    count(criterion.estimate.n),
                    small_mark(results, criterion),
                    interval_text(criterion.interval),
                ]
            )
    widths = [0.07, 0.48, 0.11, 0.12, 0.22]
    story = [
        *heading("III", _("Results by criterion")),
        data_table(
            rows,
            [w * FRAME_WIDTH for w in widths],
            right_columns=(2, 3, 4),
            group_rows=group_rows,
        ),
        *small_note(results, list(results.indices.criteria)),
    ]
    weakest = results.criteria_weakest_first[:3]
    if weakest:
        listed = "; ".join(
            f"{r.code} – {results.criterion_label(r.code)} ({pct(r.estimate.value)})"
            for r in weakest
        )
        story.append(para(_("Weakest criteria: %(list)s.", list=listed)))
    return story


def _tie_note(results: WaveResults) -> list[Flowable]:
    """The ≈ note, when two neighbours in the ranking cannot be told apart."""
    if not any(unit.tied_with_next for unit in results.ranking):
        return []
    return [
        para(
            _(
                "≈ The SIPAS of this unit and of the next one differ by less than "
                "chance explains (not significant at %(level)s): their order may "
                "be chance.",
                level=format_percent(results.options.level, 0),
            ),
            "note",
        )
    ]


def _untestable_note(results: WaveResults) -> list[Flowable]:
    """The † note, when the design cannot compare some units."""
    if not any(unit.untestable for unit in results.ranking):
        return []
    return [
        para(
            _(
                "† The sampling design of this survey round cannot measure the error "
                "of comparing this unit with the next one (for example, each whole "
                "unit was taken as one sampling unit): their order only reflects the "
                "figures collected. It cannot show which unit is really better, and "
                "it does not mean that the units are alike."
            ),
            "note",
        )
    ]


def ranking_section(results: WaveResults) -> list[Flowable]:
    """IV. The units one level below the subtree's root, best first."""
    story = list(heading("IV", _("Ranking of units")))
    ranked = results.ranking
    if not ranked:
        story.append(
            para(_("Fewer than two units below this scope have responses: no ranking."))
        )
        return story
    header = [_("Rank"), _("Unit"), _("Responses"), "SIPAS", ci_header(results), ""]
    rows: list[list[object]] = [header]
    for unit in ranked:
        rows.append(
            [
                str(unit.rank),
                unit.unit.name,
                count(unit.overall.estimate.n),
                small_mark(results, unit.overall),
                interval_text(unit.overall.interval),
                next_mark(unit),
            ]
        )
    widths = [0.11, 0.39, 0.12, 0.12, 0.21, 0.05]
    story += [
        para(ranking_summary_text(results)),
        data_table(rows, [w * FRAME_WIDTH for w in widths], right_columns=(0, 2, 3, 4)),
        *_tie_note(results),
        *_untestable_note(results),
        *small_note(results, [u.overall for u in ranked]),
    ]
    return story
