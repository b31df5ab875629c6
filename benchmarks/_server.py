"""Start the real app on 127.0.0.1 with a fresh database and the demo data.

``running_server``: waitress on a temp SQLite file (page and kiosk benchmarks).
``prepared_database`` + ``Gunicorn``: several gunicorn worker processes on SQLite or
on a throwaway PostgreSQL cluster (load benchmark, fault tests), which can be killed
and started again on the same database.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base_url: str
    database: Path


def database_given(what: str) -> str:
    """SIPAS_DATABASE_URL, the database a benchmark runs on; without it the
    command stops, saying it must name ``what``."""
    url = os.environ.get("SIPAS_DATABASE_URL")
    if not url:
        raise SystemExit(f"SIPAS_DATABASE_URL must name {what}")
    return url


def app_on(database_url: str, jobs: str, **settings: object):
    """The app on ``database_url`` (read from the environment's settings no
    more), its job files and queue in the folder ``jobs``."""
    from sipas import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "JOBS_DIR": jobs,
            "JOBS_QUEUE_URL": f"sqlite:///{jobs}/queue.db",
            **settings,
        }
    )


def app_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of `flask` and the servers for ``database_url``."""
    return {
        **os.environ,
        "SIPAS_DATABASE_URL": database_url,
        "SIPAS_SECRET_KEY": "benchmark-secret-key-not-for-production",
        "SIPAS_ADMIN_PASSWORD": "benchmark",
        "FLASK_APP": "wsgi",
        **settings,
    }


def prepare(database_url: str) -> None:
    """Migrate, load the questionnaires and the demo into ``database_url``."""
    env = app_env(database_url)
    for args in (
        ["db", "upgrade"],
        ["sipas", "questionnaire", "sync"],
        ["sipas", "demo", "--responses", "0"],
    ):
        subprocess.run(
            [str(BIN / "flask"), *args],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )


@dataclass
class Database:
    """A prepared database: its URL, and the cluster handle for PostgreSQL."""

    kind: str
    url: str
    cluster: object | None = None


@contextmanager
def prepared_database(kind: str) -> Iterator[Database]:
    """A fresh ``sqlite`` file or ``postgresql`` cluster with the demo loaded."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            prepare(url)
            yield Database(kind, url)
    elif kind == "postgresql":
        from tests.pg_cluster import running_cluster

        with running_cluster(options="-c max_connections=200") as cluster:
            prepare(cluster.url)
            yield Database(kind, cluster.url, cluster)
    else:
        raise ValueError(f"unknown database {kind!r}")


@dataclass
class Gunicorn:
    """gunicorn with ``workers`` processes (``threads`` each) on ``database_url``."""

    database_url: str
    workers: int = 4
    threads: int = 4
    settings: dict[str, str] = field(default_factory=dict)
    #: Import the app once in the master before forking the workers (faster start;
    #: the app opens no database connection while it is created).
    preload: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 30) -> None:
        """Start the master (its own process group) and wait for /healthz."""
        if self.log is None:
            handle, name = tempfile.mkstemp(prefix="sipas-gunicorn-", suffix=".log")
            os.close(handle)
            self.log = Path(name)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    f"--workers={self.workers}",
                    f"--threads={self.threads}",
                    "--worker-class=gthread",
                    f"--bind=127.0.0.1:{self.port}",
                    "--keep-alive=30",
                    "--graceful-timeout=5",
                    *(["--preload"] if self.preload else []),
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=app_env(self.database_url, **self.settings),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        wait_until_up(self.base_url, wait)

    def kill(self) -> None:
        """kill -9 the master and every worker (the whole process group)."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        """Stop gracefully (SIGTERM to the master), kill if it hangs."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            self.kill()

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self.log is not None:
            self.log.unlink(missing_ok=True)


@contextmanager
def running_server(threads: int = 8) -> Iterator[Server]:
    """Migrate, sync, load the demo into a temp database and serve it with waitress."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        prepare(url)
        port = free_port()
        server = subprocess.Popen(
            [
                str(BIN / "waitress-serve"),
                f"--threads={threads}",
                f"--listen=127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=app_env(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base_url)
            yield Server(base_url, Path(folder) / "bench.db")
        finally:
            server.terminate()
            server.wait(timeout=10)


def wait_until_up(base_url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {base_url} did not start")
