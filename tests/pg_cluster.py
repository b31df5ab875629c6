"""A throwaway PostgreSQL cluster on 127.0.0.1 for tests and benchmarks.

Debian's server binaries (package `postgresql`) run as the `postgres` user when we are
root (initdb refuses root), with a data folder, port and socket folder of our own; the
cluster is stopped and deleted afterwards.

``throwaway_cluster()`` yields the database URL; ``running_cluster()`` yields a
:class:`Cluster` handle that can also stop and start the same cluster (fault tests).
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
from dataclasses import dataclass
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


_RUN = {"check": True, "capture_output": True, "text": True}


@dataclass
class Cluster:
    """A running throwaway cluster: its URL, and stop/start of the same server."""

    url: str
    folder: Path
    port: int
    binaries: Path
    #: Extra server settings (``-c fsync=off …``).
    options: str = ""

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = [str(self.binaries / "pg_ctl"), "-D", str(self.data)]
        subprocess.run(_as_owner([*pg_ctl, *args]), **_RUN)

    def start(self) -> None:
        """Start the server (again) on the same port, and wait until it answers."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            f"{self.options}"
        )
        self._pg_ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: disconnect clients, roll back their work)."""
        self._pg_ctl("-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        pg_ctl = [str(self.binaries / "pg_ctl"), "-D", str(self.data), "status"]
        return subprocess.run(_as_owner(pg_ctl), capture_output=True).returncode == 0


@contextmanager
def running_cluster(database: str = "sipas", options: str = "") -> Iterator[Cluster]:
    """Start a cluster, create ``database``, yield its handle, then remove it.

    ``options`` are extra server settings (``-c fsync=off …``).
    """
    binaries = server_bin()
    folder = Path(tempfile.mkdtemp(prefix="sipas-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    cluster = Cluster(
        url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}",
        folder=folder,
        port=port,
        binaries=binaries,
        options=options,
    )
    subprocess.run(
        _as_owner(
            [str(binaries / "initdb"), "-D", str(cluster.data), "-U", "postgres"]
            + ["-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]
        ),
        **_RUN,
    )
    cluster.start()
    try:
        subprocess.run(
            _as_owner(
                [str(binaries / "createdb")]
                + ["-h", str(folder), "-p", str(port), "-U", "postgres", database]
            ),
            **_RUN,
        )
        yield cluster
    finally:
        if cluster.is_running():
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def throwaway_cluster(database: str = "sipas", options: str = "") -> Iterator[str]:
    """Start a cluster, create ``database``, yield its URL, then remove the cluster.

    ``options`` are extra server settings (``-c fsync=off …``).
    """
    with running_cluster(database, options) as cluster:
        yield cluster.url
