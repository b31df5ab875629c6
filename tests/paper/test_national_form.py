"""The national form (sipas-2023) on paper: every page of a form renders legibly
(looked at under test-output/paper-national/), a form takes whole sheets, batteries
of questions are grids, the skip instructions number the right questions, and the
code printed under the barcode opens the form on the entry screen."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image

from sipas.extensions import db
from sipas.models import PaperForm, Role
from sipas.questionnaire.numbering import question_numbers
from sipas.questionnaire.serials import format_serial, parse_form_code
from sipas.services.questionnaires import parsed
from sipas.services.units.lookup import unit_by_code
from tests.conftest import OUTPUT_ROOT
from tests.factories import make_national_wave
from tests.paper.test_issuing import (
    needs_poppler,
    reading_text,
    skip_instruction,
)
from tests.results.test_report_pdf import page_count, pdf_text

#: Page images a human can look at (gitignored).
IMAGES = OUTPUT_ROOT / "paper-national"
UNIT = "QN-HALONG-TT"


@pytest.fixture
def printed(demo_app, tmp_path):
    """Two forms of the national round printed by `flask sipas paper` in
    Vietnamese: the round, its forms and the PDF."""
    wave = make_national_wave()
    pdf = tmp_path / "forms.pdf"
    result = demo_app.test_cli_runner().invoke(
        args=["sipas", "paper", wave.code, UNIT, "--count", "2", "-o", str(pdf)]
    )
    assert result.exit_code == 0, result.output
    forms = db.session.scalars(sa.select(PaperForm).order_by(PaperForm.serial)).all()
    return wave, forms, pdf


@needs_poppler
def test_every_page_renders_and_a_form_takes_whole_sheets(printed, tmp_path):
    _wave, forms, pdf = printed
    pages = page_count(pdf)
    per_form = pages // len(forms)
    assert pages == per_form * len(forms)
    assert per_form % 2 == 0  # printed on both sides, no sheet shared by two forms
    assert per_form <= 10
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    for image in images:
        with Image.open(image) as picture:
            dark = sum(picture.convert("L").histogram()[:128])
            assert dark > 2000, image.name
    if IMAGES.exists():
        shutil.rmtree(IMAGES)
    IMAGES.mkdir(parents=True)
    for image in images[:per_form]:
        shutil.copy(image, IMAGES / image.name)


@pytest.fixture
def form_text(printed):
    """The questionnaire, its question numbers and the first form's text."""
    wave, _forms, pdf = printed
    questionnaire = parsed(wave.questionnaire)
    text = reading_text(pdf, 1, page_count(pdf) // 2)
    return questionnaire, question_numbers(questionnaire), text


@needs_poppler
def test_every_question_is_printed_once_with_its_number(form_text):
    questionnaire, numbers, text = form_text
    with force_locale("vi"):
        for item in questionnaire.items:
            label = _("Question %(number)s.", number=numbers[item.code])
            assert text.count(label + " ") == 1, item.code
    # 27 sections: Roman numerals all the way
    assert "XXVII. Nhu cầu, mong đợi của Ông/Bà" in text
    assert "XXI. Những hạn chế khi giải quyết thủ tục hành chính" in text


@needs_poppler
def test_perceptions_and_needs_are_grids_of_their_options(form_text):
    _questionnaire, numbers, text = form_text
    # a grid names its options once, in its head, not under every question
    assert text.count("Không có") == 10  # the nine policy groups and the services
    assert text.count("Rất cần thiết") == 1
    with force_locale("vi"):
        first = _("Question %(number)s.", number=numbers["P1_N1"])
    assert f"1 Không có 2 Một số 3 Nhiều {first}" in text


@needs_poppler
def test_a_non_user_is_sent_on_to_the_needs(form_text):
    _questionnaire, numbers, text = form_text
    instruction = skip_instruction(numbers, "used_service", "submission_channel", "NC1")
    assert instruction in text


@needs_poppler
def test_the_printed_code_opens_its_form_on_the_entry_screen(
    printed, demo_app, login_as
):
    wave, forms, pdf = printed
    per_form = page_count(pdf) // len(forms)
    client = demo_app.test_client()
    login_as(client, Role.surveyor, unit=unit_by_code("QN"))
    for index, form in enumerate(forms):
        page = pdf_text(pdf, index * per_form + 1)
        printed_code = re.search(r"SIPAS:\S+", page).group(0)
        code = parse_form_code(printed_code)
        assert (code.wave_code, code.unit_code, code.serial) == (
            wave.code,
            UNIT,
            form.serial,
        )
        opened = client.get("/entry/open", query_string={"serial": printed_code})
        assert opened.status_code == 302
        assert opened.location.endswith(f"?serial={format_serial(form.serial)}")
        entry = client.get(opened.location).get_data(as_text=True)
        assert 'id="k-P1_N1"' in entry
        assert 'id="k-NC10"' in entry


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
