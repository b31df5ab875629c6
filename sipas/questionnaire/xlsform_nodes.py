"""Build the questionnaire tree from workbook rows, each node knowing its cell.

Every node carries ``line``/``key_lines``/``item_lines`` like the YAML loader's
nodes, but their numbers index :attr:`CellTree.cells`, so a problem the builder finds
can be placed at its sheet, row and column. The cell readers shared by every sheet
(texts per language, yes/no, weights, unique names) live here too.
"""

from __future__ import annotations

from typing import Any

from sipas.questionnaire.checks import CODE_PATTERN
from sipas.questionnaire.loader import LocatedList as Listing
from sipas.questionnaire.loader import LocatedMap as Tree
from sipas.questionnaire.schema import SUPPORTED_LANGUAGES
from sipas.questionnaire.xlsform_columns import FALSE_WORDS, TRUE_WORDS, number
from sipas.questionnaire.xlsform_relevant import N_
from sipas.questionnaire.xlsform_sheets import Cell, Row, SheetProblem, problem


class CellTree:
    """Makes located tree nodes; ``problems`` collects what is wrong, at its cell."""

    def __init__(self, problems: list[SheetProblem]) -> None:
        self.problems = problems
        self.cells: list[Cell] = []
        self.named: dict[tuple[str, str], Row] = {}

    def locate(self, cell: Cell) -> int:
        """The 'line' number standing for ``cell``."""
        self.cells.append(cell)
        return len(self.cells) - 1

    def node(self, cell: Cell) -> Tree:
        """A new mapping standing at ``cell``."""
        tree = Tree()
        tree.line = self.locate(cell)
        tree.key_lines = {}
        return tree

    def listing(self, cell: Cell) -> Listing:
        """A new list standing at ``cell``."""
        located = Listing()
        located.line = self.locate(cell)
        located.item_lines = []
        return located

    def put(self, tree: Tree, key: str, value: Any, cell: Cell) -> None:
        """Set ``key`` of ``tree``, remembering the cell it came from."""
        tree[key] = value
        tree.key_lines[key] = self.locate(cell)

    def append(self, listing: Listing, value: Any, cell: Cell) -> None:
        """Append to ``listing``, remembering the cell it came from."""
        listing.append(value)
        listing.item_lines.append(self.locate(cell))

    def unique(self, kind: str, row: Row, *, is_code: bool = True) -> None:
        """Refuse an empty, malformed (for a code) or taken ``name`` of a ``kind``."""
        name = row.text("name")
        if not name:
            self.refuse(row.cell("name"), N_("“%(column)s” is empty"), column="name")
        elif is_code and not CODE_PATTERN.match(name):
            self.refuse(
                row.cell("name"),
                N_(
                    "the name “%(name)s” must start with a letter and hold only "
                    "letters without accents, digits and _"
                ),
                name=name,
            )
        elif (kind, name) in self.named:
            self.refuse(
                row.cell("name"),
                N_("the name “%(name)s” is already used on row %(row)d"),
                name=name,
                row=self.named[kind, name].number,
            )
        else:
            self.named[kind, name] = row

    def refuse(self, cell: Cell | None, message: str, /, **params: object) -> None:
        """Record the problem ``message % params`` at ``cell``."""
        self.problems.append(problem(cell, message, **params))

    # -- cells ---------------------------------------------------------------------

    def put_text(
        self, tree: Tree, key: str, row: Row, base: str, *, required: bool
    ) -> None:
        """Put a text per language from ``base::vi``, ``base::en`` … under ``key``."""
        present = [lang for lang in SUPPORTED_LANGUAGES if row.text(f"{base}::{lang}")]
        if not present:
            if required:
                column = f"{base}::{SUPPORTED_LANGUAGES[0]}"
                self.refuse(
                    row.cell(column), N_("“%(column)s” is empty"), column=column
                )
            return
        texts = self.node(row.cell(f"{base}::{present[0]}"))
        for language in SUPPORTED_LANGUAGES:
            column = f"{base}::{language}"
            if language in present:
                self.put(texts, language, row.text(column), row.cell(column))
            else:
                self.refuse(
                    row.cell(column),
                    N_("“%(column)s” is empty: give the text in every language"),
                    column=column,
                )
        self.put(tree, key, texts, row.cell(f"{base}::{present[0]}"))

    def put_weight(self, tree: Tree, row: Row) -> None:
        """Put the row's ``weight`` (a number above 0), if it has one."""
        if "weight" not in row.values:
            return
        weight = number(row.values["weight"])
        if weight is None:
            message = N_("the weight “%(value)s” is not a number")
        elif weight <= 0:
            message = N_("the weight “%(value)s” must be above 0")
        else:
            self.put(tree, "weight", weight, row.cell("weight"))
            return
        self.refuse(row.cell("weight"), message, value=row.text("weight"))

    def put_flag(self, tree: Tree, key: str, row: Row) -> None:
        """Put a yes/no cell as true/false, or refuse another word."""
        word = row.text(key).lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            self.put(tree, key, word in TRUE_WORDS, row.cell(key))
        else:
            self.refuse(row.cell(key), N_("“%(value)s” must be yes or no"), value=word)
