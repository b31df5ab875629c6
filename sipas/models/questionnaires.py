"""Frozen questionnaire versions, stored from server files (`questionnaire sync`),
uploaded in the back office or imported with `questionnaire import`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.extensions import Model
from sipas.models.base import Timestamp, utcnow
from sipas.models.users import User


class QuestionnaireVersion(Model):
    """One immutable version of a questionnaire file; responses point at it."""

    __tablename__ = "questionnaire_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Questionnaire code from the file, e.g. "sipas-2017".
    code: Mapped[str] = mapped_column(sa.String(60), index=True)
    #: The `version` the author wrote in the file.
    version: Mapped[int]
    #: 1, 2, … per code in the order versions were stored.
    revision: Mapped[int]
    #: sha256 of the canonical JSON of `definition`: the identity of the content.
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The parsed YAML as plain JSON; never changed after insert.
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    #: File the version was read from (for people; not used to load it).
    source: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    #: The administrator who uploaded or imported it; None: read from a file on
    #: the server (`questionnaire sync`, `questionnaire import`).
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("code", "revision"),)

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.code} r{self.revision}>"
