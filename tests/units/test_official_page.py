"""The page that loads a province's official units: choose, preview, confirm."""

from __future__ import annotations

import re

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import AuditEvent, Role, Unit, UnitLevel
from sipas.services.units.lookup import unit_by_code, unit_by_official_code
from sipas.services.units.official_data import official_provinces

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
URL = "/admin/units/official"


def _token(client) -> str:
    return TOKEN.search(client.get(URL).get_data(as_text=True)).group(1)


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Unit))


def _send(client, action: str, province: str = "22", history: bool = False, **extra):
    data = {"csrf_token": _token(client), "province": province, "action": action}
    if history:
        data["with_history"] = "y"
    return client.post(URL, data=data | extra)


def test_the_units_page_links_to_the_official_list(demo_client, login_as):
    login_as(demo_client, Role.admin)
    page = demo_client.get("/admin/units").get_data(as_text=True)
    assert "Nạp danh sách đơn vị hành chính chính thức" in page
    assert 'href="/admin/units/official"' in page


def test_the_form_lists_the_34_provinces_by_official_name(demo_client, login_as):
    login_as(demo_client, Role.admin)
    page = demo_client.get(URL).get_data(as_text=True)
    assert page.count("<option") == 35  # and "Chọn tỉnh, thành phố"
    assert '<option value="22">Tỉnh Quảng Ninh</option>' in page
    assert '<option value="80">Tỉnh Tây Ninh</option>' in page
    assert "Kèm đơn vị trước 1/7/2025" in page
    assert len(official_provinces()) == 34


def test_the_preview_counts_and_writes_nothing(demo_client, login_as):
    login_as(demo_client, Role.admin)
    before = _count()
    response = _send(demo_client, "preview", history=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Những gì sẽ thay đổi ở Tỉnh Quảng Ninh" in page
    assert "Xã, phường, đặc khu (từ 1/7/2025)" in page
    assert "Quận, huyện, thị xã, thành phố trước 1/7/2025 (đã đóng)" in page
    assert ">50</td>" in page  # the 54 communes, four of them the demo's
    assert "Nạp Tỉnh Quảng Ninh" in page
    assert _count() == before


def test_confirming_loads_the_province_and_keeps_the_demo_centres(
    demo_client, login_as
):
    login_as(demo_client, Role.admin)
    response = _send(demo_client, "confirm", history=True)
    province = unit_by_official_code("22", UnitLevel.province)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/units/{province.id}")
    assert province.code == "QN"
    assert unit_by_code("QN-HALONG-TT").parent.code == "QN-HALONG"
    assert unit_by_code("X06688-cu").successor.code == "QN-HALONG"
    page = demo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"Tỉnh Quảng Ninh: \d+ đơn vị được tạo, 0 được cập nhật, 5", page)
    assert db.session.scalars(
        sa.select(AuditEvent).filter_by(action="unit.load_official")
    ).one()


def test_a_second_preview_says_nothing_changes(demo_client, login_as):
    login_as(demo_client, Role.admin)
    _send(demo_client, "confirm")
    page = _send(demo_client, "preview").get_data(as_text=True)
    assert "Không có gì thay đổi: các đơn vị đã khớp với danh mục chính thức." in page
    assert "Nạp Tỉnh Quảng Ninh" not in page


def test_a_taken_code_is_named_and_nothing_is_loaded(demo_client, login_as):
    login_as(demo_client, Role.admin)
    db.session.add(Unit(code="X06652", name="Trung tâm X", level=UnitLevel.centre))
    db.session.commit()
    before = _count()
    response = _send(demo_client, "confirm")
    assert response.status_code == 400
    assert "<code>X06652</code>" in response.get_data(as_text=True)
    assert _count() == before


def test_no_province_chosen_is_an_error_in_vietnamese(demo_client, login_as):
    login_as(demo_client, Role.admin)
    response = _send(demo_client, "preview", province="")
    assert response.status_code == 400
    assert "Hãy chọn một tỉnh, thành phố." in response.get_data(as_text=True)


def test_confirming_without_the_csrf_token_is_refused(demo_client, login_as):
    login_as(demo_client, Role.admin)
    before = _count()
    response = demo_client.post(URL, data={"province": "22", "action": "confirm"})
    assert response.status_code == 400
    assert _count() == before


def test_only_administrators_may_load(demo_client, login_as):
    login_as(demo_client, Role.admin)
    token = _token(demo_client)
    login_as(demo_client, Role.analyst)
    assert demo_client.get(URL).status_code == 403
    data = {"csrf_token": token, "province": "22", "action": "confirm"}
    assert demo_client.post(URL, data=data).status_code in (400, 403)
    assert unit_by_official_code("06652", UnitLevel.commune) is None


def test_a_unit_page_shows_its_official_code_and_the_old_units(demo_client, login_as):
    login_as(demo_client, Role.admin)
    _send(demo_client, "confirm", history=True)
    ha_long = unit_by_code("QN-HALONG")
    page = demo_client.get(f"/admin/units/{ha_long.id}").get_data(as_text=True)
    assert "Mã chính thức" in page
    assert "06688 · danh mục từ 1/7/2025" in page
    assert "Phường Hồng Hải (X06688-cu)" in page  # the same code, before 1/7/2025
    old = unit_by_code("X06688-cu")
    page = demo_client.get(f"/admin/units/{old.id}").get_data(as_text=True)
    assert "06688 · danh mục trước 1/7/2025" in page
