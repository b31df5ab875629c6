"""The questionnaire pages: the version list, uploads with every problem at its cell,
the preview, publication as a frozen version, downloads, and who may do it."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from sipas.extensions import db
from sipas.models import AuditEvent, QuestionnaireVersion, Role
from sipas.questionnaire import load_file, load_text, read_workbook, write_workbook
from sipas.services.questionnaires import latest_version
from sipas.services.questionnaires.formats import to_yaml
from sipas.services.waves.lookup import wave_by_code
from tests.conftest import QUESTIONNAIRE_DIR
from tests.questionnaire.test_loader import MINIMAL
from tests.questionnaire.test_xlsform import minimal_workbook, put

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PREVIEW = re.compile(r"/admin/questionnaires/preview/([0-9a-f]{32})$")


@pytest.fixture
def admin(demo_client, login_as):
    """The demo client logged in as an administrator."""
    login_as(demo_client, Role.admin)
    return demo_client


def _token(client) -> str:
    page = client.get("/admin/questionnaires").get_data(as_text=True)
    return TOKEN.search(page).group(1)


def _upload(client, name: str, data: bytes):
    return client.post(
        "/admin/questionnaires/upload",
        data={"csrf_token": _token(client), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count(QuestionnaireVersion.id)))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


def _changed_2017() -> bytes:
    """The shipped version 2 with one answer label changed, as a workbook."""
    definition = load_file(QUESTIONNAIRE_DIR / "sipas-2017-v2.yaml").definition
    text = load_text(
        to_yaml(definition).replace("Rất hài lòng", "Rất rất hài lòng", 1), "x.yaml"
    )
    return write_workbook(text.definition)


def _preview_token(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = PREVIEW.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def _decide(client, token: str, action: str = "publish"):
    page = client.get(f"/admin/questionnaires/preview/{token}").get_data(as_text=True)
    csrf = TOKEN.search(page).group(1)
    return client.post(
        f"/admin/questionnaires/preview/{token}",
        data={"csrf_token": csrf, "action": action},
        follow_redirects=True,
    )


# --- the list ---------------------------------------------------------------------


def test_the_list_shows_versions_rounds_and_who_stored_them(admin):
    page = admin.get("/admin/questionnaires").get_data(as_text=True)
    version = latest_version("sipas-2017")
    row = page[page.index(f'id="version-{version.id}"') :]
    row = row[: row.index("</tr>")]
    assert version.sha256[:12] in row
    assert ">demo<" in row  # the demo round, with its status
    assert "Đang mở" in row
    assert "từ tệp trên máy chủ" in row
    assert f"/admin/questionnaires/{version.id}.xlsx" in row
    assert "Phiếu khảo sát" in page  # the menu entry


# --- problems ---------------------------------------------------------------------


def test_every_problem_of_a_workbook_is_listed_at_its_cell_and_nothing_stored(admin):
    def edit(workbook):
        put("survey", "A4", "slider satisfaction5")(workbook)
        put("survey", "B5", "filter")(workbook)
        put("choices", "C3", "=1+1")(workbook)

    before = _count()
    response = _upload(admin, "bad.xlsx", minimal_workbook(edit))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Không lưu gì" in page
    rows = re.findall(
        r"<tr>\s*<td>(\w+)</td>\s*<td class=\"place\"><code>([A-Z]+\d+)</code>", page
    )
    assert {("survey", "A4"), ("survey", "B5"), ("choices", "C3")} <= set(rows)
    assert "công thức" in page  # the formula, said in Vietnamese
    assert _count() == before
    assert _events("questionnaire.upload")[-1].details["problems"] >= 3


def test_a_bad_yaml_file_names_its_lines(admin):
    text = MINIMAL.replace("type: text", "type: essay")
    response = _upload(admin, "mini.yaml", text.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if "essay" in ln)
    assert re.search(
        rf"<td>mini.yaml</td>\s*<td class=\"place\">dòng {line}</td>", page
    )


@pytest.mark.parametrize("limit", ["file", "body"])
def test_a_file_over_20_mb_is_refused_in_vietnamese(admin, monkeypatch, limit):
    # Smaller limits than the real 20 MB: the test client leaks the temporary
    # file it spools large bodies to.
    import sipas.admin.questionnaires as views
    from sipas.services.questionnaires import upload

    if limit == "file":
        monkeypatch.setattr(upload, "MAX_UPLOAD_BYTES", 1000)
    else:
        monkeypatch.setattr(views, "UPLOAD_BODY_LIMIT", 1000)
    before = _count()
    response = _upload(admin, "big.xlsx", minimal_workbook())
    assert response.status_code == (400 if limit == "file" else 413)
    assert "Tệp lớn hơn 20 MB" in response.get_data(as_text=True)
    assert _count() == before


def test_another_kind_of_file_is_refused(admin):
    response = _upload(admin, "form.csv", b"a,b\n")
    assert response.status_code == 400
    assert ".xlsx" in response.get_data(as_text=True)


# --- preview and publication ---------------------------------------------------------


def test_a_good_upload_is_previewed_and_not_stored_until_published(admin):
    before = _count()
    token = _preview_token(_upload(admin, "mini.xlsx", minimal_workbook()))
    assert _count() == before
    page = admin.get(f"/admin/questionnaires/preview/{token}").get_data(as_text=True)
    questionnaire = load_text(MINIMAL, "mini.yaml").questionnaire
    assert questionnaire.sections[0].title.get_text("vi") in page
    for item in questionnaire.items:
        assert f'id="q-{item.code}"' in page  # the phone's own question markup
    assert f"/admin/questionnaires/preview/{token}/kiosk" in page
    assert f"/admin/questionnaires/preview/{token}/paper.png" in page
    # a round cannot be made on it yet
    assert "mini" not in admin.get("/admin/waves/new").get_data(as_text=True)
    kiosk = admin.get(f"/admin/questionnaires/preview/{token}/kiosk")
    assert '"preview":' in kiosk.get_data(as_text=True)
    paper = admin.get(f"/admin/questionnaires/preview/{token}/paper.png")
    assert paper.data.startswith(b"\x89PNG")
    pdf = admin.get(f"/admin/questionnaires/preview/{token}/paper.pdf")
    assert pdf.data.startswith(b"%PDF")


def test_publish_stores_a_frozen_version_by_its_uploader(admin):
    token = _preview_token(_upload(admin, "mini.xlsx", minimal_workbook()))
    page = _decide(admin, token).get_data(as_text=True)
    assert "bản sửa đổi 1" in page
    version = latest_version("mini")
    assert version is not None
    assert version.uploaded_by.role is Role.admin
    assert version.source == "mini.xlsx"
    assert version.sha256 == load_text(MINIMAL, "mini.yaml").sha256
    assert _events("questionnaire.publish")[-1].object_id == str(version.id)
    assert f"tải lên bởi {version.uploaded_by.username}" in page
    # the kept file is gone: the preview cannot be published twice
    gone = admin.get(f"/admin/questionnaires/preview/{token}", follow_redirects=True)
    assert "không còn được giữ" in gone.get_data(as_text=True)
    assert admin.get(f"/admin/questionnaires/preview/{token}/kiosk").status_code == 404


def test_discard_stores_nothing(admin):
    before = _count()
    token = _preview_token(_upload(admin, "mini.xlsx", minimal_workbook()))
    _decide(admin, token, "discard")
    assert _count() == before
    gone = admin.get(f"/admin/questionnaires/preview/{token}")
    assert gone.headers["Location"].endswith("/admin/questionnaires")


def test_identical_content_says_so_and_stores_nothing(admin):
    before = _count()
    data = (QUESTIONNAIRE_DIR / "sipas-2017.yaml").read_bytes()
    token = _preview_token(_upload(admin, "copy.yaml", data))
    preview = admin.get(f"/admin/questionnaires/preview/{token}").get_data(as_text=True)
    assert "đã được lưu" in preview
    page = _decide(admin, token).get_data(as_text=True)
    assert "không lưu thêm gì" in page
    assert _count() == before


def test_a_change_to_a_version_used_by_an_open_round_is_a_new_version(admin):
    wave = wave_by_code("demo")
    old = wave.questionnaire
    token = _preview_token(_upload(admin, "v2-changed.xlsx", _changed_2017()))
    preview = admin.get(f"/admin/questionnaires/preview/{token}").get_data(as_text=True)
    assert "giữ phiên bản trước: demo" in preview
    page = _decide(admin, token).get_data(as_text=True)
    assert "giữ phiên bản trước: demo" in page
    new = latest_version("sipas-2017")
    assert new.id != old.id
    assert new.revision == old.revision + 1
    db.session.expire_all()
    assert wave_by_code("demo").questionnaire_id == old.id
    assert db.session.get(QuestionnaireVersion, old.id).sha256 == old.sha256


# --- downloads --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xlsx", "yaml"])
def test_a_download_uploads_again_to_the_same_hash(admin, kind):
    version = latest_version("sipas-2017")
    response = admin.get(f"/admin/questionnaires/{version.id}.{kind}")
    assert response.status_code == 200
    assert (
        f"sipas-2017-r{version.revision}.{kind}"
        in response.headers["Content-Disposition"]
    )
    if kind == "xlsx":
        load_workbook(io.BytesIO(response.data))  # a real workbook
        again = read_workbook(response.data)
    else:
        again = load_text(response.get_data(as_text=True), "download.yaml")
    assert again.sha256 == version.sha256
    (event,) = _events("questionnaire.download")
    assert event.details == {"format": kind, "code": "sipas-2017", "revision": 2}


# --- who may ----------------------------------------------------------------------

PAGES = [
    ("get", "/admin/questionnaires"),
    ("post", "/admin/questionnaires/upload"),
    ("get", "/admin/questionnaires/{id}.xlsx"),
    ("get", "/admin/questionnaires/{id}.yaml"),
    ("get", "/admin/questionnaires/preview/" + "0" * 32),
]


@pytest.mark.parametrize("role", [Role.analyst, Role.surveyor])
def test_only_administrators_open_questionnaire_pages(demo_client, login_as, role):
    version = latest_version("sipas-2017")
    login_page = demo_client.get("/auth/login").get_data(as_text=True)
    token = TOKEN.search(login_page).group(1)
    login_as(demo_client, role)
    for method, url in PAGES:
        data = {"csrf_token": token} if method == "post" else {}
        response = getattr(demo_client, method)(url.format(id=version.id), data=data)
        assert response.status_code == 403, (method, url)
    assert "/admin/questionnaires" not in demo_client.get("/admin/").get_data(
        as_text=True
    )


def test_an_upload_without_its_csrf_token_is_refused(admin):
    before = _count()
    response = admin.post(
        "/admin/questionnaires/upload",
        data={"file": (io.BytesIO(minimal_workbook()), "mini.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _count() == before
    assert not _events("questionnaire.upload")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.yaml", b""),
        ("list.yaml", b"- a\n- b\n"),
        ("binary.yml", bytes(range(256))),
        ("empty.xlsx", b""),
        ("zip.xlsx", b"PK\x03\x04" + b"\0" * 60),
        ("text.xlsx", b"code: mini"),
    ],
)
def test_files_that_are_no_questionnaire_are_refused_in_words(admin, name, data):
    before = _count()
    response = _upload(admin, name, data)
    assert response.status_code == 400
    assert "Không lưu gì" in response.get_data(as_text=True)
    assert _count() == before
