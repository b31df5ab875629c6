"""What an uploaded questionnaire will look like on paper, before it is published:
a specimen form (serial 1 of a preview round) and its first page as an image."""

from __future__ import annotations

import logging
import shutil
import subprocess  # noqa: S404 - pdftoppm, with fixed arguments, no shell
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from sipas.questionnaire import Questionnaire

log = logging.getLogger(__name__)

#: Resolution of the first page shown on the preview page (A4 at 80 dpi: 662 px).
PAGE_DPI = 80


@dataclass
class _Named:
    code: str
    name: str
    title: str


@dataclass
class _Specimen:
    serial: int = 1


def paper_pdf(questionnaire: Questionnaire, language: str = "vi") -> bytes:
    """One paper form of ``questionnaire``, printed for a preview round."""
    # ReportLab is imported when a PDF is made, not when the app starts
    from sipas.reports.paper_pdf import render_forms

    title = _("Preview")
    place = _Named("PREVIEW", title, title)
    return render_forms(questionnaire, place, place, [_Specimen()], language)


def first_page_png(pdf: bytes) -> bytes | None:
    """Page 1 of ``pdf`` as PNG, or None when poppler's pdftoppm is not installed."""
    program = shutil.which("pdftoppm")
    if program is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "form.pdf"
        source.write_bytes(pdf)
        target = Path(folder) / "page"
        command = [program, "-r", str(PAGE_DPI), "-png", "-singlefile"]
        command += ["-f", "1", "-l", "1", str(source), str(target)]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603
        except (subprocess.SubprocessError, OSError) as error:
            log.warning("pdftoppm failed: %s", error)
            return None
        return (Path(folder) / "page.png").read_bytes()
