"""Every questionnaire ships as YAML and as a workbook that reads back to the same
questionnaire (`make workbooks` writes the workbooks again after a change)."""

from __future__ import annotations

from sipas.questionnaire.xlsform_copies import stale_copies
from tests.conftest import QUESTIONNAIRE_DIR


def test_each_questionnaire_file_has_its_current_workbook():
    files = sorted(QUESTIONNAIRE_DIR.glob("*.yaml"))
    assert {path.stem for path in files} >= {"sipas-2017-v2", "sipas-2023"}
    assert stale_copies(files, QUESTIONNAIRE_DIR / "xlsx") == []
