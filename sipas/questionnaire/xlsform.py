"""Read a questionnaire written as an XLSForm-style workbook into the YAML tree.

The workbook is turned into exactly the tree the YAML file would give (so the stored
definition, its hash and every rule of :class:`Builder` are shared) and then checked
by the same builder. Each tree node remembers the cells it came from, so the builder's
problems too are reported at sheet, row and column.

Sheets ``survey``, ``choices``, ``factors``, ``settings`` and (optional) ``indices``,
each named after the YAML key it fills; their columns are in :mod:`.xlsform_columns`
and docs/development.md ("A questionnaire as a workbook").
"""

from __future__ import annotations

from sipas.questionnaire.builder import Builder
from sipas.questionnaire.checks import Problem
from sipas.questionnaire.loader import (
    LoadedQuestionnaire,
    definition_sha256,
    plain_tree,
)
from sipas.questionnaire.loader import LocatedMap as Tree
from sipas.questionnaire.schema import Questionnaire
from sipas.questionnaire.xlsform_columns import suggestion
from sipas.questionnaire.xlsform_indices import IndicesReader
from sipas.questionnaire.xlsform_relevant import N_
from sipas.questionnaire.xlsform_sheets import (
    Cell,
    Sheet,
    SheetProblem,
    open_workbook,
    problem,
    read_sheet,
    sheet_problem,
)
from sipas.questionnaire.xlsform_survey import SurveyReader

REQUIRED_SHEETS = ("settings", "survey", "choices", "factors")
KNOWN_SHEETS = (*REQUIRED_SHEETS, "indices")


class WorkbookError(Exception):
    """A workbook could not be used; ``problems`` lists all of it, in sheet order."""

    def __init__(self, problems: list[SheetProblem]) -> None:
        order = {name: index for index, name in enumerate(KNOWN_SHEETS)}
        self.problems = tuple(
            sorted(
                problems,
                key=lambda p: (
                    order.get((p.sheet or "").lower(), -1),
                    p.row or 0,
                    len(p.column or ""),
                    p.column or "",
                ),
            )
        )
        super().__init__("\n".join(str(p) for p in self.problems))


def read_workbook(data: bytes, source: str = "workbook.xlsx") -> LoadedQuestionnaire:
    """Read and validate a workbook; every problem raised at once in WorkbookError."""
    problems: list[SheetProblem] = []
    workbook = open_workbook(data, problems)
    if workbook is None:
        raise WorkbookError(problems)
    sheets = {
        ws.title.strip().lower(): read_sheet(ws, problems) for ws in workbook.worksheets
    }
    _name_missing_sheets(sheets, problems)
    if any(name not in sheets for name in REQUIRED_SHEETS):
        raise WorkbookError(problems)
    reader = SurveyReader(problems)
    tree = reader.read(sheets)
    IndicesReader(reader).put_tree(tree, sheets.get("indices"))
    questionnaire = _run_builder(tree, reader.cells, source, problems)
    if questionnaire is None and not problems:  # the builder refused without a word
        problems.append(sheet_problem(None, N_("the workbook holds no questionnaire")))
    if problems or questionnaire is None:
        raise WorkbookError(problems)
    definition = plain_tree(tree)
    return LoadedQuestionnaire(
        questionnaire, definition, definition_sha256(definition), source
    )


def _name_missing_sheets(
    sheets: dict[str, Sheet], problems: list[SheetProblem]
) -> None:
    """Name each required sheet that is missing, and a sheet that may misspell it."""
    others = [name for name in sheets if name not in KNOWN_SHEETS]
    for name in REQUIRED_SHEETS:
        if name in sheets:
            continue
        found = suggestion(name, others) if others else None
        problems.append(
            sheet_problem(name, N_("the sheet “%(sheet)s” is missing"), sheet=name)
            if found is None
            else sheet_problem(
                name,
                N_("the sheet “%(sheet)s” is missing: is “%(found)s” meant to be it?"),
                sheet=name,
                found=sheets[found].name,
            )
        )


def _run_builder(
    tree: Tree, cells: list[Cell], source: str, problems: list[SheetProblem]
) -> Questionnaire | None:
    """Check the tree with the YAML rules; place their problems at their cells."""
    found: list[Problem] = []
    questionnaire = Builder(source, found).build(tree)
    placed = {(p.sheet, p.row) for p in problems}
    for finding in found:
        cell = cells[finding.line] if finding.line is not None else None
        if cell is not None and (cell.sheet, cell.row) in placed:
            continue  # already said in the workbook's own words
        problems.append(problem(cell, "%(message)s", message=finding.message))
    return questionnaire


__all__ = ["WorkbookError", "read_workbook"]
