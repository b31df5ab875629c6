"""The PDF report: headings and figures as the dashboard shows them, the embedded
font covering every character, pages that render, the route and the command."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.i18n import format_percent
from sipas.models import AuditEvent, Role, Unit, UnitLevel, Wave, WaveUnit
from sipas.reports.fonts import missing_characters
from sipas.reports.pdf import render, render_report
from sipas.reports.pdf_findings import change_text, significance_text
from sipas.reports.pdf_heading import Masthead, dateline
from sipas.services import synthetic
from sipas.services.results.report import report_pdf, report_results
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code
from tests.conftest import OUTPUT_ROOT
from tests.factories import (
    filled_demo_wave,
    make_exit_survey,
    make_previous_wave,
    sample_whole_centres,
)

#: Page images a human can look at (gitignored).
IMAGES = OUTPUT_ROOT / "report"

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed"
)


def pdf_text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", "-layout", *pages, str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def page_count(pdf: Path) -> int:
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def page_texts(pdf: Path) -> list[str]:
    return [pdf_text(pdf, k) for k in range(1, page_count(pdf) + 1)]


def keep_page(pdf: Path, page: int, name: str) -> None:
    """Save one page as an image in test-output/report/ for a human to look at."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    target = IMAGES / name
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "60",
            "-png",
            "-singlefile",
            "-f",
            str(page),
            "-l",
            str(page),
            str(pdf),
            str(target.with_suffix("")),
        ],
        check=True,
    )
    assert target.exists()


def write(tmp_path: Path, data: bytes, name: str = "report.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.fixture
def filled_wave(demo_app):
    return filled_demo_wave(900, seed=5)


def titles() -> dict[str, str]:
    """Section titles as the Vietnamese report prints them."""
    with force_locale("vi"):
        return {
            "heading": _("SOCIALIST REPUBLIC OF VIET NAM"),
            "motto": _("Independence - Freedom - Happiness"),
            "report": _("REPORT"),
            "I": "I. " + _("General information and sample"),
            "II": "II. " + _("Overall results and results by factor"),
            "III": "III. " + _("Results by criterion"),
            "IV": "IV. " + _("Ranking of units"),
            "V": "V. " + _("Perceptions and expectations"),
            "VI": "VI. " + _("Comparison with the previous survey round"),
            "appendix_method": _("Appendix 1. Method"),
            "appendix_questionnaire": _("Appendix 2. Questionnaire"),
            "no_previous": _(
                "There is no earlier survey round of this questionnaire to "
                "compare with."
            ),
        }


def squeeze(text: str) -> str:
    """Text with runs of white space (layout columns, line ends) made one space."""
    return re.sub(r"\s+", " ", text)


def test_the_report_shows_the_headings_and_the_dashboard_figures(filled_wave, tmp_path):
    pdf = write(tmp_path, report_pdf(filled_wave, None, "vi"))
    text = pdf_text(pdf)
    flat = squeeze(text)
    for title in titles().values():
        assert squeeze(title) in flat, title
    results = report_results(filled_wave, None, "vi")
    with force_locale("vi"):
        expected = [
            format_percent(results.indices.overall.estimate.value),
            *(format_percent(f.estimate.value) for f in results.indices.factors),
            format_percent(results.indices.criteria[0].estimate.value),
            format_percent(results.ranking[0].overall.estimate.value),
            format_percent(results.ranking[-1].overall.estimate.value),
        ]
    assert "," in expected[0]  # the Vietnamese decimal comma, as on the dashboard
    for figure in expected:
        assert figure in text, figure
    # a name too long for its cell wraps, and layout text interleaves the columns
    shortest = min(results.ranking, key=lambda ranked: len(ranked.unit.name))
    assert shortest.unit.name in flat
    assert "UBND TỈNH QUẢNG NINH" in text
    assert "Quảng Ninh" in flat


def test_the_font_is_embedded_and_covers_every_character(filled_wave, tmp_path):
    sample_whole_centres(filled_wave)  # so that the ranking draws its † too
    pdf = write(tmp_path, report_pdf(filled_wave, None, "vi"))
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts
    for line in fonts:
        assert "BeVietnamPro" in line, line
        assert " yes yes " in line, line  # embedded, subset
        assert "Type 1" not in line
        assert "Helvetica" not in line
    drawn = pdf_text(pdf)
    assert "ộ" in drawn
    assert "†" in drawn  # whole centres sampled: no ≈ here
    assert missing_characters(drawn) == set()
    assert missing_characters("▲") == {"▲"}  # the check can fail


def test_every_page_renders_and_one_image_per_section_is_kept(filled_wave, tmp_path):
    pdf = write(tmp_path, report_pdf(filled_wave, None, "vi"))
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True
    )
    images = sorted(tmp_path.glob("page-*.png"))
    texts = page_texts(pdf)
    assert len(images) == len(texts) >= 6
    assert all(image.stat().st_size > 5000 for image in images)
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, title in titles().items():
        if name in {"heading", "motto", "report", "no_previous"}:
            continue
        page = next(k for k, t in enumerate(texts) if squeeze(title) in squeeze(t))
        shutil.copy(images[page], IMAGES / f"{name}.png")
    assert len(list(IMAGES.glob("*.png"))) >= 8


def _wide_wave(demo_app, provinces: int = 34) -> Wave:
    """A wave over ``provinces`` provinces of one centre each, under one country."""
    country = Unit(code="VN", name="Việt Nam", level=UnitLevel.province)
    base = wave_by_code("demo")
    wave = Wave(
        code="national",
        title="Khảo sát toàn quốc",
        questionnaire=base.questionnaire,
        starts_on=date(2026, 3, 1),
        strata_level=None,
        psu_level=UnitLevel.centre,
    )
    for k in range(provinces):
        province = Unit(
            code=f"P{k:02d}",
            # long names wrap in their cell: the table cannot fit on one page
            name=f"Tỉnh Thử Nghiệm {k + 1} vùng Trung du và miền núi phía Bắc",
            level=UnitLevel.province,
        )
        province.parent = country
        centre = Unit(
            code=f"P{k:02d}-TT",
            name=f"Trung tâm Phục vụ hành chính công tỉnh số {k + 1}",
            level=UnitLevel.centre,
            parent=province,
        )
        wave.wave_units.append(WaveUnit(unit=centre, population=1000 + 50 * k))
    db.session.add_all([country, wave])
    db.session.flush()
    synthetic.add_demo_responses(wave, 34 * 25, seed=11)
    db.session.commit()
    return wave


def test_a_34_province_ranking_takes_more_pages_and_repeats_its_header(
    demo_app, tmp_path
):
    wave = _wide_wave(demo_app)
    results = report_results(wave, None, "vi")
    assert len(results.ranking) == 34
    head = Masthead(("UBND",), "Hà Nội", date(2026, 11, 25))
    long = write(tmp_path, render(results, head).data, "long.pdf")
    three = [
        dataclasses.replace(r, tied_with_next=False, untestable_with_next=False)
        for r in results.ranking[:3]
    ]
    short_results = dataclasses.replace(results, ranking=tuple(three))
    short = write(tmp_path, render(short_results, head).data, "short.pdf")
    tied = [dataclasses.replace(three[0], tied_with_next=True), *three[1:]]
    with_tie = dataclasses.replace(results, ranking=tuple(tied))
    marked = write(tmp_path, render(with_tie, head).data, "tie.pdf")
    assert page_count(long) > page_count(short)
    with force_locale("vi"):
        header = re.compile(rf"{_('Unit')}\s+{_('Responses')}\s+SIPAS")
    # the mark, and the note that explains it
    assert pdf_text(marked).count("≈") == pdf_text(short).count("≈") + 2
    texts = page_texts(long)
    pages_with_header = [k for k, t in enumerate(texts) if header.search(t)]
    assert len(pages_with_header) >= 2
    for position, page in enumerate(pages_with_header[:2], start=1):
        keep_page(long, page + 1, f"IV-34-units-{position}.png")
    for page in (2, 3):  # the summary's ranking and heat map of 34 provinces
        keep_page(long, page, f"summary-34-units-{page}.png")
    text = pdf_text(long)
    known = [
        r
        for r in results.ranking
        if r.overall.estimate.value == r.overall.estimate.value
    ]
    for ranked in (known[0], known[-1]):
        with force_locale("vi"):
            assert format_percent(ranked.overall.estimate.value) in text


def test_dates_are_written_the_administrative_way(app):
    with force_locale("vi"):
        text = dateline("Quảng Ninh", date(2026, 2, 5))
        assert "05" in text
        assert "02" in text
        assert "2026" in text
        later = dateline("Quảng Ninh", date(2026, 11, 25))
        assert "25" in later
        assert "11" in later
        assert "011" not in later


def test_the_command_writes_the_report_and_says_how_far_it_got(filled_wave, tmp_path):
    runner = filled_wave and __import__("flask").current_app.test_cli_runner()
    output = tmp_path / "out.pdf"
    result = runner.invoke(
        args=["sipas", "report", "demo", "--unit", "QN-HALONG", "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith(b"%PDF")
    with force_locale("vi"):
        assert _("Computing the results…") in result.stderr
        assert _("Laying out the pages…") in result.stderr
        written = _(
            "Written %(path)s (%(pages)s pages)",
            path=output,
            pages=page_count(output),
        )
    assert written in result.stderr
    assert "Phường Hạ Long" in squeeze(pdf_text(output))
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="report.pdf"))
    assert event.details["unit"] == "QN-HALONG"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["nowave"], "nowave"),
        (["demo", "--unit", "NOUNIT"], "NOUNIT"),
        (["demo"], None),  # a wave without responses
    ],
)
def test_the_command_refuses_an_unknown_wave_or_unit(demo_app, tmp_path, args, code):
    runner = demo_app.test_cli_runner()
    output = tmp_path / "out.pdf"
    result = runner.invoke(args=["sipas", "report", *args, "-o", str(output)])
    assert result.exit_code == 1
    with force_locale("vi"):
        empty = _("This survey round has no response in this scope yet.")
    assert (code or empty) in result.stderr
    assert not output.exists()


def test_a_wave_without_responses_sends_the_admin_back_with_a_message(
    demo_client, login_as
):
    login_as(demo_client, Role.admin)
    response = demo_client.get("/admin/results/demo/report.pdf")
    assert response.status_code == 302


def test_an_admin_downloads_the_report_of_a_subtree(demo_app, filled_wave, login_as):
    client = demo_app.test_client()
    login_as(client, Role.admin)
    response = client.get("/admin/results/demo/report.pdf?unit=QN-HALONG")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "sipas-demo-QN-HALONG.pdf" in disposition
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="report.pdf"))
    assert event.object_id == "demo"
    assert event.details["unit"] == "QN-HALONG"


def test_report_access_follows_role_and_scope(demo_client, filled_wave, login_as):
    url = "/admin/results/demo/report.pdf"
    anonymous = demo_client.get(url)
    assert anonymous.status_code == 302
    assert "/auth/login" in anonymous.location
    login_as(demo_client, Role.analyst, unit=unit_by_code("QN-HALONG"))
    assert demo_client.get(url + "?unit=QN-CAMPHA").status_code == 403
    assert demo_client.get(url + "?unit=NOUNIT").status_code == 404
    assert demo_client.get("/admin/results/nowave/report.pdf").status_code == 404
    own = demo_client.get(url)  # an analyst gets the report of their own unit
    assert own.status_code == 200
    assert "sipas-demo-QN-HALONG.pdf" in own.headers["Content-Disposition"]


def test_a_surveyor_cannot_download_the_report(demo_client, filled_wave, login_as):
    login_as(demo_client, Role.surveyor, unit=unit_by_code("QN-HALONG"))
    assert demo_client.get("/admin/results/demo/report.pdf").status_code == 403


def test_the_change_since_the_previous_wave_is_reported(filled_wave, tmp_path):
    make_previous_wave(filled_wave, 400, seed=8, title="Đợt khảo sát năm 2025")
    db.session.commit()
    results = report_results(filled_wave, None, "vi")
    overall = next(c for c in results.changes if c.code == "overall")
    pdf = write(tmp_path, report_pdf(filled_wave, None, "vi"))
    texts = page_texts(pdf)
    with force_locale("vi"):
        title = "VI. " + _("Comparison with the previous survey round")
        page = next(k for k, t in enumerate(texts) if title in squeeze(t))
        section = squeeze(" ".join(texts[page:]))
        assert "Đợt khảo sát năm 2025" in section
        assert change_text(overall) in section
        assert format_percent(overall.previous.estimate.value) in section
        # the words may wrap inside their cell; the p-value stays on one line
        p_value = re.search(r"\(p\s[=<]\s[0-9,]+\)", significance_text(overall))
        assert squeeze(p_value.group(0)) in section
        assert _("There is no earlier survey round") not in section
    keep_page(pdf, page + 1, "VI-with-previous-wave.png")


def test_the_issuing_body_and_place_come_from_the_settings(
    demo_app, filled_wave, tmp_path
):
    demo_app.config["REPORT_ISSUER"] = "UBND TỈNH QUẢNG NINH\nSỞ NỘI VỤ"
    demo_app.config["REPORT_PLACE"] = "Hạ Long"
    text = pdf_text(
        write(tmp_path, report_pdf(filled_wave, unit_by_code("QN-HALONG"), "vi"))
    )
    assert "UBND TỈNH QUẢNG NINH" in text
    assert "SỞ NỘI VỤ" in text
    assert "Hạ Long," in text
    assert "UBND PHƯỜNG HẠ LONG" not in text


def test_without_settings_the_root_unit_issues_the_report(filled_wave, tmp_path):
    text = pdf_text(
        write(tmp_path, report_pdf(filled_wave, unit_by_code("QN-HALONG"), "vi"))
    )
    assert "UBND PHƯỜNG HẠ LONG" in text
    assert "Quảng Ninh," in text  # the place is the province


def test_render_report_needs_only_the_results(filled_wave, tmp_path):
    results = report_results(filled_wave, None, "en")
    data = render_report(results, place="Hạ Long", day=date(2026, 2, 5))
    text = pdf_text(write(tmp_path, data))
    assert data.startswith(b"%PDF")
    assert "TỈNH QUẢNG NINH" in text  # the top unit, when no issuer is given
    with force_locale("en"):
        assert _("Ranking of units") in text
        assert format_percent(results.indices.overall.estimate.value) in text
        assert "." in format_percent(0.5)  # English decimals in an English report


def test_units_the_design_cannot_compare_are_marked_and_explained(
    filled_wave, tmp_path
):
    """Whole centres sampled (the demo design): † and its note, never ≈."""
    sample_whole_centres(filled_wave)
    text = squeeze(pdf_text(write(tmp_path, report_pdf(filled_wave, None, "vi"))))
    with force_locale("vi"):
        note = _(
            "† The sampling design of this survey round cannot measure the error "
            "of comparing this unit with the next one (for example, each whole "
            "unit was taken as one sampling unit): their order only reflects the "
            "figures collected. It cannot show which unit is really better, and "
            "it does not mean that the units are alike."
        )
    assert squeeze(note) in text
    assert "≈" not in text.split(titles()["IV"])[1].split(titles()["V"])[0]
    assert "không cặp nào trong 10 cặp đơn vị so sánh được" in text


def test_the_summary_draws_the_dashboards_charts_in_its_order(demo_app, tmp_path):
    """Key figures, the units against the province, the heat map and the trend,
    as vector drawings (their labels are text in the PDF), before section I."""
    make_exit_survey("tn-2025", date(2025, 3, 1), 120, seed=3, shift=-0.04)
    wave = make_exit_survey("tn-2026", date(2026, 3, 1), 150, seed=4)
    db.session.commit()
    pdf = write(tmp_path, report_pdf(wave, None, "vi"), "summary.pdf")
    texts = page_texts(pdf)
    text = squeeze(" ".join(texts))
    results = report_results(wave, None, "vi")
    with force_locale("vi"):
        headings = [
            _("Key figures"),
            _("Units against %(scope)s", scope="Tỉnh Thử Nghiệm"),
            _("Which unit is weak on what"),
            _("Across survey rounds"),
            titles()["I"],
        ]
        sipas = format_percent(results.indices.overall.estimate.value)
        reference = "Tỉnh Thử Nghiệm: " + format_percent(
            results.indices.overall.estimate.value, 1
        )
        harassed = _("Harassed or troubled by officials")
    positions = [text.index(squeeze(h)) for h in headings]
    assert positions == sorted(positions)
    summary = text[: positions[-1]]
    assert sipas in summary  # the SIPAS card
    assert harassed.split()[0] in summary  # a perception card
    assert reference in summary  # the ranking's reference line
    # full unit names, never cut, in the ranking and the heat map
    for ranked in results.ranking:
        assert summary.count(ranked.unit.name.split()[-1]) >= 2
    assert "…" not in summary
    # the heat map's column heads and the trend's rounds
    assert all(f" {c.code} " in summary for c in results.indices.criteria)
    assert "Khảo sát sự hài lòng năm 2025" in summary
    # drawn, not pasted as pictures
    fonts = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert len(fonts.strip().splitlines()) <= 2  # the header lines only: no image
    IMAGES.mkdir(parents=True, exist_ok=True)
    for page in range(1, 4):
        keep_page(pdf, page, f"summary-{page}.png")


def test_the_questionnaire_appendix_names_questions_as_the_paper_form_does(
    filled_wave, tmp_path
):
    """ "Câu 6. … [A1]", and a condition by the question's number: the item
    codes of questions that are not criteria are internal."""
    from sipas.questionnaire.numbering import question_numbers
    from sipas.services.questionnaires import parsed

    pdf = write(tmp_path, report_pdf(filled_wave, None, "vi"))
    appendix = squeeze(pdf_text(pdf).split("Phụ lục 2", 1)[1])
    questionnaire = parsed(filled_wave.questionnaire)
    numbers = question_numbers(questionnaire)
    first = questionnaire.criteria[0]
    assert f"Câu {numbers[first.code]}. " in appendix
    assert f"[{first.code}]" in appendix
    hidden = [item for item in questionnaire.items if not item.is_criterion]
    for item in hidden:
        assert f"{item.code}." not in appendix, item.code
    conditional = next(item for item in questionnaire.items if item.show_if)
    asked = numbers[conditional.show_if.item]
    assert f"Chỉ hỏi khi câu {asked} được trả lời" in appendix
