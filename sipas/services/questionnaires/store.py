"""Store a validated questionnaire as a frozen version: the next revision of its
code, unless the same content is stored already."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import QuestionnaireVersion, User
from sipas.questionnaire import LoadedQuestionnaire

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    """The version holding a questionnaire's content, and whether it is new."""

    version: QuestionnaireVersion
    is_new: bool


def version_by_sha256(sha256: str) -> QuestionnaireVersion | None:
    """The stored version with exactly this content, if any."""
    return db.session.scalar(sa.select(QuestionnaireVersion).filter_by(sha256=sha256))


def store(loaded: LoadedQuestionnaire, user: User | None = None) -> Stored:
    """Insert ``loaded`` unless a version with the same content exists.

    A stored version never changes: changed content of the same code becomes the
    next revision, and rounds created on the old one keep it.
    """
    existing = version_by_sha256(loaded.sha256)
    if existing is not None:
        return Stored(existing, is_new=False)
    code = loaded.questionnaire.code
    last_revision = db.session.scalar(
        sa.select(sa.func.max(QuestionnaireVersion.revision)).filter_by(code=code)
    )
    version = QuestionnaireVersion(
        code=code,
        version=loaded.questionnaire.version,
        revision=(last_revision or 0) + 1,
        sha256=loaded.sha256,
        definition=loaded.definition,
        source=Path(loaded.source).name[:300],
        uploaded_by_id=user.id if user is not None else None,
    )
    db.session.add(version)
    db.session.flush()
    log.info("stored questionnaire %s revision %s", code, version.revision)
    return Stored(version, is_new=True)
