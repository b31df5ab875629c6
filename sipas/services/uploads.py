"""Uploaded files kept for a moment between a check and the user's decision.

Files live in ``instance/uploads`` under a random name; a caller gets only the
token, so no path ever comes from a request. Files older than a day are removed.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import current_app

from sipas.files import OWNER_ONLY, write_private

#: How long a kept upload waits for the user's decision.
MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(token: str) -> Path | None:
    if not _TOKEN.fullmatch(token):
        return None
    return _folder() / f"upload-{token}"


def keep(data: bytes) -> str:
    """Store ``data``; return the token that finds it again."""
    purge_stale()
    token = secrets.token_hex(16)
    write_private(_folder() / f"upload-{token}", data, OWNER_ONLY)
    return token


def load(token: str) -> bytes | None:
    """The kept file, or None if the token is malformed, unknown or expired."""
    path = _path(token)
    if path is None or not path.is_file():
        return None
    return path.read_bytes()


def discard(token: str) -> None:
    """Forget a kept file (nothing happens for an unknown token)."""
    path = _path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def purge_stale() -> None:
    """Remove the kept files nobody decided about within a day."""
    limit = time.time() - MAX_AGE_SECONDS
    for path in _folder().glob("upload-*"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
