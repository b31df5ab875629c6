"""The back office's menu: five groups at most, each leading to its first page, the
current group's areas as tabs, and each role seeing only what it may open."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from sipas.models import Role

LINK = re.compile(r'<a href="([^"]+)"(?: aria-current="(\w+)")?>([^<]+)</a>')


def _nav(html: str, css_class: str) -> tuple[str | None, list[tuple[str, str, str]]]:
    """The label of the nav landmark and its links as (href, aria-current, text)."""
    match = re.search(
        rf'<nav class="{css_class}" aria-label="([^"]+)">(.*?)</nav>', html, re.S
    )
    if match is None:
        return None, []
    return match.group(1), LINK.findall(match.group(2))


def _page(client, path: str) -> str:
    with force_locale("vi"):
        response = client.get(path, follow_redirects=True)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "menu"),
    [
        (
            Role.admin,
            [
                ("/admin/results", "Kết quả"),
                ("/admin/", "Đợt khảo sát"),
                ("/entry/", "Nhập liệu"),
                ("/admin/units", "Đơn vị"),
                ("/admin/users", "Quản trị"),
            ],
        ),
        (Role.analyst, [("/admin/results", "Kết quả"), ("/admin/", "Đợt khảo sát")]),
        (Role.surveyor, [("/entry/", "Nhập liệu")]),
    ],
)
def test_each_role_sees_its_groups_in_one_menu(demo_client, login_as, role, menu):
    login_as(demo_client, role)
    start = "/entry/" if role is Role.surveyor else "/admin/"
    label, links = _nav(_page(demo_client, start), "admin-nav")
    assert label == "Trang quản trị"
    assert [(href, text) for href, _current, text in links] == menu
    for href, _text in menu:
        _page(demo_client, href)  # every entry opens for this role


def test_a_page_of_a_group_shows_its_tabs_and_where_one_is(demo_client, login_as):
    login_as(demo_client, Role.admin)
    html = _page(demo_client, "/admin/devices")
    _label, menu = _nav(html, "admin-nav")
    assert [(text, current) for _href, current, text in menu if current] == [
        ("Đợt khảo sát", "true")
    ]
    label, tabs = _nav(html, "sub-nav")
    assert label == "Đợt khảo sát"
    assert [(href, current) for href, current, _text in tabs] == [
        ("/admin/", ""),
        ("/admin/questionnaires", ""),
        ("/admin/paper", ""),
        ("/admin/posters", ""),
        ("/admin/devices", "page"),
    ]
    # a page inside an area: its tab and its group are current, no tab is "page"
    _label, tabs = _nav(_page(demo_client, "/admin/waves/demo"), "sub-nav")
    assert [(text, current) for _href, current, text in tabs if current] == [
        ("Các đợt khảo sát", "true")
    ]
    _label, menu = _nav(_page(demo_client, "/admin/responses"), "admin-nav")
    assert [(text, current) for _href, current, text in menu if current] == [
        ("Kết quả", "true")
    ]
    _label, menu = _nav(_page(demo_client, "/admin/users"), "admin-nav")
    assert [(text, current) for _href, current, text in menu if current] == [
        ("Quản trị", "page")
    ]
    # a group of one area needs no tabs
    assert _nav(_page(demo_client, "/admin/units"), "sub-nav") == (None, [])


def test_surveyors_see_only_data_entry(demo_client, login_as):
    login_as(demo_client, Role.surveyor)
    html = _page(demo_client, "/entry/import")
    _label, tabs = _nav(html, "sub-nav")
    assert [(href, current) for href, current, _text in tabs] == [
        ("/entry/", ""),
        ("/entry/import", "page"),
        ("/admin/jobs", ""),  # their large imports, made by a worker
    ]
    assert "/admin/" not in html.split('<main id="main"')[0]
    jobs_page = _page(demo_client, "/admin/jobs")
    assert ("/admin/jobs", "page") in [
        (href, current) for href, current, _text in _nav(jobs_page, "sub-nav")[1]
    ]


def test_an_import_is_shown_under_importing_a_download_under_results(
    demo_client, login_as
):
    """A job's page belongs where it was asked for: an administrator's import
    under "Nhập liệu", a download under "Kết quả"."""
    from sipas.extensions import db
    from sipas.models import JobKind
    from sipas.services.jobs import lifecycle
    from sipas.services.waves.lookup import wave_by_code

    admin = login_as(demo_client, Role.admin)
    wave = wave_by_code("demo")
    made = {
        kind: lifecycle.create(kind, admin, wave, {"language": "vi"}, 0).id
        for kind in (JobKind.import_, JobKind.export)
    }
    db.session.commit()
    for kind, group, tab in (
        (JobKind.import_, "Nhập liệu", "Nhập phiếu từ tệp"),
        (JobKind.export, "Kết quả", "Tệp tải về của tôi"),
    ):
        html = _page(demo_client, f"/admin/jobs/{made[kind]}")
        _label, menu = _nav(html, "admin-nav")
        assert [text for _href, current, text in menu if current] == [group]
        _label, tabs = _nav(html, "sub-nav")
        assert [text for _href, current, text in tabs if current] == [tab]
