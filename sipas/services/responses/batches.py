"""Import batches: the file each import came from, and an administrator's
acceptance before its rows count (unless the wave counts them at once).

Rows of a batch waiting for acceptance are stored ``flagged`` with
:data:`AWAITING_ACCEPTANCE` as reason, like unverified paper forms: out of the
statistics, visible in the review. Acceptance turns exactly those into
``complete``; rows the quality rules excluded stay flagged with their signals.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import ImportBatch, Response, ResponseStatus, User, Wave
from sipas.models.base import utcnow
from sipas.services.audit import record_event
from sipas.services.waves.publication import refuse_if_published

#: Why an imported row is held back from the statistics.
AWAITING_ACCEPTANCE = "import not accepted yet"


def new_batch(wave: Wave, filename: str, data: bytes, user: User | None) -> ImportBatch:
    """A batch for the rows an import is about to store (flushed: it has an id)."""
    batch = ImportBatch(
        wave_id=wave.id,
        filename=filename[-255:],
        sha256=hashlib.sha256(data).hexdigest(),
        imported_by_id=user.id if user is not None else None,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def wave_batches(wave: Wave) -> list[ImportBatch]:
    """The wave's batches, newest first."""
    return list(
        db.session.scalars(
            sa.select(ImportBatch)
            .where(ImportBatch.wave_id == wave.id)
            .order_by(ImportBatch.imported_at.desc(), ImportBatch.id.desc())
        )
    )


def batch_of_wave(wave: Wave, batch_id: int) -> ImportBatch | None:
    """The batch ``batch_id`` if it belongs to ``wave``."""
    batch = db.session.get(ImportBatch, batch_id)
    return batch if batch is not None and batch.wave_id == wave.id else None


def _release(batch_ids: sa.ColumnElement[bool], counts: bool) -> int:
    """Rows of the chosen batches waiting (counts) or counted while unaccepted."""
    waiting = sa.and_(
        Response.status == ResponseStatus.flagged,
        Response.status_reason == AWAITING_ACCEPTANCE,
    )
    counted = Response.status == ResponseStatus.complete
    values = (
        {"status": ResponseStatus.complete, "status_reason": None}
        if counts
        else {"status": ResponseStatus.flagged, "status_reason": AWAITING_ACCEPTANCE}
    )
    result = db.session.execute(
        sa.update(Response)
        .where(batch_ids, waiting if counts else counted)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def accept(batch: ImportBatch, user: User) -> int:
    """Accept ``batch``: its waiting rows count from now. Returns how many;
    PublishedFigures when the round's results are public."""
    if batch.accepted_at is not None:
        return 0
    refuse_if_published(batch.wave)
    batch.accepted_at, batch.accepted_by_id = utcnow(), user.id
    changed = _release(Response.import_batch_id == batch.id, counts=True)
    record_event(
        "responses.import_accept",
        user=user,
        object_type="import_batch",
        object_id=str(batch.id),
        details={"wave": batch.wave.code, "file": batch.filename, "released": changed},
    )
    db.session.flush()
    return changed


def set_counts_unaccepted(wave: Wave, counts: bool, user: User) -> int:
    """Change the wave's rule for rows of batches not accepted yet; their rows
    follow at once. Returns how many responses changed; PublishedFigures when
    the round's results are public."""
    if wave.counts_unaccepted_imports == counts:
        return 0
    refuse_if_published(wave)
    wave.counts_unaccepted_imports = counts
    unaccepted = Response.import_batch_id.in_(
        sa.select(ImportBatch.id).where(
            ImportBatch.wave_id == wave.id, ImportBatch.accepted_at.is_(None)
        )
    )
    changed = _release(unaccepted, counts)
    record_event(
        "wave.import_setting",
        user=user,
        object_type="wave",
        object_id=wave.code,
        details={"counts_unaccepted_imports": counts, "responses_changed": changed},
    )
    db.session.flush()
    return changed
