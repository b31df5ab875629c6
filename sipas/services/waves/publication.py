"""Publishing a closed round's results on the public pages (/ket-qua) and taking
them down again, both audited."""

from __future__ import annotations

import logging
import unicodedata

from sipas.extensions import db
from sipas.models import User, Wave, WaveStatus
from sipas.services import clock
from sipas.services.audit import record_event
from sipas.services.waves.published_pages import forget_pages

log = logging.getLogger(__name__)


class PublicationRefused(ValueError):
    """The round cannot be published or unpublished now (not closed, already in
    that state, reason missing)."""


class PublishedFigures(ValueError):
    """A change that would alter the figures of a round whose results are public
    (accepting imported rows, changing which responses count): the results must
    be taken down first."""


def refuse_if_published(wave: Wave) -> None:
    """Raise PublishedFigures when ``wave``'s results are public: what they
    count must not change under them unnoticed."""
    if wave.is_published:
        raise PublishedFigures(f"the results of {wave.code} are published")


def publish_wave(wave: Wave, user: User | None) -> None:
    """Make a closed round's results public from now on."""
    if wave.status is not WaveStatus.closed:
        raise PublicationRefused("only a closed round can be published")
    if wave.is_published:
        raise PublicationRefused("already published")
    wave.published_at = clock.now()
    wave.published_by = user.username if user is not None else None
    db.session.flush()
    record_event(
        "wave.publish",
        user=user,
        object_type="wave",
        object_id=wave.code,
        details={"published_at": wave.published_at.isoformat()},
    )
    log.info("wave %s published", wave.code)


def unpublish_wave(wave: Wave, user: User | None, reason: str) -> None:
    """Take a round's results off the public pages; the reason is audited."""
    reason = unicodedata.normalize("NFC", reason or "").strip()
    if not wave.is_published:
        raise PublicationRefused("not published")
    if not reason:
        raise PublicationRefused("unpublishing needs a reason")
    published_at = wave.published_at
    wave.published_at = None
    wave.published_by = None
    db.session.flush()
    forget_pages(wave.code)
    record_event(
        "wave.unpublish",
        user=user,
        object_type="wave",
        object_id=wave.code,
        details={
            "reason": reason,
            "published_at": published_at.isoformat() if published_at else None,
        },
    )
    log.info("wave %s unpublished", wave.code)
