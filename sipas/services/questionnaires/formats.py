"""A stored version written back out: the workbook, or canonical YAML. Either one,
uploaded again, gives the same content hash."""

from __future__ import annotations

from typing import Any

import yaml

from sipas import questionnaire
from sipas.models import QuestionnaireVersion

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YAML_MIMETYPE = "application/yaml"


def to_yaml(definition: dict[str, Any]) -> str:
    """The definition as YAML, keys in their stored order, Vietnamese as written.

    ``safe_dump`` quotes every string YAML would read as something else ("1",
    "no"), so loading it back gives the same tree and the same hash.
    """
    return yaml.safe_dump(
        definition, allow_unicode=True, sort_keys=False, width=100, indent=2
    )


def to_xlsx(definition: dict[str, Any]) -> bytes:
    """The definition as an XLSForm-style workbook (openpyxl imported now)."""
    return questionnaire.write_workbook(definition)


def file_name(version: QuestionnaireVersion, extension: str) -> str:
    """A download name that says which version it is: ``sipas-2017-r3.xlsx``."""
    return f"{version.code}-r{version.revision}.{extension}"
