"""The drawn pieces of a paper form: tick boxes with their keys, writing lines, digit
boxes and the paragraph styles of the form.

Every box is drawn, not a font glyph (Be Vietnam Pro has no ☐), and every string is
set in the embedded font.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph

from sipas.reports.fonts import BOLD, FAMILY, REGULAR, register_fonts
from sipas.reports.pdf_styles import INK, MUTED

register_fonts()

KEY_INK = colors.HexColor("#1f4e8c")
BAND = colors.HexColor("#e6e9ed")
NOTE_FILL = colors.HexColor("#f3f4f6")
LINE = colors.HexColor("#8a9099")

#: Side of a tick box (pt).
BOX = 10
#: Font size of the key printed beside a box.
KEY_SIZE = 8.5


def _style(name: str, **settings: object) -> ParagraphStyle:
    base = {"fontName": REGULAR, "fontSize": 9.5, "leading": 12.5, "textColor": INK}
    base.update(settings)
    return ParagraphStyle(name, **base)


STYLES = {
    "question": _style("question", spaceBefore=5, spaceAfter=2),
    "hint": _style(
        "hint", fontName=f"{FAMILY}-Italic", fontSize=8.5, leading=11, textColor=MUTED
    ),
    "option": _style("option", fontSize=9, leading=11),
    "section": _style(
        "section",
        fontName=BOLD,
        fontSize=10.5,
        leading=14,
        backColor=BAND,
        borderPadding=(3, 4, 3, 4),
        spaceBefore=12,
        spaceAfter=6,
        keepWithNext=True,
    ),
    "section_note": _style(
        "section_note",
        fontName=f"{FAMILY}-Italic",
        fontSize=8.5,
        leading=11,
        spaceAfter=2,
        keepWithNext=True,
    ),
    "skip": _style(
        "skip",
        fontName=f"{FAMILY}-BoldItalic",
        fontSize=8.5,
        leading=11,
        backColor=NOTE_FILL,
        borderPadding=(2, 4, 2, 4),
        spaceBefore=4,
        spaceAfter=2,
    ),
    "condition": _style(
        "condition",
        fontName=f"{FAMILY}-Italic",
        fontSize=8.5,
        leading=11,
        textColor=MUTED,
        spaceBefore=4,
    ),
    "grid_head": _style(
        "grid_head", fontSize=7, leading=8.5, alignment=TA_CENTER, textColor=INK
    ),
    "grid_item": _style("grid_item", fontSize=9, leading=11.5),
    "instruction": _style("instruction", fontSize=9, leading=12.5),
    "closing": _style(
        "closing",
        fontName=f"{FAMILY}-BoldItalic",
        fontSize=10,
        alignment=TA_CENTER,
        spaceBefore=14,
    ),
}


def draw_box(canvas, x: float, y: float, marked: bool = False) -> None:
    """A tick box with its lower left corner at (x, y); ``marked`` draws an ×."""
    canvas.saveState()
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.9)
    canvas.rect(x, y, BOX, BOX, stroke=1, fill=0)
    if marked:
        canvas.setLineWidth(1.3)
        canvas.line(x + 2, y + 2, x + BOX - 2, y + BOX - 2)
        canvas.line(x + 2, y + BOX - 2, x + BOX - 2, y + 2)
    canvas.restoreState()


def draw_key(canvas, x: float, y: float, key: str) -> None:
    """The key typed for an option, beside its box."""
    canvas.setFont(BOLD, KEY_SIZE)
    canvas.setFillColor(KEY_INK)
    canvas.drawString(x, y, key)


def key_width(key: str) -> float:
    """Width of a key as printed beside its box."""
    return stringWidth(key, BOLD, KEY_SIZE)


class Option(Flowable):
    """One answer option: a tick box, the key the surveyor types, the wording."""

    def __init__(self, key: str, label: str, key_room: float, marked: bool = False):
        super().__init__()
        self.key = key
        self.key_room = key_room
        self.marked = marked
        self.label = Paragraph(label, STYLES["option"])

    def _label_x(self) -> float:
        return BOX + 3 + self.key_room + 4

    def wrap(self, available_width: float, available_height: float):
        self.width = available_width
        label_width = max(available_width - self._label_x(), 1)
        _, label_height = self.label.wrap(label_width, available_height)
        self.height = max(BOX + 1, label_height)
        return self.width, self.height

    def draw(self) -> None:
        top = self.height
        # the box sits on the first line of the wording
        box_y = top - 9.5
        draw_box(self.canv, 0, box_y, self.marked)
        draw_key(self.canv, BOX + 3, box_y + 1.5, self.key)
        self.label.drawOn(self.canv, self._label_x(), top - self.label.height)


class KeyedBox(Flowable):
    """A tick box with its key, centred in a grid cell."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def wrap(self, available_width: float, available_height: float):
        self.width = available_width
        self.height = BOX
        return self.width, self.height

    def draw(self) -> None:
        total = BOX + 2 + key_width(self.key)
        x = (self.width - total) / 2
        draw_box(self.canv, x, 0)
        draw_key(self.canv, x + BOX + 2, 1.5, self.key)


class WritingLines(Flowable):
    """Ruled lines to write an answer on."""

    def __init__(self, lines: int, spacing: float = 19) -> None:
        super().__init__()
        self.lines = lines
        self.spacing = spacing

    def wrap(self, available_width: float, available_height: float):
        self.width = available_width
        self.height = self.lines * self.spacing + 2
        return self.width, self.height

    def draw(self) -> None:
        self.canv.saveState()
        self.canv.setStrokeColor(LINE)
        self.canv.setLineWidth(0.5)
        self.canv.setDash(1, 2)
        for line in range(self.lines):
            y = self.height - (line + 1) * self.spacing
            self.canv.line(0, y, self.width, y)
        self.canv.restoreState()


class DigitBoxes(Flowable):
    """A row of boxes, one digit each, for a number answer."""

    def __init__(self, digits: int, side: float = 16) -> None:
        super().__init__()
        self.digits = digits
        self.side = side

    def wrap(self, available_width: float, available_height: float):
        self.width = self.digits * self.side
        self.height = self.side + 2
        return self.width, self.height

    def draw(self) -> None:
        self.canv.saveState()
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(0.9)
        for digit in range(self.digits):
            self.canv.rect(digit * self.side, 1, self.side, self.side)
        self.canv.restoreState()
