"""Uploaded files kept for a moment between a check and the user's decision.

Files live in ``instance/uploads`` under a random name; a caller gets only the
token, so no path ever comes from a request. Each file carries its owner's id in
its name: one user keeps at most :data:`MAX_FILES_PER_USER` files and
:data:`MAX_BYTES_PER_USER` bytes (keeping one more forgets that user's oldest), so
repeated checks cannot fill the disk; a file older than :data:`MAX_AGE_SECONDS`
is never handed out again and is removed at the next keep.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from flask import current_app

from sipas.files import OWNER_ONLY, write_private

#: How long a kept upload waits for the user's decision.
MAX_AGE_SECONDS = 2 * 3600
#: Files one user may keep waiting for a decision.
MAX_FILES_PER_USER = 5
#: Bytes one user may keep waiting for a decision (two of the largest imports).
MAX_BYTES_PER_USER = 100 * 1024 * 1024
_TOKEN = re.compile(r"[0-9a-f]{32}")


def uploads_dir() -> Path:
    """The folder of kept files (UPLOADS_DIR, default instance/uploads), made if
    missing."""
    folder = Path(
        current_app.config["UPLOADS_DIR"] or Path(current_app.instance_path) / "uploads"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(token: str) -> Path | None:
    """The kept file of ``token`` (None: malformed, unknown or expired)."""
    if not _TOKEN.fullmatch(token):
        return None
    found = [path for path in uploads_dir().glob(f"upload-*-{token}") if path.is_file()]
    if not found or _expired(found[0]):
        return None
    return found[0]


def _expired(path: Path) -> bool:
    """Kept too long, or gone already (another request discarded it meanwhile)."""
    try:
        return path.stat().st_mtime < time.time() - MAX_AGE_SECONDS
    except FileNotFoundError:
        return True


def keep(data: bytes, owner: int | None = None) -> str:
    """Store ``data`` for user ``owner``; return the token that finds it again."""
    purge_stale()
    token = secrets.token_hex(16)
    write_private(uploads_dir() / f"upload-{owner or 0}-{token}", data, OWNER_ONLY)
    _enforce_quota(owner or 0)
    return token


def _enforce_quota(owner: int) -> None:
    """Forget ``owner``'s oldest files while they are more than the quota allows."""
    files = sorted(_present(uploads_dir().glob(f"upload-{owner}-*")))
    total = sum(size for _mtime, size, _path in files)
    while len(files) > 1 and (
        len(files) > MAX_FILES_PER_USER or total > MAX_BYTES_PER_USER
    ):
        _mtime, size, oldest = files.pop(0)
        total -= size
        oldest.unlink(missing_ok=True)


def _present(paths: Iterable[Path]) -> Iterator[tuple[float, int, Path]]:
    """(time written, size, path) of those of ``paths`` still there: another
    request may discard one between the listing and its reading."""
    for path in paths:
        try:
            found = path.stat()
        except FileNotFoundError:
            continue
        yield found.st_mtime, found.st_size, path


def load(token: str) -> bytes | None:
    """The kept file, or None if the token is malformed, unknown or expired."""
    path = _path(token)
    try:
        return None if path is None else path.read_bytes()
    except FileNotFoundError:  # discarded meanwhile by another request
        return None


def discard(token: str) -> None:
    """Forget a kept file (nothing happens for an unknown token)."""
    path = _path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def purge_stale() -> None:
    """Remove the kept files nobody decided about in time."""
    for path in uploads_dir().glob("upload-*"):
        if _expired(path):
            path.unlink(missing_ok=True)
