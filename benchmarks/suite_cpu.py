"""Where `make test`'s time goes: the machine's CPU seconds per test, by folder and
by file, with the wall seconds beside them.

`make test` keeps both cores busy (two pytest runs at once), so its wall time is
bounded by the CPU all its processes use — pytest, the browsers, PostgreSQL, the
workers and R — not by any one test's duration. pytest's ``--durations`` shows
only the latter; this counts the machine's busy CPU (``/proc/stat``) around each
test, so it includes every process the test starts. Run it on an otherwise idle
machine: anything else running is counted too.

    .venv/bin/python benchmarks/suite_cpu.py [pytest arguments …]

e.g. ``--split-run`` (the SQLite half of `make test`), ``--db postgresql
--split-run`` (the other half), ``tests/e2e``;
``SIPAS_TEST_BROWSER=/usr/bin/chromium`` to compare browsers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The pytest plugin, written to a temporary folder put on PYTHONPATH.
PLUGIN = """
import json, os, time
import pytest

def _busy():
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")

_MEASURED = []

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    busy, wall = _busy(), time.perf_counter()
    yield
    _MEASURED.append((item.nodeid, _busy() - busy, time.perf_counter() - wall))

def pytest_sessionfinish(session):
    with open(os.environ["SUITE_CPU_OUTPUT"], "w") as f:
        json.dump(_MEASURED, f)
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "suite_cpu_plugin.py").write_text(PLUGIN)
        output = Path(folder) / "measured.json"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([folder, os.environ.get("PYTHONPATH", "")]),
            "SUITE_CPU_OUTPUT": str(output),
        }
        command = [sys.executable, "-m", "pytest", "-q", "-p", "suite_cpu_plugin"]
        subprocess.run([*command, *sys.argv[1:]], cwd=ROOT, env=env, check=False)  # noqa: S603
        measured = json.loads(output.read_text())
    report(measured)


def report(measured: list[tuple[str, float, float]]) -> None:
    """CPU and wall seconds by folder, then the 25 costliest files."""
    cpu: defaultdict[str, float] = defaultdict(float)
    wall: defaultdict[str, float] = defaultdict(float)
    for node, busy, seconds in measured:
        path = node.split("::")[0]
        for key in ("/".join(path.split("/")[:2]), path):
            cpu[key] += busy
            wall[key] += seconds
    total_cpu = sum(busy for _, busy, _ in measured)
    total_wall = sum(seconds for _, _, seconds in measured)
    print(f"\n{len(measured)} tests: {total_cpu:.0f} CPU-s, {total_wall:.0f} s wall")
    print(f"{'CPU-s':>8} {'wall s':>8}  folder")
    folders = [key for key in cpu if key.count("/") == 1]
    for key in sorted(folders, key=cpu.__getitem__, reverse=True):
        print(f"{cpu[key]:8.1f} {wall[key]:8.1f}  {key}")
    print(f"{'CPU-s':>8} {'wall s':>8}  file (the 25 costliest)")
    files = [key for key in cpu if key.endswith(".py")]
    for key in sorted(files, key=cpu.__getitem__, reverse=True)[:25]:
        print(f"{cpu[key]:8.1f} {wall[key]:8.1f}  {key}")


if __name__ == "__main__":
    main()
