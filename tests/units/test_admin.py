"""The unit pages: tree and search, create/edit, move, merge, import, export, access."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from sipas.extensions import db
from sipas.models import AuditEvent, Role, Unit, UnitLevel
from sipas.services.units.lookup import unit_by_code
from tests.factories import make_response, make_unit

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _token(client) -> str:
    return TOKEN.search(client.get("/admin/units/new").get_data(as_text=True)).group(1)


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


def _unit_form(**changes: str) -> dict[str, str]:
    values = {
        "code": "QN-DONGTRIEU",
        "name": "Phường Đông Triều",
        "level": "commune",
        "parent_code": "QN",
        "valid_from": "2025-07-01",
        "valid_to": "",
        "successor_code": "",
    }
    values.update(changes)
    return values


@pytest.fixture
def admin(demo_client, login_as):
    """The demo client logged in as an administrator."""
    login_as(demo_client, Role.admin)
    return demo_client


# --- tree and search ----------------------------------------------------------------


def test_the_tree_shows_every_unit_nested_with_levels_and_dates(admin):
    page = admin.get("/admin/units").get_data(as_text=True)
    assert page.count("<details") == 5  # the province and its four communes
    assert "QN-HALONG-TT" in page
    assert "Trung tâm Phục vụ hành chính công phường Uông Bí" in page
    assert page.index(">QN<") < page.index(">QN-HALONG<") < page.index(">QN-HALONG-TT<")


def test_the_tree_marks_merged_units(admin):
    campha = unit_by_code("QN-CAMPHA")
    campha.valid_to, campha.successor = date(2025, 12, 31), unit_by_code("QN-HALONG")
    db.session.commit()
    page = admin.get("/admin/units").get_data(as_text=True)
    line = page[page.index(">QN-CAMPHA<") :].split("</summary>")[0]
    assert "→" in line
    assert "QN-HALONG" in line


@pytest.mark.parametrize(
    ("query", "found", "marked"),
    [
        ("ha long", "QN-HALONG", "Hạ Long"),
        ("HẠ LONG", "QN-HALONG-TT", "Hạ Long"),
        ("dong", "QN-DONGTRIEU", "Đông"),
        ("qn-uong", "QN-UONGBI", "QN-UONG"),
    ],
)
def test_search_ignores_diacritics_and_case(admin, query, found, marked):
    make_unit(
        "QN-DONGTRIEU", "Phường Đông Triều", UnitLevel.commune, unit_by_code("QN")
    )
    db.session.commit()
    page = admin.get("/admin/units", query_string={"q": query}).get_data(as_text=True)
    assert f'href="/admin/units/{unit_by_code(found).id}"' in page
    assert f"<mark>{marked}</mark>" in page
    assert "Tỉnh Quảng Ninh ›" in page  # the path of the hit
    assert "<details" not in page


def test_search_finds_nothing_for_an_unknown_word(admin):
    page = admin.get("/admin/units?q=zzz").get_data(as_text=True)
    assert "QN-HALONG" not in page
    assert "<mark>" not in page


def test_the_tree_of_ten_thousand_units_loads_in_one_query(app, client, login_as):
    from sipas.services.units.admin import load_tree, search

    rows = [{"id": 1, "code": "P", "name": "Tỉnh", "level": "province"}]
    rows += [
        {
            "id": i,
            "code": f"C{i}",
            "name": f"Xã Đông {i}",
            "level": "commune",
            "parent_id": 1,
        }
        for i in range(2, 10_002)
    ]
    db.session.execute(sa.insert(Unit), rows)
    db.session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    tree = load_tree()
    sa.event.remove(db.engine, "before_cursor_execute", count)
    assert [s for s in statements if s.startswith("SELECT")] == statements[-1:]
    assert len(tree.roots[0].children) == 10_000
    assert search(tree, "dong 9999").total == 1
    login_as(client, Role.admin)
    assert client.get("/admin/units?q=dong+123").status_code == 200
    assert client.get("/admin/units").status_code == 200


# --- create and edit ----------------------------------------------------------------


def test_an_admin_creates_a_unit(admin):
    data = _unit_form(code="  QN-DONGTRIEU ", name="Phường Đông Triều")
    response = admin.post(
        "/admin/units/new", data={"csrf_token": _token(admin), **data}
    )
    assert response.status_code == 302
    unit = unit_by_code("QN-DONGTRIEU")
    assert unit.parent.code == "QN"
    assert unit.valid_from == date(2025, 7, 1)
    assert [e.object_id for e in _audit("unit.create")] == ["QN-DONGTRIEU"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "QN HALONG!"}, "code"),
        ({"code": "QN-HALONG"}, "code"),  # taken
        ({"name": ""}, "name"),
        ({"level": "province"}, "level"),  # not below the province
        ({"parent_code": "NOPE"}, "parent_code"),
        ({"valid_to": "2025-01-01"}, "valid_to"),  # before valid_from
        ({"valid_from": "31/02/2025"}, "valid_from"),
        ({"valid_to": "", "successor_code": "QN-HALONG"}, "valid_to"),
        ({"valid_to": "2025-12-31", "successor_code": "NOPE"}, "successor_code"),
    ],
)
def test_create_refuses_broken_rules_on_the_field(admin, changes, field):
    data = {"csrf_token": _token(admin), **_unit_form(**changes)}
    response = admin.post("/admin/units/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert f'aria-describedby="{field}-error"' in page or f'{field}-error"' in page
    assert _audit("unit.create") == []


def test_editing_saves_and_audits_the_changes(admin):
    unit = unit_by_code("QN-TIENYEN")
    data = _unit_form(code="QN-TIENYEN", name="Xã Tiên Yên (mới)", valid_from="")
    response = admin.post(
        f"/admin/units/{unit.id}", data={"csrf_token": _token(admin), **data}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert unit_by_code("QN-TIENYEN").name == "Xã Tiên Yên (mới)"
    (event,) = _audit("unit.update")
    assert event.details["changed"]["name"] == ["Xã Tiên Yên", "Xã Tiên Yên (mới)"]


def test_the_code_cannot_change_once_responses_exist(admin):
    make_response("QN-HALONG-TT")
    db.session.commit()
    unit = unit_by_code("QN-HALONG-TT")
    data = _unit_form(
        code="QN-HL-TT", name=unit.name, level="centre", parent_code="QN-HALONG"
    )
    response = admin.post(
        f"/admin/units/{unit.id}", data={"csrf_token": _token(admin), **data}
    )
    assert response.status_code == 400
    assert 'id="code-error"' in response.get_data(as_text=True)
    assert unit_by_code("QN-HALONG-TT") is not None


def test_a_level_above_a_child_is_refused(admin):
    unit = unit_by_code("QN-HALONG")
    data = _unit_form(code="QN-HALONG", level="centre", parent_code="QN")
    response = admin.post(
        f"/admin/units/{unit.id}", data={"csrf_token": _token(admin), **data}
    )
    assert response.status_code == 400
    assert 'id="level-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("successor", ["QN-CAMPHA", "QN-HALONG"])
def test_successors_cannot_loop(admin, successor):
    campha = unit_by_code("QN-CAMPHA")
    campha.valid_to, campha.successor = date(2025, 12, 31), unit_by_code("QN-HALONG")
    db.session.commit()
    halong = unit_by_code("QN-HALONG")
    data = _unit_form(
        code="QN-HALONG",
        name=halong.name,
        valid_to="2025-12-31",
        successor_code=successor,
    )
    response = admin.post(
        f"/admin/units/{halong.id}", data={"csrf_token": _token(admin), **data}
    )
    assert response.status_code == 400
    assert 'id="successor_code-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert unit_by_code("QN-HALONG").successor is None


# --- move and merge -----------------------------------------------------------------


def test_moving_under_itself_or_a_descendant_is_refused(admin):
    halong = unit_by_code("QN-HALONG")
    make_unit("QN-HALONG-X", level=UnitLevel.centre, parent=halong)
    db.session.commit()
    for target in ("QN-HALONG", "QN-HALONG-TT"):
        response = admin.post(
            f"/admin/units/{halong.id}/move",
            data={"move-csrf_token": _token(admin), "move-parent_code": target},
        )
        assert response.status_code == 400
        assert 'id="move-parent_code-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert unit_by_code("QN-HALONG").parent.code == "QN"
    assert _audit("unit.move") == []


def test_moving_changes_the_parent_and_is_audited(admin):
    centre = unit_by_code("QN-TIENYEN-TT")
    response = admin.post(
        f"/admin/units/{centre.id}/move",
        data={"move-csrf_token": _token(admin), "move-parent_code": "QN-CAMPHA"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert unit_by_code("QN-TIENYEN-TT").parent.code == "QN-CAMPHA"
    (event,) = _audit("unit.move")
    assert event.details == {"from": "QN-TIENYEN", "to": "QN-CAMPHA"}


def test_merging_sets_the_successor_and_the_end_in_one_step(admin):
    campha = unit_by_code("QN-CAMPHA")
    response = admin.post(
        f"/admin/units/{campha.id}/merge",
        data={
            "merge-csrf_token": _token(admin),
            "merge-successor_code": "QN-HALONG",
            "merge-valid_to": "31/12/2025",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    campha = unit_by_code("QN-CAMPHA")
    assert campha.successor.code == "QN-HALONG"
    assert campha.valid_to == date(2025, 12, 31)
    (event,) = _audit("unit.merge")
    assert event.details == {"successor": "QN-HALONG", "valid_to": "2025-12-31"}
    page = admin.get(f"/admin/units/{campha.id}").get_data(as_text=True)
    assert "QN-HALONG" in page
    successor_page = admin.get(f"/admin/units/{campha.successor.id}")
    assert "Phường Cẩm Phả (QN-CAMPHA)" in successor_page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("successor", "end", "field"),
    [
        ("QN-CAMPHA", "2025-12-31", "merge-successor_code"),
        ("NOPE", "2025-12-31", "merge-successor_code"),
        ("QN-HALONG", "", "merge-valid_to"),
        ("QN-HALONG", "2020-01-01", "merge-valid_to"),  # before valid_from
    ],
)
def test_a_wrong_merge_is_refused(admin, successor, end, field):
    campha = unit_by_code("QN-CAMPHA")
    response = admin.post(
        f"/admin/units/{campha.id}/merge",
        data={
            "merge-csrf_token": _token(admin),
            "merge-successor_code": successor,
            "merge-valid_to": end,
        },
    )
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert unit_by_code("QN-CAMPHA").successor is None


# --- files --------------------------------------------------------------------------

HEADER = "code,name,level,parent_code,valid_from,valid_to,successor_code\n"


def _upload(client, filename: str, data: bytes):
    return client.post(
        "/admin/units/import",
        data={"csrf_token": _token(client), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_importing_a_good_csv_reports_the_counts(admin):
    data = (HEADER + "QN-MOI;Phường Mới;xã;QN;;;\n").replace(",", ";").encode()
    response = _upload(admin, "units.csv", data)
    assert response.status_code == 302
    assert unit_by_code("QN-MOI").level is UnitLevel.commune
    page = admin.get("/admin/units").get_data(as_text=True)
    assert "QN-MOI" in page
    assert _audit("unit.import")[0].details["created"] == 1


def test_importing_an_xlsx(admin):
    book = Workbook()
    book.active.append(["code", "name", "level", "parent_code"])
    book.active.append(["QN-MOI", "Phường Mới", "commune", "QN"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(admin, "units.xlsx", buffer.getvalue())
    assert response.status_code == 302
    assert unit_by_code("QN-MOI").parent.code == "QN"


def test_a_file_with_wrong_rows_shows_each_and_imports_nothing(admin):
    count = db.session.scalar(sa.select(sa.func.count(Unit.id)))
    data = (
        HEADER
        + "QN-A,Xã A,commune,QN,,,\n"
        + "QN-B,Xã B,hamlet,QN,,,\n"
        + "QN-C,Xã C,commune,QN,1/13/2025,,\n"
        + "QN-D,Xã D,commune,NOPE,,,\n"
    ).encode()
    response = _upload(admin, "units.csv", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td><code>(\w+)</code>', page)
    assert rows == [("3", "level"), ("4", "valid_from"), ("5", "parent_code")]
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == count
    assert _audit("unit.import") == []


def test_a_file_of_the_wrong_type_is_refused_with_a_message(admin):
    response = _upload(admin, "units.pdf", b"%PDF-1.4")
    assert response.status_code == 400
    assert 'class="error-summary"' in response.get_data(as_text=True)


@pytest.mark.parametrize("limit", ["file", "body"])
def test_oversized_files_are_refused_with_a_message(admin, monkeypatch, limit):
    # Smaller limits than the real 5 MB: the test client leaks the temporary
    # file it spools large bodies to.
    import sipas.admin.units as views
    from sipas.services.units import imports

    if limit == "file":
        monkeypatch.setattr(imports, "MAX_IMPORT_BYTES", 1000)
    else:
        monkeypatch.setattr(views, "IMPORT_BODY_LIMIT", 1000)
    data = (HEADER + "QN-MOI,Phường Mới,commune,QN,,,\n" * 40).encode()
    response = _upload(admin, "units.csv", data)
    assert response.status_code == 400
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert unit_by_code("QN-MOI") is None


def test_a_file_larger_than_the_sites_default_limit_is_accepted(admin, app):
    row = "QN-K{i},Trung tâm số {i} – bộ phận một cửa tỉnh Quảng Ninh,centre,QN,,,\n"
    body = "".join(row.format(i=i) for i in range(4000))
    data = (HEADER + body).encode()
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    response = _upload(admin, "units.csv", data)
    assert response.status_code == 302
    assert _audit("unit.import")[0].details["created"] == 4000


def test_an_import_without_the_csrf_token_is_refused(admin):
    from flask import g

    # The fixture's app context (and so ``g``) outlives each test request: forget
    # that the login request's token was checked, as a new request would.
    g.pop("csrf_valid", None)
    data = (HEADER + "QN-MOI,Phường Mới,commune,QN,,,\n").encode()
    response = admin.post(
        "/admin/units/import",
        data={"file": (io.BytesIO(data), "units.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert 'type="file"' not in response.get_data(as_text=True)  # the error page
    assert unit_by_code("QN-MOI") is None


def test_export_then_import_round_trips(admin):
    exported = admin.get("/admin/units/export.csv")
    assert exported.mimetype == "text/csv"
    assert exported.data.startswith("\ufeff".encode())
    assert _audit("unit.export")
    response = _upload(admin, "units.csv", exported.data)
    assert response.status_code == 302
    assert _audit("unit.import")[0].details["unchanged"] == 10
    assert admin.get("/admin/units/export.csv").data == exported.data


def test_the_template_downloads(admin):
    response = admin.get("/admin/units/template.csv")
    assert response.status_code == 200
    assert response.data.decode("utf-8-sig").startswith(HEADER.strip())


# --- access -------------------------------------------------------------------------

UNIT_PAGES = [
    ("get", "/admin/units"),
    ("get", "/admin/units?q=ha"),
    ("get", "/admin/units/new"),
    ("post", "/admin/units/new"),
    ("get", "/admin/units/{id}"),
    ("post", "/admin/units/{id}"),
    ("post", "/admin/units/{id}/move"),
    ("post", "/admin/units/{id}/merge"),
    ("get", "/admin/units/import"),
    ("post", "/admin/units/import"),
    ("get", "/admin/units/template.csv"),
    ("get", "/admin/units/export.csv"),
]


@pytest.mark.parametrize("role", [Role.analyst, Role.surveyor])
def test_only_administrators_open_unit_pages(demo_client, login_as, role):
    unit = unit_by_code("QN-HALONG")
    login_as(demo_client, role)
    # a token of the logged-in session (logging in starts a new one)
    account_page = demo_client.get("/auth/password").get_data(as_text=True)
    token = TOKEN.search(account_page).group(1)
    for method, url in UNIT_PAGES:
        data = {"csrf_token": token} if method == "post" else {}
        response = getattr(demo_client, method)(url.format(id=unit.id), data=data)
        assert response.status_code == 403, (method, url)


def test_anonymous_visitors_are_sent_to_log_in(demo_client):
    unit = unit_by_code("QN-HALONG")
    for method, url in UNIT_PAGES:
        if method == "get":
            response = demo_client.get(url.format(id=unit.id))
            assert response.status_code == 302, url
            assert "/auth/login" in response.headers["Location"]
