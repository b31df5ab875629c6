"""Column helpers shared by the models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (stored as UTC everywhere)."""
    return datetime.now(UTC)


def enum_column(
    enum_class: type[enum.Enum], length: int = 20, name: str | None = None
) -> sa.Enum:
    """A portable enum column: VARCHAR + CHECK of the enum's values, no native type.

    ``name`` names the CHECK constraint; give one when a table has two columns of the
    same enum, since PostgreSQL wants constraint names unique per table.
    """
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        create_constraint=True,
        name=name or enum_class.__name__.lower(),
    )


#: A timestamp column that keeps its time zone (UTC) on every database.
Timestamp = sa.DateTime(timezone=True)
