"""The unit tree: subtrees, ancestors and who may see which unit."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Role, Unit, User


def subtree_ids(root_id: int) -> set[int]:
    """Ids of ``root_id`` and every unit below it (one recursive query)."""
    tree = sa.select(Unit.id).where(Unit.id == root_id).cte("tree", recursive=True)
    tree = tree.union_all(sa.select(Unit.id).where(Unit.parent_id == tree.c.id))
    return set(db.session.scalars(sa.select(tree.c.id)))


def ancestors(unit: Unit) -> list[Unit]:
    """The unit's ancestors, the root first."""
    chain: list[Unit] = []
    node = unit.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain[::-1]


def is_within(unit: Unit, root: Unit) -> bool:
    """True if ``unit`` is ``root`` or lies below it."""
    return unit.id == root.id or any(a.id == root.id for a in ancestors(unit))


def visible_unit_ids(user: User) -> set[int] | None:
    """Ids of the units ``user`` may see; None means every unit (admins, or staff
    without a scope)."""
    if user.role is Role.admin or user.unit_id is None:
        return None
    return subtree_ids(user.unit_id)


def can_see(user: User, unit: Unit) -> bool:
    """True if ``unit`` lies in ``user``'s scope."""
    if user.role is Role.admin or user.unit is None:
        return True
    return is_within(unit, user.unit)


def can_see_any(user: User, unit_ids: Iterable[int]) -> bool:
    """True if at least one of ``unit_ids`` lies in ``user``'s scope."""
    visible = visible_unit_ids(user)
    return visible is None or not visible.isdisjoint(unit_ids)
