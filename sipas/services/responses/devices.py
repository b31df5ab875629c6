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
from sipas.models import Channel, Device, Response, Unit, User
from sipas.models.base import utcnow
from sipas.questionnaire import normalize_text
from sipas.services.audit import record_event
from sipas.services.responses import store
from sipas.services.units.lookup import all_units
from sipas.services.waves.lookup import SurveyTarget, find_open_target, open_unit_ids

log = logging.getLogger(__name__)

#: Most responses one sync request may carry (413 beyond).
MAX_BATCH = 200
#: A device clock ahead of ours by more than this is not believed.
_CLOCK_SLACK = timedelta(minutes=5)
#: Nor a device time before this.
_EARLIEST_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
#: Largest count of unsent responses a device may report (the column's range).
_MAX_UNSENT = 2**31 - 1


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


def bearer_token_of(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, however spaced."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def device_key(authorization: str | None) -> str | None:
    """Who is asking, as far as an ``Authorization`` header tells (its token's
    hash: one device, one key, however the header is spaced); no query."""
    token = bearer_token_of(authorization)
    return None if token is None else hash_token(token)


def authenticate(authorization: str | None) -> Device | None:
    """The active device whose token is in an ``Authorization: Bearer`` header."""
    token = bearer_token_of(authorization)
    if token is None:
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
    if isinstance(app_version, str) and normalize_text(app_version):
        device.app_version = normalize_text(app_version)[:40]
    if (
        isinstance(unsent, int)
        and not isinstance(unsent, bool)
        and 0 <= unsent <= _MAX_UNSENT
    ):
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
    """Store every response of ``batch`` sent by ``device``; idempotent by UUID.

    Each response is checked on its own (kept back with a reason, or stored, flagged
    if its answers break the rules); the stored ones go in together
    (responses.store_checked), with the queries done once per batch.
    """
    return store_sync(device, check_sync(device, batch))


@dataclass
class SyncPlan:
    """A batch read and checked, before anything is written."""

    result: SyncResult
    #: (UUID as sent, whether its answers were a mapping) of the responses to store
    accepted: list[tuple[str, store.Submission, bool]]
    checked: list[store.Checked]


def check_sync(device: Device, batch: list[object]) -> SyncPlan:
    """Read and validate a batch (queries that only read; see sipas.api.sync)."""
    result = SyncResult()
    targets = _Targets(device.unit.code)
    accepted: list[tuple[str, store.Submission, object]] = []
    readable: list[tuple[object, uuid_module.UUID, Mapping]] = []
    for item in batch:
        if not isinstance(item, Mapping):
            result.pending.append({"uuid": "", "reason": "not_an_object"})
            continue
        raw_uuid = item.get("uuid")
        try:
            readable.append((raw_uuid, uuid_module.UUID(str(raw_uuid)), item))
        except ValueError:
            result.pending.append({"uuid": _shown(raw_uuid), "reason": "bad_uuid"})
    # stored before (an earlier sync whose answer was lost): acknowledged again,
    # whatever has changed since (the wave closed …)
    stored_before = store.stored_uuids([u for _, u, _ in readable])
    for raw_uuid, response_uuid, item in readable:
        if response_uuid in stored_before:
            result.acknowledged.append(str(raw_uuid))
            continue
        submission = _submission(device, response_uuid, item, targets)
        if isinstance(submission, str):
            result.pending.append({"uuid": str(raw_uuid), "reason": submission})
        else:
            accepted.append((str(raw_uuid), submission, item.get("answers")))
    checked = store.check_many(
        [
            (submission, answers if isinstance(answers, Mapping) else {})
            for _, submission, answers in accepted
        ]
    )
    return SyncPlan(
        result,
        [(raw, sub, isinstance(answers, Mapping)) for raw, sub, answers in accepted],
        checked,
    )


def store_sync(device: Device, plan: SyncPlan) -> SyncResult:
    """Store what :func:`check_sync` accepted; the answer for the device."""
    result, accepted = plan.result, plan.accepted
    try:
        stored = store.store_checked(plan.checked)
    except store.SubmissionRefused as refused:
        # the wave closed since it was looked up: keep them all back, store nothing
        log.warning("kiosk responses refused: %s", refused)
        result.pending.extend(
            {"uuid": raw_uuid, "reason": "no_open_wave"} for raw_uuid, _, _ in accepted
        )
        accepted = []
        stored = set()
    _mark_unreadable_answers(
        [sub.uuid for _, sub, is_mapping in accepted if not is_mapping], stored
    )
    result.acknowledged.extend(raw_uuid for raw_uuid, _, _ in accepted)
    log.info(
        "device %s synced: %d acknowledged (%d new), %d pending",
        device.id,
        len(result.acknowledged),
        len(stored),
        len(result.pending),
    )
    return result


def _shown(raw_uuid: object) -> str:
    """A rejected UUID as the kiosk sent it, for its own bookkeeping (bounded)."""
    return str(raw_uuid or "")[:100]


class _Targets:
    """The unit's open wave now, or on the day a response was finished; looked up
    once per day for a batch."""

    def __init__(self, unit_code: str) -> None:
        self.unit_code = unit_code
        self._today: SurveyTarget | None = find_open_target(unit_code)
        self._on_day: dict[object, SurveyTarget | None] = {}

    def for_moment(self, moment: datetime) -> SurveyTarget | None:
        if self._today is not None:
            return self._today
        day = moment.date()
        if day not in self._on_day:
            self._on_day[day] = find_open_target(self.unit_code, day)
        return self._on_day[day]


def _submission(
    device: Device,
    response_uuid: uuid_module.UUID,
    item: Mapping[str, object],
    targets: _Targets,
) -> store.Submission | str:
    """The submission of one response, or why it is kept back."""
    unit_code = item.get("unit_code") or device.unit.code
    if unit_code != device.unit.code:
        return "wrong_unit"
    submitted_at = _moment(item.get("submitted_at"))
    if submitted_at is None or submitted_at > utcnow() + _CLOCK_SLACK:
        submitted_at = utcnow()
    target = targets.for_moment(submitted_at)
    if target is None:
        return "no_open_wave"
    language = item.get("language")
    return store.Submission(
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


def _mark_unreadable_answers(
    unreadable: list[uuid_module.UUID], stored: set[uuid_module.UUID]
) -> None:
    """Responses stored now whose answers were not a mapping at all."""
    marked = [response_uuid for response_uuid in unreadable if response_uuid in stored]
    if marked:
        db.session.execute(
            sa.update(Response)
            .where(Response.uuid.in_(marked))
            .values(status_reason="invalid:answers")
        )


def _moment(value: object) -> datetime | None:
    """An ISO 8601 time from the device, in UTC; None if absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        moment = (
            moment.replace(tzinfo=UTC)
            if moment.tzinfo is None
            else moment.astimezone(UTC)
        )
    except (ValueError, OverflowError):  # year 1 at +05:00 is before year 1 in UTC
        return None
    # a reset clock (1970) is not believed; nor arithmetic near the year 1
    return moment if moment >= _EARLIEST_MOMENT else None


def enrolable_units() -> tuple[list[Unit], list[Unit]]:
    """Units a kiosk can be registered for (those collecting in an open wave), and
    the others, each by code."""
    collecting = open_unit_ids()
    units = all_units()
    return (
        [unit for unit in units if unit.id in collecting],
        [unit for unit in units if unit.id not in collecting],
    )
