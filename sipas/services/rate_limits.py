"""Fixed-window rate limits counted in the database, so every worker sees one count.

Each hit is one statement, ``INSERT … ON CONFLICT DO UPDATE … RETURNING``. The
caller commits at once, before the request does its work (see
sipas.security.rate_limited): the count stays whatever becomes of the request, and
on PostgreSQL the counter row is locked only for that short transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sipas.extensions import db
from sipas.models import RateLimitCounter

#: Expired windows are deleted at most this often by one process.
PURGE_EVERY_SECONDS = 60

_last_purge = 0.0

#: The time in POSIX seconds; tests replace it to move between windows.
clock = time.time


@dataclass(frozen=True)
class Verdict:
    """The answer to one hit: go on, or wait ``retry_after`` seconds."""

    allowed: bool
    remaining: int
    retry_after: int


def hit(key: str, limit: int, window: int, now: float | None = None) -> Verdict:
    """Count one request for ``key``: at most ``limit`` per ``window`` seconds."""
    moment = int(clock() if now is None else now)
    start = moment - moment % window
    hits = _increment(key, start, start + window, moment)
    return Verdict(
        allowed=hits <= limit,
        remaining=max(limit - hits, 0),
        retry_after=start + window - moment,
    )


def _increment(key: str, start: int, end: int, moment: int) -> int:
    table = RateLimitCounter.__table__
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(key=key, window_start=start, hits=1, expires_at=end)
        .on_conflict_do_update(
            index_elements=[table.c.key, table.c.window_start],
            set_={"hits": table.c.hits + 1},
        )
        .returning(table.c.hits)
    )
    hits = db.session.execute(statement).scalar_one()
    if hits == 1:
        _purge_now_and_then(moment)
    return hits


def _purge_now_and_then(moment: int) -> None:
    """Delete expired windows, once a minute per process, when a new one opens."""
    global _last_purge
    if moment - _last_purge < PURGE_EVERY_SECONDS:
        return
    _last_purge = moment
    purge_expired(moment)


def purge_expired(now: float | None = None) -> int:
    """Delete the counters of windows that have ended; return how many."""
    moment = int(clock() if now is None else now)
    table = RateLimitCounter.__table__
    deleted = cast(
        "sa.CursorResult[Any]",
        db.session.execute(sa.delete(table).where(table.c.expires_at <= moment)),
    )
    return deleted.rowcount
