"""The workbook copies that ship beside the YAML questionnaire files.

The YAML file stays the source of truth; its copy (``<file stem>.xlsx``, e.g. in
``questionnaires/xlsx/``) is what a province downloads to adapt. A copy is current
when reading it gives the YAML file's hash, which is what :func:`stale_copies`
checks: the bytes of two saves differ (openpyxl stamps the time), the hash does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sipas.questionnaire.loader import load_file
from sipas.questionnaire.xlsform import WorkbookError, read_workbook
from sipas.questionnaire.xlsform_write import write_workbook


def copy_name(path: Path) -> str:
    """The file name the workbook copy of the YAML file ``path`` ships under."""
    return f"{path.stem}.xlsx"


def workbook_copies(paths: Iterable[Path]) -> dict[str, bytes]:
    """The workbook of each YAML questionnaire file, by the name it ships under."""
    return {
        copy_name(path): write_workbook(load_file(path).definition) for path in paths
    }


def stale_copies(paths: Iterable[Path], folder: Path) -> list[str]:
    """Names of the copies in ``folder`` missing or not giving their file's hash."""
    stale = []
    for path in paths:
        copy = folder / copy_name(path)
        try:
            current = read_workbook(copy.read_bytes(), str(copy)).sha256
        except (OSError, WorkbookError):
            current = None
        if current != load_file(path).sha256:
            stale.append(copy.name)
    return stale
