"""Seconds, size and peak memory of a round's downloads, before and after, in one
run, on a database that already holds a round (`flask sipas demo --responses
100000`, then `benchmarks/big_wave.py` for 1M):

- the stats CSV (`stats_csv_chunks`), Parquet (`stats_parquet_chunks`);
- the workbook (`results_workbook`): the statistics (`compute_results`) are timed
  apart from the writing, which is the figure of the workbook; ``sheets``: only
  its sheets of responses (`_responses_sheets`), without the statistics, which
  take long on a wave whose responses are its PSUs (another item of the issue);
- with --reference (at 100k), the stats CSV made the old way (an ORM object per
  response: tests/results/test_export_rows.py's reference), in the same run.

"Before" is a git revision (default: where this branch left main) exported to a
temporary folder. Every figure is made in its own process (its peak resident
memory is that export's: ru_maxrss); the files' SHA-256 say whether both trees made
the same bytes (the workbook's embed its time of making, so only its size is
compared).

Run: SIPAS_DATABASE_URL=sqlite:////path/sipas.db .venv/bin/python
     benchmarks/export_speed.py [--wave demo] [--formats csv,xlsx,parquet]
     [--before REV] [--reference]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._trees import PYTHON, export  # noqa: E402

#: What each tree runs for one format: the file made, timed, in this process.
PROBE = """
import hashlib, json, os, resource, sys, time
os.environ.setdefault("SIPAS_SECRET_KEY", "benchmark-" + "x" * 40)
from sipas import create_app
app = create_app()
wave_code, fmt = sys.argv[1], sys.argv[2]

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

with app.test_request_context():
    from sipas.services.results import dashboard, exports, parquet, workbook
    from sipas.services.waves.lookup import wave_by_code
    wave = wave_by_code(wave_code)
    found = {"responses": exports.count_counted(wave)}
    digest, size = hashlib.sha256(), 0
    start, start_cpu = time.perf_counter(), cpu()
    if fmt == "reference":
        from tests.results.test_export_rows import reference_csv
        chunks = [reference_csv(wave)]
    elif fmt == "csv":
        chunks = exports.stats_csv_chunks(wave)
    elif fmt == "parquet":
        chunks = parquet.stats_parquet_chunks(wave)
    elif fmt == "sheets":  # the workbook's response sheets alone, no statistics
        # into a temporary file, as the workbook download is made (held in memory,
        # the file's 240 MB at a million responses would be the peak)
        import functools, tempfile, types
        from sipas.services.questionnaires import parsed
        from sipas.spreadsheets import StreamedWorkbook
        stub = types.SimpleNamespace(
            wave=wave, questionnaire=parsed(wave.questionnaire), language="vi")
        target = tempfile.TemporaryFile()
        book = StreamedWorkbook(target)
        workbook._responses_sheets(book, stub, None, {})
        book.close()
        target.seek(0)
        chunks = iter(functools.partial(target.read, 1 << 20), b"")
    else:
        results = dashboard.compute_results(wave, None)
        found["statistics_seconds"] = time.perf_counter() - start
        found["statistics_peak_mb"] = peak_mb()
        start, start_cpu = time.perf_counter(), cpu()
        chunks = workbook.results_workbook(results, None, {})
        if isinstance(chunks, bytes):  # a tree that still held the file in memory
            chunks = [chunks]
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    found.update(seconds=time.perf_counter() - start, cpu=cpu() - start_cpu, bytes=size,
                 sha=digest.hexdigest()[:12], peak_mb=peak_mb())
    print(json.dumps(found))
"""


def probe(tree: Path, wave: str, fmt: str) -> dict:
    """One export made in ``tree`` in a process of its own: its figures."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    completed = subprocess.run(
        [PYTHON, "-c", PROBE, wave, fmt],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1:]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def merge_base() -> str:
    """Where this branch left main."""
    return subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "main", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def line(name: str, found: dict) -> str:
    """One figure as a line of the table."""
    if "error" in found:
        return f"  {name:10} failed: {found['error']}"
    text = (
        f"  {name:10} {found['seconds']:7.2f} s (cpu {found['cpu']:6.2f} s)"
        f"  {found['bytes'] / 1e6:7.1f} MB"
        f"  peak {found['peak_mb']:6.0f} MB  sha {found['sha']}"
    )
    if "statistics_seconds" in found:
        text += (
            f"  (statistics before it: {found['statistics_seconds']:.2f} s,"
            f" peak {found['statistics_peak_mb']:.0f} MB)"
        )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--formats", default="csv,sheets,parquet")
    parser.add_argument("--before", default=None, help="git revision (merge base)")
    parser.add_argument("--no-before", action="store_true")
    parser.add_argument("--reference", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("SIPAS_DATABASE_URL", "(default)")
    print(f"downloads of {args.wave!r} on {url}", flush=True)
    with tempfile.TemporaryDirectory(prefix="export-speed-") as temp:
        trees = (
            {}
            if args.no_before
            else {"before": export(args.before or merge_base(), Path(temp))}
        )
        trees["after"] = ROOT
        if args.reference:
            found = probe(ROOT, args.wave, "reference")
            print(f"responses: {found.get('responses')}")
            print(line("csv (ORM)", found), flush=True)
        for fmt in args.formats.split(","):
            print(fmt, flush=True)
            figures = {n: probe(tree, args.wave, fmt) for n, tree in trees.items()}
            for name, found in figures.items():
                print(line(name, found), flush=True)
            if len(figures) == 2 and all("seconds" in f for f in figures.values()):
                before, after = figures["before"], figures["after"]
                same = before["sha"] == after["sha"]
                print(
                    f"  {before['seconds'] / after['seconds']:.1f}× faster,"
                    f" {'same bytes' if same else 'bytes differ'}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
