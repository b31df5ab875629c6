"""The top of the PDF report: issuing body, national heading, date and title."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, HRFlowable, Spacer, Table

from sipas.reports.fonts import BOLD, REGULAR
from sipas.reports.pdf_styles import FRAME_WIDTH, INK, markup, para
from sipas.reports.wave_results import WaveResults


@dataclass(frozen=True)
class Masthead:
    """Who issues the report, where and when."""

    issuer: tuple[str, ...]
    place: str
    day: date


def dateline(place: str, day: date) -> str:
    """ "Quảng Ninh, ngày 05 tháng 02 năm 2026": days below 10 and months 1–2 take
    a leading zero, as Vietnamese administrative documents write them."""
    values = {
        "day": f"{day.day:02d}" if day.day < 10 else str(day.day),
        "month": f"{day.month:02d}" if day.month < 3 else str(day.month),
        "year": str(day.year),
    }
    if place:
        return _("%(place)s, %(day)s/%(month)s/%(year)s", place=place, **values)
    return _("%(day)s/%(month)s/%(year)s", **values)


def masthead(head: Masthead) -> list[Flowable]:
    """Issuing body left, the national heading right, then the place and date."""
    motto = _("Independence - Freedom - Happiness")
    left: list[Flowable] = [
        markup("<br/>".join(escape(line) for line in head.issuer), "heading_left"),
        Spacer(1, 2),
        HRFlowable(width="35%", thickness=0.6, color=INK, hAlign="CENTER"),
    ]
    right: list[Flowable] = [
        para(_("SOCIALIST REPUBLIC OF VIET NAM"), "heading_right"),
        para(motto, "heading_right"),
        Spacer(1, 2),
        HRFlowable(
            width=stringWidth(motto, BOLD, 10),
            thickness=0.6,
            color=INK,
            hAlign="CENTER",
        ),
        Spacer(1, 8),
        para(dateline(head.place, head.day), "dateline"),
    ]
    table = Table([[left, right]], colWidths=[0.40 * FRAME_WIDTH, 0.60 * FRAME_WIDTH])
    table.setStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]
    )
    return [table]


def scope_text(results: WaveResults) -> str:
    """The subtree the report covers, its ancestors first."""
    if results.root is None:
        return _("All units of the survey round")
    return " / ".join(u.name for u in (*results.breadcrumbs, results.root))


def title_block(results: WaveResults) -> list[Flowable]:
    """BÁO CÁO, what it reports on, the survey round and the subtree."""
    return [
        Spacer(1, 0.8 * cm),
        para(_("REPORT"), "title"),
        Spacer(1, 3),
        para(
            _(
                "Results of the survey of the satisfaction of citizens and "
                "organisations with the services of state administrative agencies "
                "(SIPAS)"
            ),
            "subtitle",
        ),
        Spacer(1, 6),
        para(_("Survey round: %(title)s", title=results.wave.title), "centred"),
        para(_("Scope: %(scope)s", scope=scope_text(results)), "centred"),
        Spacer(1, 2),
        HRFlowable(width="25%", thickness=0.6, color=INK, hAlign="CENTER"),
        Spacer(1, 0.4 * cm),
    ]
