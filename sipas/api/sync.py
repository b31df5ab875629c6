"""POST /api/sync (store a kiosk's finished responses) and GET /api/ping."""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from sipas.api.blueprint import bp
from sipas.database import end_reads, reads_first
from sipas.extensions import db
from sipas.models import Device
from sipas.models.base import utcnow
from sipas.security import client_address, rate_limited
from sipas.services.responses import devices

log = logging.getLogger(__name__)

#: Errors for the kiosk's staff. A device has no language of its own and the kiosk
#: shows them to the hall's staff as they are, so they are fixed Vietnamese text.
NOT_REGISTERED = "Thiết bị chưa được đăng ký hoặc đã bị thu hồi."
TOO_LARGE = "Yêu cầu quá lớn."
TOO_MANY = "Mỗi lần đồng bộ gửi tối đa {n} phiếu."
MALFORMED = "Yêu cầu không phải JSON đồng bộ hợp lệ: {detail}."

#: A full batch of 200 responses is far above the site's usual request limit.
MAX_SYNC_BYTES = 4 * 1024 * 1024


@bp.before_request
def _larger_bodies() -> None:
    request.max_content_length = MAX_SYNC_BYTES


def _error(message: str, status: int) -> ResponseReturnValue:
    return jsonify(error=message), status


def _device() -> Device | None:
    return devices.authenticate(request.headers.get("Authorization"))


def _unauthorised() -> ResponseReturnValue:
    log.warning("api request refused: no valid device token (%s)", request.path)
    return _error(NOT_REGISTERED, 401)


def _sync_key() -> str:
    """Requests are counted per device (its token), not per spelling of the header;
    without a token, per address."""
    key = devices.device_key(request.headers.get("Authorization"))
    return f"device-{key}" if key else f"address-{client_address()}"


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    return _error(TOO_LARGE, 413)


@bp.post("/sync")
@rate_limited("sync", "RATE_LIMIT_SYNC_PER_MINUTE", _sync_key)
def sync() -> ResponseReturnValue:
    """Store the responses a kiosk sends; acknowledge each by its UUID."""
    reads_first()
    device = _device()
    if device is None:
        return _unauthorised()
    try:
        body = request.get_json(force=True)
        batch = devices.batch_of(body)
    except (BadRequest, RecursionError) as error:  # RecursionError: nested too deep
        log.warning("device %s sent unreadable JSON: %s", device.id, type(error))
        return _error(MALFORMED.format(detail="nội dung không đọc được"), 400)
    except devices.SyncRequestError as error:
        log.warning("device %s sent a malformed sync request: %s", device.id, error)
        return _error(MALFORMED.format(detail=error.detail), 400)
    if len(batch) > devices.MAX_BATCH:
        return _error(TOO_MANY.format(n=devices.MAX_BATCH), 413)
    plan = devices.check_sync(device, batch)
    # what was read and checked is settled: end that transaction, so that SQLite's
    # write lock, which the other workers queue for, is held for the writes only
    end_reads()
    result = devices.store_sync(device, plan)
    devices.heartbeat(device, body.get("app_version"), body.get("unsent"))
    db.session.commit()
    payload: dict[str, Any] = {
        "acknowledged": result.acknowledged,
        "server_time": _now(),
    }
    if result.pending:
        payload["pending"] = result.pending
    return jsonify(payload)


@bp.get("/ping")
def ping() -> ResponseReturnValue:
    """Heartbeat: the device is alive and its token valid."""
    device = _device()
    if device is None:
        return _unauthorised()
    devices.heartbeat(device)
    db.session.commit()
    return jsonify(server_time=_now())


def _now() -> str:
    return utcnow().isoformat().replace("+00:00", "Z")
