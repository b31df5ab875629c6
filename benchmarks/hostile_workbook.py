"""A 1 MB hostile workbook through the response import page: peak memory (issue 18
item 5).

Each case runs in its own child process, which uploads the file to /entry/import of
a fresh demo app (an administrator logged in) and prints the HTTP status, the
reason on the page, the child's peak resident memory (VmHWM, reset just before the
upload) and what it adds to the app's memory before the upload. The child's address
space is capped (``--cap-mb``), so an unbounded reader fails with MemoryError
instead of taking the machine.

Cases: a sheet declaring ``A1:XFD1048576`` over about 1 MB of rows (an unbounded
reader pads each of its ~31,000 rows to 16,384 columns: about 4 GB), and the same
with a cell in the far corner, row 999,999 of column XFD (refused by the limits).

Run: .venv/bin/python benchmarks/hostile_workbook.py
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    """Peak resident memory since the last :func:`_reset_peak` (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Start the peak over from the current resident memory (Linux)."""
    Path("/proc/self/clear_refs").write_text("5")


def _case(name: str, cap_mb: int, out) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (cap_mb * 2**20, cap_mb * 2**20))
    from tests.conftest import CSRF_PATTERN, login, make_app
    from tests.hostile_workbooks import hostile_megabyte, with_sheet_xml

    data = hostile_megabyte()
    if name == "far corner":
        cell = '<row r="999999"><c r="XFD999999"><v>1</v></c></row>'
        data = with_sheet_xml(
            data, lambda xml: xml.replace("</sheetData>", cell + "</sheetData>")
        )
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder) / "bench.db", RATE_LIMIT_ENABLED=False)
        with app.app_context():
            from sipas.extensions import db
            from sipas.models import Role
            from sipas.services import accounts, demo, questionnaires

            db.create_all()
            questionnaires.sync(
                questionnaires.questionnaire_files(ROOT / "questionnaires")
            )
            demo.ensure_demo("bench-admin-password-1")
            accounts.create_user("bench-admin", "bench-admin-password-1", Role.admin)
            db.session.commit()
            client = app.test_client()
            login(client, "bench-admin", "bench-admin-password-1")
            page = client.get("/entry/import").get_data(as_text=True)
            token = CSRF_PATTERN.search(page).group(1)
            _reset_peak()
            before, started = _peak_mb(), time.perf_counter()
            try:
                answer = client.post(
                    "/entry/import",
                    data={
                        "csrf_token": token,
                        "wave": "demo",
                        "file": (io.BytesIO(data), "hostile.xlsx"),
                    },
                    content_type="multipart/form-data",
                )
                text = " ".join(answer.get_data(as_text=True).split())
                reason = re.search(r'class="error-summary"[^>]*>(.{0,300}?)</', text)
                status = str(answer.status_code)
                said = reason.group(1) if reason else text[-300:]
            except MemoryError:
                status, said = "MemoryError", f"over the {cap_mb} MB cap"
            seconds = time.perf_counter() - started
    out.send((name, len(data), status, said, before, _peak_mb(), seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap-mb", type=int, default=2048, help="address space cap")
    args = parser.parse_args()
    for name in ("declared dimension", "far corner"):
        receive, send = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.Process(target=_case, args=(name, args.cap_mb, send))
        child.start()
        result = receive.recv() if receive.poll(600) else None
        child.join()
        if result is None:
            print(f"{name}: the child died (exit code {child.exitcode})")
            continue
        name, size, status, said, before, peak, seconds = result
        print(
            f"{name}: {size / 2**20:.2f} MB file → HTTP {status} in {seconds:.1f} s; "
            f"peak RSS {peak:.0f} MB (app before upload {before:.0f} MB, "
            f"+{peak - before:.0f} MB)\n    {said}"
        )


if __name__ == "__main__":
    main()
