"""The hall poster of a unit's published results: the figures of the public page
in the PDF's text, A4 and A3 pages, vector text in the embedded font, the QR code
of the public page, and page images kept for a human to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sipas.i18n import format_percent
from sipas.reports import results_poster_pdf
from sipas.services.results.publication import published_results
from sipas.services.units.lookup import unit_by_code
from tests.conftest import OUTPUT_ROOT
from tests.public.test_results import UNIT, closed_wave, published  # noqa: F401

#: Page images a human can look at (gitignored).
IMAGES = OUTPUT_ROOT / "poster"

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils is not installed"
)


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())  # wrapped lines joined


def page_size_mm(pdf: bytes, tmp_path: Path) -> tuple[int, int]:
    path = tmp_path / "size.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, text=True, check=True
    ).stdout
    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups()
    return round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)


@pytest.mark.parametrize(("size", "mm"), [("a4", (210, 297)), ("a3", (297, 420))])
def test_poster_holds_the_published_figures(
    published,  # noqa: F811
    demo_app,
    demo_client,
    tmp_path,
    monkeypatch,
    size,
    mm,
):
    drawn = []
    draw_qr = results_poster_pdf.draw_qr
    monkeypatch.setattr(
        results_poster_pdf,
        "draw_qr",
        lambda canvas, qr, *a: drawn.append(qr.value) or draw_qr(canvas, qr, *a),
    )
    response = demo_client.get(f"/ket-qua/demo/{UNIT}/ap-phich.pdf?size={size}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.cache_control.public
    pdf = response.get_data()
    assert page_size_mm(pdf, tmp_path) == mm
    text = text_of(pdf, tmp_path)
    with demo_app.test_request_context():
        doc = published_results(published, unit_by_code(UNIT))
        expected = [
            format_percent(doc.results.indices.overall.estimate.value, 1),
            *(format_percent(f.estimate.value, 1) for f in doc.results.indices.factors),
            *(format_percent(p.value, 1) for p in doc.perceptions),
            format_percent(doc.results.indices.overall.interval.lower, 1),
        ]
    for figure in expected:
        assert figure in text
    assert doc.unit.name in text
    assert published.title in text
    assert "công bố ngày" in text.lower()
    page_url = f"http://localhost/ket-qua/demo/{UNIT}"
    assert page_url in text
    assert drawn == [page_url]
    # vector: text in the embedded font, no raster image on the page
    assert b"/Subtype /Image" not in pdf
    assert b"BeVietnamPro" in pdf
    keep_image(pdf, tmp_path, f"results-poster-{size}")


def test_poster_size_is_a4_or_a3(published, demo_client):  # noqa: F811
    assert (
        demo_client.get(f"/ket-qua/demo/{UNIT}/ap-phich.pdf?size=a5").status_code == 404
    )


def test_poster_leaves_out_small_figures(
    published,  # noqa: F811
    demo_app,
    demo_client,
    tmp_path,
):
    demo_app.config["STATS_MIN_N"] = 100_000
    text = text_of(
        demo_client.get(f"/ket-qua/demo/{UNIT}/ap-phich.pdf").get_data(), tmp_path
    )
    assert "%" not in text.replace("95%", "")
    keep_image(
        demo_client.get(f"/ket-qua/demo/{UNIT}/ap-phich.pdf").get_data(),
        tmp_path,
        "results-poster-too-few",
    )


def keep_image(pdf: bytes, tmp_path: Path, name: str) -> None:
    """The page as a PNG in test-output/poster/ for a human to look at."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    IMAGES.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "70", "-png", "-singlefile", str(path), str(IMAGES / name)],
        check=True,
    )
