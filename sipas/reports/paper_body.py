"""The body of a paper form: instructions, sections, numbered questions with their
tick boxes, skip instructions.

The body is the same on every form of a batch (only the header differs), so it is
laid out once. Wording comes from the questionnaire; interface words from gettext,
so an app context with the form's locale is needed.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask_babel import gettext as _
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle

from sipas.questionnaire.numbering import printed_code, question_numbers
from sipas.questionnaire.paper_codes import option_keys
from sipas.questionnaire.paper_skips import SkipRule, skip_rules
from sipas.questionnaire.schema import (
    DEFAULT_TEXT_MAX_LENGTH,
    Item,
    ItemType,
    Questionnaire,
    Section,
)
from sipas.reports.fonts import REGULAR
from sipas.reports.paper_layout import (
    BAND,
    LINE,
    NOTE_FILL,
    STYLES,
    DigitBoxes,
    KeyedBox,
    Option,
    WritingLines,
    key_width,
)

#: Width of each option column of a grid of questions (pt).
GRID_COLUMN = 44
#: Indent of the options under their question (pt).
OPTION_INDENT = 14
#: Most option columns under one question.
MAX_COLUMNS = 4
#: Fewest consecutive single-choice questions with the same options set as one grid
#: (the national form's batteries of perceptions and needs); a pair such as two
#: Có/Không questions reads better as questions.
MIN_CHOICE_GRID = 3

_ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


class FormBody:
    """Builds the flowables of one questionnaire's paper form in one language."""

    def __init__(self, questionnaire: Questionnaire, language: str, width: float):
        self.questionnaire = questionnaire
        self.language = language
        self.width = width
        self.numbers = question_numbers(questionnaire)
        self.skips = skip_rules(questionnaire)

    def story(self) -> list[Flowable]:
        """Every flowable of the body, in order."""
        story: list[Flowable] = [*self.instructions()]
        for index, section in enumerate(self.questionnaire.sections):
            story += self.section(index, section)
        story.append(Paragraph(escape(_("Thank you very much!")), STYLES["closing"]))
        return story

    # -- texts -------------------------------------------------------------------

    def text(self, localized) -> str:
        """Questionnaire wording in the form's language, escaped for paragraphs."""
        return escape(localized.get_text(self.language))

    def values_text(self, item: Item, values: tuple[str, ...]) -> str:
        """«Có», or «A», «B» or «C»: the options of ``item`` with those codes."""
        # plain text: the sentences it goes into are escaped as a whole
        labels = [
            f"«{choice.label.get_text(self.language)}»"
            for code in values
            if (choice := item.choice(code)) is not None
        ]
        if len(labels) <= 1:
            return "".join(labels)
        return _("%(first)s or %(last)s", first=", ".join(labels[:-1]), last=labels[-1])

    def question_heading(self, item: Item) -> str:
        """ "Câu 6. wording [A1]" as paragraph markup; a criterion's code small
        after it (other questions' codes are internal: the number names them)."""
        number = _("Question %(number)s.", number=self.numbers[item.code])
        label = self.text(item.label)
        if item.type is ItemType.multi_choice and item.max_choices:
            phrase = _("choose up to %(n)s", n=item.max_choices)
            if phrase.lower() not in item.label.get_text(self.language).lower():
                label += f" ({escape(phrase)})"
        heading = f"<b>{escape(number)}</b> {label}"
        code = printed_code(item)
        if code is None:
            return heading
        return f'{heading} <font size="7" color="#555555">[{escape(code)}]</font>'

    # -- instructions --------------------------------------------------------------

    def instructions(self) -> list[Flowable]:
        """How to fill in the form, with an example of a marked box."""
        note = STYLES["instruction"]
        heading = escape(_("How to fill in this form"))
        rows: list[list[object]] = [
            [Paragraph(f"<b>{heading}</b>", note), ""],
            [
                Option("", "", 0, marked=True),
                Paragraph(
                    escape(
                        _(
                            "Mark the box of the answer you choose with an X, as "
                            "here. Choose one box for each question, unless the "
                            "question says how many you may choose."
                        )
                    ),
                    note,
                ),
            ],
        ]
        for line in (
            _(
                "To change an answer, fill the wrong box in completely and mark the "
                "right one."
            ),
            _(
                "Where the form says so, skip the questions that do not concern you "
                "and go on with the question it names."
            ),
            _(
                "The small number next to each box and the criterion code in "
                "brackets are used when the form is entered and counted; you need "
                "not mind them."
            ),
            _(
                "This form is anonymous: please do not write your name, phone "
                "number or ID number on it."
            ),
        ):
            rows.append([Paragraph("•", note), Paragraph(escape(line), note)])
        return [
            _table(
                rows,
                [18, self.width - 18],
                [
                    ("SPAN", (0, 0), (-1, 0)),
                    ("BACKGROUND", (0, 0), (-1, -1), NOTE_FILL),
                    ("BOX", (0, 0), (-1, -1), 0.6, LINE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("TOPPADDING", (0, 0), (-1, 0), 4),
                    ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
                    ("LEFTPADDING", (0, 0), (-1, -1), 6),
                    ("TOPPADDING", (0, 1), (0, -1), 2),
                    ("RIGHTPADDING", (0, 0), (0, -1), 0),
                ],
            )
        ]

    # -- sections ----------------------------------------------------------------

    def section(self, index: int, section: Section) -> list[Flowable]:
        """The section's heading and note, then its questions: each question (or
        grid of questions) kept on one page, the heading with the first."""
        roman = roman_numeral(index + 1)
        opening: list[Flowable] = [
            Paragraph(f"{roman}. {self.text(section.title)}", STYLES["section"])
        ]
        if section.description is not None:
            opening.append(
                Paragraph(self.text(section.description), STYLES["section_note"])
            )
        blocks = [
            self.grid(run) if _is_grid(run) else self.question(run[0])
            for run in _runs(section.items, frozenset(self.skips))
        ]
        if not blocks:
            return [KeepTogether(opening)]
        blocks[0] = opening + blocks[0]
        return [KeepTogether(block) for block in blocks]

    def condition(self, items: list[Item]) -> str | None:
        """ "Answer only if question 23 is «Có»." before dependent items (which
        share their show_if)."""
        rule = items[0].show_if
        if rule is None:
            return None
        target = self.questionnaire.item(rule.item)
        values = self.values_text(target, rule.values)
        if len(items) == 1:
            return _(
                "Answer only if question %(number)s is %(values)s.",
                number=self.numbers[target.code],
                values=values,
            )
        return _(
            "Answer questions %(first)s–%(last)s only if question %(number)s is "
            "%(values)s.",
            first=self.numbers[items[0].code],
            last=self.numbers[items[-1].code],
            number=self.numbers[target.code],
            values=values,
        )

    def skip_instruction(self, item: Item) -> str | None:
        """Where to go after a filter question, or None if it is not one."""
        rule: SkipRule | None = self.skips.get(item.code)
        items = self.questionnaire.items
        position = self.numbers[item.code]  # 1-based: the next item's index
        if rule is None or position >= len(items):
            return None
        following = items[position]
        if following.code not in rule.dependents:
            return None  # the next question is for everyone: nothing to skip
        values = self.values_text(item, rule.values)
        if rule.resume_at is None:
            return _(
                "If question %(number)s is %(values)s, go on with question "
                "%(next)s; otherwise the form is finished.",
                number=self.numbers[item.code],
                values=values,
                next=self.numbers[following.code],
            )
        return _(
            "If question %(number)s is %(values)s, go on with question %(next)s; "
            "otherwise go to question %(skip)s.",
            number=self.numbers[item.code],
            values=values,
            next=self.numbers[following.code],
            skip=self.numbers[rule.resume_at],
        )

    # -- questions -----------------------------------------------------------------

    def question(self, item: Item) -> list[Flowable]:
        """One question with its answer space."""
        parts: list[Flowable] = [
            Paragraph(self.question_heading(item), STYLES["question"])
        ]
        if item.hint is not None:
            parts.append(Paragraph(self.text(item.hint), STYLES["hint"]))
        condition = self.condition([item])
        if condition:
            parts.insert(0, Paragraph(escape(condition), STYLES["condition"]))
        parts.append(self.answer_space(item))
        skip = self.skip_instruction(item)
        if skip:
            parts.append(Paragraph(escape(skip), STYLES["skip"]))
        return parts

    def answer_space(self, item: Item) -> Flowable:
        """Boxes for choices, writing lines for text, digit boxes for numbers."""
        if item.type is ItemType.text:
            limit = item.max_length or DEFAULT_TEXT_MAX_LENGTH
            return _indented(WritingLines(min(5, max(2, limit // 250 + 1))), self.width)
        if item.type is ItemType.number:
            digits = len(str(abs(item.max_value))) if item.max_value is not None else 4
            return _indented(DigitBoxes(digits), self.width)
        return self.options(item)

    def options(self, item: Item) -> Flowable:
        """The tick boxes of a choice item, in as many columns as the wording allows."""
        keys = option_keys(item)
        labels = [self.text(choice.label) for choice in item.choices]
        room = max(key_width(key) for key, _code in keys)
        available = self.width - OPTION_INDENT
        # box, key, gaps and the column's right padding around the wording
        widest = max(_text_width(label) for label in labels) + room + 32
        columns = max(1, min(len(keys), MAX_COLUMNS, int(available // widest)))
        cells: list[object] = [
            Option(key, label, room)
            for (key, _code), label in zip(keys, labels, strict=True)
        ]
        rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
        rows[-1] += [""] * (columns - len(rows[-1]))
        return _table(
            rows,
            [available / columns] * columns,
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ],
            hAlign="RIGHT",
        )

    def grid(self, items: list[Item]) -> list[Flowable]:
        """Questions sharing their options: a row each, a column per option."""
        first = items[0]
        keys = option_keys(first)
        labels = [self.text(choice.label) for choice in first.choices]
        style = _grid_head_style(labels, GRID_COLUMN - 5)
        head: list[object] = [""] + [
            Paragraph(f"<b>{escape(key)}</b><br/>{label}", style)
            for (key, _code), label in zip(keys, labels, strict=True)
        ]
        rows: list[list[object]] = [head]
        for item in items:
            text = self.question_heading(item)
            if item.hint is not None:
                hint = self.text(item.hint)
                text += f'<br/><font size="8" color="#555555"><i>{hint}</i></font>'
            rows.append(
                [Paragraph(text, STYLES["grid_item"])] + [KeyedBox(k) for k, _c in keys]
            )
        question_width = self.width - GRID_COLUMN * len(keys)
        table = _table(
            rows,
            [question_width] + [GRID_COLUMN] * len(keys),
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), BAND),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE),
                ("LINEABOVE", (0, 0), (-1, 0), 0.6, LINE),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [None, NOTE_FILL]),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ],
            repeatRows=1,
        )
        condition = self.condition(items)
        if condition:
            return [Paragraph(escape(condition), STYLES["condition"]), table]
        return [table]


def _grid_head_style(labels: list[str], width: float) -> ParagraphStyle:
    """The column heads' style, smaller when a word of a label would not fit the
    column: a word is never broken ("Very dissat-isfied")."""
    base = STYLES["grid_head"]
    widest = max(
        (
            stringWidth(word, base.fontName, 1)
            for label in labels
            for word in label.split()
        ),
        default=0.0,
    )
    if widest * base.fontSize <= width:
        return base
    size = max(5.0, width / widest)
    return ParagraphStyle(
        "grid_head_small", parent=base, fontSize=size, leading=size * 1.2
    )


def roman_numeral(number: int) -> str:
    """``number`` (1–39, more sections than a form has) in Roman numerals."""
    digits = []
    for value, numeral in _ROMAN:
        count, number = divmod(number, value)
        digits.append(numeral * count)
    return "".join(digits)


def _runs(items: tuple[Item, ...], filters: frozenset[str]) -> list[list[Item]]:
    """Items grouped for layout: consecutive scale items, or at least
    `MIN_CHOICE_GRID` single-choice items, with the same options and the same
    condition share one grid; every other item (a filter always) stands alone."""
    runs: list[list[Item]] = []
    for item in items:
        previous = runs[-1][-1] if runs else None
        if previous is not None and _share_grid(previous, item, filters):
            runs[-1].append(item)
        else:
            runs.append([item])
    return [
        part
        for run in runs
        for part in ([run] if _is_grid(run) or len(run) == 1 else [[i] for i in run])
    ]


def _share_grid(previous: Item, item: Item, filters: frozenset[str]) -> bool:
    return (
        item.type is previous.type
        and item.type in (ItemType.scale, ItemType.single_choice)
        and previous.choices == item.choices
        and previous.show_if == item.show_if
        and not {previous.code, item.code} & filters
    )


def _is_grid(run: list[Item]) -> bool:
    """True for a run laid out as a grid: scale items, or enough single choices."""
    if run[0].type is ItemType.scale:
        return True
    return run[0].type is ItemType.single_choice and len(run) >= MIN_CHOICE_GRID


def _text_width(label: str) -> float:
    return stringWidth(label, REGULAR, STYLES["option"].fontSize)


def _table(
    rows: list[list[object]],
    widths: list[float],
    commands: list[tuple],
    **settings: object,
) -> Table:
    """A table in the form's font (ReportLab sets empty cells in Helvetica, which
    would then be listed in the PDF)."""
    table = Table(rows, colWidths=widths, **settings)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR), *commands]))
    return table


def _indented(flowable: Flowable, width: float) -> Table:
    return _table(
        [[flowable]],
        [width],
        [
            ("LEFTPADDING", (0, 0), (-1, -1), OPTION_INDENT),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ],
        hAlign="LEFT",
    )
