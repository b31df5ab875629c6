"""Staff accounts. Citizens never have one."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from sipas.extensions import Model
from sipas.models.base import Timestamp, enum_column, utcnow
from sipas.models.units import Unit


class Role(enum.StrEnum):
    admin = "admin"
    analyst = "analyst"
    surveyor = "surveyor"


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    #: Root of the unit subtree the user may see; None = every unit (admins).
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    #: Disabled accounts cannot log in; kept for the audit trail.
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: When the password was last set (None: never changed since creation).
    password_changed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Random value carried in the session cookie; replaced when the password changes
    #: or the account is disabled, so every session made before dies.
    session_stamp: Mapped[str] = mapped_column(
        sa.String(32), default=lambda: secrets.token_hex(16), server_default=""
    )

    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_enabled

    def get_id(self) -> str:
        """Flask-Login's session key: the id and the current session stamp."""
        return f"{self.id}:{self.session_stamp}"

    def renew_session_stamp(self) -> None:
        """Invalidate every session opened before now."""
        self.session_stamp = secrets.token_hex(16)

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (never the password)."""
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """True if ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"
