"""Before/after runs for benchmarks: a git revision's tree, fresh databases on
SQLite or a throwaway PostgreSQL cluster, and commands measured one by one.

The machine is shared, so each run reports its CPU time (user + system) beside the
wall time, and its peak memory (the child's own maximum resident set).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


@dataclass(frozen=True)
class Measured:
    """One command's wall seconds, CPU seconds and peak memory (MB)."""

    wall: float
    cpu: float
    peak_mb: float

    def line(self, label: str) -> str:
        return (
            f"  {label:<8} wall {self.wall:7.1f} s   cpu {self.cpu:7.1f} s   "
            f"peak {self.peak_mb:6.0f} MB"
        )


def export(revision: str, into: Path) -> Path:
    """The tree of ``revision`` under ``into``, its modules byte-compiled as an
    installation's are: a command run with PYTHONDONTWRITEBYTECODE set (as on
    this machine) would otherwise compile them all again at every start
    (0.25 s of `flask sipas …`)."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(into / "sipas")], check=True)
    return into


def measured(
    args: list[str], env: dict[str, str], cwd: Path, *, refused: bool = False
) -> Measured:
    """Run ``args`` to completion (output discarded); its own rusage. It must
    succeed, or with ``refused`` exit with 1 (a command refusing its input)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != (1 if refused else 0):
        raise SystemExit(f"{' '.join(args)}: exit {child.returncode}")
    return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def tree_env(tree: Path, url: str) -> dict[str, str]:
    """The environment that runs ``tree``'s code on the database at ``url``."""
    return {
        **os.environ,
        "SIPAS_DATABASE_URL": url,
        "FLASK_APP": "sipas",
        "PYTHONPATH": str(tree),
    }


class Databases:
    """Fresh, empty databases: SQLite files in a folder, or databases created on
    one throwaway PostgreSQL cluster (started on first use, removed at the end)."""

    def __init__(self, folder: Path, stack: ExitStack) -> None:
        self.folder, self.stack = folder, stack
        self.cluster: str | None = None
        self.made = 0

    def fresh(self, kind: str) -> str:
        """The URL of a new empty database of ``kind`` (sqlite or postgresql)."""
        self.made += 1
        if kind == "sqlite":
            return f"sqlite:///{self.folder / f'bench{self.made}.db'}"
        if self.cluster is None:
            sys.path.insert(0, str(ROOT))
            from tests.pg_cluster import throwaway_cluster

            # the benchmark's own cluster: durability settings as shipped
            self.cluster = self.stack.enter_context(throwaway_cluster())
        import sqlalchemy as sa

        name = f"bench{self.made}"
        engine = sa.create_engine(self.cluster, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        engine.dispose()
        return self.cluster.rsplit("/", 1)[0] + f"/{name}"


def probe_json(tree: Path, script: str, *arguments: str) -> dict:
    """Run ``script`` with ``arguments`` on the code of ``tree``: the JSON object it
    printed last."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [PYTHON, "-c", script, *arguments],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])
