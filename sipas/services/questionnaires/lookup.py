"""Finding stored questionnaire versions, the rounds that use them, and their parsed
form (parsed once per process)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort

from sipas.extensions import db
from sipas.models import QuestionnaireVersion, Wave
from sipas.questionnaire import Questionnaire, parse_definition


def latest_version(code: str) -> QuestionnaireVersion | None:
    """The most recently stored version of questionnaire ``code``."""
    return db.session.scalar(
        sa.select(QuestionnaireVersion)
        .filter_by(code=code)
        .order_by(QuestionnaireVersion.revision.desc())
        .limit(1)
    )


def version_or_404(version_id: int) -> QuestionnaireVersion:
    """The stored version with this id, or a 404 page."""
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None:
        abort(404)
    return version


@dataclass(frozen=True)
class VersionRow:
    """A stored version and the rounds created on it."""

    version: QuestionnaireVersion
    waves: tuple[Wave, ...]


def versions_with_waves() -> list[VersionRow]:
    """Every stored version, by code and newest revision first, with its rounds."""
    versions = db.session.scalars(
        sa.select(QuestionnaireVersion).order_by(
            QuestionnaireVersion.code, QuestionnaireVersion.revision.desc()
        )
    ).all()
    by_version: dict[int, list[Wave]] = defaultdict(list)
    for wave in db.session.scalars(sa.select(Wave).order_by(Wave.code)):
        by_version[wave.questionnaire_id].append(wave)
    return [VersionRow(v, tuple(by_version[v.id])) for v in versions]


def waves_on_code(code: str) -> list[Wave]:
    """The rounds created on any version of questionnaire ``code``."""
    return list(
        db.session.scalars(
            sa.select(Wave)
            .join(
                QuestionnaireVersion, Wave.questionnaire_id == QuestionnaireVersion.id
            )
            .where(QuestionnaireVersion.code == code)
            .order_by(Wave.code)
        )
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
