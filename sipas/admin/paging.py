"""Which page of a long list a request asks for."""

from __future__ import annotations

from flask import request

#: No list has this many pages; larger numbers overflow a database integer.
LAST_PAGE = 1_000_000


def requested_page() -> int:
    """The ``page`` query parameter from 1 to LAST_PAGE (1 if absent or no number)."""
    page = request.args.get("page", 1, type=int)
    return min(max(page, 1), LAST_PAGE)
