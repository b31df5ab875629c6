"""QR posters: the PDF a citizen reads from two metres, the QR code's address, the
admin page and the command."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image

from sipas.extensions import db
from sipas.models import AuditEvent, Role, Unit, Wave, WaveStatus
from sipas.reports import poster_pdf
from sipas.reports.poster_pdf import qr_code, render_posters, survey_url
from sipas.services.waves.lookup import units_of
from tests.conftest import CSRF_PATTERN, OUTPUT_ROOT
from tests.factories import demo_target, make_unit
from tests.paper.test_issuing import needs_poppler, squeeze, write
from tests.results.test_report_pdf import page_count

#: Page images a human can look at (gitignored).
IMAGES = OUTPUT_ROOT / "posters"
BASE = "https://khaosat.quangninh.gov.vn"


#: What the Vietnamese poster must say (once the lead has merged the catalogue).
VIETNAMESE = {
    "Open the camera of your phone.": "Mở camera trên điện thoại.",
    "Point it at the QR code above and tap the link that appears.": (
        "Hướng camera vào mã QR ở trên và chạm vào đường dẫn hiện ra."
    ),
    "Answer the questions: it takes about 5 minutes.": (
        "Trả lời các câu hỏi, chỉ mất khoảng 5 phút."
    ),
    "Anonymous: we do not ask your name or phone number.": (
        "Phiếu ẩn danh: không hỏi họ tên, số điện thoại."
    ),
}
STEPS = list(VIETNAMESE)


def reading_text(pdf: Path, page: int | None = None) -> str:
    """The text in reading order, white space squeezed."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return squeeze(
        subprocess.run(
            ["pdftotext", *pages, str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


LONG_NAME = (
    "Bộ phận Tiếp nhận và Trả kết quả giải quyết thủ tục hành chính — "
    "Ủy ban nhân dân xã Quảng Tân, huyện Đầm Hà, tỉnh Quảng Ninh"
)


@pytest.fixture
def wave_batch(demo_app, tmp_path):
    """The demo wave's posters (one more unit with a very long name added)."""
    wave, _unit = demo_target()
    long_unit = make_unit("QN-DAMHA-QT", LONG_NAME)
    wave.wave_units.append(
        type(wave.wave_units[0])(unit=long_unit, population=100, target_sample=10)
    )
    db.session.flush()
    units = units_of(wave)
    pdf = write(tmp_path, render_posters(units, BASE + "/", wave=wave))
    return wave, units, pdf


# -- the address in the QR code ----------------------------------------------------


def test_the_address_is_absolute_and_built_from_the_base_url():
    assert survey_url(BASE, "QN-HALONG-TT") == f"{BASE}/s/QN-HALONG-TT"
    assert survey_url(BASE + "/", "QN-HALONG-TT") == f"{BASE}/s/QN-HALONG-TT"
    assert survey_url("http://10.0.0.5:8000/sipas/", "A B") == (
        "http://10.0.0.5:8000/sipas/s/A%20B"
    )


def test_the_qr_code_holds_the_address():
    widget = qr_code(f"{BASE}/s/QN-HALONG-TT")
    assert widget.value == f"{BASE}/s/QN-HALONG-TT"
    assert widget.barLevel == "M"


def test_each_page_draws_the_qr_code_of_its_unit(demo_app, monkeypatch):
    drawn: list[str] = []
    real = poster_pdf.qr_code

    def spy(url: str):
        drawn.append(url)
        return real(url)

    monkeypatch.setattr(poster_pdf, "qr_code", spy)
    units = [SimpleNamespace(code=code, name=code) for code in ("U-1", "U-2")]
    render_posters(units, BASE)
    assert drawn == [f"{BASE}/s/U-1", f"{BASE}/s/U-2"]


def test_the_qr_code_is_at_least_9_cm_wide(demo_app, monkeypatch):
    sizes: list[float] = []
    real = poster_pdf.draw_qr

    def spy(canvas, qr, x, y, size):
        sizes.append(size)
        real(canvas, qr, x, y, size)

    monkeypatch.setattr(poster_pdf, "draw_qr", spy)
    units = [
        SimpleNamespace(code="QN-1", name="Trung tâm"),
        SimpleNamespace(code="QN-2", name=LONG_NAME * 2),
    ]
    wave = SimpleNamespace(
        title="Đợt 1", starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31)
    )
    render_posters(units, BASE, wave=wave)
    assert len(sizes) == 2
    assert all(size >= 9 / 2.54 * 72 - 0.01 for size in sizes)


def test_no_unit_no_poster(demo_app):
    with pytest.raises(ValueError, match="no units"):
        render_posters([], BASE)


# -- the PDF -------------------------------------------------------------------------


@needs_poppler
def test_the_poster_says_what_a_citizen_needs(wave_batch):
    wave, units, pdf = wave_batch
    with force_locale("vi"):
        steps = [_(text) for text in STEPS]
        headline = _("Are you satisfied with our service?")
    for number, unit in enumerate(units, start=1):
        text = reading_text(pdf, number)
        assert squeeze(unit.name) in text
        assert f"{BASE}/s/{unit.code}" in text
        for step in [headline, *steps]:
            assert step in text
        assert wave.title in text
    long_page = reading_text(pdf, [u.code for u in units].index("QN-DAMHA-QT") + 1)
    assert LONG_NAME in long_page


@needs_poppler
def test_the_instructions_are_in_vietnamese(wave_batch):
    with force_locale("vi"):
        if _(STEPS[0]) == STEPS[0]:
            pytest.skip("the poster messages are not in translations/vi yet")
    _wave, units, pdf = wave_batch
    text = reading_text(pdf, 1)
    for vietnamese in VIETNAMESE.values():
        assert vietnamese in text
    assert "Đợt khảo sát:" in text


@needs_poppler
def test_the_english_poster(demo_app, tmp_path):
    _wave, unit = demo_target()
    pdf = write(tmp_path, render_posters([unit], BASE, language="en"))
    text = reading_text(pdf)
    assert "Are you satisfied with our service?" in text
    for step in STEPS:
        assert step in text
    assert unit.name in text


@needs_poppler
def test_a_wave_batch_has_one_page_per_unit(wave_batch):
    _wave, units, pdf = wave_batch
    assert len(units) >= 3
    assert page_count(pdf) == len(units)


def test_the_layout_tells_its_progress_page_by_page(demo_app):
    wave, _unit = demo_target()
    units = units_of(wave)
    heard: list[tuple[int, int]] = []
    render_posters(units, BASE, wave=wave, progress=lambda *told: heard.append(told))
    assert heard == [(done, len(units)) for done in range(1, len(units) + 1)]


@needs_poppler
def test_only_be_vietnam_pro_is_embedded(wave_batch):
    _wave, _units, pdf = wave_batch
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    # subset names look like "AAAAAA+BeVietnamPro-Bold"
    assert {line.split()[0].split("+")[-1] for line in fonts} == {
        "BeVietnamPro-Regular",
        "BeVietnamPro-Bold",
    }
    assert all(" yes yes " in line for line in fonts), fonts  # embedded, subset


@needs_poppler
def test_every_page_renders_and_the_images_are_kept(wave_batch, tmp_path):
    _wave, units, pdf = wave_batch
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(units)
    for image in images:
        with Image.open(image) as picture:
            grey = picture.convert("L")
            # portrait A4, and a good share of the page dark (the QR code alone is
            # several percent of it)
            assert picture.height > picture.width
            dark = sum(grey.histogram()[:128])
            assert dark > 0.08 * picture.width * picture.height, image.name
    shutil.rmtree(IMAGES, ignore_errors=True)
    IMAGES.mkdir(parents=True)
    for image in images:
        shutil.copy(image, IMAGES / image.name)
    # one page at a resolution to check it scans
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-singlefile", "-f", "1", "-l", "1"]
        + [str(pdf), str(IMAGES / "poster-1-100dpi")],
        check=True,
    )


# -- the page ------------------------------------------------------------------------


def _download(client, **data):
    page = client.get("/admin/posters")
    assert page.status_code == 200
    token = CSRF_PATTERN.search(page.get_data(as_text=True)).group(1)
    return client.post(
        "/admin/posters", data={"csrf_token": token, "language": "vi", **data}
    )


def _poster_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(sa.select(AuditEvent).filter_by(action="poster.pdf"))
    )


@needs_poppler
def test_the_admin_downloads_the_poster_of_a_unit(demo_client, login_as, tmp_path):
    admin = login_as(demo_client, Role.admin)
    _wave, unit = demo_target()
    page = demo_client.get("/admin/posters").get_data(as_text=True)
    assert unit.code in page
    assert "http://localhost/s/" in page  # the request's address, no setting
    response = _download(demo_client, scope="unit", unit=unit.code)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"sipas-poster-{unit.code}.pdf" in response.headers["Content-Disposition"]
    pdf = write(tmp_path, response.data)
    assert page_count(pdf) == 1
    assert f"http://localhost/s/{unit.code}" in reading_text(pdf)
    [event] = _poster_events()
    assert event.user_id == admin.id
    assert (event.object_type, event.object_id) == ("unit", unit.code)
    assert event.details["units"] == 1


@needs_poppler
def test_the_admin_downloads_a_wave_batch_at_the_public_address(
    demo_app, login_as, tmp_path
):
    demo_app.config["PUBLIC_BASE_URL"] = BASE
    client = demo_app.test_client()
    login_as(client, Role.admin)
    wave, _unit = demo_target()
    units = units_of(wave)
    response = _download(client, scope="wave", wave=wave.code, language="en")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = write(tmp_path, response.data)
    assert page_count(pdf) == len(units)
    text = reading_text(pdf)
    assert f"{BASE}/s/{units[-1].code}" in text
    assert "Open the camera of your phone." in text
    [event] = _poster_events()
    assert (event.object_type, event.object_id) == ("wave", wave.code)
    assert event.details == {
        "wave": wave.code,
        "units": len(units),
        "language": "en",
        "base_url": BASE,
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"scope": "unit", "unit": ""}, "unit"),
        ({"scope": "wave", "wave": ""}, "wave"),
        ({"scope": "unit", "unit": "NO-SUCH-UNIT"}, "unit"),
        ({"scope": "wave", "wave": "no-such-wave"}, "wave"),
        ({"scope": "everything"}, "scope"),
    ],
)
def test_the_page_refuses_a_missing_or_unknown_choice(
    demo_client, login_as, data, field
):
    login_as(demo_client, Role.admin)
    response = _download(demo_client, **data)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert _poster_events() == []


@pytest.fixture
def empty_wave(demo_app) -> Wave:
    """A draft survey round without units."""
    wave = Wave(
        code="empty",
        title="Đợt trống",
        questionnaire=demo_target()[0].questionnaire,
        status=WaveStatus.draft,
    )
    db.session.add(wave)
    db.session.commit()
    return wave


def test_a_wave_without_units_is_refused_on_the_page(demo_client, login_as, empty_wave):
    login_as(demo_client, Role.admin)
    response = _download(demo_client, scope="wave", wave="empty")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    with force_locale("vi"):
        message = _("This survey round has no units yet.")
    assert message in response.get_data(as_text=True)
    assert _poster_events() == []


def test_closed_units_and_closed_waves_are_not_offered(demo_client, login_as):
    login_as(demo_client, Role.admin)
    gone = make_unit("QN-GONE", "Đơn vị đã giải thể")
    gone.valid_to = date(2020, 1, 1)
    wave, _unit = demo_target()
    closed = Wave(
        code="old",
        title="Đợt cũ",
        questionnaire=wave.questionnaire,
        status=WaveStatus.closed,
    )
    db.session.add(closed)
    db.session.commit()
    html = demo_client.get("/admin/posters").get_data(as_text=True)
    assert 'value="QN-GONE"' not in html
    assert 'value="old"' not in html
    assert f'value="{wave.code}"' in html


# -- the command ---------------------------------------------------------------------


@needs_poppler
def test_the_command_writes_a_unit_poster(demo_app, runner, tmp_path):
    _wave, unit = demo_target()
    out = tmp_path / "poster.pdf"
    result = runner.invoke(
        args=["sipas", "posters", "--unit", unit.code, "-o", str(out)]
        + ["--base-url", BASE, "--language", "en"]
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    assert page_count(out) == 1
    text = reading_text(out)
    assert f"{BASE}/s/{unit.code}" in text
    assert "Open the camera of your phone." in text
    [event] = _poster_events()
    assert event.user_id is None
    assert event.object_id == unit.code


@needs_poppler
def test_the_command_writes_a_wave_batch_at_the_configured_address(
    demo_app, runner, tmp_path
):
    demo_app.config["PUBLIC_BASE_URL"] = BASE
    wave, _unit = demo_target()
    out = tmp_path / "posters.pdf"
    result = runner.invoke(
        args=["sipas", "posters", "--wave", wave.code, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    units = units_of(wave)
    assert page_count(out) == len(units)
    assert f"{BASE}/s/{units[0].code}" in reading_text(out, 1)
    assert f"Đang dàn trang {len(units)} áp phích" in result.stderr  # its bar


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "--unit"),
        (["--unit", "QN-HALONG-TT", "--wave", "demo"], "--unit"),
        (["--unit", "QN-HALONG-TT", "--base-url", BASE, "--language", "fr"], "fr"),
        (["--unit", "NOPE", "--base-url", BASE], "NOPE"),
        (["--wave", "nope", "--base-url", BASE], "nope"),
        (["--unit", "QN-HALONG-TT"], "--base-url"),
        (["--unit", "QN-HALONG-TT", "--base-url", "khaosat.gov.vn"], "http"),
    ],
)
def test_the_command_refuses_bad_arguments(
    demo_app, runner, tmp_path, arguments, message
):
    out = tmp_path / "posters.pdf"
    result = runner.invoke(args=["sipas", "posters", *arguments, "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists()
    assert _poster_events() == []


def test_the_command_refuses_a_wave_without_units(empty_wave, runner, tmp_path):
    out = tmp_path / "posters.pdf"
    result = runner.invoke(
        args=["sipas", "posters", "--wave", "empty", "--base-url", BASE, "-o", str(out)]
    )
    assert result.exit_code == 1
    assert not out.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) > 0


@needs_poppler
def test_the_printed_modules_are_those_of_the_address(demo_app, monkeypatch, tmp_path):
    """Rendered at 100 dpi, the centre of every module is dark exactly where the QR
    code of the unit's address has a dark module (what a phone camera reads)."""
    drawn: list[tuple] = []
    real = poster_pdf.draw_qr

    def spy(canvas, qr, x, y, size):
        drawn.append((qr, x, y, size))
        real(canvas, qr, x, y, size)

    monkeypatch.setattr(poster_pdf, "draw_qr", spy)
    _wave, unit = demo_target()
    pdf = write(tmp_path, render_posters([unit], BASE))
    [(qr, x, y, size)] = drawn
    assert qr.value == f"{BASE}/s/{unit.code}"
    dpi = 100
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf)]
        + [str(tmp_path / "page")],
        check=True,
    )
    modules = qr.qr.modules
    step = size / len(modules)
    scale = dpi / 72
    with Image.open(tmp_path / "page.png") as picture:
        grey = picture.convert("L")
        for row, cells in enumerate(modules):
            for column, dark in enumerate(cells):
                px = (x + (column + 0.5) * step) * scale
                py = (poster_pdf.PAGE_HEIGHT - (y + size - (row + 0.5) * step)) * scale
                assert (grey.getpixel((int(px), int(py))) < 128) == bool(dark), (
                    row,
                    column,
                )
        # and a quiet zone of white around it
        left = int((x - 2 * step) * scale)
        top = int((poster_pdf.PAGE_HEIGHT - y - size - 2 * step) * scale)
        assert grey.getpixel((left, top)) > 200
