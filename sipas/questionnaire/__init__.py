"""Questionnaires as data: the frozen schema, the YAML loader, skip rules, validation.

Pure: standard library, PyYAML and openpyxl (workbooks) only, nothing from Flask or
SQLAlchemy.
"""

import importlib
from typing import TYPE_CHECKING, Any

from sipas.questionnaire.checks import Problem
from sipas.questionnaire.loader import (
    LoadedQuestionnaire,
    QuestionnaireError,
    definition_sha256,
    load_file,
    load_text,
    parse_definition,
)
from sipas.questionnaire.logic import (
    AnswerProblem,
    AnswerValue,
    ProblemKind,
    ValidatedAnswers,
    criteria_masks,
    criteria_values,
    deciding_items,
    is_visible,
    normalize_text,
    validate_answers,
    validate_columns,
    visible_items,
    visible_sections,
)
from sipas.questionnaire.schema import (
    Aggregate,
    Choice,
    Factor,
    IndexNode,
    Item,
    ItemType,
    LocalizedText,
    Questionnaire,
    Section,
    ShowIf,
)

if TYPE_CHECKING:
    from sipas.questionnaire.xlsform import WorkbookError, read_workbook
    from sipas.questionnaire.xlsform_sheets import MAX_WORKBOOK_BYTES, SheetProblem
    from sipas.questionnaire.xlsform_write import write_workbook

#: Names imported on first use: workbooks need openpyxl (0.4 s), which reading a
#: questionnaire for the statistics does not.
_WORKBOOK_NAMES = {
    "WorkbookError": "sipas.questionnaire.xlsform",
    "read_workbook": "sipas.questionnaire.xlsform",
    "SheetProblem": "sipas.questionnaire.xlsform_sheets",
    "MAX_WORKBOOK_BYTES": "sipas.questionnaire.xlsform_sheets",
    "write_workbook": "sipas.questionnaire.xlsform_write",
}


def __getattr__(name: str) -> Any:
    """The workbook reader and writer, imported when first asked for."""
    if name not in _WORKBOOK_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WORKBOOK_NAMES[name]), name)


__all__ = [
    "MAX_WORKBOOK_BYTES",
    "AnswerProblem",
    "AnswerValue",
    "Choice",
    "Aggregate",
    "Factor",
    "IndexNode",
    "Item",
    "ItemType",
    "LoadedQuestionnaire",
    "LocalizedText",
    "Problem",
    "ProblemKind",
    "Questionnaire",
    "QuestionnaireError",
    "Section",
    "SheetProblem",
    "ShowIf",
    "ValidatedAnswers",
    "WorkbookError",
    "criteria_masks",
    "criteria_values",
    "deciding_items",
    "definition_sha256",
    "is_visible",
    "load_file",
    "load_text",
    "normalize_text",
    "parse_definition",
    "read_workbook",
    "validate_answers",
    "validate_columns",
    "visible_items",
    "visible_sections",
    "write_workbook",
]
