"""Reading responses in the back office and changing their status (never deleting).

Wave statistics count only ``status == complete`` responses, so voiding or holding a
response takes it out of every figure, and restoring or accepting puts it back; the
criteria masks stay on the row, untouched, since the answers never change.
"""

from __future__ import annotations

import logging
import unicodedata
import uuid as uuid_module
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import joinedload

from sipas.extensions import db
from sipas.models import Channel, Response, ResponseStatus, User
from sipas.questionnaire import ItemType
from sipas.questionnaire.personal_data import mask_personal_data
from sipas.services.audit import record_event, record_events
from sipas.services.questionnaires import parsed
from sipas.services.responses.quality import has_any_signal, has_signal
from sipas.services.units.tree import subtree_ids

log = logging.getLogger(__name__)

PER_PAGE = 50

#: action → (statuses it applies to, the status it sets, audit action)
ACTIONS = {
    "void": (
        (ResponseStatus.complete, ResponseStatus.flagged),
        ResponseStatus.void,
        "response.void",
    ),
    "restore": ((ResponseStatus.void,), ResponseStatus.complete, "response.restore"),
    "accept": ((ResponseStatus.flagged,), ResponseStatus.complete, "response.accept"),
}


class StatusChangeRefused(ValueError):
    """The response is not in a status the action applies to, or no reason given."""


class SelectionChanged(StatusChangeRefused):
    """The responses a bulk change would touch are not as many as confirmed."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} responses match now")
        self.count = count


@dataclass(frozen=True)
class ResponseFilters:
    """What the list is narrowed to; None = no condition."""

    wave_id: int | None = None
    #: the unit and its whole subtree
    unit_id: int | None = None
    channel: Channel | None = None
    status: ResponseStatus | None = None
    #: submitted on or after this day (UTC)
    date_from: date | None = None
    #: submitted on or before this day (UTC)
    date_to: date | None = None
    #: a quality signal's code, or ANY_SIGNAL
    signal: str | None = None


#: The signal filter that matches a response with any quality signal.
ANY_SIGNAL = "any"


@dataclass(frozen=True)
class AnsweredItem:
    """One answered question, its label and the chosen options' labels."""

    code: str
    label: str
    #: the option labels (choice items) or the values themselves
    values: tuple[str, ...]


def _conditions(
    filters: ResponseFilters, visible: set[int] | None
) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if visible is not None:
        conditions.append(Response.unit_id.in_(visible))
    if filters.wave_id is not None:
        conditions.append(Response.wave_id == filters.wave_id)
    if filters.unit_id is not None:
        conditions.append(Response.unit_id.in_(subtree_ids(filters.unit_id)))
    if filters.channel is not None:
        conditions.append(Response.channel == filters.channel)
    if filters.status is not None:
        conditions.append(Response.status == filters.status)
    if filters.signal == ANY_SIGNAL:
        conditions.append(has_any_signal())
    elif filters.signal is not None:
        conditions.append(has_signal(filters.signal))
    if filters.date_from is not None:
        conditions.append(Response.submitted_at >= _midnight(filters.date_from))
    if filters.date_to is not None:
        next_day = filters.date_to + timedelta(days=1)
        conditions.append(Response.submitted_at < _midnight(next_day))
    return conditions


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_responses(
    filters: ResponseFilters, visible: set[int] | None, page: int = 1
) -> Pagination:
    """One page of the matching responses in ``visible`` units, newest first."""
    query = (
        sa.select(Response)
        .options(joinedload(Response.unit), joinedload(Response.wave))
        .where(*_conditions(filters, visible))
        .order_by(Response.submitted_at.desc(), Response.id.desc())
    )
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def count_responses(filters: ResponseFilters, visible: set[int] | None) -> int:
    """How many responses match (e.g. flagged ones waiting for review)."""
    return db.session.execute(
        sa.select(sa.func.count(Response.id)).where(*_conditions(filters, visible))
    ).scalar_one()


def find_response(text: str) -> Response | None:
    """The response with UUID ``text`` (None when unknown or not a UUID)."""
    try:
        response_uuid = uuid_module.UUID(text)
    except ValueError:
        return None
    return db.session.scalar(sa.select(Response).filter_by(uuid=response_uuid))


def answered_items(
    response: Response, language: str, *, original: bool = False
) -> list[AnsweredItem]:
    """Every answered question of ``response`` in questionnaire order, labelled in
    ``language`` from the version it was answered on; personal data in free text
    masked unless the ``original`` is asked for."""
    questionnaire = parsed(response.questionnaire)
    values: dict[str, list[str]] = {}
    for answer in response.answers:
        values.setdefault(answer.item_code, []).append(answer.value)
    items = []
    for item in questionnaire.items:
        if item.code not in values:
            continue
        raw = sorted(values.pop(item.code), key=_choice_order(item))
        if item.type is ItemType.text and not original:
            labels = tuple(mask_personal_data(v) for v in raw)
        elif item.type in (ItemType.text, ItemType.number):
            labels = tuple(raw)
        else:
            labels = tuple(
                c.label.get_text(language) if (c := item.choice(v)) else v for v in raw
            )
        items.append(AnsweredItem(item.code, item.label.get_text(language), labels))
    # answers the version does not know (should not happen): shown, not hidden
    show = (lambda v: v) if original else mask_personal_data
    items.extend(
        AnsweredItem(code, code, tuple(map(show, v))) for code, v in values.items()
    )
    return items


def _choice_order(item):
    codes = item.choice_codes
    return lambda value: codes.index(value) if value in codes else len(codes)


def entered_by(response: Response) -> User | None:
    """The staff account that typed the response in, if any."""
    if response.entered_by_id is None:
        return None
    return db.session.get(User, response.entered_by_id)


def change_status(
    response: Response, action: str, reason: str, user: User | None
) -> None:
    """Void, restore or accept ``response`` with a reason; audited."""
    change_statuses([(response, reason)], action, user)


def change_statuses(
    changes: Sequence[tuple[Response, str]], action: str, user: User | None
) -> None:
    """Void, restore or accept each response with its reason; one audit event
    each. All are checked before any changes (StatusChangeRefused), and all are
    written in one flush."""
    allowed, status, audit_action = ACTIONS[action]
    checked = []
    for response, reason in changes:
        reason = unicodedata.normalize("NFC", reason or "").strip()
        if not reason:
            raise StatusChangeRefused("a reason is required")
        if response.status not in allowed:
            raise StatusChangeRefused(f"{action} does not apply to {response.status}")
        checked.append((response, reason, response.status))
    details = {}
    for response, reason, previous in checked:
        response.status = status
        response.status_reason = reason
        details[str(response.uuid)] = {
            "from": previous.value,
            "to": status.value,
            "reason": reason,
        }
        log.info("response %s: %s → %s", response.uuid, previous.value, status.value)
    record_events(
        audit_action,
        user=user,
        object_type="response",
        details_by_object=details,
    )


def available_actions(response: Response) -> list[str]:
    """The status actions that apply to the response now."""
    return [
        name
        for name, (allowed, _s, _a) in ACTIONS.items()
        if response.status in allowed
    ]


def _acceptable(
    filters: ResponseFilters,
    visible: set[int] | None,
    uuids: list[uuid_module.UUID] | None,
) -> list[sa.ColumnElement[bool]]:
    """Conditions of the flagged responses a bulk accept would change: those the
    filters match in ``visible`` units, only ``uuids`` among them when given."""
    conditions = _conditions(replace(filters, status=ResponseStatus.flagged), visible)
    if uuids is not None:
        conditions.append(Response.uuid.in_(uuids))
    return conditions


def count_acceptable(
    filters: ResponseFilters,
    visible: set[int] | None,
    uuids: list[uuid_module.UUID] | None = None,
) -> int:
    """How many flagged responses :func:`accept_many` would count again."""
    return db.session.execute(
        sa.select(sa.func.count(Response.id)).where(
            *_acceptable(filters, visible, uuids)
        )
    ).scalar_one()


def accept_many(
    filters: ResponseFilters,
    visible: set[int] | None,
    uuids: list[uuid_module.UUID] | None,
    reason: str,
    user: User | None,
    *,
    expected: int,
) -> int:
    """Accept every flagged response the filters match (only ``uuids`` among them
    when given) with one reason, in one UPDATE; one audit event. Their quality
    signals stay. Refused (SelectionChanged) unless ``expected`` of them match,
    the number the person confirmed. How many changed."""
    reason = unicodedata.normalize("NFC", reason or "").strip()
    if not reason:
        raise StatusChangeRefused("a reason is required")
    count = count_acceptable(filters, visible, uuids)
    if count != expected or not count:
        raise SelectionChanged(count)
    changed = cast(
        "sa.CursorResult[Any]",
        db.session.execute(
            sa.update(Response)
            .where(*_acceptable(filters, visible, uuids))
            .values(status=ResponseStatus.complete, status_reason=reason)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.expire_all()  # rows loaded before show their new status
    record_event(
        "response.accept_many",
        user=user,
        object_type="wave" if filters.wave_id is not None else None,
        object_id=str(filters.wave_id) if filters.wave_id is not None else None,
        details={
            "count": changed,
            "reason": reason,
            "filters": _described(filters),
            "responses": [str(u) for u in uuids] if uuids is not None else None,
        },
    )
    log.info("%d flagged responses accepted at once", changed)
    return changed


def _described(filters: ResponseFilters) -> dict[str, str]:
    """The filters as text, for the audit log."""
    values = {
        "wave_id": filters.wave_id,
        "unit_id": filters.unit_id,
        "channel": filters.channel,
        "signal": filters.signal,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
    }
    return {name: str(value) for name, value in values.items() if value is not None}
