"""The poster of a unit's published results for its service hall: one page, A4 or
A3 portrait, vector.

The SIPAS figure large with its interval, the five factors as bars with their
intervals, the four perception figures, the round, the date of publication and the
address of the public page with its QR code. Figures resting on too few responses
are replaced by a sentence, as on the public page. The A3 page is the A4 layout
drawn 1.41 times larger, so both read alike.

Needs an app context (gettext, locale), never a request.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A3, A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from sipas.i18n import format_day, format_number, format_percent, local_day
from sipas.reports.figures import finite
from sipas.reports.fonts import BOLD, REGULAR
from sipas.reports.paper_pdf import draw_qr
from sipas.reports.pdf_styles import INK, MUTED, RULE  # registers the fonts
from sipas.reports.poster_pdf import ACCENT, PALE, qr_code
from sipas.reports.published import POSTER_SIZE_NAMES, PublishedResults, answers_text
from sipas.reports.wave_results import KeyShare
from sipas.stats.indices import IndexResult
from sipas.stats.intervals import Interval

#: Page sizes offered, by the name the address takes (?size=a3).
POSTER_SIZES = dict(zip(POSTER_SIZE_NAMES, (A4, A3), strict=True))
WIDTH, HEIGHT = A4
MARGIN = 1.6 * cm
CONTENT = WIDTH - 2 * MARGIN
BAND = 1.5 * cm
QR_SIDE = 3.6 * cm
BAR_FILL = colors.HexColor("#9db8d6")


#: what every paragraph of this poster starts from (ReportLab inherits a parent's
#: settings)
BASE = ParagraphStyle(
    "rp_base",
    fontName=REGULAR,
    fontSize=11,
    leading=14,
    textColor=INK,
    alignment=TA_LEFT,
)


def _style(name: str, **settings: object) -> ParagraphStyle:
    return ParagraphStyle(name, parent=BASE, **settings)


UNIT = _style("rp_unit", fontName=BOLD, fontSize=22, leading=27, textColor=ACCENT)
SUB = _style("rp_sub", fontSize=12, leading=15, textColor=MUTED)
LABEL = _style("rp_label", fontName=BOLD, fontSize=15, leading=19, alignment=TA_CENTER)
NOTE = _style("rp_note", fontSize=10.5, leading=13.5, alignment=TA_CENTER)
FACTOR = _style("rp_factor", fontSize=11, leading=13.5)
QUESTION = _style("rp_question", fontSize=9.5, leading=12)
HEADING = _style("rp_heading", fontName=BOLD, fontSize=14, leading=18)
SMALL = _style("rp_small", fontSize=9.5, leading=12, textColor=MUTED)


def _paragraph(canvas: Canvas, text: str, style: ParagraphStyle, width: float):
    """``text`` wrapped to ``width``; returns the paragraph and its height."""
    paragraph = Paragraph(escape(text), style)
    return paragraph, paragraph.wrapOn(canvas, width, HEIGHT)[1]


def _interval(interval: Interval) -> str:
    return f"{format_percent(interval.lower, 1)} – {format_percent(interval.upper, 1)}"


def _draw_band(canvas: Canvas) -> float:
    canvas.setFillColor(ACCENT)
    canvas.rect(0, HEIGHT - BAND, WIDTH, BAND, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(BOLD, 14)
    canvas.drawCentredString(
        WIDTH / 2, HEIGHT - BAND / 2 - 5, _("Citizen satisfaction: results").upper()
    )
    return HEIGHT - BAND - 0.6 * cm


def _draw_title(canvas: Canvas, doc: PublishedResults, top: float) -> float:
    results = doc.results
    name = doc.unit.name if doc.unit is not None else results.wave.title
    paragraph, height = _paragraph(canvas, name, UNIT, CONTENT)
    top -= height
    paragraph.drawOn(canvas, MARGIN, top)
    line = _(
        "%(round)s · published on %(day)s",
        round=results.wave.title,
        day=format_day(local_day(doc.published_at)),
    )
    paragraph, height = _paragraph(canvas, line, SUB, CONTENT)
    top -= height + 4
    paragraph.drawOn(canvas, MARGIN, top)
    return top - 0.45 * cm


def _draw_sipas(canvas: Canvas, doc: PublishedResults, top: float) -> float:
    """The pale panel with the big SIPAS figure and its interval."""
    overall = doc.results.indices.overall
    label, label_h = _paragraph(
        canvas, _("Overall satisfaction of citizens (SIPAS index)"), LABEL, CONTENT
    )
    note_text = _confidence_note(doc, overall)
    note, note_h = _paragraph(canvas, note_text, NOTE, CONTENT - 1.2 * cm)
    figure_size = 64
    panel = label_h + figure_size + note_h + 1.3 * cm
    canvas.setFillColor(PALE)
    canvas.roundRect(MARGIN, top - panel, CONTENT, panel, 8, stroke=0, fill=1)
    y = top - 0.4 * cm - label_h
    label.drawOn(canvas, MARGIN, y)
    y -= figure_size * 0.86
    canvas.setFillColor(ACCENT)
    if _shown(doc, overall):
        canvas.setFont(BOLD, figure_size)
        canvas.drawCentredString(
            WIDTH / 2, y, format_percent(overall.estimate.value, 1)
        )
    else:
        canvas.setFont(BOLD, 20)
        canvas.drawCentredString(WIDTH / 2, y + 20, _("Too few answers to publish"))
    note.drawOn(canvas, MARGIN + 0.6 * cm, top - panel + 0.35 * cm)
    return top - panel - 0.5 * cm


def _confidence_note(doc: PublishedResults, overall: IndexResult) -> str:
    if not _shown(doc, overall):
        return _not_enough(doc)
    return _(
        "Margin of error: between %(interval)s (%(level)s confidence interval: "
        "had everyone served been asked, the result would almost surely lie in "
        "this range).",
        interval=_interval(overall.interval),
        level=format_percent(doc.results.options.level, 0),
    )


def _not_enough(doc: PublishedResults) -> str:
    return _(
        "Fewer than %(n)s answers: the figure is not published.",
        n=format_number(doc.results.thresholds.min_n),
    )


def _shown(doc: PublishedResults, result: IndexResult) -> bool:
    return finite(result.estimate.value) and not doc.results.thresholds.is_small(result)


def _draw_factors(canvas: Canvas, doc: PublishedResults, top: float) -> float:
    """Each factor: its name, a bar to 100% with the interval, value and range."""
    heading, height = _paragraph(canvas, _("The five factors"), HEADING, CONTENT)
    top -= height
    heading.drawOn(canvas, MARGIN, top)
    top -= 0.2 * cm
    name_width, bar_width = 7.2 * cm, CONTENT - 7.2 * cm - 3.9 * cm
    bar_x = MARGIN + name_width + 0.3 * cm
    for factor in doc.results.indices.factors:
        text = f"{factor.code}. {doc.results.factor_name(factor.code)}"
        paragraph, height = _paragraph(canvas, text, FACTOR, name_width)
        row = max(height, 24)
        top -= row + 5
        paragraph.drawOn(canvas, MARGIN, top + (row - height) / 2)
        middle = top + row / 2
        canvas.setStrokeColor(RULE)
        canvas.setFillColor(colors.white)
        canvas.setLineWidth(0.6)
        canvas.rect(bar_x, middle - 6, bar_width, 12, stroke=1, fill=1)
        value_x = bar_x + bar_width + 0.3 * cm
        if not _shown(doc, factor):
            canvas.setFillColor(MUTED)
            canvas.setFont(REGULAR, 9)
            canvas.drawString(value_x, middle - 3, _("too few answers"))
            continue
        lower, upper = factor.interval.lower, factor.interval.upper
        canvas.setFillColor(BAR_FILL)
        canvas.rect(bar_x, middle - 6, bar_width * factor.estimate.value, 12, 0, 1)
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(1.4)
        canvas.line(
            bar_x + bar_width * lower, middle, bar_x + bar_width * upper, middle
        )
        canvas.setFillColor(INK)
        canvas.setFont(BOLD, 14)
        canvas.drawString(value_x, middle, format_percent(factor.estimate.value, 1))
        canvas.setFillColor(MUTED)
        canvas.setFont(REGULAR, 8.5)
        canvas.drawString(value_x, middle - 10, _interval(factor.interval))
    return top - 0.5 * cm


def _draw_perceptions(canvas: Canvas, doc: PublishedResults, top: float) -> float:
    """The perception figures, two boxes a row."""
    if not doc.perceptions:
        return top
    heading, height = _paragraph(
        canvas, _("What citizens told us about problems"), HEADING, CONTENT
    )
    top -= height
    heading.drawOn(canvas, MARGIN, top)
    top -= 0.25 * cm
    gap = 0.4 * cm
    box_width = (CONTENT - gap) / 2
    boxes = [doc.perceptions[i : i + 2] for i in range(0, len(doc.perceptions), 2)]
    for row in boxes:
        texts = [_perception_paragraph(canvas, f, box_width - 0.6 * cm) for f in row]
        box_height = max(h for _p, h in texts) + 1.35 * cm
        top -= box_height
        for k, (figure, (paragraph, _h)) in enumerate(zip(row, texts, strict=True)):
            x = MARGIN + k * (box_width + gap)
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.7)
            canvas.roundRect(x, top, box_width, box_height, 6, stroke=1, fill=0)
            _draw_share(canvas, doc, figure, x + 0.3 * cm, top + box_height - 0.85 * cm)
            paragraph.drawOn(canvas, x + 0.3 * cm, top + 0.25 * cm)
        top -= gap
    return top - 0.1 * cm


def _perception_paragraph(canvas: Canvas, figure: KeyShare, width: float):
    text = _(
        "%(question)s — answered %(answers)s",
        question=figure.question,
        answers=answers_text(figure),
    )
    return _paragraph(canvas, text, QUESTION, width)


def _draw_share(
    canvas: Canvas, doc: PublishedResults, figure: KeyShare, x: float, y: float
) -> None:
    if doc.is_small(figure) or not finite(figure.value):
        canvas.setFillColor(MUTED)
        canvas.setFont(REGULAR, 11)
        canvas.drawString(x, y, _("too few answers"))
        return
    canvas.setFillColor(ACCENT)
    canvas.setFont(BOLD, 22)
    shown = format_percent(figure.value, 1)
    canvas.drawString(x, y, shown)
    canvas.setFillColor(MUTED)
    canvas.setFont(REGULAR, 9)
    canvas.drawString(
        x + canvas.stringWidth(shown, BOLD, 22) + 8, y, _interval(figure.share.interval)
    )


def _draw_footer(canvas: Canvas, doc: PublishedResults, page_url: str) -> None:
    """The QR code of the public page, its address, and where the figures come from."""
    bottom = MARGIN - 0.3 * cm
    widget = qr_code(page_url)
    draw_qr(canvas, widget, WIDTH - MARGIN - QR_SIDE, bottom, QR_SIDE)
    text_width = CONTENT - QR_SIDE - 0.5 * cm
    lines = [
        (_("All the results, with how they were measured:"), SMALL),
        (page_url, _style("rp_url", fontName=BOLD, fontSize=11, leading=14)),
        (
            _(
                "%(n)s citizens answered. The bar shows the result; the dark line, "
                "its margin of error.",
                n=format_number(doc.results.responses),
            ),
            SMALL,
        ),
    ]
    y = bottom + QR_SIDE
    for text, style in lines:
        paragraph, height = _paragraph(canvas, text, style, text_width)
        y -= height
        paragraph.drawOn(canvas, MARGIN, y)
        y -= 4


def render_results_poster(
    doc: PublishedResults, page_url: str, size: str = "a4", language: str = "vi"
) -> bytes:
    """The poster PDF of ``doc`` on an A4 or A3 page (``size``), in ``language``;
    ``page_url`` is the absolute address of the public page (printed and as QR)."""
    pagesize = POSTER_SIZES[size]
    buffer = io.BytesIO()
    with force_locale(language):
        canvas = Canvas(
            buffer, pagesize=pagesize, initialFontName=REGULAR, lang=language
        )
        canvas.setTitle(_("Published results"))
        canvas.setAuthor(doc.results.wave.title)
        canvas.setCreator("SIPAS")
        canvas.scale(pagesize[0] / WIDTH, pagesize[1] / HEIGHT)
        top = _draw_title(canvas, doc, _draw_band(canvas))
        top = _draw_sipas(canvas, doc, top)
        top = _draw_factors(canvas, doc, top)
        _draw_perceptions(canvas, doc, top)
        _draw_footer(canvas, doc, page_url)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()
