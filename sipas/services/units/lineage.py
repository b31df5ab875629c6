"""Units across mergers: which old units a unit's results continue."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Unit


def _links() -> tuple[dict[int, int | None], dict[int, int | None]]:
    """Parent and successor of every unit, in one query."""
    rows = db.session.execute(sa.select(Unit.id, Unit.parent_id, Unit.successor_id))
    parents, successors = {}, {}
    for unit_id, parent_id, successor_id in rows:
        parents[unit_id], successors[unit_id] = parent_id, successor_id
    return parents, successors


def _current(unit_id: int, successors: dict[int, int | None]) -> int:
    """The unit that carries on ``unit_id`` today: its successor's successor …"""
    seen = {unit_id}
    while (successor := successors.get(unit_id)) is not None and successor not in seen:
        seen.add(successor)
        unit_id = successor
    return unit_id


def with_predecessors(unit_ids: Collection[int]) -> set[int]:
    """``unit_ids`` and every unit whose results they continue: a unit counts when it,
    or an ancestor of it, was merged (through successors) into one of ``unit_ids``."""
    parents, successors = _links()
    targets = set(unit_ids)
    memo: dict[int, bool] = {}

    def belongs(unit_id: int) -> bool:
        if unit_id not in memo:
            memo[unit_id] = False  # guards against a cycle in bad data
            parent = parents.get(unit_id)
            memo[unit_id] = _current(unit_id, successors) in targets or (
                parent is not None and belongs(parent)
            )
        return memo[unit_id]

    return {unit_id for unit_id in parents if belongs(unit_id)}
