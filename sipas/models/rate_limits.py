"""Request counters shared by every worker process: one row per key and window."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from sipas.extensions import Model


class RateLimitCounter(Model):
    """Requests ``key`` made in the fixed window starting at ``window_start``."""

    __tablename__ = "rate_limits"

    #: What is counted and for whom, e.g. ``phone:203.0.113.7`` or ``sync:<hash>``.
    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    #: Start of the window in POSIX seconds (a multiple of the window's length).
    window_start: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: End of the window in POSIX seconds; rows past it are deleted.
    expires_at: Mapped[int] = mapped_column(sa.BigInteger, index=True)

    def __repr__(self) -> str:
        return f"<RateLimitCounter {self.key} {self.window_start}: {self.hits}>"
