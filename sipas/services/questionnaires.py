"""Store questionnaire files as frozen versions; keep parsed ones in memory."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import QuestionnaireVersion
from sipas.questionnaire import (
    LoadedQuestionnaire,
    Problem,
    Questionnaire,
    QuestionnaireError,
    load_file,
    parse_definition,
)

log = logging.getLogger(__name__)


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
    return [_store(item) for item in loaded]


def _store(loaded: LoadedQuestionnaire) -> SyncedFile:
    """Insert ``loaded`` unless a version with the same content exists."""
    code = loaded.questionnaire.code
    existing = db.session.scalar(
        sa.select(QuestionnaireVersion).filter_by(sha256=loaded.sha256)
    )
    if existing is not None:
        return SyncedFile(loaded.source, code, existing.revision, is_new=False)
    last_revision = db.session.scalar(
        sa.select(sa.func.max(QuestionnaireVersion.revision)).filter_by(code=code)
    )
    version = QuestionnaireVersion(
        code=code,
        version=loaded.questionnaire.version,
        revision=(last_revision or 0) + 1,
        sha256=loaded.sha256,
        definition=loaded.definition,
        source=Path(loaded.source).name,
    )
    db.session.add(version)
    db.session.flush()
    log.info("stored questionnaire %s revision %s", code, version.revision)
    return SyncedFile(loaded.source, code, version.revision, is_new=True)


def latest_version(code: str) -> QuestionnaireVersion | None:
    """The most recently stored version of questionnaire ``code``."""
    return db.session.scalar(
        sa.select(QuestionnaireVersion)
        .filter_by(code=code)
        .order_by(QuestionnaireVersion.revision.desc())
        .limit(1)
    )


#: Parsed questionnaires by content hash; a hash always means the same content.
_parsed_by_sha256: dict[str, Questionnaire] = {}


def parsed(version: QuestionnaireVersion) -> Questionnaire:
    """The parsed questionnaire of a stored version (parsed once per process)."""
    questionnaire = _parsed_by_sha256.get(version.sha256)
    if questionnaire is None:
        questionnaire = parse_definition(version.definition, source=version.source)
        _parsed_by_sha256[version.sha256] = questionnaire
    return questionnaire
