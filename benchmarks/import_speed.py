"""Import speed of a large stats CSV into SQLite: rows per second.

Generates a valid N-row stats CSV (DESIGN §5 with a unit column) for the national-size
design of bench_reporting.py (34 provinces × 250 service centres) with numpy, then
times `response_import.import_file` three ways: a file with one bad row at the end
(the whole file checked, nothing stored), the clean file (checked and stored), and
the clean file again (every row already imported).

Run: .venv/bin/python benchmarks/import_speed.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_reporting import (  # noqa: E402
    CRITERIA,
    EXPECTATIONS,
    SINGLE_CHOICE,
    app_for,
    make_wave,
)
from sipas.extensions import db  # noqa: E402
from sipas.models import Response  # noqa: E402
from sipas.services.responses import imports  # noqa: E402

#: Required single-choice items the benchmark's table leaves out, with their options.
PROCEDURE = {
    "submission_channel": ["in_person", "postal", "online"],
    "E_filter": ["yes", "no"],
}


def stats_csv(unit_codes: list[str], n: int, seed: int = 3) -> bytes:
    """A valid stats CSV of ``n`` responses spread over ``unit_codes``."""
    rng = np.random.default_rng(seed)
    scale = np.clip(np.rint(4.2 + rng.normal(0, 0.9, (n, len(CRITERIA)))), 1, 5)
    scale = scale.astype(np.int64).astype(str)
    scale[rng.random(scale.shape) < 0.02] = "9"
    feedback = rng.random(n) < 0.15
    scale[~feedback, 18:] = ""  # factor E only after feedback
    overall = rng.integers(1, 6, n).astype(str)
    units = rng.integers(0, len(unit_codes), n)
    picks = {
        item: np.array(options)[rng.choice(len(options), n, p=shares)]
        for item, (options, shares) in SINGLE_CHOICE.items()
    }
    procedure = {
        item: np.array(options)[rng.integers(0, len(options), n)]
        for item, options in PROCEDURE.items()
    }
    wishes = rng.random((n, len(EXPECTATIONS))) < 0.3
    wishes[:, 3] = False  # at most 3 expectations
    apology = rng.choice(["yes", "no"], n)
    header = [
        "response_id",
        *CRITERIA,
        "unit",
        "channel",
        "wave",
        *SINGLE_CHOICE,
        "submission_channel",
        "E_filter",
        "apology",
        "overall",
        "expectations",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    channels = ("web", "kiosk", "paper")
    for r in range(n):
        writer.writerow(
            [
                str(uuid.UUID(int=int(rng.integers(1 << 62)) << 64 | r, version=4)),
                *scale[r],
                unit_codes[units[r]],
                channels[r % 3],
                "bench",
                *(picks[item][r] for item in SINGLE_CHOICE),
                procedure["submission_channel"][r],
                "yes" if feedback[r] else "no",
                apology[r] if picks["on_time"][r] == "late" else "",
                overall[r],
                ";".join(w for w, c in zip(EXPECTATIONS, wishes[r], strict=True) if c),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()


def timed(label: str, rows: int, call):
    start = time.perf_counter()
    report = call()
    seconds = time.perf_counter() - start
    print(
        f"{label:<34} {seconds:7.1f} s  {rows / seconds:9,.0f} rows/s  "
        f"(stored {report.imported}, already {report.already}, "
        f"problems {len(report.errors)})"
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = app_for(f"sqlite:///{folder}/import.db")
        with app.app_context():
            db.create_all()
            wave = make_wave()
            codes = [wu.unit.code for wu in wave.wave_units]
            started = time.perf_counter()
            data = stats_csv(codes, args.rows)
            generated = time.perf_counter() - started
            print(
                f"{args.rows:,} rows, {len(data) / 1e6:.1f} MB generated "
                f"in {generated:.1f} s"
            )
            broken = data + b"ffffffff-0000-4000-8000-000000000000,7\n"

            def run(payload: bytes):
                report = imports.import_file(wave, "bench.csv", payload, None)
                db.session.commit()
                return report

            timed("check only (one bad row at the end)", args.rows, lambda: run(broken))
            report = timed("check and store", args.rows, lambda: run(data))
            if report.imported != args.rows:
                raise SystemExit(f"not all rows stored: {report.errors[:5]}")
            timed("again (all already imported)", args.rows, lambda: run(data))
            stored = db.session.scalar(sa.select(sa.func.count(Response.id)))
            print(f"responses stored: {stored:,}")


if __name__ == "__main__":
    main()
