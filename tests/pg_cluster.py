"""A throwaway PostgreSQL cluster on 127.0.0.1 for tests and benchmarks.

Debian's server binaries (package `postgresql`) run as the `postgres` user when we are
root (initdb refuses root), with a data folder, port and socket folder of our own; the
cluster is stopped and deleted afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def server_bin() -> Path:
    """The folder of the newest installed server (initdb, pg_ctl)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if not found:
        raise PostgresUnavailable("install the Debian package postgresql")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def throwaway_cluster(database: str = "sipas", options: str = "") -> Iterator[str]:
    """Start a cluster, create ``database``, yield its URL, then remove the cluster.

    ``options`` are extra server settings (``-c fsync=off …``).
    """
    binaries = server_bin()
    folder = Path(tempfile.mkdtemp(prefix="sipas-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        _as_owner(
            [str(binaries / "initdb"), "-D", str(data), "-U", "postgres"]
            + ["-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]
        ),
        **run,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 {options}"
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        _as_owner([*pg_ctl, "-o", options, "-l", str(folder / "log"), "-w", "start"]),
        **run,
    )
    try:
        subprocess.run(
            _as_owner(
                [str(binaries.parent / "bin" / "createdb")]
                + ["-h", str(folder), "-p", str(port), "-U", "postgres", database]
            ),
            **run,
        )
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run(_as_owner([*pg_ctl, "-m", "fast", "-w", "stop"]), **run)
        shutil.rmtree(folder, ignore_errors=True)
