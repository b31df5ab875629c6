"""Printable paper questionnaires: one numbered form after another, A4.

The body of the form is the same for every serial, so it is laid out once and each
of its pages stored as a PDF form XObject; every printed page then places that page
and draws its own header (titles, serial, QR code and Code 128 barcode of the form
code, "Trang k/n"). A batch of 5 000 forms stays fast and small.

Needs an app context (gettext, locale), never a request.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

from sipas.questionnaire.schema import Questionnaire
from sipas.questionnaire.serials import form_code, format_serial
from sipas.reports.fonts import BOLD, REGULAR
from sipas.reports.paper_body import FormBody
from sipas.reports.paper_layout import INK, LINE, MUTED

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 40
MARGIN_TOP = 28
MARGIN_BOTTOM = 34
HEADER_HEIGHT = 96
#: Width of the text block.
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
QR_SIZE = 80
#: Narrowest bar of the barcode (pt); 0.6 pt ≈ 0.21 mm reads on office scanners.
BAR_WIDTH = 0.6
BAR_HEIGHT = 22

_TITLE = ParagraphStyle("paper_title", fontName=BOLD, fontSize=10, leading=12.5)
_LINE = ParagraphStyle("paper_line", fontName=REGULAR, fontSize=8.5, leading=11)


class _Named(Protocol):
    code: str


class _Wave(_Named, Protocol):
    title: str


class _Unit(_Named, Protocol):
    name: str


class _Form(Protocol):
    serial: int


@dataclass(frozen=True)
class Heading:
    """What the header says on every form of the batch."""

    title: str
    wave_title: str
    unit_name: str


_TOP = PAGE_HEIGHT - MARGIN_TOP
_RIGHT = PAGE_WIDTH - MARGIN_X
_BOTTOM = _TOP - HEADER_HEIGHT
#: Width of the header's text, left of the QR code.
_TEXT_WIDTH = CONTENT_WIDTH - QR_SIZE - 12


def code_graphics(code: str) -> tuple[QrCodeWidget, Code128]:
    """The QR code (QR_SIZE square) and the Code 128 barcode of ``code``."""
    qr = QrCodeWidget(code, barLevel="M", barWidth=QR_SIZE, barHeight=QR_SIZE)
    barcode = Code128(
        code, barWidth=BAR_WIDTH, barHeight=BAR_HEIGHT, humanReadable=False
    )
    return qr, barcode


def draw_heading(canvas: Canvas, heading: Heading) -> None:
    """The part of the header shared by every form: titles, label, rule."""
    y = _TOP
    for text, style in (
        (heading.title, _TITLE),
        (_("Survey wave: %(wave)s", wave=heading.wave_title), _LINE),
        (_("Unit: %(unit)s", unit=heading.unit_name), _LINE),
    ):
        paragraph = Paragraph(_escape(text), style)
        height = paragraph.wrapOn(canvas, _TEXT_WIDTH, HEADER_HEIGHT)[1]
        y -= height
        paragraph.drawOn(canvas, MARGIN_X, y)
        y -= 1.5
    canvas.setFillColor(INK)
    canvas.setFont(REGULAR, 10)
    canvas.drawString(MARGIN_X, _BOTTOM + 8, _serial_label())
    canvas.setStrokeColor(LINE)
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN_X, _BOTTOM, _RIGHT, _BOTTOM)


def _serial_label() -> str:
    """ "Số phiếu: " before the serial, in the locale of the forms."""
    return _("Form no.:") + " "


def draw_form_codes(canvas: Canvas, serial: str, code: str) -> None:
    """The part of the header proper to one form: serial, QR code, barcode."""
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, 18)
    label_width = canvas.stringWidth(_serial_label(), REGULAR, 10)
    canvas.drawString(MARGIN_X + label_width, _BOTTOM + 8, serial)
    qr, barcode = code_graphics(code)
    draw_qr(canvas, qr, _RIGHT - QR_SIZE, _TOP - QR_SIZE)
    right = MARGIN_X + _TEXT_WIDTH
    barcode.drawOn(canvas, right - barcode.width, _BOTTOM + 10)
    canvas.setFont(REGULAR, 6.5)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(right - barcode.width / 2, _BOTTOM + 2, code)


def draw_qr(
    canvas: Canvas, qr: QrCodeWidget, x: float, y: float, size: float = QR_SIZE
) -> None:
    """The QR code's dark modules in a ``size`` square at (x, y), one filled path
    (the widget's own drawing makes a shape per module, slow for thousands of forms,
    and renderPDF would list Helvetica in the PDF). Also used by the posters."""
    qr.qr.make()
    modules = qr.qr.modules
    module = size / (len(modules) + 2 * qr.barBorder)
    path = canvas.beginPath()
    for row, cells in enumerate(modules):
        top = y + size - (row + qr.barBorder + 1) * module
        column = 0
        for dark, run in itertools.groupby(cells):
            count = len(list(run))
            if dark:
                left = x + (column + qr.barBorder) * module
                path.rect(left, top, count * module, module)
            column += count
    canvas.saveState()
    canvas.setFillColor(INK)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def draw_page_number(canvas: Canvas, page: int, pages: int) -> None:
    """ "Trang k/n" of the form, under the QR code."""
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(INK)
    canvas.drawCentredString(
        _RIGHT - QR_SIZE / 2,
        _TOP - QR_SIZE - 10,
        _("Page %(page)s/%(pages)s", page=page, pages=pages),
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _FormCanvas(Canvas):
    """A canvas that, while ``capturing``, keeps laid-out pages as form XObjects
    instead of emitting them."""

    capturing = False

    def showPage(self) -> None:  # noqa: N802  (ReportLab's name)
        if self.capturing:
            self._startPage()
        else:
            super().showPage()


def _capture_body(canvas: _FormCanvas, body: FormBody, document: dict) -> list[str]:
    """Lay the body out once; return the names of its pages' form XObjects."""
    names: list[str] = []

    def begin(canv: Canvas, doc: BaseDocTemplate) -> None:
        names.append(f"paperbody{doc.page}")
        canv.beginForm(names[-1])

    def end(canv: Canvas, _doc: BaseDocTemplate) -> None:
        canv.endForm()

    frame_top = PAGE_HEIGHT - MARGIN_TOP - HEADER_HEIGHT - 6
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        CONTENT_WIDTH,
        frame_top - MARGIN_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    template = PageTemplate("body", [frame], onPage=begin, onPageEnd=end)
    layout = BaseDocTemplate(
        io.BytesIO(), pagesize=A4, pageTemplates=[template], **document
    )
    layout._doSave = 0  # the canvas goes on with the printed pages
    canvas.capturing = True
    layout.build(body.story(), canvasmaker=lambda *_args, **_kwargs: canvas)
    canvas.capturing = False
    canvas._pageNumber = 1
    return names


def render_forms(
    questionnaire: Questionnaire,
    wave: _Wave,
    unit: _Unit,
    forms: Sequence[_Form],
    language: str = "vi",
) -> bytes:
    """The PDF of ``forms`` (each starting on a new page) of ``wave`` and ``unit``."""
    if not forms:
        raise ValueError("no forms to print")
    with force_locale(language):
        title = questionnaire.title.get_text(language)
        document = {
            "title": title,
            "subject": _("Paper forms – %(wave)s", wave=wave.title),
            "author": unit.name,
            "creator": "SIPAS",
            "lang": language,
            # else the canvas starts in Helvetica and lists it in the PDF
            "initialFontName": REGULAR,
        }
        buffer = io.BytesIO()
        canvas = _FormCanvas(
            buffer, pagesize=A4, initialFontName=REGULAR, lang=language
        )
        body = FormBody(questionnaire, language, CONTENT_WIDTH)
        pages = _capture_body(canvas, body, document)
        # what every form shares, and then what each form has of its own, are
        # drawn once as form XObjects that each of its pages places
        canvas.beginForm("paperheading")
        draw_heading(canvas, Heading(title, wave.title, unit.name))
        canvas.endForm()
        for form in forms:
            codes = f"papercodes{form.serial}"
            canvas.beginForm(codes)
            draw_form_codes(
                canvas,
                format_serial(form.serial),
                form_code(wave.code, unit.code, form.serial),
            )
            canvas.endForm()
            for number, name in enumerate(pages, start=1):
                canvas.doForm(name)
                canvas.doForm("paperheading")
                canvas.doForm(codes)
                draw_page_number(canvas, number, len(pages))
                canvas.showPage()
        canvas.save()
    return buffer.getvalue()
