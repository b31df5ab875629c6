"""Section II of the report, the index tree: when the questionnaire's SIPAS is made of
domains (policy, services …), each domain in a sentence and every node of the tree in
a table indented by depth, with its interval, standard error and design effect."""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph

from sipas.reports.figures import deff_text, points_text
from sipas.reports.pdf_sections import ci_header
from sipas.reports.pdf_styles import (
    FRAME_WIDTH,
    STYLES,
    data_table,
    interval_text,
    para,
    pct,
)
from sipas.reports.story import ci_text
from sipas.reports.wave_results import TreeRow, WaveResults

#: How far each level of the tree is indented, in points.
INDENT = 9


def tree_part(results: WaveResults) -> list[Flowable]:
    """The domains and the whole tree (nothing for a tree without domains)."""
    if not results.domains:
        return []
    header = [
        _("Index"),
        _("Value"),
        ci_header(results),
        _("Standard error (points)"),
        _("Design effect"),
    ]
    rows: list[list[object]] = [header]
    rows += [_row(results, row) for row in results.tree]
    widths = [0.45, 0.11, 0.22, 0.11, 0.11]
    return [
        para(_("Index tree"), "h2"),
        para(domain_sentence(results)),
        data_table(rows, [w * FRAME_WIDTH for w in widths], right_columns=(1, 2, 3, 4)),
    ]


def domain_sentence(results: WaveResults) -> str:
    """ "SIPAS combines 2 domains — Policy 83,84% (95% CI: …); Services …"."""
    listed = "; ".join(
        _(
            "%(domain)s %(value)s (%(interval)s)",
            domain=results.node_label(row),
            value=pct(row.result.estimate.value),
            interval=ci_text(results, row.result.interval),
        )
        for row in results.domains
    )
    return _(
        "SIPAS combines %(n)s domains — %(list)s.", n=len(results.domains), list=listed
    )


def _row(results: WaveResults, row: TreeRow) -> list[object]:
    estimate = row.result.estimate
    return [
        _name(results, row),
        pct(estimate.value),
        interval_text(row.result.interval),
        points_text(estimate.se),
        deff_text(estimate.deff),
    ]


def _name(results: WaveResults, row: TreeRow) -> Paragraph:
    """The node's name, indented by its depth; SIPAS and the domains in bold, the
    factors and groups with their code as elsewhere in the report."""
    if row.depth == 0:
        name = _("SIPAS (overall)")
    else:
        name = results.node_label(row)
        if not row.has_children and row.code != name:
            name = f"{row.code}. {name}"
    text = escape(name)
    if row.depth == 0 or row.has_children:
        text = f"<b>{text}</b>"
    style = ParagraphStyle(
        f"tree-{row.depth}", parent=STYLES["cell"], leftIndent=INDENT * row.depth
    )
    return Paragraph(text, style)
