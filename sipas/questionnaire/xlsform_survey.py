"""Turn the located rows of a workbook into the questionnaire tree the YAML gives.

The nodes are made by :class:`.CellTree`, so each knows the cell it came from.
"""

from __future__ import annotations

import re

from sipas.questionnaire.loader import LocatedList as Listing
from sipas.questionnaire.loader import LocatedMap as Tree
from sipas.questionnaire.schema import SUPPORTED_LANGUAGES
from sipas.questionnaire.xlsform_columns import (
    CHOICE_TYPES,
    COLUMNS,
    KNOWN_TYPES,
    NUMBER_KEYS,
    PLAIN_TYPES,
    REQUIRED_COLUMNS,
    headings,
    split_type,
    suggestion,
    whole,
)
from sipas.questionnaire.xlsform_nodes import CellTree
from sipas.questionnaire.xlsform_relevant import (
    N_,
    RelevantRefused,
    Target,
    translate,
)
from sipas.questionnaire.xlsform_sheets import (
    Cell,
    Row,
    Sheet,
    SheetProblem,
    sheet_problem,
)

_REFERENCE = re.compile(r"\$\{([^}]*)\}")


class SurveyReader(CellTree):
    """Reads the sheets into a :class:`Tree`; ``problems`` collects what is wrong."""

    def __init__(self, problems: list[SheetProblem]) -> None:
        super().__init__(problems)
        self.lists: dict[str, list[str]] = {}
        self.rows_by_name: dict[str, Row] = {}
        self.earlier: dict[str, Target] = {}
        #: (item code, survey row) of each criterion with an ``index`` cell, in order
        self.memberships: list[tuple[str, Row]] = []

    # -- the questionnaire -----------------------------------------------------------

    def read(self, sheets: dict[str, Sheet]) -> Tree:
        """The tree of the whole workbook (problems recorded, never raised)."""
        for name, sheet in sheets.items():
            self.check_headers(name, sheet)
        row = self.settings_row(sheets["settings"])
        root = self.node(row.first)
        self.put(root, "code", row.text("form_id"), row.cell("form_id"))
        self.put(root, "version", whole(row.values.get("version")), row.cell("version"))
        languages = self.listing(row.first)
        for language in SUPPORTED_LANGUAGES:
            self.append(languages, language, row.first)
        self.put(root, "languages", languages, row.first)
        self.put_text(root, "title", row, "title", required=True)
        self.put_text(root, "description", row, "description", required=False)
        self.put(root, "factors", self.factors(sheets["factors"]), row.first)
        self.put(root, "choice_lists", self.choice_lists(sheets["choices"]), row.first)
        self.put(root, "sections", self.sections(sheets["survey"]), row.first)
        return root

    def settings_row(self, sheet: Sheet) -> Row:
        """The row of values of the settings sheet, its required cells checked."""
        if not sheet.rows:
            self.problems.append(
                sheet_problem(sheet.name, N_("the sheet has no row of values"))
            )
            letters = {heading: cell.column for heading, cell in sheet.headers.items()}
            first = Cell(sheet.name, 2, "A", "")
            sheet.rows.append(Row(sheet.name, 2, {}, {}, first, letters))
        row = sheet.rows[0]
        for extra in sheet.rows[1:]:
            self.refuse(extra.first, N_("the settings take one row of values only"))
        for column in ("form_id", "version"):
            if not row.text(column):
                self.refuse(
                    row.cell(column), N_("“%(column)s” is empty"), column=column
                )
        return row

    def check_headers(self, name: str, sheet: Sheet) -> None:
        """Refuse unknown columns and name the missing ones of a known sheet."""
        columns = COLUMNS.get(name)
        if columns is None:
            return
        for heading, cell in sheet.headers.items():
            base, _, language = heading.partition("::")
            known = f"{base}::" in columns if language else heading in columns
            if not known or (language and language not in SUPPORTED_LANGUAGES):
                self.unknown_column(name, heading, cell)
        needed = "title::" if name == "settings" else "label::"
        required = REQUIRED_COLUMNS[name]
        for column in (*required, *(needed + lang for lang in SUPPORTED_LANGUAGES)):
            if column not in sheet.headers:
                self.refuse(
                    Cell(name, 1, "", ""),
                    N_("the column “%(column)s” is missing"),
                    column=column,
                )

    def unknown_column(self, sheet: str, heading: str, cell: Cell) -> None:
        """Refuse a column, suggesting the known one it may misspell."""
        guess = suggestion(heading, headings(sheet))
        if guess is None:
            self.refuse(cell, N_("unknown column “%(column)s”"), column=heading)
        else:
            self.refuse(
                cell,
                N_("unknown column “%(column)s”: did you mean “%(suggestion)s”?"),
                column=heading,
                suggestion=guess,
            )

    # -- factors and choices ---------------------------------------------------------

    def factors(self, sheet: Sheet) -> Listing:
        """The ``factors`` list from its sheet."""
        listing = self.listing(Cell(sheet.name, 1, "A", ""))
        for row in sheet.rows:
            self.unique("factor", row)
            factor = self.node(row.first)
            self.put(factor, "code", row.text("name"), row.cell("name"))
            self.put_text(factor, "name", row, "label", required=True)
            self.put_weight(factor, row)
            self.append(listing, factor, row.first)
        return listing

    def choice_lists(self, sheet: Sheet) -> Tree:
        """The ``choice_lists`` mapping from the choices sheet, lists in order."""
        lists = self.node(Cell(sheet.name, 1, "A", ""))
        for row in sheet.rows:
            name, code = row.text("list_name"), row.text("name")
            if not name or not code:
                missing = "list_name" if not name else "name"
                self.refuse(
                    row.cell(missing),
                    N_("“%(column)s” is empty"),
                    column=missing,
                )
                continue
            if name not in lists:
                self.put(lists, name, self.listing(row.cell("list_name")), row.first)
                self.lists[name] = []
            self.unique(f"choice of {name}", row, is_code=False)
            choice = self.node(row.first)
            self.put(choice, "code", code, row.cell("name"))
            self.put_text(choice, "label", row, "label", required=True)
            if "not_applicable" in row.values:
                self.put_flag(choice, "not_applicable", row)
            self.append(lists[name], choice, row.first)
            self.lists[name].append(code)
        return lists

    # -- sections and items ----------------------------------------------------------

    def sections(self, sheet: Sheet) -> Listing:
        """The ``sections`` list from the survey sheet's groups."""
        listing = self.listing(Cell(sheet.name, 1, "A", ""))
        names = [row.text("name") for row in sheet.rows]
        section: Tree | None = None
        opened: Row | None = None
        for position, row in enumerate(sheet.rows):
            kind, list_name = split_type(row.text("type"))
            if kind == "begin_group":
                if opened is not None:
                    self.refuse(row.cell("type"), N_("groups cannot be nested"))
                section, opened = self.section(row), row
                self.append(listing, section, row.first)
            elif kind == "end_group":
                if opened is None:
                    self.refuse(row.cell("type"), N_("end_group without begin_group"))
                section, opened = None, None
            elif section is None:
                self.refuse(
                    row.cell("type"),
                    N_(
                        "a question outside a group: put it between a begin_group "
                        "and an end_group row"
                    ),
                )
            else:
                item = self.item(row, kind, list_name, names[position + 1 :])
                if item is not None:
                    self.append(section["items"], item, row.first)
        if opened is not None:
            self.refuse(opened.cell("type"), N_("this group has no end_group row"))
        return listing

    def section(self, row: Row) -> Tree:
        """A section opened by a begin_group row (items appended later)."""
        self.unique("section", row)
        for heading in row.values:
            if heading.partition("::")[0] not in ("type", "name", "label", "hint"):
                self.refuse(
                    row.cell(heading),
                    N_("a group cannot have “%(column)s”: put it on its questions"),
                    column=heading,
                )
        section = self.node(row.first)
        self.put(section, "code", row.text("name"), row.cell("name"))
        self.put_text(section, "title", row, "label", required=True)
        self.put_text(section, "description", row, "hint", required=False)
        self.put(section, "items", self.listing(row.first), row.first)
        return section

    def item(
        self, row: Row, kind: str, list_name: str, later: list[str]
    ) -> Tree | None:
        """An item from its survey row (None when its type is unknown)."""
        item_type = CHOICE_TYPES.get(kind) or PLAIN_TYPES.get(kind)
        if item_type is None:
            guess = suggestion(kind, KNOWN_TYPES)
            self.refuse(
                row.cell("type"),
                N_("unknown type “%(type)s”: did you mean “%(suggestion)s”?")
                if guess
                else N_("unknown type “%(type)s” (known: %(known)s)"),
                type=row.text("type"),
                known=", ".join(KNOWN_TYPES),
                suggestion=guess,
            )
            return None
        name = row.text("name")
        self.unique("item", row)
        item = self.node(row.first)
        self.put(item, "code", name, row.cell("name"))
        self.put(item, "type", item_type, row.cell("type"))
        if kind in CHOICE_TYPES:
            self.put_choices(item, row, list_name)
        self.put_text(item, "label", row, "label", required=True)
        self.put_text(item, "hint", row, "hint", required=False)
        if "required" in row.values:
            self.put_flag(item, "required", row)
        if "factor" in row.values:
            self.put(item, "factor", row.text("factor"), row.cell("factor"))
        if "index" in row.values:
            self.note_index(row, kind, name)
        for key in NUMBER_KEYS:
            if key in row.values:
                self.put(item, key, whole(row.values[key]), row.cell(key))
        if "relevant" in row.values:
            self.put_show_if(item, row, later)
        self.rows_by_name.setdefault(name, row)
        if kind in CHOICE_TYPES and name:
            self.earlier[name] = Target(
                kind == "select_multiple", tuple(self.lists.get(list_name, ()))
            )
        return item

    def note_index(self, row: Row, kind: str, name: str) -> None:
        """Remember the index node a criterion counts in (the ``indices`` sheet's)."""
        if kind != "scale" or not row.text("factor"):
            self.refuse(
                row.cell("index"),
                N_(
                    "only a scale question with a factor counts in an index node: "
                    "leave “index” empty here"
                ),
            )
        elif name:
            self.memberships.append((name, row))

    def put_choices(self, item: Tree, row: Row, list_name: str) -> None:
        """Name the item's choice list, refusing one missing or empty."""
        if not list_name:
            self.refuse(
                row.cell("type"),
                N_("“%(type)s” needs the name of a choice list after it"),
                type=row.text("type"),
            )
        elif not self.lists.get(list_name):
            self.refuse(
                row.cell("type"),
                N_(
                    "the choice list “%(list)s” is missing or empty on the choices "
                    "sheet"
                ),
                list=list_name,
            )
        else:
            self.put(item, "choices", list_name, row.cell("type"))

    def put_show_if(self, item: Tree, row: Row, later: list[str]) -> None:
        """The row's ``relevant`` as ``show_if``, or a problem at its cell."""
        expression = row.text("relevant")
        cell = row.cell("relevant")
        for name in _REFERENCE.findall(expression):
            if name == item["code"]:
                self.refuse(cell, N_("relevant points at the question itself"))
                return
            if name in later and name not in self.rows_by_name:
                self.refuse(
                    cell,
                    N_(
                        "relevant points forward to %(item)s, asked later; a "
                        "question can depend only on an earlier one"
                    ),
                    item=name,
                )
                return
            if name not in self.rows_by_name:
                self.refuse(
                    cell, N_("relevant points at %(item)s: no such question"), item=name
                )
                return
        try:
            rule = translate(expression, self.earlier)
        except RelevantRefused as refusal:
            self.refuse(cell, refusal.message, **refusal.params)
            return
        show_if = self.node(cell)
        self.put(show_if, "item", rule.item, cell)
        values = self.listing(cell)
        for value in rule.values:
            self.append(values, value, cell)
        self.put(show_if, "in", values, cell)
        self.put(item, "show_if", show_if, cell)
