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


def _printed_by(probe: str, env: dict[str, str]) -> str:
    """What the Python lines ``probe`` print in a fresh process with ``env``."""
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", **env},
        cwd=ROOT,
    )
    return completed.stdout.strip()


def _started_modules(tmp_path) -> set[str]:
    """The top-level packages loaded once `wsgi` has built the app, in a fresh
    process."""
    env = {"SIPAS_DATABASE_URL": database_url(tmp_path / "start.db")}
    probe = (
        "import json, sys, wsgi; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    return set(json.loads(_printed_by(probe, env)))


def test_the_app_starts_without_the_libraries_of_occasional_work(tmp_path):
    """Building the app loads its views and services, but none of the libraries
    of ON_FIRST_USE."""
    loaded = _started_modules(tmp_path)
    assert {"flask", "sqlalchemy", "sipas", "jinja2"} <= loaded  # the probe works
    assert loaded.isdisjoint(ON_FIRST_USE), loaded & set(ON_FIRST_USE)


def _asks_for_huge_pages(env: dict[str, str]) -> bool:
    """Whether numpy, imported after sipas in a fresh process, asks for huge pages."""
    probe = "import sipas, numpy._core.multiarray as m; "
    probe += "print(m._get_madvise_hugepage())"
    return _printed_by(probe, env) == "True"


def test_numpy_asks_for_no_huge_pages_unless_the_environment_says_so():
    """Commands and servers leave transparent huge pages off numpy's arrays (the
    kernel's compaction cost seconds at random); NUMPY_MADVISE_HUGEPAGE set
    outside still decides."""
    assert not _asks_for_huge_pages({})
    assert _asks_for_huge_pages({"NUMPY_MADVISE_HUGEPAGE": "1"})


def _arrow_pool(env: dict[str, str]) -> str:
    """The allocator pyarrow uses, imported after sipas in a fresh process."""
    probe = "import sipas, pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    return _printed_by(probe, env)


def test_arrow_allocates_with_the_c_library_unless_the_environment_says_so():
    """Arrow's jemalloc gave pages back and took them again at random (0.1-0.8 s
    of the kernel's time on a million-row file); ARROW_DEFAULT_MEMORY_POOL set
    outside still decides."""
    assert _arrow_pool({}) == "system"
    assert _arrow_pool({"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}) == "jemalloc"


def test_a_command_leaves_what_it_made_frozen_for_the_end_of_the_process(tmp_path):
    """Python's last collection would walk every object a large command left
    alive, to free nothing: a `flask sipas` command freezes them as the process
    ends (sipas/collector.py), and only then."""
    env = {"SIPAS_DATABASE_URL": database_url(tmp_path / "exit.db")}
    probe = (
        "import atexit, gc, wsgi; "
        # registered first, so run last: after what the command registered
        "atexit.register(lambda: print('at exit', gc.get_freeze_count() > 0)); "
        "runner = wsgi.app.test_cli_runner(); "
        "result = runner.invoke(args=['sipas', 'questionnaire', 'check']); "
        "print('exit code', result.exit_code, 'frozen', gc.get_freeze_count() > 0)"
    )
    assert _printed_by(probe, env).splitlines() == [
        "exit code 0 frozen False",
        "at exit True",
    ]
