"""Hostile query strings on every page an administrator opens: never a 500, always
a page or a 4xx (issue: huge page numbers, bad filter values, an ``endpoint``
parameter, a line break in ``next``)."""

from __future__ import annotations

import pytest

from sipas.models import Role

#: Values a crafted link can carry in any query parameter.
HOSTILE_VALUES = (
    "99999999999999999999999999",
    "-5",
    "1e9",
    "bogus",
    "%00",
    "\r\nSet-Cookie: x=1",
    "/admin%0d%0aX:1",
    "é" * 3000,
)
#: Parameter names the pages read, and two that Flask itself knows.
PARAMETERS = (
    "page",
    "status",
    "channel",
    "unit",
    "wave",
    "action",
    "role",
    "q",
    "by",
    "size",
    "serial",
    "u",
    "s",
    "next",
    "endpoint",
    "lang",
    "quality",
    "flag",
)
PAGES = (
    "/admin/",
    "/admin/responses",
    "/admin/audit",
    "/admin/users",
    "/admin/units",
    "/admin/waves",
    "/admin/results",
    "/admin/results/demo",
    "/admin/paper",
    "/admin/devices",
    "/admin/questionnaires",
    "/entry/",
    "/auth/login",
    "/auth/account",
    "/ket-qua",
    "/language/en",
)


@pytest.fixture
def admin(demo_client, login_as):
    login_as(demo_client, Role.admin)
    return demo_client


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_no_page_answers_500_to_a_crafted_query(admin, value):
    broken = []
    for page in PAGES:
        for name in PARAMETERS:
            response = admin.get(page, query_string={name: value})
            if response.status_code >= 500:
                broken.append(f"{page}?{name}={value[:20]!r}: {response.status_code}")
    assert broken == []


def test_a_line_break_in_next_is_not_followed(demo_app, demo_client, login_as):
    login_as(demo_client, Role.admin)
    demo_client.get("/auth/logout")
    for target in ("/admin/\r\nSet-Cookie: x=1", "/admin%0d%0aX:1", "/\\evil.example"):
        response = demo_client.post(
            "/auth/login",
            query_string={"next": target},
            data={"username": "nobody", "password": "nothing-at-all"},
        )
        assert response.status_code < 500


def test_a_role_that_does_not_exist_is_refused_in_words(admin):
    response = admin.post(
        "/admin/users/new",
        data={"username": "someone-new", "password": "x" * 14, "role": "superuser"},
    )
    assert response.status_code in (200, 400)
    assert "someone-new" not in admin.get("/admin/users").get_data(as_text=True)
