"""Hostile workbooks through every upload, and hostile account forms (issue 18
items 5 and 6): a page with a 4xx and its reason, never a 500, and memory bounded
whatever the sheet declares."""

from __future__ import annotations

import io
import re
import tracemalloc

import pytest

from sipas.models import Role
from tests.conftest import CSRF_PATTERN
from tests.hostile_workbooks import far_right, malformed, padded

#: Rows of the padded sheet: an unbounded reader makes 16,384 cells of each
#: (about 130 MB for 1,000 rows of one word, the 12 KB file of the issue).
PADDED_ROWS = 1000
#: What reading such a file may cost, measured by tracemalloc.
MEMORY_LIMIT = 40 * 1024 * 1024


def _token(client, page: str) -> str:
    return CSRF_PATTERN.search(client.get(page).get_data(as_text=True)).group(1)


def _send(client, upload: tuple[str, str, str, dict], data: bytes):
    """POST ``data`` as the file of ``upload`` (page, action, field, more fields)."""
    page, action, field, fields = upload
    return client.post(
        action,
        data={
            "csrf_token": _token(client, page),
            **fields,
            field: (io.BytesIO(data), "hostile.xlsx"),
        },
        content_type="multipart/form-data",
    )


#: Every upload of a workbook: (page with the form, action, file field, fields).
UPLOADS = {
    "responses": ("/entry/import", "/entry/import", "file", {"wave": "demo"}),
    "units": ("/admin/units/import", "/admin/units/import", "file", {}),
    "targets": ("/admin/waves/demo", "/admin/waves/demo/targets/import", "table", {}),
    "questionnaires": (
        "/admin/questionnaires",
        "/admin/questionnaires/upload",
        "file",
        {},
    ),
}
#: The tabular imports (questionnaire workbooks are read by their own reader).
TABLES = ("responses", "units", "targets")


@pytest.fixture
def admin(demo_client, login_as):
    login_as(demo_client, Role.admin)
    return demo_client


def _text(answer) -> str:
    return " ".join(answer.get_data(as_text=True).split())


@pytest.mark.parametrize("upload", TABLES)
def test_a_sheet_declaring_a_huge_dimension_costs_no_memory(admin, upload):
    rows = [["x"] for _ in range(PADDED_ROWS)]
    data = padded(rows)
    tracemalloc.start()
    try:
        answer = _send(admin, UPLOADS[upload], data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.status_code == 400
    assert peak < MEMORY_LIMIT, f"{peak / 2**20:.0f} MB for a {len(data)} byte file"


@pytest.mark.parametrize("upload", TABLES)
def test_a_cell_in_the_last_column_is_refused_with_the_limit(admin, upload):
    answer = _send(admin, UPLOADS[upload], far_right([["x"]]))
    assert answer.status_code == 400
    assert "1000" in _text(answer) or "1.000" in _text(answer)


@pytest.mark.parametrize("upload", UPLOADS)
def test_malformed_sheet_xml_is_a_400_with_a_message(admin, upload):
    answer = _send(admin, UPLOADS[upload], malformed([["code", "name"], ["a", "b"]]))
    assert answer.status_code == 400
    text = _text(answer)
    reason = re.search(r"không đọc được|không phải là bảng tính", text, re.IGNORECASE)
    assert reason, text[-3000:]


def test_an_invalid_role_in_the_user_forms_is_a_400_with_a_message(admin):
    create = {
        "username": "new-person",
        "new_password": "correct-horse-battery-9",
        "new_password_again": "correct-horse-battery-9",
        "role": "superuser",
        "unit": "",
    }
    answer = admin.post(
        "/admin/users/new",
        data={"csrf_token": _token(admin, "/admin/users/new"), **create},
    )
    assert answer.status_code == 400
    assert "role" in _text(answer).lower() or "vai trò" in _text(answer).lower()


def test_a_questionnaire_workbook_with_a_far_cell_is_refused_at_once(admin):
    tracemalloc.start()
    try:
        answer = _send(admin, UPLOADS["questionnaires"], far_right([["type", "name"]]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.status_code == 400
    assert "200" in _text(answer)
    assert peak < MEMORY_LIMIT
