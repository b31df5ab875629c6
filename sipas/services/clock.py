"""The time services go by: now (replaced by tests to move the clock) and stored
timestamps read back as UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sipas.models.base import utcnow


def now() -> datetime:
    """The current time (UTC); tests replace it to move the clock."""
    return utcnow()


def as_utc(moment: datetime) -> datetime:
    """``moment`` with its UTC zone (SQLite hands stored timestamps back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
