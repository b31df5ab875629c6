"""Questionnaire files on the server stored as frozen versions (`sync`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sipas.questionnaire import (
    LoadedQuestionnaire,
    Problem,
    QuestionnaireError,
    load_file,
)
from sipas.services.questionnaires.store import store


@dataclass(frozen=True)
class SyncedFile:
    """What `sync` did with one file."""

    source: str
    code: str
    revision: int
    is_new: bool


def questionnaire_files(directory: str | Path) -> list[Path]:
    """The YAML files of a questionnaire folder, sorted by name."""
    folder = Path(directory)
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def load_all(paths: Iterable[str | Path]) -> list[LoadedQuestionnaire]:
    """Load every file; one QuestionnaireError lists the problems of all of them."""
    loaded: list[LoadedQuestionnaire] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            loaded.append(load_file(path))
        except QuestionnaireError as error:
            problems.extend(error.problems)
    if problems:
        raise QuestionnaireError(tuple(problems))
    return loaded


def sync(paths: Iterable[str | Path]) -> list[SyncedFile]:
    """Store each file whose content is new as the next revision of its code.

    All files are validated before anything is stored, so a bad file stores nothing.
    Versions of one code are stored in the order of their ``version`` (not of their
    file names), so the newest version is the latest revision on a fresh install.
    """
    loaded = sorted(
        load_all(paths),
        key=lambda item: (item.questionnaire.code, item.questionnaire.version),
    )
    synced = []
    for item in loaded:
        stored = store(item)
        synced.append(
            SyncedFile(
                item.source,
                stored.version.code,
                stored.version.revision,
                is_new=stored.is_new,
            )
        )
    return synced
