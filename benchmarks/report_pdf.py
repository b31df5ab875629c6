"""PDF report time for a national-size wave: 34 provinces × 10 service centres.

Bulk-loads N synthetic responses (the loader of bench_reporting.py) on SQLite under
a country root, so the report ranks the 34 provinces; a fresh process then times the
results (`report_results`) and the rendering (`render`) separately.

Run: .venv/bin/python benchmarks/report_pdf.py [--responses 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_reporting import app_for, fill  # noqa: E402

from sipas.extensions import db  # noqa: E402
from sipas.models import Unit, UnitLevel, Wave, WaveStatus, WaveUnit  # noqa: E402
from sipas.reports.pdf import render  # noqa: E402
from sipas.reports.pdf_heading import Masthead  # noqa: E402
from sipas.services import questionnaires  # noqa: E402
from sipas.services.results.report import report_results  # noqa: E402
from sipas.services.waves.lookup import wave_by_code  # noqa: E402

N_PROVINCES, CENTRES_PER_PROVINCE = 34, 10


def make_wave() -> Wave:
    """A country of 34 provinces of 10 centres, stratified by province."""
    questionnaires.sync(questionnaires.questionnaire_files(ROOT / "questionnaires"))
    wave = Wave(
        code="bench",
        title="Khảo sát toàn quốc (benchmark)",
        questionnaire=questionnaires.latest_version("sipas-2017"),
        status=WaveStatus.open,
        starts_on=date(2026, 3, 1),
        strata_level=UnitLevel.province,
        psu_level=UnitLevel.centre,
    )
    country = Unit(code="VN", name="Việt Nam", level=UnitLevel.province)
    db.session.add_all([wave, country])
    rng = np.random.default_rng(2)
    for p in range(N_PROVINCES):
        province = Unit(
            code=f"P{p:02d}",
            name=f"Tỉnh số {p + 1}",
            level=UnitLevel.province,
            parent=country,
        )
        for c in range(CENTRES_PER_PROVINCE):
            centre = Unit(
                code=f"P{p:02d}-C{c}",
                name=f"Trung tâm Phục vụ hành chính công số {p + 1}.{c + 1}",
                level=UnitLevel.centre,
                parent=province,
            )
            population = int(rng.integers(2_000, 40_000))
            wave.wave_units.append(WaveUnit(unit=centre, population=population))
    db.session.commit()
    return wave


def measure(url: str) -> dict[str, float]:
    """Seconds for the results and for the PDF, its pages and size."""
    app = app_for(url)
    with app.app_context():
        wave = wave_by_code("bench")
        started = time.perf_counter()
        results = report_results(wave, None, "vi")
        computed = time.perf_counter()
        report = render(results, Masthead(("UBND",), "Hà Nội", date.today()))
        finished = time.perf_counter()
    return {
        "results_s": round(computed - started, 2),
        "render_s": round(finished - computed, 2),
        "total_s": round(finished - started, 2),
        "pages": report.pages,
        "ranked_units": len(results.ranking),
        "kb": round(len(report.data) / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.measure)))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        app = app_for(url)
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            fill(make_wave(), options.responses)
            print(
                f"loaded {options.responses} responses in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            db.session.remove()
            db.engine.dispose()
        figures = subprocess.run(
            [sys.executable, __file__, "--measure", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        print(figures.strip())


if __name__ == "__main__":
    main()
