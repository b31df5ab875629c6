"""Unit administration: the tree in one query, search, and changes to one unit
(files are in `unit_files`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from sipas.extensions import db
from sipas.models import Response, Unit, UnitLevel, User
from sipas.services.audit import record_event
from sipas.services.units.lookup import unit_by_code
from sipas.services.units.rows import COLUMNS, UnitRecord
from sipas.services.units.rules import code_error, dates_error, fold, level_allows
from sipas.services.units.tree import subtree_ids

# --- the tree -------------------------------------------------------------------


@dataclass
class Node:
    """One unit of the tree as plain values, with its children."""

    id: int
    code: str
    name: str
    level: UnitLevel
    parent_id: int | None
    valid_from: date | None
    valid_to: date | None
    successor_id: int | None
    children: list[Node] = field(default_factory=list)


@dataclass
class UnitTree:
    """Every unit, by id, and the top-level ones, children sorted by code."""

    nodes: dict[int, Node]
    roots: list[Node]

    def path(self, node: Node) -> list[Node]:
        """The node's ancestors, the root first."""
        chain: list[Node] = []
        parent_id = node.parent_id
        while parent_id is not None and len(chain) < len(self.nodes):
            parent = self.nodes[parent_id]
            chain.append(parent)
            parent_id = parent.parent_id
        return chain[::-1]

    def successor(self, node: Node) -> Node | None:
        return self.nodes.get(node.successor_id) if node.successor_id else None


def load_tree() -> UnitTree:
    """The whole tree from one query."""
    rows = db.session.execute(
        sa.select(
            Unit.id,
            Unit.code,
            Unit.name,
            Unit.level,
            Unit.parent_id,
            Unit.valid_from,
            Unit.valid_to,
            Unit.successor_id,
        ).order_by(Unit.code)
    )
    nodes = {row.id: Node(*row) for row in rows}
    roots: list[Node] = []
    for node in nodes.values():  # in code order, so children come sorted
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)
    return UnitTree(nodes=nodes, roots=roots)


@dataclass(frozen=True)
class SearchResult:
    """The units whose code or name holds the query (at most ``limit`` of them)."""

    hits: list[Node]
    total: int


def search(tree: UnitTree, query: str, limit: int = 200) -> SearchResult:
    """Units whose code or name contains ``query``, ignoring diacritics and case."""
    needle = fold(query.strip())
    if not needle:
        return SearchResult(hits=[], total=0)
    hits = [
        node
        for node in tree.nodes.values()
        if needle in fold(node.code) or needle in fold(node.name)
    ]
    return SearchResult(hits=hits[:limit], total=len(hits))


# --- one unit ---------------------------------------------------------------------


@dataclass(frozen=True)
class UnitData:
    """The fields of the create/edit form, already trimmed and NFC."""

    code: str
    name: str
    level: UnitLevel
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    successor_code: str | None


class UnitError(Exception):
    """A change refused; ``errors`` maps form field names to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(dict(errors))
        self.errors = dict(errors)


def has_responses(unit: Unit) -> bool:
    """True if any response was collected for ``unit``."""
    query = sa.select(Response.id).where(Response.unit_id == unit.id).limit(1)
    return db.session.scalar(query) is not None


def predecessors(unit: Unit) -> list[Unit]:
    """The units that were merged into ``unit``."""
    query = sa.select(Unit).filter_by(successor_id=unit.id).order_by(Unit.code)
    return list(db.session.scalars(query))


def create_unit(data: UnitData, user: User | None) -> Unit:
    """A new unit; UnitError when a rule is broken."""
    parent, successor = _check(data, unit=None)
    unit = Unit(code=data.code, name=data.name, level=data.level)
    _assign(unit, data, parent, successor)
    db.session.add(unit)
    db.session.flush()
    _audit("unit.create", unit, user, _snapshot(unit))
    return unit


def update_unit(unit: Unit, data: UnitData, user: User | None) -> Unit:
    """Change ``unit`` to ``data``; UnitError when a rule is broken."""
    parent, successor = _check(data, unit=unit)
    before = _snapshot(unit)
    unit.code, unit.name, unit.level = data.code, data.name, data.level
    _assign(unit, data, parent, successor)
    db.session.flush()
    after = _snapshot(unit)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    _audit("unit.update", unit, user, {"changed": changed})
    return unit


def move_unit(unit: Unit, parent_code: str | None, user: User | None) -> Unit:
    """Put ``unit`` under the unit coded ``parent_code`` (None: the top level)."""
    parent = _parent_for(unit, unit.level, parent_code, level_field="parent_code")
    old = unit.parent.code if unit.parent else None
    unit.parent = parent
    db.session.flush()
    new = parent.code if parent else None
    _audit("unit.move", unit, user, {"from": old, "to": new})
    return unit


def merge_unit(unit: Unit, successor_code: str, end: date, user: User | None) -> Unit:
    """Close ``unit`` on ``end`` and hand it over to the unit ``successor_code``."""
    errors: dict[str, str] = {}
    if problem := dates_error(unit.valid_from, end):
        errors["valid_to"] = problem
    try:
        successor = _successor_for(unit, successor_code)
    except UnitError as error:
        errors.update(error.errors)
    if errors:
        raise UnitError(errors)
    unit.valid_to, unit.successor = end, successor
    db.session.flush()
    details = {"successor": successor.code, "valid_to": end.isoformat()}
    _audit("unit.merge", unit, user, details)
    return unit


def _audit(action: str, unit: Unit, user: User | None, details: dict) -> None:
    record_event(
        action, user=user, object_type="unit", object_id=unit.code, details=details
    )


def _check(data: UnitData, unit: Unit | None) -> tuple[Unit | None, Unit | None]:
    """The parent and successor ``data`` names, once every rule holds."""
    errors: dict[str, str] = {}
    if problem := code_error(data.code):
        errors["code"] = problem
    elif (other := unit_by_code(data.code)) is not None and other is not unit:
        errors["code"] = _l("Another unit already has this code.")
    elif unit is not None and data.code != unit.code and has_responses(unit):
        errors["code"] = _l("The code cannot change: responses were collected here.")
    if problem := dates_error(data.valid_from, data.valid_to):
        errors["valid_to"] = problem
    if data.successor_code and data.valid_to is None:
        errors["valid_to"] = _l("A merged unit needs the date it ended.")
    parent = successor = None
    try:
        parent = _parent_for(unit, data.level, data.parent_code)
    except UnitError as error:
        errors.update(error.errors)
    if unit is not None and (problem := _children_problem(unit, data.level)):
        errors["level"] = problem
    if data.successor_code:
        try:
            successor = _successor_for(unit, data.successor_code)
        except UnitError as error:
            errors.update(error.errors)
    if errors:
        raise UnitError(errors)
    return parent, successor


def _parent_for(
    unit: Unit | None,
    level: UnitLevel,
    parent_code: str | None,
    level_field: str = "level",
) -> Unit | None:
    """The unit coded ``parent_code``, if ``unit`` (of ``level``) may sit below it;
    a level that does not fit is reported on ``level_field``."""
    field_name = "parent_code"
    if not parent_code:
        return None
    parent = unit_by_code(parent_code)
    if parent is None:
        message = _l("No unit has the code %(code)s.", code=parent_code)
        raise UnitError({field_name: message})
    if unit is not None and parent.id in subtree_ids(unit.id):
        message = _l("A unit cannot sit below itself or one of its own units.")
        raise UnitError({field_name: message})
    if not level_allows(level, parent.level):
        message = _l(
            "The level must be below that of the parent unit %(code)s.",
            code=parent.code,
        )
        raise UnitError({level_field: message})
    return parent


def _children_problem(unit: Unit, level: UnitLevel) -> str | None:
    for child in unit.children:
        if not level_allows(child.level, level):
            return _l(
                "The unit %(child)s below it must stay at a lower level.",
                child=child.code,
            )
    return None


def _successor_for(unit: Unit | None, code: str) -> Unit:
    successor = unit_by_code(code)
    if successor is None:
        raise UnitError(
            {"successor_code": _l("No unit has the code %(code)s.", code=code)}
        )
    if unit is not None and successor.id == unit.id:
        raise UnitError({"successor_code": _l("A unit cannot be its own successor.")})
    node: Unit | None = successor
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        if unit is not None and node.id == unit.id:
            message = _l("These successors lead back to the unit itself.")
            raise UnitError({"successor_code": message})
        seen.add(node.id)
        node = node.successor
    return successor


def _assign(
    unit: Unit, data: UnitData, parent: Unit | None, successor: Unit | None
) -> None:
    unit.parent, unit.successor = parent, successor
    unit.valid_from, unit.valid_to = data.valid_from, data.valid_to


def _snapshot(unit: Unit) -> dict[str, str | None]:
    """The unit's fields as they appear in a unit file."""
    return dict(zip(COLUMNS, export_row(unit), strict=True))


def record_of(unit: Unit) -> UnitRecord:
    """The stored unit as a plain record (parents and successors by code)."""
    return UnitRecord(
        code=unit.code,
        name=unit.name,
        level=unit.level,
        parent_code=unit.parent.code if unit.parent else None,
        valid_from=unit.valid_from,
        valid_to=unit.valid_to,
        successor_code=unit.successor.code if unit.successor else None,
    )


def export_row(unit: Unit) -> list[str | None]:
    """The unit's cells in a unit file."""
    record = record_of(unit)
    return [
        record.code,
        record.name,
        record.level.value,
        record.parent_code,
        record.valid_from.isoformat() if record.valid_from else None,
        record.valid_to.isoformat() if record.valid_to else None,
        record.successor_code,
    ]
