"""Phone completions per network source: the burst rules of an anonymous survey.

No address is stored. A completion leaves a row in ``recent_completions`` with a
keyed hash of the client's address (HMAC-SHA256 under the app's secret key, so
the table cannot be turned back into addresses by trying them all), the unit, the
response and a digest of its answers; rows older than the source window are
deleted with every new completion (and by ``flask sipas purge-drafts``). The
rules themselves are pure (``sipas.questionnaire.quality.source_signals``): many
completions for one unit from one address within the window are a burst (marked,
still counted: a carrier's NAT puts many honest phones behind one address), and
a burst that repeats the same answers is excluded until reviewed. Responses of
the burst finished before it became one are marked too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app

from sipas.extensions import db
from sipas.models import RecentCompletion, Response
from sipas.models.base import utcnow
from sipas.questionnaire.quality import (
    DUPLICATE_ANSWERS,
    SOURCE_BURST,
    source_signals,
)
from sipas.services.responses import quality


def source_key(address: str) -> str:
    """The keyed hash of a client address that stands for it (hex)."""
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    message = b"completion-source:" + address.encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def answers_digest(answers: Mapping[str, object]) -> str:
    """SHA-256 of every answer in code order: equal answers, equal digest."""
    canonical = json.dumps(
        {code: list(v) if isinstance(v, tuple) else v for code, v in answers.items()},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _window_start() -> datetime:
    minutes = float(current_app.config["QUALITY_SOURCE_WINDOW_MINUTES"])
    return utcnow() - timedelta(minutes=minutes)


def purge_expired() -> int:
    """Delete the completions older than the source window; how many."""
    result = cast(
        "sa.CursorResult[Any]",
        db.session.execute(
            sa.delete(RecentCompletion).where(
                RecentCompletion.completed_at <= _window_start()
            )
        ),
    )
    return result.rowcount or 0


def note_completion(
    response: Response, address: str, answers: Mapping[str, object]
) -> None:
    """Remember a phone completion for the window and raise the source rules on
    it, and on the earlier completions of its burst."""
    purge_expired()
    key, digest = source_key(address), answers_digest(answers)
    earlier = db.session.execute(
        sa.select(RecentCompletion.response_id, RecentCompletion.answers_digest)
        .where(
            RecentCompletion.source_key == key,
            RecentCompletion.unit_id == response.unit_id,
        )
        .order_by(RecentCompletion.id)
    ).all()
    db.session.add(
        RecentCompletion(
            source_key=key,
            unit_id=response.unit_id,
            response_id=response.id,
            answers_digest=digest,
        )
    )
    limit = int(current_app.config["QUALITY_SOURCE_BURST"])
    codes = source_signals([d for _, d in earlier], digest, limit)
    if codes:
        quality.add_signals(response, codes)
        _mark_burst(dict(earlier), digest)
    db.session.flush()


def _mark_burst(earlier: Mapping[int, str], digest: str) -> None:
    """The burst's earlier completions: each marked, and those whose answers
    another completion of the burst repeats marked as duplicates too."""
    repeats = Counter([*earlier.values(), digest])
    responses = db.session.scalars(
        sa.select(Response).where(Response.id.in_(list(earlier)))
    )
    for response in responses:
        if repeats[earlier[response.id]] > 1:
            quality.add_signals(response, (SOURCE_BURST, DUPLICATE_ANSWERS))
        else:
            quality.add_signals(response, (SOURCE_BURST,))
