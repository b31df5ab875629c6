"""Read the ``indices`` sheet and the survey's ``index`` column into ``indices:``.

One row per index node: ``name`` (its code), ``parent`` (empty for a top node under
the implicit ``overall``), ``label::…``, optional ``weight`` and ``aggregate``. A node
whose ``name`` a criterion gives in the survey's ``index`` column is a leaf listing
those criteria, in survey order; a node named as ``parent`` has the nodes under it as
``children``, in row order. Rows list nodes, so a parent chain can go round in a
circle (refused at its first row's ``parent`` cell) or run deeper than anyone needs
(refused below :data:`MAX_DEPTH`); both are found in one pass over the rows.
"""

from __future__ import annotations

from collections.abc import Mapping

from sipas.questionnaire.loader import LocatedMap as Tree
from sipas.questionnaire.schema import OVERALL_CODE, Aggregate
from sipas.questionnaire.xlsform_relevant import N_
from sipas.questionnaire.xlsform_sheets import Cell, Row, Sheet
from sipas.questionnaire.xlsform_survey import SurveyReader

AGGREGATES = tuple(aggregate.value for aggregate in Aggregate)
#: Deepest tree read (the published ones have 2 or 3 levels); bounds every recursion.
MAX_DEPTH = 10
#: The depth :func:`parent_depths` gives a node on, or under, a circle of parents.
ON_CIRCLE = -1


def parent_depths(
    parents: Mapping[str, str],
) -> tuple[dict[str, int], list[list[str]]]:
    """Each node's depth (1: a top node) and the circles (child to parent), in one pass.

    ``parents`` maps a node to its parent's name ('' for a top node); a parent that is
    no node counts as the top. Nodes on or under a circle get :data:`ON_CIRCLE`.
    """
    depths: dict[str, int] = {}
    circles: list[list[str]] = []
    for name in parents:
        path: list[str] = []
        positions: dict[str, int] = {}
        current = name
        while current in parents and current not in depths:
            if current in positions:  # came round: from there on, the path is a circle
                circle = path[positions[current] :]
                circles.append(circle)
                depths.update(dict.fromkeys(circle, ON_CIRCLE))
                break
            positions[current] = len(path)
            path.append(current)
            current = parents[current]
        for node in reversed(path):
            if node not in depths:
                above = depths.get(parents[node], 0)
                depths[node] = ON_CIRCLE if above == ON_CIRCLE else above + 1
    return depths, circles


class IndicesReader:
    """Builds the ``indices:`` list for a :class:`SurveyReader`'s tree."""

    def __init__(self, reader: SurveyReader) -> None:
        self.reader = reader
        self.rows: dict[str, Row] = {}
        self.children: dict[str, list[Row]] = {}
        self.items: dict[str, list[tuple[str, Row]]] = {}
        #: nodes one level below :data:`MAX_DEPTH`, refused (and so not built)
        self.too_deep: set[str] = set()

    def put_tree(self, root: Tree, sheet: Sheet | None) -> None:
        """Put ``indices`` on ``root`` when the workbook declares a tree."""
        if sheet is None or not sheet.rows:
            for _, row in self.reader.memberships:
                self.unknown_node(row)
            return
        for row in sheet.rows:
            self.name_node(row)
        self.link_parents()
        self.link_items()
        listing = self.reader.listing(Cell(sheet.name, 1, "A", ""))
        for row in self.children.get("", []):
            node = self.node(row)
            if node is not None:
                self.reader.append(listing, node, row.first)
        if listing:  # else every top node was refused at its own row
            self.reader.put(root, "indices", listing, sheet.rows[0].first)

    def name_node(self, row: Row) -> None:
        """Record the row's node under its name, refusing a taken or reserved one."""
        name = row.text("name")
        if name == OVERALL_CODE:
            self.reader.refuse(
                row.cell("name"),
                N_("“%(name)s” is the name of the whole index; choose another"),
                name=name,
            )
            return
        self.reader.unique("index node", row)
        if name and name not in self.rows:
            self.rows[name] = row

    def link_parents(self) -> None:
        """File each node under its parent; refuse unknown parents, circles, depth."""
        parents = {name: row.text("parent") for name, row in self.rows.items()}
        depths, circles = parent_depths(parents)
        for circle in circles:
            self.refuse_circle(circle)
        on_circle = {name for circle in circles for name in circle}
        for name, row in self.rows.items():
            parent = parents[name]
            if parent and parent not in self.rows:
                self.reader.refuse(
                    row.cell("parent"),
                    N_("the parent “%(name)s” is not a node of this sheet"),
                    name=parent,
                )
            elif name not in on_circle and depths[name] <= MAX_DEPTH + 1:
                self.children.setdefault(parent, []).append(row)
                if depths[name] > MAX_DEPTH:
                    self.too_deep.add(name)  # filed, so its parent is not "empty"
                    self.reader.refuse(
                        row.cell("parent"),
                        N_("the tree is more than %(limit)d levels deep here"),
                        limit=MAX_DEPTH,
                    )

    def refuse_circle(self, circle: list[str]) -> None:
        """Refuse a circle of parents at the parent cell of its first row."""
        first = min(circle, key=lambda name: self.rows[name].number)
        start = circle.index(first)
        chain = [*circle[start:], *circle[:start], first]
        self.reader.refuse(
            self.rows[first].cell("parent"),
            N_("the parents go round in a circle: %(chain)s"),
            chain=" → ".join(chain),
        )

    def link_items(self) -> None:
        """File each criterion's ``index`` under its node, which must be a leaf."""
        for code, row in self.reader.memberships:
            name = row.text("index")
            if name not in self.rows:
                self.unknown_node(row)
            elif name in self.children:
                self.reader.refuse(
                    row.cell("index"),
                    N_(
                        "the index node “%(name)s” has nodes under it: put the "
                        "question in one of them"
                    ),
                    name=name,
                )
            else:
                self.items.setdefault(name, []).append((code, row))

    def unknown_node(self, row: Row) -> None:
        self.reader.refuse(
            row.cell("index"),
            N_("“%(name)s” is not a node of the “indices” sheet"),
            name=row.text("index"),
        )

    def node(self, row: Row) -> Tree | None:
        """The node of ``row`` with what is under it; None if it holds nothing."""
        reader, name = self.reader, row.text("name")
        node = reader.node(row.first)
        reader.put(node, "code", name, row.cell("name"))
        reader.put_text(node, "label", row, "label", required=True)
        reader.put_weight(node, row)
        self.put_aggregate(node, row)
        if name in self.children:
            children = reader.listing(row.cell("name"))
            for child in self.children[name]:
                if child.text("name") in self.too_deep:
                    continue
                built = self.node(child)
                if built is not None:
                    reader.append(children, built, child.first)
            if not children:
                return None  # every child was refused at its own row
            reader.put(node, "children", children, row.cell("name"))
        elif name in self.items:
            items = reader.listing(row.cell("name"))
            for code, survey_row in self.items[name]:
                reader.append(items, code, survey_row.cell("index"))
            reader.put(node, "items", items, row.cell("name"))
        else:
            reader.refuse(
                row.cell("name"),
                N_(
                    "the index node “%(name)s” has no items: name it in the “index” "
                    "column of its questions, or as the “parent” of other nodes"
                ),
                name=name,
            )
            return None
        return node

    def put_aggregate(self, node: Tree, row: Row) -> None:
        """Put ``aggregate`` (mean or pooled), if the row gives one."""
        if "aggregate" not in row.values:
            return
        value = row.text("aggregate").lower()
        if value in AGGREGATES:
            self.reader.put(node, "aggregate", value, row.cell("aggregate"))
        else:
            self.reader.refuse(
                row.cell("aggregate"),
                N_("“%(value)s” is not a way to aggregate: write %(known)s"),
                value=row.text("aggregate"),
                known=" / ".join(AGGREGATES),
            )
