"""Responses and their answers (long format), plus unfinished phone drafts."""

from __future__ import annotations

import enum
import uuid as uuid_module
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sipas.extensions import Model
from sipas.models.base import Timestamp, enum_column, utcnow
from sipas.models.questionnaires import QuestionnaireVersion
from sipas.models.units import Unit
from sipas.models.waves import Wave


class Channel(enum.StrEnum):
    """How a response reached us."""

    web = "web"
    kiosk = "kiosk"
    paper = "paper"
    interview = "interview"
    #: rows of a file imported by staff, whatever channel the file claims
    imported = "import"


class ResponseStatus(enum.StrEnum):
    complete = "complete"
    #: kept but excluded from statistics until reviewed (spam, speeding …)
    flagged = "flagged"
    #: withdrawn by an administrator, with a reason; never deleted
    void = "void"


class Response(Model):
    """One filled questionnaire. Anonymous: no name, phone or ID of the respondent."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Made by the client for its form instance; unique (``uq_responses_uuid``) so a
    #: retry stores nothing new.
    uuid: Mapped[uuid_module.UUID] = mapped_column(sa.Uuid)
    wave_id: Mapped[int] = mapped_column(sa.ForeignKey("waves.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    #: The exact questionnaire version answered.
    questionnaire_id: Mapped[int] = mapped_column(
        sa.ForeignKey("questionnaire_versions.id")
    )
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    #: Language the respondent answered in.
    language: Mapped[str] = mapped_column(sa.String(8), default="vi")
    #: Kiosk device that sent it (kiosk channel).
    device_code: Mapped[str | None] = mapped_column(sa.String(64))
    #: The import that stored it (import channel).
    import_batch_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("import_batches.id"), index=True
    )
    #: Serial number of the paper form (paper channel).
    paper_serial: Mapped[str | None] = mapped_column(sa.String(40))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: When the respondent opened the questionnaire.
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    submitted_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    #: When the server stored it, by its own clock: the throughput rule judges a
    #: kiosk on this, never on the times the device claims.
    received_at: Mapped[datetime | None] = mapped_column(Timestamp, default=utcnow)
    #: Seconds between start and submission, for quality checks.
    duration_seconds: Mapped[int | None]
    status: Mapped[ResponseStatus] = mapped_column(
        enum_column(ResponseStatus), default=ResponseStatus.complete
    )
    #: Why the response was flagged or voided.
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Bit k set when criterion k (questionnaire order) was answered 1–5, and when it
    #: was answered 4–5: derived from the answers when they are written (answers never
    #: change), so wave statistics group responses instead of reading answer rows.
    criteria_answered: Mapped[int | None] = mapped_column(sa.BigInteger)
    criteria_satisfied: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: The answers to the choice questions packed in a few bytes
    #: (sipas/questionnaire/choices.py), derived when the answers are written: option
    #: shares and breakdowns read these instead of the answer rows. None for a
    #: response stored before they existed or holding an answer outside the options.
    choice_codes: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    #: Bit mask of the quality signals the response raised, whatever the decision
    #: (bits: sipas/questionnaire/quality.py SIGNALS): kept when an administrator
    #: accepts or voids it, so reviews can find and count them.
    quality_signals: Mapped[int] = mapped_column(
        sa.Integer, default=0, server_default="0"
    )

    wave: Mapped[Wave] = relationship()
    unit: Mapped[Unit] = relationship()
    questionnaire: Mapped[QuestionnaireVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # a unique index, not a table constraint: SQLite can drop an index, so a
        # bulk write into a nearly empty table makes it again by one sort at its
        # end (bulk.indexes_built_after) instead of a random insert per response
        # (0.4 s of 170 000 demo responses)
        sa.Index("uq_responses_uuid", "uuid", unique=True),
        sa.Index("ix_responses_wave_unit_status", "wave_id", "unit_id", "status"),
        # the device-rate quality rule counts one device's recent responses
        sa.Index("ix_responses_device_submitted", "device_code", "submitted_at"),
        # the device-throughput rule counts what the server received from a device
        sa.Index("ix_responses_device_received", "device_code", "received_at"),
        # covers the grouped query of wave statistics (services/results/query.py),
        # so the database answers it from the index alone, already in group order;
        # and the packed choices read for option shares, in unit order
        sa.Index(
            "ix_responses_patterns",
            "wave_id",
            "status",
            "unit_id",
            "channel",
            "criteria_answered",
            "criteria_satisfied",
            "choice_codes",
        ),
        # the review lists of responses with a quality signal (a few in a hundred),
        # by round, status and unit: found without reading the others (1M
        # responses: 3.4 s -> 0.1 s a page)
        sa.Index(
            "ix_responses_signalled",
            "wave_id",
            "status",
            "unit_id",
            "submitted_at",
            sqlite_where=sa.text("quality_signals != 0"),
            postgresql_where=sa.text("quality_signals != 0"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Response {self.uuid}>"


class Answer(Model):
    """One answer value; a multi-choice answer is one row per chosen option."""

    __tablename__ = "answers"

    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    item_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, primary_key=True)

    response: Mapped[Response] = relationship(back_populates="answers")

    # covers the option counts of perception and expectation questions: one item's
    # answers in response order, without touching the table. On SQLite the table
    # is its primary key (WITHOUT ROWID): a row is written twice, not three times
    __table_args__ = (
        sa.Index("ix_answers_item_response", "item_code", "response_id", "value"),
        {"sqlite_with_rowid": False},
    )


class RecentCompletion(Model):
    """A phone completion, kept only for the source window of the quality rules
    (purged after it): which network source finished a form for which unit, and
    a digest of its answers. No address is stored: only a keyed hash of it."""

    __tablename__ = "recent_completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: HMAC-SHA256 of the client's address under the app's secret key (hex): the
    #: same address gives the same key, and the key does not give the address back.
    source_key: Mapped[str] = mapped_column(sa.String(64))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id", ondelete="CASCADE"))
    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id", ondelete="CASCADE")
    )
    #: SHA-256 of the answers (every item, in code order): equal answers, equal digest.
    answers_digest: Mapped[str] = mapped_column(sa.String(64))
    #: Server time of the completion; rows older than the window are deleted.
    completed_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    __table_args__ = (
        sa.Index(
            "ix_recent_completions_source", "source_key", "unit_id", "completed_at"
        ),
        sa.Index("ix_recent_completions_completed_at", "completed_at"),
    )


class ResponseDraft(Model):
    """Unsent answers of a phone questionnaire, keyed by its form instance."""

    __tablename__ = "response_drafts"

    #: The form instance's UUID; becomes the response's uuid on submission.
    form_uuid: Mapped[uuid_module.UUID] = mapped_column(sa.Uuid, primary_key=True)
    wave_id: Mapped[int] = mapped_column(sa.ForeignKey("waves.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    #: Validated answers so far: {item code: value or list of values}.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: Code of the section the respondent is on.
    current_section: Mapped[str | None] = mapped_column(sa.String(40))
    language: Mapped[str] = mapped_column(sa.String(8), default="vi")
    started_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        Timestamp, default=utcnow, onupdate=utcnow, index=True
    )
