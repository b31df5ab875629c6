"""Kiosk devices: enrolment tokens, revocation, and the sync of their responses."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from sipas.extensions import db
from sipas.models import Channel, Device, Unit, User
from sipas.models.base import utcnow
from sipas.services import responses
from sipas.services.accounts import record_event
from sipas.services.waves import find_open_target

log = logging.getLogger(__name__)

#: Most responses one sync request may carry (413 beyond).
MAX_BATCH = 200
#: A device clock ahead of ours by more than this is not believed.
_CLOCK_SLACK = timedelta(minutes=5)


class SyncRequestError(ValueError):
    """The request body is not a sync request at all (400); ``detail`` in Vietnamese
    for the kiosk's staff."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def enrolment_path(unit: Unit, token: str) -> str:
    """The kiosk's enrolment address; the token rides in the fragment."""
    return f"/kiosk/{unit.code}/enrol#token={token}"


def devices_by_unit() -> list[Device]:
    """Every device, by unit code then name."""
    return list(
        db.session.scalars(
            sa.select(Device)
            .join(Device.unit)
            .options(joinedload(Device.unit))
            .order_by(Unit.code, Device.name, Device.id)
        )
    )


def create_device(unit: Unit, name: str, user: User | None) -> tuple[Device, str]:
    """Register a kiosk for ``unit``; returns it with its token (shown once)."""
    token = secrets.token_urlsafe(32)
    device = Device(
        unit=unit,
        name=unicodedata.normalize("NFC", name).strip(),
        token_hash=hash_token(token),
        created_by_id=user.id if user else None,
    )
    db.session.add(device)
    db.session.flush()
    _audit("device.create", device, user)
    return device, token


def revoke_device(device: Device, user: User | None) -> None:
    """Deactivate a device: its token no longer works."""
    device.is_active = False
    db.session.flush()
    _audit("device.revoke", device, user)


def reissue_token(device: Device, user: User | None) -> str:
    """A new token for ``device`` (the old one stops working); active again."""
    token = secrets.token_urlsafe(32)
    device.token_hash = hash_token(token)
    device.is_active = True
    db.session.flush()
    _audit("device.token", device, user)
    return token


def _audit(action: str, device: Device, user: User | None) -> None:
    record_event(
        action,
        user=user,
        object_type="device",
        object_id=str(device.id),
        details={"unit": device.unit.code, "name": device.name},
    )


def authenticate(authorization: str | None) -> Device | None:
    """The active device whose token is in an ``Authorization: Bearer`` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    digest = hash_token(token)
    device = db.session.scalar(sa.select(Device).filter_by(token_hash=digest))
    # the lookup is by hash; compare again in constant time before trusting it
    if device is None or not hmac.compare_digest(device.token_hash, digest):
        return None
    return device if device.is_active else None


def heartbeat(
    device: Device, app_version: object = None, unsent: object = None
) -> None:
    """Note that ``device`` was in touch, with what it reports of itself."""
    device.last_seen_at = utcnow()
    if isinstance(app_version, str) and app_version.strip():
        device.app_version = app_version.strip()[:40]
    if isinstance(unsent, int) and not isinstance(unsent, bool) and unsent >= 0:
        device.unsent_count = unsent
    db.session.flush()


@dataclass
class SyncResult:
    """UUIDs acknowledged (stored now or before) and those the device must keep."""

    acknowledged: list[str] = field(default_factory=list)
    pending: list[dict[str, str]] = field(default_factory=list)


def batch_of(body: object) -> list[object]:
    """The responses of a sync body; SyncRequestError when it is not one."""
    if not isinstance(body, Mapping):
        raise SyncRequestError(
            "the body must be a JSON object", "phải là một đối tượng JSON"
        )
    batch = body.get("responses", [])
    if not isinstance(batch, list):
        raise SyncRequestError(
            '"responses" must be a list', '"responses" phải là một danh sách'
        )
    return batch


def sync(device: Device, batch: list[object]) -> SyncResult:
    """Store every response of ``batch`` sent by ``device``; idempotent by UUID."""
    result = SyncResult()
    for item in batch:
        if not isinstance(item, Mapping):
            result.pending.append({"uuid": "", "reason": "not_an_object"})
            continue
        raw_uuid = item.get("uuid")
        try:
            response_uuid = uuid_module.UUID(str(raw_uuid))
        except ValueError:
            result.pending.append({"uuid": str(raw_uuid or ""), "reason": "bad_uuid"})
            continue
        reason = _store_one(device, response_uuid, item)
        if reason is None:
            result.acknowledged.append(str(raw_uuid))
        else:
            result.pending.append({"uuid": str(raw_uuid), "reason": reason})
    log.info(
        "device %s synced: %d acknowledged, %d pending",
        device.id,
        len(result.acknowledged),
        len(result.pending),
    )
    return result


def _store_one(
    device: Device, response_uuid: uuid_module.UUID, item: Mapping[str, object]
) -> str | None:
    """Store one response; None when stored (or already), else why it is kept back."""
    if responses.find_by_uuid(response_uuid) is not None:
        return None
    unit_code = item.get("unit_code") or device.unit.code
    if unit_code != device.unit.code:
        return "wrong_unit"
    submitted_at = _moment(item.get("submitted_at"))
    if submitted_at is None or submitted_at > utcnow() + _CLOCK_SLACK:
        submitted_at = utcnow()
    target = find_open_target(device.unit.code) or find_open_target(
        device.unit.code, submitted_at.date()
    )
    if target is None:
        return "no_open_wave"
    answers = item.get("answers")
    language = item.get("language")
    submission = responses.Submission(
        uuid=response_uuid,
        wave=target.wave,
        unit=target.unit,
        channel=Channel.kiosk,
        language=language if language in ("vi", "en") else "vi",
        started_at=_moment(item.get("started_at")),
        submitted_at=submitted_at,
        device_code=device.code,
        keep_invalid=True,
    )
    try:
        recorded = responses.record(
            submission, answers if isinstance(answers, Mapping) else {}
        )
    except responses.SubmissionRefused as refused:
        log.warning("kiosk response %s refused: %s", response_uuid, refused)
        return "no_open_wave"
    if not isinstance(answers, Mapping) and recorded.is_new:
        recorded.response.status_reason = "invalid:answers"
    return None


def _moment(value: object) -> datetime | None:
    """An ISO 8601 time from the device, in UTC; None if absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (
        moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    )


def enrolable_units() -> list[Unit]:
    """Units a kiosk can be registered for, by code."""
    return list(db.session.scalars(sa.select(Unit).order_by(Unit.code)))
