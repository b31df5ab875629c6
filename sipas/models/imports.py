"""Files of responses imported by surveyors: one batch per stored import."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.extensions import Model
from sipas.models.base import Timestamp, utcnow
from sipas.models.users import User
from sipas.models.waves import Wave


class ImportBatch(Model):
    """One import that stored rows: the file it came from and who accepted it.

    Its responses carry channel ``import`` and this batch's id, whatever the file
    says; while the wave's ``counts_unaccepted_imports`` is off they are held back
    from the statistics until an administrator accepts the batch.
    """

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(sa.ForeignKey("waves.id"))
    #: The uploaded file's name, as the user's computer called it.
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: SHA-256 of the file's bytes (hex): which file exactly, for the audit.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: Responses this batch stored.
    rows: Mapped[int] = mapped_column(default=0)
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: When an administrator accepted the batch (None: waiting).
    accepted_at: Mapped[datetime | None] = mapped_column(Timestamp)

    wave: Mapped[Wave] = relationship()
    imported_by: Mapped[User | None] = relationship(foreign_keys=[imported_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.filename}>"
