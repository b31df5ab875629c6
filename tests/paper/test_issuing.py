"""Printable paper forms: serials issued once and in order, the PDF a surveyor and a
respondent read, the command and the admin page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image

from sipas.extensions import db
from sipas.models import AuditEvent, PaperForm, Role, WaveStatus
from sipas.questionnaire import load_text
from sipas.questionnaire.numbering import question_numbers
from sipas.questionnaire.serials import form_code, format_serial
from sipas.reports import paper_pdf
from sipas.reports.paper_pdf import render_forms
from sipas.services.paper import issuing
from sipas.services.paper.issuing import (
    MAX_BATCH,
    PaperFormsRefused,
    batch_forms,
    forms_pdf,
    issue_forms,
    recent_batches,
)
from sipas.services.questionnaires import parsed
from tests.conftest import CSRF_PATTERN, OUTPUT_ROOT
from tests.factories import demo_target, make_unit
from tests.questionnaire.test_loader import MINIMAL
from tests.results.test_report_pdf import page_count, pdf_text

#: Page images a human can look at (gitignored).
IMAGES = OUTPUT_ROOT / "paper"

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed"
)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def reading_text(pdf: Path, first: int, last: int) -> str:
    """The pages' text in reading order (not in columns), white space squeezed."""
    text = subprocess.run(
        ["pdftotext", "-f", str(first), "-l", str(last), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return squeeze(text)


def write(tmp_path: Path, data: bytes, name: str = "forms.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def serials(forms: list[PaperForm]) -> list[int]:
    return [form.serial for form in forms]


# -- issuing ---------------------------------------------------------------------


def test_serials_run_on_across_batches_and_units(demo_app):
    wave, halong = demo_target()
    _, other = demo_target(_second_unit_code(wave, halong))
    first = issue_forms(wave, halong, 3, None)
    second = issue_forms(wave, other, 5, None)
    third = issue_forms(wave, halong, 1, None)
    db.session.commit()
    assert serials(first) == [1, 2, 3]
    assert serials(second) == [4, 5, 6, 7, 8]
    assert serials(third) == [9]
    assert len({first[0].batch, second[0].batch, third[0].batch}) == 3
    assert {form.batch for form in second} == {second[0].batch}
    stored = db.session.scalars(sa.select(PaperForm.serial)).all()
    assert sorted(stored) == list(range(1, 10))
    assert serials(batch_forms(second[0].batch)) == [4, 5, 6, 7, 8]
    assert [batch.count for batch in recent_batches()] == [1, 5, 3]
    assert recent_batches()[1].serial_range == (
        f"{format_serial(4)} – {format_serial(8)}"
    )


def _second_unit_code(wave, unit) -> str:
    return next(wu.unit.code for wu in wave.wave_units if wu.unit_id != unit.id)


def test_a_serial_taken_meanwhile_is_never_issued_twice(demo_app, monkeypatch):
    wave, unit = demo_target()
    issue_forms(wave, unit, 2, None)
    real_next = issuing._next_serial
    calls = []

    def stale_next(wave):
        # the first attempt reads the counter as another batch had not yet taken 1–2
        calls.append(wave.code)
        return 1 if len(calls) == 1 else real_next(wave)

    monkeypatch.setattr(issuing, "_next_serial", stale_next)
    forms = issue_forms(wave, unit, 2, None)
    db.session.commit()
    assert len(calls) == 2
    assert serials(forms) == [3, 4]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperForm)) == 4


def test_each_wave_numbers_its_own_forms(demo_app):
    wave, unit = demo_target()
    issue_forms(wave, unit, 2, None)
    other_wave = _copy_of(wave, "demo-2")
    assert serials(issue_forms(other_wave, unit, 2, None)) == [1, 2]


def _copy_of(wave, code: str):
    from sipas.models import Wave, WaveUnit

    copy = Wave(
        code=code,
        title=f"{wave.title} (2)",
        questionnaire=wave.questionnaire,
        status=WaveStatus.open,
    )
    copy.wave_units = [WaveUnit(unit=wu.unit) for wu in wave.wave_units]
    db.session.add(copy)
    db.session.flush()
    return copy


def test_issuing_is_audited(demo_app):
    wave, unit = demo_target()
    issue_forms(wave, unit, 1, None)
    forms = issue_forms(wave, unit, 4, None)
    event = db.session.scalar(
        sa.select(AuditEvent)
        .filter_by(action="paper.issue")
        .order_by(AuditEvent.id.desc())
    )
    assert event.object_id == forms[0].batch
    assert event.details == {
        "wave": "demo",
        "unit": unit.code,
        "count": 4,
        "first_serial": format_serial(2),
        "last_serial": format_serial(5),
    }


@pytest.mark.parametrize("count", [0, -3, MAX_BATCH + 1])
def test_a_count_outside_the_limits_is_refused(demo_app, count):
    wave, unit = demo_target()
    with pytest.raises(PaperFormsRefused, match=str(MAX_BATCH)):
        issue_forms(wave, unit, count, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperForm)) == 0


def test_a_unit_outside_the_wave_is_refused(demo_app):
    wave, _unit = demo_target()
    stranger = make_unit("HN-TT", "Trung tâm Hà Nội")
    with pytest.raises(PaperFormsRefused) as refused:
        issue_forms(wave, stranger, 10, None)
    assert "HN-TT" in refused.value.message
    assert "demo" in refused.value.message


def test_a_closed_wave_is_refused(demo_app):
    wave, unit = demo_target()
    wave.status = WaveStatus.closed
    with pytest.raises(PaperFormsRefused, match="demo"):
        issue_forms(wave, unit, 10, None)


def test_refusals_speak_vietnamese(demo_app):
    wave, unit = demo_target()
    with force_locale("vi"), pytest.raises(PaperFormsRefused) as refused:
        issue_forms(wave, unit, 0, None)
    with force_locale("vi"):
        expected = _(
            "The number of forms must be between 1 and %(most)s.", most=MAX_BATCH
        )
    assert refused.value.message == expected


# -- the PDF ---------------------------------------------------------------------


@pytest.fixture
def printed(demo_app, tmp_path):
    """Three forms of the demo wave and their PDF in Vietnamese."""
    wave, unit = demo_target()
    issue_forms(wave, unit, 4, None)  # the printed ones do not start at 1
    forms = issue_forms(wave, unit, 3, None)
    db.session.commit()
    return forms, write(tmp_path, forms_pdf(forms, "vi"))


@needs_poppler
def test_every_form_starts_on_a_page_of_its_own_with_its_serial(printed):
    forms, pdf = printed
    pages = page_count(pdf)
    assert pages % len(forms) == 0
    per_form = pages // len(forms)
    assert 2 <= per_form <= 4  # two sheets printed on both sides
    for index, form in enumerate(forms):
        serial = format_serial(form.serial)
        code = form_code("demo", form.unit.code, form.serial)
        for page in range(1, per_form + 1):
            text = squeeze(pdf_text(pdf, index * per_form + page))
            assert serial in text
            assert code in text  # printed under the barcode
            assert f"{page}/{per_form}" in text
            assert "Trung tâm" in text  # the unit's name in the header


@needs_poppler
def test_the_form_numbers_every_question_and_prints_only_criterion_codes(printed):
    forms, pdf = printed
    questionnaire = parsed(forms[0].wave.questionnaire)
    numbers = question_numbers(questionnaire)
    text = reading_text(pdf, 1, 4)
    for item in questionnaire.items:
        with force_locale("vi"):
            assert _("Question %(number)s.", number=numbers[item.code]) in text
        # a criterion's code names it in the results too; other codes are internal
        assert (f"[{item.code}]" in text) == item.is_criterion, item.code
    assert "Nơi ngồi chờ tại Bộ phận Tiếp nhận và Trả kết quả" in text
    assert "Tiếp nhận, giải quyết góp ý, phản ánh, kiến nghị" in text
    assert "01 Đất đai" in text  # 12 fields: two-digit keys
    assert "12 Lĩnh vực khác" in text
    assert "9 Không áp dụng / không có ý kiến" in text
    with force_locale("vi"):
        assert _("Question %(number)s.", number=6) + " Nơi ngồi chờ" in text
        assert text.endswith(_("Thank you very much!"))


def skip_instruction(numbers, filter_code, next_code, skip_code, values="«Có»"):
    """The printed instruction after a filter question, in Vietnamese."""
    with force_locale("vi"):
        return squeeze(
            _(
                "If question %(number)s is %(values)s, go on with question "
                "%(next)s; otherwise go to question %(skip)s.",
                number=numbers[filter_code],
                values=values,
                next=numbers[next_code],
                skip=numbers[skip_code],
            )
        )


@needs_poppler
def test_the_skip_instruction_sends_non_complainants_past_the_e_criteria(printed):
    forms, pdf = printed
    numbers = question_numbers(parsed(forms[0].wave.questionnaire))
    instruction = skip_instruction(numbers, "E_filter", "E1", "harassment")
    assert instruction in reading_text(pdf, 1, 4)
    assert numbers["harassment"] == numbers["E_filter"] + 5


def test_the_codes_drawn_are_the_form_codes(demo_app, monkeypatch):
    wave, unit = demo_target()
    forms = issue_forms(wave, unit, 3, None)
    drawn: list[str] = []
    real = paper_pdf.code_graphics

    def spy(code: str):
        drawn.append(code)
        return real(code)

    monkeypatch.setattr(paper_pdf, "code_graphics", spy)
    forms_pdf(forms, "vi")
    assert drawn == [form_code("demo", unit.code, form.serial) for form in forms]
    qr, barcode = real(drawn[0])
    assert qr.value == barcode.value == f"SIPAS:demo:{unit.code}:000001-{drawn[0][-1]}"


@needs_poppler
def test_only_be_vietnam_pro_is_embedded(printed):
    _forms, pdf = printed
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(fonts) >= 2
    for line in fonts:
        assert "BeVietnamPro" in line, line
        assert " yes yes " in line, line  # embedded, subset


@needs_poppler
def test_every_page_renders_and_the_images_are_kept(printed, tmp_path):
    forms, pdf = printed
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == page_count(pdf)
    for image in images:
        with Image.open(image) as picture:
            grey = picture.convert("L")
            dark = sum(grey.histogram()[:128])
            assert dark > 2000, image.name  # header, boxes and wording drawn
    if IMAGES.exists():
        shutil.rmtree(IMAGES)
    IMAGES.mkdir(parents=True)
    for image in images:
        shutil.copy(image, IMAGES / image.name)


@needs_poppler
def test_the_english_form_uses_the_english_wording(demo_app, tmp_path):
    wave, unit = demo_target()
    forms = issue_forms(wave, unit, 1, None)
    text = reading_text(write(tmp_path, forms_pdf(forms, "en")), 1, 4)
    assert "Question 6. The waiting area has enough seats [A1]" in text
    assert "Page 1/" in text
    assert "Nơi ngồi chờ" not in text
    # the column heads of the rating grid keep their words whole
    assert "Dissatisfied" in text
    assert "Dissatisfie d" not in text
    assert "dissat isfied" not in text


# -- the command -----------------------------------------------------------------


def test_the_command_issues_and_writes_the_forms(demo_app, tmp_path):
    runner = demo_app.test_cli_runner()
    out = tmp_path / "phieu.pdf"
    _wave, unit = demo_target()
    result = runner.invoke(
        args=["sipas", "paper", "demo", unit.code, "--count", "3", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert format_serial(1) in result.output
    assert format_serial(3) in result.output
    assert str(out) in result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperForm)) == 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nope", "QN-HALONG-TT", "--count", "3"], "nope"),
        (["demo", "NOPE", "--count", "3"], "NOPE"),
        (["demo", "QN-HALONG-TT", "--count", "0"], str(MAX_BATCH)),
        (["demo", "QN-HALONG-TT", "--count", "3", "--language", "fr"], "fr"),
    ],
)
def test_the_command_refuses_with_exit_1(demo_app, tmp_path, arguments, message):
    runner = demo_app.test_cli_runner()
    out = tmp_path / "phieu.pdf"
    result = runner.invoke(args=["sipas", "paper", *arguments, "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.output
    assert not out.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperForm)) == 0


# -- the page --------------------------------------------------------------------


def _issue_on_the_page(client, count: int):
    """Open the page, then post its form for the demo centre."""
    page = client.get("/admin/paper")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "QN-HALONG-TT" in html
    _wave, unit = demo_target()
    token = CSRF_PATTERN.search(html).group(1)
    return client.post(
        "/admin/paper?wave=demo",
        data={"csrf_token": token, "unit": unit.id, "count": count, "language": "vi"},
    )


def test_the_admin_issues_and_downloads_forms(demo_client, login_as):
    login_as(demo_client, Role.admin)
    response = _issue_on_the_page(demo_client, 2)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    assert serials(list(db.session.scalars(sa.select(PaperForm)))) == [1, 2]
    listing = demo_client.get("/admin/paper").get_data(as_text=True)
    assert format_serial(1) in listing
    assert format_serial(2) in listing


def test_the_page_refuses_a_bad_count(demo_client, login_as):
    login_as(demo_client, Role.admin)
    response = _issue_on_the_page(demo_client, 0)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperForm)) == 0


def test_a_batch_prints_again_with_the_same_serials(demo_client, login_as):
    admin = login_as(demo_client, Role.admin)
    wave, unit = demo_target()
    forms = issue_forms(wave, unit, 2, admin)
    db.session.commit()
    response = demo_client.get(f"/admin/paper/{forms[0].batch}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperForm)) == 2
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="paper.reprint"))
    assert event.user_id == admin.id
    assert event.details["first_serial"] == format_serial(1)
    assert demo_client.get("/admin/paper/nosuchbatch.pdf").status_code == 404


@pytest.mark.parametrize("role", [Role.analyst, Role.surveyor])
def test_only_admins_print_forms(demo_client, login_as, role):
    wave, unit = demo_target()
    forms = issue_forms(wave, unit, 1, None)
    db.session.commit()
    login_as(demo_client, role, unit=unit)
    assert demo_client.get("/admin/paper").status_code == 403
    assert demo_client.get(f"/admin/paper/{forms[0].batch}.pdf").status_code == 403


@needs_poppler
def test_any_questionnaire_prints_numbers_text_and_a_skip_to_the_end(app, tmp_path):
    text = MINIMAL.replace(
        """      - {code: filter,""",
        """      - {code: visits, type: number, min_value: 0, max_value: 120,
         label: {vi: "Số lần đến", en: "Visits"}}
      - {code: filter,""",
    ).replace(
        """      - {code: comment, type: text, max_length: 50,""",
        """      - {code: comment, type: text, max_length: 50,
         show_if: {item: filter, in: ["yes"]},""",
    )
    questionnaire = load_text(text, "mini.yaml").questionnaire
    assert [item.code for item in questionnaire.items] == [
        "visits",
        "filter",
        "A1",
        "comment",
    ]
    wave = SimpleNamespace(code="w1", title="Đợt thử")
    unit = SimpleNamespace(code="U1", name="Đơn vị thử")
    forms = [SimpleNamespace(serial=41), SimpleNamespace(serial=42)]
    pdf = write(tmp_path, render_forms(questionnaire, wave, unit, forms, "vi"))
    assert page_count(pdf) == 2
    with force_locale("vi"):
        skip = _(
            "If question %(number)s is %(values)s, go on with question "
            "%(next)s; otherwise the form is finished.",
            number=2,
            values="«Có»",
            next=3,
        )
        condition = _(
            "Answer only if question %(number)s is %(values)s.", number=2, values="«Có»"
        )
    page = reading_text(pdf, 2, 2)
    assert format_serial(42) in page
    assert "Câu 1. Số lần đến" in page
    assert "[visits]" not in page
    assert squeeze(skip) in page
    assert page.count(squeeze(condition)) == 2  # A1 and comment
    assert "SIPAS:w1:U1:" + format_serial(42) in page
