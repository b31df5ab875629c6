"""Published pages and posters kept on disk by their ETag, one folder per round.

A large round's public page takes seconds to compute (12 s at a million
responses). Kept in a process's memory only, it was computed again by every
server process and after every restart. On disk (in JOBS_DIR, written under a
temporary name and renamed when whole) it is computed once per server and
version of the application: the folder is named by a digest of the code,
templates, translations and static files, so a page rendered by an earlier
version is never served, and the folders of earlier versions are removed when a
page is first kept. Taking a round off the public pages removes its folder.

A page is built by one process at a time (``building``): the visitors who ask
for it meanwhile, from any process of the server, wait for that build and read
its result, rather than each computing the same figures again (twenty phones
scanning a poster's QR code as a million-response round is published would
otherwise share two cores twenty ways, past the server's request timeout). When
that build fails, they are told so at once (``build_failures``) rather than each
trying again in turn: the twentieth would wait for nineteen failures.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from flask import current_app

from sipas.services.jobs.files import jobs_dir, write_atomically


def kept_page(wave_code: str, tag: str) -> bytes | None:
    """The body kept under ``tag`` for round ``wave_code`` by this version, or None."""
    try:
        return _path(wave_code, tag).read_bytes()
    except FileNotFoundError:
        return None


def keep_page(wave_code: str, tag: str, body: bytes) -> None:
    """Keep ``body`` under ``tag`` for round ``wave_code`` (whole or not at all);
    the pages of earlier versions go."""
    path = _path(wave_code, tag)
    for folder in _all_versions().glob("*"):
        if folder.name != version_digest(current_app.root_path):
            shutil.rmtree(folder, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, [body])


@contextmanager
def building(wave_code: str, tag: str) -> Iterator[None]:
    """Hold the build of the body under ``tag`` for round ``wave_code``: one
    holder at a time across the server's processes and threads; the others wait
    here, then find the body kept (the lock goes with its holder, even killed)."""
    path = _path(wave_code, tag).with_suffix(".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_failures(wave_code: str, tag: str) -> int:
    """A stamp of the last failed build of the body under ``tag`` (0: none yet):
    a request that finds it changed after waiting saw the build it waited for
    fail."""
    try:
        return _path(wave_code, tag).with_suffix(".failed").stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def note_failure(wave_code: str, tag: str) -> None:
    """Record that a build of the body under ``tag`` failed (see build_failures)."""
    path = _path(wave_code, tag).with_suffix(".failed")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    now = time.time_ns()
    os.utime(path, ns=(now, now))


def remember_address(wave_code: str, base_url: str) -> None:
    """Keep the site's address its pages were first made for in the background,
    across versions: a new version's worker makes them again for it."""
    path = _addresses() / f"{_digest(wave_code)}.url"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, [base_url.encode()])


def remembered_address(wave_code: str) -> str | None:
    """The address ``remember_address`` kept for round ``wave_code``, or None."""
    try:
        return (_addresses() / f"{_digest(wave_code)}.url").read_text()
    except FileNotFoundError:
        return None


def forget_pages(wave_code: str) -> None:
    """Remove every page and poster kept for round ``wave_code``, and the address
    they were made for."""
    (_addresses() / f"{_digest(wave_code)}.url").unlink(missing_ok=True)
    for folder in _all_versions().glob(f"*/{_digest(wave_code)}"):
        shutil.rmtree(folder, ignore_errors=True)


@cache
def version_digest(root_path: str) -> str:
    """A digest of what a rendered page is made with: the package's files (code,
    templates), its translations and static files (read once per process)."""
    root = Path(root_path)
    digest = hashlib.sha256()
    for base in (root, root.parent / "translations", root.parent / "static"):
        for path in sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _all_versions() -> Path:
    return jobs_dir() / "published"


def _addresses() -> Path:
    return jobs_dir() / "published-addresses"


def _path(wave_code: str, tag: str) -> Path:
    # named by digests: a round's code never becomes part of a path
    version = version_digest(current_app.root_path)
    return _all_versions() / version / _digest(wave_code) / f"{_digest(tag)}.bin"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
