"""Questionnaires stored as frozen versions: from server files (files), uploaded or
imported (upload), found and parsed once (lookup), written back out (formats)."""

from sipas.services.questionnaires.files import (
    SyncedFile,
    load_all,
    questionnaire_files,
    sync,
)
from sipas.services.questionnaires.lookup import latest_version, parsed

__all__ = [
    "SyncedFile",
    "latest_version",
    "load_all",
    "parsed",
    "questionnaire_files",
    "sync",
]
