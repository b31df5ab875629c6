"""An administrator brings a questionnaire as a workbook in a real browser: the
problems of a broken one at their cells, the preview of a good one (phone steps, a
kiosk screen, the first paper page), publication, and a round created on it."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from sipas.extensions import db
from sipas.models import QuestionnaireVersion
from sipas.questionnaire import load_file, write_workbook
from sipas.services import demo, questionnaires
from sipas.services.questionnaires import latest_version
from sipas.services.waves.lookup import wave_by_code
from tests.conftest import QUESTIONNAIRE_DIR, make_app
from tests.databases import databases
from tests.e2e.conftest import assert_accessible, serving, wait_until
from tests.e2e.test_back_office import vi
from tests.e2e.test_wave_design import _log_in, _no_sideways_scroll

pytestmark = pytest.mark.e2e

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The demo on version 1 of the 2017 form only: version 2 comes by upload."""
    path = tmp_path_factory.mktemp("questionnaire-upload") / "sipas.db"
    app = make_app(path, SQLALCHEMY_DATABASE_URI=databases.url_for(path, True))
    with app.app_context():
        db.create_all()
        questionnaires.sync([QUESTIONNAIRE_DIR / "sipas-2017.yaml"])
        demo.ensure_demo("admin-test-password")
        db.session.commit()
    with serving(app) as served:
        yield served


def _workbook() -> bytes:
    """The shipped version 2 of the 2017 form, as the workbook writer writes it."""
    return write_workbook(
        load_file(QUESTIONNAIRE_DIR / "sipas-2017-v2.yaml").definition
    )


def _broken() -> bytes:
    workbook = load_workbook(io.BytesIO(_workbook()))
    workbook["survey"]["A4"] = "slider"
    workbook["choices"]["C3"] = "=A1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _versions() -> int:
    return db.session.scalar(sa.select(sa.func.count(QuestionnaireVersion.id)))


def _upload(page, app, name: str, data: bytes) -> None:
    page.get_by_label(vi(app, "Workbook (.xlsx) or YAML file")).set_input_files(
        files=[{"name": name, "mimeType": XLSX, "buffer": data}]
    )
    page.get_by_role("button", name=vi(app, "Check and preview")).click()
    page.wait_for_load_state()


def _look(page, output_dir, name: str) -> None:
    assert_accessible(page)
    _no_sideways_scroll(page)
    width = page.viewport_size["width"]
    page.screenshot(path=str(output_dir / f"{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("size", [(1366, 768), (360, 740)], ids=["desktop", "phone"])
def test_upload_preview_publish_and_a_round_on_it(server, browser, output_dir, size):
    url, app = server
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    _log_in(page, url, app)
    page.get_by_role("link", name=vi(app, "Rounds"), exact=True).first.click()
    page.get_by_role("link", name=vi(app, "Questionnaires"), exact=True).click()
    page.wait_for_url(f"{url}/admin/questionnaires")
    _look(page, output_dir, "questionnaires")

    # a broken workbook: each problem at its sheet, row and column; nothing stored
    with app.app_context():
        stored = _versions()
    _upload(page, app, "sipas-2017-v2-hong.xlsx", _broken())
    table = page.locator("table.import-errors")
    assert "survey" in table.inner_text()
    formula = table.locator("tr", has_text="=A1")
    assert formula.locator("td").first.inner_text() == "choices"
    assert formula.locator("code").inner_text() == "C3"
    assert "slider" in table.locator("tr", has_text="survey").first.inner_text()
    _look(page, output_dir, "questionnaires-problems")
    with app.app_context():
        assert _versions() == stored

    # the good workbook: its preview before anything is stored
    _upload(page, app, "sipas-2017-v2.xlsx", _workbook())
    assert "/admin/questionnaires/preview/" in page.url
    with app.app_context():
        questionnaire = load_file(
            QUESTIONNAIRE_DIR / "sipas-2017-v2.yaml"
        ).questionnaire
    for section in questionnaire.sections:
        assert page.get_by_role(
            "heading", name=section.title.get_text("vi"), exact=True
        ).is_visible()
    paper = page.locator("img.paper-page")
    paper.scroll_into_view_if_needed()
    wait_until(page, "() => document.querySelector('img.paper-page').naturalWidth > 0")
    _look(page, output_dir, "questionnaire-preview")

    # the kiosk screen of the upload, answered there and sent nowhere
    with page.expect_popup() as popup:
        page.get_by_role("link", name=vi(app, "Open the kiosk screen")).click()
    kiosk = popup.value
    screen = (1920, 1080) if width > 1000 else (1080, 1920)  # landscape, portrait
    kiosk.set_viewport_size({"width": screen[0], "height": screen[1]})
    kiosk.get_by_role("button", name=vi(app, "Start")).click()
    first = questionnaire.items[0].label.get_text("vi")
    assert first in kiosk.locator("main").inner_text()
    assert_accessible(kiosk)
    name = f"questionnaire-preview-kiosk-{screen[0]}x{screen[1]}.png"
    kiosk.screenshot(path=str(output_dir / name))
    kiosk.close()

    page.get_by_role("button", name=vi(app, "Publish"), exact=True).click()
    page.wait_for_url(f"{url}/admin/questionnaires")
    status = page.locator(".flash").all_inner_texts()
    with app.app_context():
        version = latest_version("sipas-2017")
        assert version.version == 2
        if width == 1366:  # the first run publishes, the second finds it stored
            assert any("bản sửa đổi 2" in text for text in status), status
            assert any("giữ phiên bản trước: demo" in text for text in status), status
            assert wave_by_code("demo").questionnaire.version == 1
        else:
            assert any("không lưu thêm gì" in text for text in status), status
    _look(page, output_dir, "questionnaires-published")

    # a new round on the published version
    code = f"v2-{width}"
    page.goto(f"{url}/admin/waves/new")
    page.get_by_label(vi(app, "Code"), exact=True).fill(code)
    page.get_by_label(vi(app, "Title"), exact=True).fill("Khảo sát theo phiếu mới")
    page.get_by_label(vi(app, "Questionnaire version")).select_option(
        label=f"sipas-2017 · v2 · r2 ({version.sha256[:8]})"
    )
    page.get_by_label(vi(app, "Units below")).select_option(
        label="QN · Tỉnh Quảng Ninh"
    )
    page.get_by_role("button", name=vi(app, "Create survey round")).click()
    page.wait_for_url(f"{url}/admin/waves/{code}")
    with app.app_context():
        assert wave_by_code(code).questionnaire.sha256 == version.sha256
    context.close()
