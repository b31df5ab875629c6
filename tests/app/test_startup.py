"""What starting the application costs: every `flask sipas …` command and every
worker pays it, so the libraries only some work needs are imported when that
work is done."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, database_url

#: Imported on first use: migrations (Alembic, `flask db`), workbooks (openpyxl),
#: PDFs (ReportLab), the tests of the dashboard's comparisons (SciPy), the job
#: queue (Huey, which tries psycopg), Parquet files (pyarrow). About 0.5 s of
#: each start together (benchmarks/command_start.py).
ON_FIRST_USE = ("alembic", "openpyxl", "reportlab", "scipy", "huey", "pyarrow")


def _started_modules(tmp_path) -> set[str]:
    """The top-level packages loaded once `wsgi` has built the app, in a fresh
    process."""
    env = {"SIPAS_DATABASE_URL": database_url(tmp_path / "start.db"), "PATH": ""}
    probe = (
        "import json, sys, wsgi; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    started = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    return set(json.loads(started.stdout))


def test_the_app_starts_without_the_libraries_of_occasional_work(tmp_path):
    """Building the app loads its views and services, but none of the libraries
    of ON_FIRST_USE."""
    loaded = _started_modules(tmp_path)
    assert {"flask", "sqlalchemy", "sipas", "jinja2"} <= loaded  # the probe works
    assert loaded.isdisjoint(ON_FIRST_USE), loaded & set(ON_FIRST_USE)
