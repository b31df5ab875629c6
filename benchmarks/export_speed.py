"""Seconds and size of a round's downloads made by the service, on a database that
already holds a round (e.g. after `flask sipas demo --responses 100000`):

- the stats CSV (`stats_csv_chunks`: plain rows, the driver's cursor);
- the results workbook (`results_workbook`: XlsxWriter in constant memory);
- with --reference, the stats CSV made the old way (an ORM object per response, every
  cell checked: tests/results/test_export_rows.py's reference) in the same run.

Run: SIPAS_DATABASE_URL=sqlite:////path/sipas.db .venv/bin/python
     benchmarks/export_speed.py [--wave demo] [--reference] [--no-xlsx]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SIPAS_SECRET_KEY", "benchmark-" + "x" * 40)

from sipas import create_app  # noqa: E402


def timed(make) -> tuple[float, bytes]:
    """Seconds to make the bytes, and the bytes."""
    started = time.perf_counter()
    data = make()
    return time.perf_counter() - started, data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--reference", action="store_true")
    parser.add_argument("--no-xlsx", action="store_true")
    options = parser.parse_args()
    app = create_app()
    with app.test_request_context():
        from sipas.services.results import dashboard, exports, workbook
        from sipas.services.waves.lookup import wave_by_code

        wave = wave_by_code(options.wave)
        count = exports.count_counted(wave)
        print(f"round {wave.code}: {count} counted responses")
        seconds, data = timed(lambda: b"".join(exports.stats_csv_chunks(wave)))
        digest = hashlib.sha256(data).hexdigest()[:12]
        print(f"stats CSV   {seconds:7.2f} s  {len(data) / 1e6:6.1f} MB  {digest}")
        if options.reference:
            from tests.results.test_export_rows import reference_csv

            old, old_data = timed(lambda: reference_csv(wave))
            same = "same bytes" if old_data == data else "DIFFERENT BYTES"
            print(f"  the old way {old:7.2f} s  ({old / seconds:.1f}× slower, {same})")
        if not options.no_xlsx:
            results = dashboard.compute_results(wave, None)
            seconds, data = timed(lambda: workbook.results_workbook(results, None, {}))
            print(f"workbook    {seconds:7.2f} s  {len(data) / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
