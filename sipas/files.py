"""Files the app writes (exports, reports, paper forms, posters, kept uploads): for
its owner and group only, whatever the umask, since most hold personal data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, BinaryIO

#: Media types of the files the app sends, by extension. Werkzeug adds the charset
#: of a text type itself (a charset here would then be sent twice).
MEDIA_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
    ".parquet": "application/vnd.apache.parquet",
    ".pdf": "application/pdf",
}

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


class FileChunks:
    """An open file's bytes read a chunk at a time, the file closed at the end, or
    when the reader stops early (``close``, as a WSGI server does) or lets go."""

    def __init__(self, source: IO[bytes], chunk_size: int = 1 << 20) -> None:
        self._source = source
        self._chunk_size = chunk_size

    def __iter__(self) -> FileChunks:
        return self

    def __next__(self) -> bytes:
        chunk = b"" if self._source.closed else self._source.read(self._chunk_size)
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        """Close the file (a temporary one is removed)."""
        self._source.close()

    def __del__(self) -> None:
        self.close()
