"""Read the ``indices:`` tree of a questionnaire: nested index nodes over criteria.

Each node has a ``code``, a ``label`` per language, an optional positive ``weight``
(1 by default) and ``aggregate`` (``mean``: the weighted mean of its children's
indices, or of its items' indices for a leaf; ``pooled``: satisfied answers over all
valid answers of every item under it). A node has either ``children`` (nodes) or
``items`` (codes of criteria: scale items with a factor), never both. The root,
``overall``, is implicit: the weighted mean of the top nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sipas.questionnaire.checks import Node, NodeChecks
from sipas.questionnaire.schema import OVERALL_CODE, Aggregate, IndexNode, Item

NODE_KEYS = frozenset({"code", "label", "weight", "aggregate", "children", "items"})


class IndexTreeChecks:
    """Builds the index nodes of one file, recording problems on ``checks``."""

    def __init__(self, checks: NodeChecks) -> None:
        self.checks = checks
        self.codes: set[str] = set()
        #: item code -> code of the node that lists it
        self.owner: dict[str, str] = {}
        self.items: Mapping[str, Item] = {}

    def build(self, root: Node, items: Mapping[str, Item]) -> tuple[IndexNode, ...]:
        """The top nodes under ``indices:`` (empty when the file has none)."""
        if "indices" not in root:
            return ()
        self.items = items
        listing = self.checks.sequence(root, "indices", "the questionnaire")
        return self.nodes(listing, path=())

    def nodes(self, listing: list[Any], path: tuple[int, ...]) -> tuple[IndexNode, ...]:
        """The nodes of one list; ``path`` holds the ids of the lists above it."""
        if id(listing) in path:
            self.checks.problem(listing, None, "the index tree contains a cycle")
            return ()
        built = []
        for position, raw in enumerate(listing):
            node = self.checks.mapping(raw, listing, position, "an index node")
            if node is not None:
                built.append(self.node(node, (*path, id(listing))))
        return tuple(node for node in built if node is not None)

    def node(self, node: Node, path: tuple[int, ...]) -> IndexNode | None:
        """One node and what is under it, or None if anything is wrong."""
        checks = self.checks
        checks.keys(node, NODE_KEYS, frozenset({"code", "label"}), "an index node")
        code = self.node_code(node)
        label = checks.text(node, "label", f"index node {code}")
        weight = checks.positive_number(node, "weight", f"index node {code}")
        aggregate = self.aggregate(node, code)
        children: tuple[IndexNode, ...] = ()
        items: tuple[str, ...] = ()
        if "children" in node and "items" in node:
            checks.problem(
                node, "items", f"index node {code} has both children and items"
            )
        elif "children" in node:
            listing = checks.sequence(node, "children", f"index node {code}")
            children = self.nodes(listing, path)
        elif "items" in node:
            items = self.node_items(node, code)
        if not children and not items:
            if "children" not in node and "items" not in node:
                checks.problem(node, None, f"index node {code} has no items")
            return None
        if code is None or label is None or weight is None or aggregate is None:
            return None
        return IndexNode(code, label, weight, aggregate, children, items)

    def node_code(self, node: Node) -> str | None:
        """The node's code, unique in the tree and not the root's."""
        code = self.checks.code(node, "index node")
        if code is None:
            return None
        if code == OVERALL_CODE or code in self.codes:
            self.checks.problem(node, "code", f"duplicate index node code {code!r}")
            return None
        self.codes.add(code)
        return code

    def aggregate(self, node: Node, code: str | None) -> Aggregate | None:
        """``mean`` (the default) or ``pooled``."""
        value = node.get("aggregate", Aggregate.mean.value)
        if value not in {a.value for a in Aggregate}:
            choices = ", ".join(a.value for a in Aggregate)
            self.checks.problem(
                node,
                "aggregate",
                f"index node {code} aggregate must be one of {choices}, not {value!r}",
            )
            return None
        return Aggregate(value)

    def node_items(self, node: Node, code: str | None) -> tuple[str, ...]:
        """The node's criteria codes, each a known criterion in no other node."""
        listing = self.checks.sequence(node, "items", f"index node {code}")
        found = []
        for position, value in enumerate(listing):
            item = self.items.get(value) if isinstance(value, str) else None
            if item is None:
                message = f"index node {code} names unknown item {value!r}"
            elif not item.is_criterion:
                message = (
                    f"index node {code}: item {value} is not a criterion"
                    " (a scale item with a factor)"
                )
            elif value in self.owner:
                message = (
                    f"item {value} is in index nodes {self.owner[value]} and {code}"
                )
            else:
                self.owner[value] = str(code)
                found.append(value)
                continue
            self.checks.problem(listing, position, message)
        return tuple(found) if len(found) == len(listing) else ()
