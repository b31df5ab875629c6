"""Why a file could not be read or written, in the user's language (the operating
system's own words are English): shared by `flask sipas …` and `sipas-stats`, so it
imports nothing of Flask."""

from __future__ import annotations

import errno

from sipas.language import gettext as _


def why(error: OSError, *, reading: bool = False) -> str:
    """The reason of a failed file operation, in the user's language: a missing
    path is the file itself when ``reading``, else the folder to write in."""
    missing = (
        _("the file does not exist") if reading else _("the folder does not exist")
    )
    reasons = {
        errno.ENOENT: missing,
        errno.EACCES: _("permission denied"),
        errno.EPERM: _("permission denied"),
        errno.ENOSPC: _("the disk is full"),
        errno.EISDIR: _("it is a folder"),
        errno.EROFS: _("the disk is read-only"),
    }
    return reasons.get(error.errno or 0, error.strerror or str(error))
