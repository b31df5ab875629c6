"""QR posters for the service hall: one A4 portrait page per unit.

Each page invites the citizen to answer on their phone: a large question, the unit's
name, a QR code (over 9 cm wide) of the absolute address ``<base_url>/s/<unit_code>``,
the address itself, three numbered steps and the promise of anonymity. Type sizes are
chosen to be read from about two metres; dark ink on white, one calm accent colour.

Needs an app context (gettext, locale), never a request.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import date
from typing import Protocol
from urllib.parse import quote

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from sipas.i18n import format_day
from sipas.reports.fonts import BOLD, REGULAR
from sipas.reports.paper_pdf import draw_qr
from sipas.reports.pdf_styles import INK, MUTED, RULE  # registers the fonts

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 1.8 * cm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
#: Side of the QR code's modules (without its quiet zone): never below 9 cm.
QR_SIZE = 9.6 * cm
QR_MIN_SIZE = 9 * cm
#: Height of the coloured band at the top of the page.
BAND_HEIGHT = 1.7 * cm

#: The report's ink, grey and rules; a deeper blue than its accent, for white type.
ACCENT = colors.HexColor("#17467a")
PALE = colors.HexColor("#eaf0f6")


class _Unit(Protocol):
    code: str
    name: str


class _Wave(Protocol):
    title: str
    starts_on: date | None
    ends_on: date | None


def survey_url(base_url: str, unit_code: str) -> str:
    """The absolute address of the unit's phone questionnaire."""
    return f"{base_url.rstrip('/')}/s/{quote(unit_code, safe='')}"


def qr_code(url: str) -> QrCodeWidget:
    """The QR code of ``url`` (error correction M, the quiet zone left to the page)."""
    return QrCodeWidget(
        url, barLevel="M", barBorder=0, barWidth=QR_SIZE, barHeight=QR_SIZE
    )


#: what every paragraph of this poster starts from (ReportLab inherits a parent's
#: settings)
BASE = ParagraphStyle(
    "poster_base",
    fontName=REGULAR,
    fontSize=16,
    leading=21,
    textColor=INK,
    alignment=TA_CENTER,
)


def _style(name: str, **settings: object) -> ParagraphStyle:
    return ParagraphStyle(name, parent=BASE, **settings)


HEADLINE = _style("poster_headline", fontName=BOLD, fontSize=31, leading=38)
UNIT = _style("poster_unit", fontName=BOLD, fontSize=23, leading=29, textColor=ACCENT)
STEP = _style("poster_step", fontSize=16, leading=20, alignment=TA_LEFT)
NOTE = _style("poster_note", fontName=BOLD, fontSize=14, leading=18)
SMALL = _style("poster_small", fontSize=11.5, leading=15, textColor=MUTED)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fitted(
    canvas: Canvas, text: str, style: ParagraphStyle, width: float, max_lines: int
) -> tuple[Paragraph, float]:
    """``text`` as a paragraph of at most ``max_lines`` lines, shrinking the type
    (down to 60%) when a long name needs it; returns it with its height."""
    size, leading = style.fontSize, style.leading
    while True:
        fitted = ParagraphStyle(
            f"{style.name}-{size}", parent=style, fontSize=size, leading=leading
        )
        paragraph = Paragraph(_escape(text), fitted)
        height = paragraph.wrapOn(canvas, width, PAGE_HEIGHT)[1]
        if height <= max_lines * leading + 0.5 or size <= style.fontSize * 0.6:
            return paragraph, height
        size -= 1
        leading = size * style.leading / style.fontSize


def _wave_line(wave: _Wave) -> str:
    """ "Đợt khảo sát: … · Từ ngày … đến ngày …" """
    line = _("Survey round: %(title)s", title=wave.title)
    start, end = format_day(wave.starts_on), format_day(wave.ends_on)
    if start and end:
        dates = _("from %(start)s to %(end)s", start=start, end=end)
    elif start:
        dates = _("from %(start)s", start=start)
    elif end:
        dates = _("until %(end)s", end=end)
    else:
        return line
    return f"{line} · {dates}"


def _steps() -> list[str]:
    return [
        _("Open the camera of your phone."),
        _("Point it at the QR code above and tap the link that appears."),
        _("Answer the questions: it takes about 5 minutes."),
    ]


def _draw_band(canvas: Canvas) -> float:
    """The coloured band with the survey's name; returns the y below it."""
    canvas.setFillColor(ACCENT)
    canvas.rect(0, PAGE_HEIGHT - BAND_HEIGHT, PAGE_WIDTH, BAND_HEIGHT, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(BOLD, 15)
    canvas.drawCentredString(
        PAGE_WIDTH / 2,
        PAGE_HEIGHT - BAND_HEIGHT / 2 - 5,
        _("Citizen satisfaction survey").upper(),
    )
    return PAGE_HEIGHT - BAND_HEIGHT


def _draw_bottom(canvas: Canvas, unit: _Unit, url: str, wave: _Wave | None) -> float:
    """From the foot of the page up: footer, wave, anonymity note, the three steps,
    the printed address. Returns the y above the address."""
    y = MARGIN - 0.4 * cm
    canvas.setFillColor(MUTED)
    canvas.setFont(REGULAR, 9.5)
    canvas.drawString(
        MARGIN, y, _("Your opinion helps us serve you better. Thank you!")
    )
    canvas.drawRightString(
        PAGE_WIDTH - MARGIN, y, _("Unit code: %(code)s", code=unit.code)
    )
    y += 14
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)
    y += 10

    if wave is not None:
        paragraph, height = _fitted(canvas, _wave_line(wave), SMALL, CONTENT_WIDTH, 2)
        paragraph.drawOn(canvas, MARGIN, y)
        y += height + 10

    # the promise of anonymity, on a pale panel
    note, height = _fitted(
        canvas,
        _("Anonymous: we do not ask your name or phone number."),
        NOTE,
        CONTENT_WIDTH - 1 * cm,
        2,
    )
    panel = height + 0.55 * cm
    canvas.setFillColor(PALE)
    canvas.roundRect(MARGIN, y, CONTENT_WIDTH, panel, 6, stroke=0, fill=1)
    note.drawOn(canvas, MARGIN + 0.5 * cm, y + (panel - height) / 2 + 1)
    y += panel + 0.4 * cm

    # the three steps, numbered in discs, bottom one first
    radius = 14
    text_x = MARGIN + 2 * radius + 0.45 * cm
    for number, text in reversed(list(enumerate(_steps(), start=1))):
        paragraph, height = _fitted(canvas, text, STEP, PAGE_WIDTH - MARGIN - text_x, 2)
        row = max(height, 2 * radius)
        paragraph.drawOn(canvas, text_x, y + (row - height) / 2)
        centre = y + row / 2
        canvas.setFillColor(ACCENT)
        canvas.circle(MARGIN + radius, centre, radius, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(BOLD, 16)
        canvas.drawCentredString(MARGIN + radius, centre - 5.5, str(number))
        y += row + 0.22 * cm
    y += 0.2 * cm

    # the address, on one line, smaller if it is long
    size = 17.0
    while size > 9 and canvas.stringWidth(url, BOLD, size) > CONTENT_WIDTH:
        size -= 0.5
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, size)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, url)
    y += size + 4
    canvas.setFillColor(MUTED)
    canvas.setFont(REGULAR, 11.5)
    canvas.drawCentredString(
        PAGE_WIDTH / 2, y, _("or type this address in your browser:")
    )
    return y + 11.5


def _draw_page(canvas: Canvas, unit: _Unit, base_url: str, wave: _Wave | None) -> None:
    url = survey_url(base_url, unit.code)
    top = _draw_band(canvas) - 0.5 * cm
    headline, height = _fitted(
        canvas,
        _("Are you satisfied with our service?"),
        HEADLINE,
        CONTENT_WIDTH,
        3,
    )
    top -= height
    headline.drawOn(canvas, MARGIN, top)
    name, height = _fitted(canvas, unit.name, UNIT, CONTENT_WIDTH, 3)
    top -= height + 0.25 * cm
    name.drawOn(canvas, MARGIN, top)

    bottom = _draw_bottom(canvas, unit, url, wave)
    # the code in the middle of what is left, with white around it: at least three
    # modules of quiet zone (readers need little; the page is white anyway)
    widget = qr_code(url)
    widget.qr.make()
    modules = len(widget.qr.modules)
    space = top - bottom
    size = max(QR_MIN_SIZE, min(QR_SIZE, space * modules / (modules + 6)))
    draw_qr(canvas, widget, (PAGE_WIDTH - size) / 2, bottom + (space - size) / 2, size)


def render_posters(
    units: Sequence[_Unit],
    base_url: str,
    wave: _Wave | None = None,
    language: str = "vi",
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The PDF of one poster per unit, in ``language``; ``base_url`` is where the
    site is reached from outside (``https://khaosat.example.gov.vn``). ``progress``
    hears (posters laid out, posters in all) after each page."""
    if not units:
        raise ValueError("no units to print posters for")
    buffer = io.BytesIO()
    with force_locale(language):
        canvas = Canvas(
            buffer,
            pagesize=A4,
            # else the canvas starts in Helvetica and lists it in the PDF
            initialFontName=REGULAR,
            lang=language,
        )
        canvas.setTitle(_("QR posters"))
        canvas.setAuthor(wave.title if wave is not None else units[0].name)
        canvas.setCreator("SIPAS")
        for done, unit in enumerate(units, start=1):
            _draw_page(canvas, unit, base_url, wave)
            canvas.showPage()
            if progress is not None:
                progress(done, len(units))
        canvas.save()
    return buffer.getvalue()
