"""Unit files: import all rows or none, export the tree, the template."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from sipas.extensions import db
from sipas.models import Unit, User
from sipas.services.audit import record_event
from sipas.services.units.admin import Node, UnitTree, load_tree, record_of
from sipas.services.units.rows import (
    COLUMNS,
    FileError,
    RowError,
    UnitRecord,
    plan_import,
    read_table,
)
from sipas.spreadsheets import CsvWriter

log = logging.getLogger(__name__)

#: Largest file accepted for an import.
MAX_IMPORT_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ImportReport:
    """What an import did, or why it did nothing."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: tuple[RowError, ...] = ()
    #: Why the file could not be read at all.
    file_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.file_error is None


def import_units(filename: str, data: bytes, user: User | None) -> ImportReport:
    """Create or update the units of a CSV/XLSX file, all of them or none.

    Nothing is written unless every row is right; the caller commits only then.
    """
    if len(data) > MAX_IMPORT_BYTES:
        return ImportReport(file_error=_l("The file is larger than 5 MB."))
    try:
        table = read_table(filename, data)
    except FileError as error:
        return ImportReport(file_error=error.args[0])
    units = {unit.code: unit for unit in db.session.scalars(sa.select(Unit))}
    stored = {code: record_of(unit) for code, unit in units.items()}
    plan = plan_import(table, stored)
    if plan.errors:
        return ImportReport(errors=plan.errors)
    report = _apply(plan.records, units, stored)
    record_event(
        "unit.import",
        user=user,
        object_type="unit",
        details={
            "file": filename,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
        },
    )
    log.info(
        "unit import %s: %s created, %s updated",
        filename,
        report.created,
        report.updated,
    )
    return report


def _apply(
    records: tuple[UnitRecord, ...],
    units: dict[str, Unit],
    stored: dict[str, UnitRecord],
) -> ImportReport:
    """Write checked records: create the new units first, then set the fields and
    links of those that differ from what is stored."""
    new = [r for r in records if r.code not in units]
    for record in new:
        unit = Unit(code=record.code, name=record.name, level=record.level)
        units[record.code] = unit
        db.session.add(unit)
    changed = [r for r in records if replace(r, row=0) != stored.get(r.code)]
    for record in changed:
        unit = units[record.code]
        unit.name, unit.level = record.name, record.level
        unit.parent = units[record.parent_code] if record.parent_code else None
        unit.valid_from, unit.valid_to = record.valid_from, record.valid_to
        unit.successor = units[record.successor_code] if record.successor_code else None
    db.session.flush()
    return ImportReport(
        created=len(new),
        updated=len(changed) - len(new),
        unchanged=len(records) - len(changed),
    )


def export_csv() -> bytes:
    """Every unit in the import format, parents before children; UTF-8 with BOM."""
    tree = load_tree()
    out = io.StringIO()
    writer = CsvWriter(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)

    def write(node: Node) -> None:
        writer.writerow(_node_row(tree, node))
        for child in node.children:
            write(child)

    for root in tree.roots:
        write(root)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _node_row(tree: UnitTree, node: Node) -> list[str]:
    parent = tree.nodes[node.parent_id].code if node.parent_id else ""
    successor = tree.successor(node)
    return [
        node.code,
        node.name,
        node.level.value,
        parent,
        node.valid_from.isoformat() if node.valid_from else "",
        node.valid_to.isoformat() if node.valid_to else "",
        successor.code if successor else "",
    ]


#: Example rows of the downloadable template.
TEMPLATE_ROWS = (
    ("QN", "Tỉnh Quảng Ninh", "province", "", "", "", ""),
    ("QN-HALONG", "Phường Hạ Long", "commune", "QN", "2025-07-01", "", ""),
    (
        "QN-HALONG-TT",
        "Trung tâm Phục vụ hành chính công phường Hạ Long",
        "centre",
        "QN-HALONG",
        "2025-07-01",
        "",
        "",
    ),
)


def template_csv() -> bytes:
    """The import format with a few example rows; UTF-8 with BOM."""
    out = io.StringIO()
    writer = CsvWriter(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
