"""Files the app writes (exports, reports, paper forms, posters, kept uploads): for
its owner and group only, whatever the umask, since most hold personal data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

#: Owner reads and writes, the group (the backup or web-server user) reads.
SHARED_WITH_GROUP = 0o640
#: Owner only (files kept for the app itself).
OWNER_ONLY = 0o600


def open_private(path: Path, mode: int = SHARED_WITH_GROUP) -> BinaryIO:
    """``path`` opened for writing (emptied if it exists) with ``mode`` permissions."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(descriptor, mode)  # an existing file keeps its mode otherwise
    return os.fdopen(descriptor, "wb")


def write_private(path: Path, data: bytes, mode: int = SHARED_WITH_GROUP) -> None:
    """Write ``data`` to ``path`` with ``mode`` permissions."""
    with open_private(path, mode) as handle:
        handle.write(data)
