"""The production command serves the app from several worker processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sipas.gunicorn_conf import default_workers
from tests.conftest import ROOT

BIN = Path(sys.executable).parent
STRONG_KEY = "7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("SIPAS_")
    }
    env.update(
        SIPAS_DATABASE_URL=f"sqlite:///{database}",
        FLASK_APP="wsgi",
        SIPAS_WORKERS="2",
        SIPAS_THREADS="2",
        **extra,
    )
    return env


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    """A database migrated with `flask db upgrade`, as an operator would."""
    path = tmp_path_factory.mktemp("gunicorn") / "sipas.db"
    subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=server_env(path, SIPAS_SECRET_KEY=STRONG_KEY),
        check=True,
        capture_output=True,
    )
    return path


def test_two_workers_answer_in_production_mode(database, tmp_path):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = server_env(
        database,
        SIPAS_BIND=f"127.0.0.1:{port}",
        SIPAS_PRODUCTION="1",
        SIPAS_SECRET_KEY=STRONG_KEY,
    )
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:sipas.gunicorn_conf", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, server)
        pids: set[str] = set()
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _round in range(20):
                statuses = list(pool.map(get, [f"{base}/healthz"] * 16))
                assert set(statuses) == {200}
                pids = set(re.findall(r"<(\d+)> \d+ms$", log_path.read_text(), re.M))
                if len(pids) >= 2:
                    break
        assert len(pids) == 2, log_path.read_text()[-2000:]
        assert str(server.pid) not in pids  # the master only supervises
        with urllib.request.urlopen(f"{base}/", timeout=5) as response:
            assert "nonce-" in response.headers["Content-Security-Policy"]
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_production_mode_without_a_secret_key_does_not_start(database):
    port = free_port()
    env = server_env(database, SIPAS_BIND=f"127.0.0.1:{port}", SIPAS_PRODUCTION="1")
    finished = subprocess.run(
        [str(BIN / "gunicorn"), "-c", "python:sipas.gunicorn_conf", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    assert "SIPAS_SECRET_KEY" in finished.stdout + finished.stderr


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            if get(f"{base}/healthz") == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"gunicorn at {base} did not start")


@pytest.mark.parametrize(("cores", "workers"), [(1, 3), (2, 5), (3, 7), (16, 8)])
def test_default_workers_two_per_core_plus_one_at_most_eight(cores, workers):
    assert default_workers(cores) == workers
