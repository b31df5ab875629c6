"""The PDF report of a wave's results for a unit subtree (ReportLab platypus).

`render_report` takes the results the dashboard shows (same figures, formatted by
the same functions) and returns the PDF; it needs an app context for gettext and
number formats, never a request.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate

from sipas.reports.fonts import REGULAR
from sipas.reports.pdf_appendix import method_appendix, questionnaire_appendix
from sipas.reports.pdf_findings import (
    breakdown_part,
    change_section,
    perception_section,
)
from sipas.reports.pdf_heading import Masthead, masthead, title_block
from sipas.reports.pdf_sections import (
    criteria_section,
    general_section,
    overall_section,
    ranking_section,
)
from sipas.reports.pdf_story import summary_section
from sipas.reports.pdf_styles import (
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    MUTED,
    PAGE_SIZE,
)
from sipas.reports.pdf_tree import tree_part
from sipas.reports.wave_results import WaveResults


@dataclass(frozen=True)
class RenderedReport:
    """The PDF and its number of pages."""

    data: bytes
    pages: int


def _numbered_canvas(footer: str, pages: list[int]) -> type[Canvas]:
    """A canvas that keeps each page until the end, then writes "page k of n"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802  (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(REGULAR, 8)
                self.setFillColor(MUTED)
                self.drawCentredString(
                    PAGE_SIZE[0] / 2,
                    MARGIN_BOTTOM / 2,
                    footer % {"page": number, "pages": total},
                )
                super().showPage()
            pages.append(total)
            super().save()

    return NumberedCanvas


def render(results: WaveResults, head: Masthead) -> RenderedReport:
    """The report as a PDF, with its page count."""
    with force_locale(results.language):
        story = [
            *masthead(head),
            *title_block(results),
            *summary_section(results),
            *general_section(results),
            *overall_section(results),
            *tree_part(results),
            *breakdown_part(results),
            *criteria_section(results),
            *ranking_section(results),
            *perception_section(results),
            *change_section(results),
            *method_appendix(results),
            *questionnaire_appendix(results),
        ]
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN_LEFT,
            rightMargin=MARGIN_RIGHT,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=_("SIPAS report – %(wave)s", wave=results.wave.title),
            author=" ".join(head.issuer),
            subject=results.wave.title,
            creator="SIPAS",
            lang=results.language,
            # else the canvas starts in Helvetica and lists it in the PDF
            initialFontName=REGULAR,
        )
        pages: list[int] = []
        # "%(page)s/%(pages)s" filled per page by the canvas, not by gettext
        footer = _("Page %(page)s/%(pages)s", page="%(page)s", pages="%(pages)s")
        document.build(story, canvasmaker=_numbered_canvas(footer, pages))
    return RenderedReport(buffer.getvalue(), pages[0])


def render_report(
    results: WaveResults,
    *,
    issuer: tuple[str, ...] | str = (),
    place: str = "",
    day: date | None = None,
) -> bytes:
    """The PDF report of ``results`` (issuing body, place and date of the heading)."""
    if isinstance(issuer, str):
        issuer = tuple(line for line in issuer.splitlines() if line.strip())
    head = Masthead(issuer or default_issuer(results), place, day or date.today())
    return render(results, head).data


def default_issuer(results: WaveResults) -> tuple[str, ...]:
    """The root unit's name (or the wave's top unit's) in capitals."""
    unit = results.root
    if unit is None and results.ranking:
        first = results.ranking[0].unit
        unit = first.parent or first
        while unit.parent is not None:
            unit = unit.parent
    return (unit.name.upper(),) if unit is not None else ()
