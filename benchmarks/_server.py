"""Start the real app on 127.0.0.1 with a fresh SQLite database and the demo data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base_url: str
    database: Path


@contextmanager
def running_server(threads: int = 8) -> Iterator[Server]:
    """Migrate, sync, load the demo into a temp database and serve it with waitress."""
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "SIPAS_DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "SIPAS_SECRET_KEY": "benchmark",
            "SIPAS_ADMIN_PASSWORD": "benchmark",
            "FLASK_APP": "wsgi",
        }
        for args in (
            ["db", "upgrade"],
            ["sipas", "questionnaire", "sync"],
            ["sipas", "demo"],
        ):
            subprocess.run(
                [str(BIN / "flask"), *args],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        port = free_port()
        server = subprocess.Popen(
            [
                str(BIN / "waitress-serve"),
                f"--threads={threads}",
                f"--listen=127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(base_url)
            yield Server(base_url, Path(folder) / "bench.db")
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_until_up(base_url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {base_url} did not start")
