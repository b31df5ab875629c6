"""An administrator in a real browser: log in, create a survey round, read the
results and download the PDF report and the Excel workbook."""

from __future__ import annotations

import re
import subprocess

import openpyxl
import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.i18n import format_percent
from sipas.questionnaire.serials import format_serial
from sipas.services import synthetic
from sipas.services.paper.issuing import issue_forms
from sipas.services.responses.devices import create_device, revoke_device
from sipas.services.results import compute
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import assert_accessible, demo_app, serving
from tests.entry_helpers import make_disagreement

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def filled_server(tmp_path_factory):
    """A server of its own (the phone tests count their responses) with the demo
    data and 400 responses in the demo wave; for the paper and kiosk pages, a batch
    of printed forms, a form entered twice with a difference, and two kiosks (one
    revoked). None of these adds a response."""
    app = demo_app(tmp_path_factory.mktemp("back-office"))
    with app.app_context():
        wave = wave_by_code("demo")
        synthetic.add_demo_responses(wave, 400, seed=4)
        unit = unit_by_code("QN-HALONG-TT")
        issue_forms(wave, unit, 20, None)
        make_disagreement(wave, unit, 21)
        create_device(unit, "Quầy 1", None)
        revoke_device(create_device(unit, "Sảnh tầng 2", None)[0], None)
        db.session.commit()
    with serving(app) as served:
        yield served


@pytest.fixture
def desk(browser):
    """A desktop browser window that accepts downloads."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    yield page
    context.close()


def vi(app, message: str) -> str:
    """The Vietnamese interface text of ``message``."""
    with app.test_request_context(), force_locale("vi"):
        return _(message)


def test_admin_creates_a_wave_reads_results_and_downloads(
    filled_server, desk, output_dir, tmp_path
):
    url, app = filled_server
    page = desk
    page.goto(f"{url}/auth/login")
    page.get_by_label(vi(app, "Username")).fill("admin")
    page.get_by_label(vi(app, "Password")).fill("admin-test-password")
    page.get_by_role("button", name=vi(app, "Log in")).click()
    page.wait_for_url(f"{url}/admin/")

    # a new survey round over the whole demo province
    page.get_by_role("link", name=vi(app, "New survey round")).click()
    page.get_by_label(vi(app, "Code"), exact=True).fill("2027-q1")
    page.get_by_label(vi(app, "Title"), exact=True).fill("Khảo sát quý I năm 2027")
    page.get_by_label(vi(app, "Units below")).select_option(
        label="QN · Tỉnh Quảng Ninh"
    )
    assert_accessible(page)
    page.get_by_role("button", name=vi(app, "Create survey round")).click()
    page.wait_for_url(f"{url}/admin/waves/2027-q1")
    assert "Khảo sát quý I năm 2027" in page.content()
    page.screenshot(path=str(output_dir / "admin-new-wave.png"), full_page=True)

    # the results of the demo wave, figures as the results service makes them
    page.goto(f"{url}/admin/results/demo")
    with app.app_context():
        wave = wave_by_code("demo")
        sipas = compute.wave_results(wave, group_items=[]).indices.overall
    with app.test_request_context(), force_locale("vi"):
        shown = format_percent(sipas.estimate.value)
    assert re.fullmatch(r"\d{1,3},\d\d%", shown)
    assert shown in page.inner_text("main")
    assert_accessible(page)
    page.screenshot(path=str(output_dir / "admin-dashboard.png"), full_page=True)

    # the PDF report and the workbook
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name=vi(app, "PDF report")).click()
    pdf_path = tmp_path / pdf_download.value.suggested_filename
    pdf_download.value.save_as(pdf_path)
    assert pdf_path.suffix == ".pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert shown in text

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name=vi(app, "Excel workbook (XLSX)")).click()
    xlsx_path = tmp_path / xlsx_download.value.suggested_filename
    xlsx_download.value.save_as(xlsx_path)
    workbook = openpyxl.load_workbook(xlsx_path, read_only=True)
    assert "Phiếu trả lời" in workbook.sheetnames
    rows = list(workbook["Phiếu trả lời"].iter_rows(values_only=True))
    workbook.close()
    assert len(rows) == 400 + 2  # the wording and the codes head the answers


BACK_OFFICE_PAGES = (
    "/admin/",
    "/admin/waves/demo",
    "/admin/responses",
    "/admin/responses?status=flagged",
    "/admin/units",
    "/admin/units?q=ha+long",
    "/admin/units/import",
    "/admin/users",
    "/admin/audit",
    "/admin/results/demo?unit=QN-HALONG",
    "/auth/password",
)


#: Paper and kiosk pages, with the data the fixture gives them.
PAPER_AND_KIOSK_PAGES = (
    "/entry/",
    "/entry/?wave=demo&unit=QN-HALONG-TT",
    "/entry/review",
    "/entry/review/demo/21",
    "/entry/stats",
    "/entry/stats?wave=demo",
    "/admin/paper",
    "/admin/posters",
    "/admin/devices",
)


def test_back_office_pages_pass_axe(filled_server, window, output_dir):
    """Every back-office page an administrator opens meets WCAG 2.1 AA (axe), on a
    desk and on a phone."""
    url, app = filled_server
    page = window
    page.goto(f"{url}/auth/login")
    assert_accessible(page)
    # a refused login: the message and the fields marked
    page.get_by_label(vi(app, "Username")).fill("admin")
    page.get_by_label(vi(app, "Password")).fill("not-the-password")
    page.get_by_role("button", name=vi(app, "Log in")).click()
    page.wait_for_load_state()
    assert page.locator(".flash").is_visible()
    assert_accessible(page)
    page.get_by_label(vi(app, "Username")).fill("admin")
    page.get_by_label(vi(app, "Password")).fill("admin-test-password")
    page.get_by_role("button", name=vi(app, "Log in")).click()
    page.wait_for_url(f"{url}/admin/")
    for path in BACK_OFFICE_PAGES + PAPER_AND_KIOSK_PAGES:
        response = page.goto(f"{url}{path}")
        assert response.status == 200, path
        assert_accessible(page)
    # the pages hold what the fixture put there, so axe saw real rows
    for path, shown in (
        ("/entry/review", format_serial(21)),
        ("/entry/stats?wave=demo", "first-typist-21"),
        ("/admin/paper", f"{format_serial(1)} – {format_serial(20)}"),
        ("/admin/devices", "Sảnh tầng 2"),
    ):
        page.goto(f"{url}{path}")
        assert shown in page.inner_text("main"), path
    # registering a kiosk shows its enrolment link and QR code once
    page.goto(f"{url}/admin/devices")
    width = page.viewport_size["width"]
    page.get_by_label(vi(app, "Name of the kiosk")).fill(f"Quầy {width}")
    page.get_by_role(
        "button", name=vi(app, "Register and show the enrolment link")
    ).click()
    page.wait_for_load_state()
    assert page.locator(".enrolment svg").count() == 1
    assert_accessible(page)
    page.screenshot(path=str(output_dir / f"admin-enrolment-{width}.png"))
    page.goto(f"{url}/admin/units")
    page.screenshot(path=str(output_dir / f"admin-units-{width}.png"), full_page=True)
    # a username with a Cyrillic "а" that looks like "admin": refused, said why
    page.goto(f"{url}/admin/users/new")
    page.get_by_label(vi(app, "Username")).fill("\u0430dmin")
    page.get_by_label(vi(app, "Role")).select_option("admin")
    page.get_by_label(vi(app, "New password"), exact=True).fill("long-enough-pass")
    page.get_by_label(vi(app, "New password again")).fill("long-enough-pass")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "ký tự vô hình" in page.inner_text("main")
    assert_accessible(page)
    page.screenshot(
        path=str(output_dir / f"admin-user-look-alike-{width}.png"), full_page=True
    )
