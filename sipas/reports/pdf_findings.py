"""Sections V (perceptions and expectations) and VI (change since the previous
wave) of the PDF report."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.platypus import Flowable

from sipas.i18n import format_number, format_percent
from sipas.reports.pdf_sections import ci_header, heading, small_mark, small_note
from sipas.reports.pdf_styles import (
    FRAME_WIDTH,
    count,
    data_table,
    interval_text,
    markup,
    para,
    pct,
)
from sipas.reports.wave_results import OVERALL, Change, ShareTable, WaveResults


def breakdown_part(results: WaveResults) -> list[Flowable]:
    """End of section II: SIPAS per channel and per respondent group."""
    if not results.breakdowns:
        return []
    header = [_("Group"), _("Responses"), "SIPAS", ci_header(results)]
    rows: list[list[object]] = [header]
    group_rows = []
    for breakdown in results.breakdowns:
        group_rows.append(len(rows))
        rows.append([markup(f"<b>{escape(breakdown.title)}</b>", "cell"), "", "", ""])
        for row in breakdown.rows:
            overall = row.indices.overall
            rows.append(
                [
                    row.label,
                    count(overall.estimate.n),
                    small_mark(results, overall),
                    interval_text(overall.interval),
                ]
            )
    widths = [0.46, 0.13, 0.14, 0.27]
    table = data_table(
        rows,
        [w * FRAME_WIDTH for w in widths],
        right_columns=(1, 2, 3),
        group_rows=group_rows,
    )
    marked = [r.indices.overall for b in results.breakdowns for r in b.rows]
    return [
        para(_("SIPAS by channel and respondent group"), "h2"),
        table,
        *small_note(results, marked),
    ]


def _share_table(table: ShareTable, results: WaveResults, *, ranked: bool) -> Flowable:
    header = [_("Option"), _("Share"), ci_header(results)]
    widths = [0.58, 0.14, 0.28]
    if ranked:
        header, widths = [_("Rank"), *header], [0.11, 0.47, 0.14, 0.28]
    rows: list[list[object]] = [header]
    for position, share in enumerate(table.shares, start=1):
        label = table.labels.get(share.option, share.option)
        row: list[object] = [
            label,
            pct(share.estimate.value),
            interval_text(share.interval),
        ]
        rows.append([str(position), *row] if ranked else row)
    right = (0, 2, 3) if ranked else (1, 2)
    return data_table(rows, [w * FRAME_WIDTH for w in widths], right_columns=right)


def _answered_note(table: ShareTable, ranked: bool) -> Flowable:
    answered = table.shares[0].estimate.n if table.shares else 0
    if ranked:
        text = _(
            "Share of the %(n)s respondents who answered that chose each option, "
            "most chosen first.",
            n=count(answered),
        )
    else:
        text = _("%(n)s respondents answered.", n=count(answered))
    return para(text, "note")


def perception_section(results: WaveResults) -> list[Flowable]:
    """V. Perception shares and the expectations, most chosen first."""
    story = list(heading("V", _("Perceptions and expectations")))
    if not results.perceptions and not results.expectations:
        story.append(
            para(_("The questionnaire asks no perception or expectation question."))
        )
        return story
    tables = [(t, False) for t in results.perceptions]
    tables += [(t, True) for t in results.expectations]
    for number, (table, ranked) in enumerate(tables, start=1):
        story += [
            para(f"{number}. {table.title}", "h2"),
            _answered_note(table, ranked),
            _share_table(table, results, ranked=ranked),
        ]
    return story


def change_text(change: Change) -> str:
    """The change in percentage points with its sign: "+1,23" or "−0,45"."""
    value = change.difference.value * 100
    if not math.isfinite(value):
        return "–"
    text = format_number(abs(value), 2)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def significance_text(change: Change) -> str:
    """Whether the change is real, in words, with its p-value."""
    p_value = change.difference.p_value
    if not math.isfinite(p_value):
        return _("Cannot be tested with this design")
    # no-break spaces keep "p = 0,012" on one line when the cell wraps
    shown = (
        "p\u00a0<\u00a0" + format_number(0.001, 3)
        if p_value < 0.001
        else "p\u00a0=\u00a0" + format_number(p_value, 3)
    )
    if change.difference.is_significant:
        return _("Significant (%(p)s)", p=shown)
    return _("Not significant (%(p)s)", p=shown)


def _index_label(results: WaveResults, code: str) -> str:
    if code == OVERALL:
        return _("SIPAS (overall)")
    if any(f.code == code for f in results.questionnaire.factors):
        return f"{code}. {results.factor_name(code)}"
    return f"{code}. {results.criterion_label(code)}"


def _ordered_changes(results: WaveResults) -> list[tuple[str, Change]]:
    """(label, change) of SIPAS, its domains (if the tree has them), the factors,
    then the criteria in questionnaire order."""
    by_code = {c.code: c for c in results.changes}
    ordered = []
    if OVERALL in by_code:
        ordered.append((_index_label(results, OVERALL), by_code[OVERALL]))
    for domain in results.domains:
        change = results.node_change(domain.code)
        if change is not None:
            ordered.append((results.node_label(domain), change))
    codes = [f.code for f in results.indices.factors]
    codes += [c.code for c in results.indices.criteria]
    ordered += [(_index_label(results, c), by_code[c]) for c in codes if c in by_code]
    return ordered


def _strong(text: str, change: Change) -> object:
    """Significant changes in bold, so the real ones stand out."""
    if not change.difference.is_significant:
        return text
    return markup(
        f"<b>{escape(text)}</b>", "cell_right" if text[:1] in "+−±" else "cell"
    )


def change_section(results: WaveResults) -> list[Flowable]:
    """VI. Each index now, in the previous wave, the change and its significance."""
    story = list(heading("VI", _("Comparison with the previous survey round")))
    previous = results.previous_wave
    if previous is None:
        story.append(
            para(
                _(
                    "There is no earlier survey round of this questionnaire to "
                    "compare with."
                )
            )
        )
        return story
    if not results.changes:
        story.append(
            para(
                _(
                    "The previous survey round, %(title)s, has no response in this "
                    "scope: no comparison.",
                    title=previous.title,
                )
            )
        )
        return story
    story.append(
        para(
            _(
                "Previous round: %(title)s. Changes in percentage points; a change is "
                "significant when chance alone would rarely produce it (two-sided "
                "test at %(level)s).",
                title=previous.title,
                level=format_percent(results.options.level, 0),
            )
        )
    )
    header = [
        _("Index"),
        _("This round"),
        _("Previous round"),
        _("Change (points)"),
        _("Significance"),
    ]
    rows: list[list[object]] = [header]
    for label, change in _ordered_changes(results):
        rows.append(
            [
                label,
                pct(change.current.estimate.value),
                pct(change.previous.estimate.value),
                _strong(change_text(change), change),
                _strong(significance_text(change), change),
            ]
        )
    widths = [0.41, 0.12, 0.12, 0.12, 0.23]
    story.append(
        data_table(rows, [w * FRAME_WIDTH for w in widths], right_columns=(1, 2, 3))
    )
    return story
