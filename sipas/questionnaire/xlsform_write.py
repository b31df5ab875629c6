"""Write a questionnaire definition as the workbook :mod:`.xlsform` reads back.

It writes the stored definition (the plain tree), not the built questionnaire, so that
reading the workbook again gives the same tree and therefore the same hash: a key the
file left out stays out, ``required: false`` stays written. A leaf index node's
items are written as the ``index`` cell of each item, so they read back in survey
order (the order every shipped file lists them in).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sipas.questionnaire import xlsform_columns as columns
from sipas.questionnaire.xlsform_columns import NUMBER_KEYS
from sipas.questionnaire.xlsform_relevant import ShowIfRule, Target, write
from sipas.spreadsheets import append_row

ITEM_TYPES = {
    "single_choice": "select_one",
    "multi_choice": "select_multiple",
    "scale": "scale",
    "text": "text",
    "number": "integer",
}


def _sheet(workbook: Workbook, name: str, rows: list[dict[str, Any]]) -> None:
    """One sheet: bold frozen headings, then the rows, columns wide enough to read."""
    worksheet: Worksheet = workbook.create_sheet(name)
    headings = columns.headings(name)
    append_row(worksheet, headings)
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    worksheet.freeze_panes = "A2"
    for row in rows:  # a text that starts with "=" stays text
        append_row(worksheet, [row.get(heading) for heading in headings])
    for index, heading in enumerate(headings, start=1):
        longest = max((len(str(row.get(heading) or "")) for row in rows), default=0)
        width = min(max(len(heading), longest) + 2, 60)
        worksheet.column_dimensions[get_column_letter(index)].width = width


def _texts(prefix: str, texts: Mapping[str, str] | None) -> dict[str, str]:
    return {f"{prefix}::{lang}": text for lang, text in (texts or {}).items()}


def _flag(value: Any) -> str | None:
    if value is None:
        return None
    return "yes" if value else "no"


def _index_rows(
    nodes: list[Mapping[str, Any]], parent: str | None = None
) -> list[dict[str, Any]]:
    """The ``indices`` sheet's rows: each node, then the nodes under it."""
    rows: list[dict[str, Any]] = []
    for node in nodes:
        row = {"name": node["code"], "parent": parent} | _texts("label", node["label"])
        row |= {key: node.get(key) for key in ("weight", "aggregate")}
        rows.append(row)
        rows.extend(_index_rows(node.get("children", []), node["code"]))
    return rows


def _leaf_of(nodes: list[Mapping[str, Any]]) -> dict[str, str]:
    """Each criterion's code → the code of the index node listing it."""
    leaf: dict[str, str] = {}
    for node in nodes:
        leaf |= {code: node["code"] for code in node.get("items", [])}
        leaf |= _leaf_of(node.get("children", []))
    return leaf


def _item_row(item: Mapping[str, Any], targets: dict[str, Target]) -> dict[str, Any]:
    kind = ITEM_TYPES.get(item["type"], item["type"])
    if "choices" in item:
        kind = f"{kind} {item['choices']}"
    row: dict[str, Any] = {"type": kind, "name": item["code"]}
    row |= _texts("label", item.get("label")) | _texts("hint", item.get("hint"))
    row["required"] = _flag(item.get("required"))
    row["factor"] = item.get("factor")
    row |= {key: item[key] for key in NUMBER_KEYS if key in item}
    show_if = item.get("show_if")
    if show_if is not None:
        rule = ShowIfRule(show_if["item"], tuple(show_if["in"]))
        row["relevant"] = write(rule, targets[rule.item])
    return row


def _survey_rows(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    leaf = _leaf_of(definition.get("indices", []))
    lists = {
        name: tuple(choice["code"] for choice in choices)
        for name, choices in definition.get("choice_lists", {}).items()
    }
    targets: dict[str, Target] = {}
    rows: list[dict[str, Any]] = []
    for section in definition["sections"]:
        rows.append(
            {"type": "begin_group", "name": section["code"]}
            | _texts("label", section["title"])
            | _texts("hint", section.get("description"))
        )
        for item in section["items"]:
            rows.append(_item_row(item, targets) | {"index": leaf.get(item["code"])})
            if "choices" in item:
                is_multi = item["type"] == "multi_choice"
                targets[item["code"]] = Target(is_multi, lists[item["choices"]])
        rows.append({"type": "end_group", "name": section["code"]})
    return rows


def write_workbook(definition: Mapping[str, Any]) -> bytes:
    """The ``.xlsx`` bytes of a questionnaire definition (as stored or loaded)."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    settings = {"form_id": definition["code"], "version": definition["version"]}
    settings |= _texts("title", definition["title"])
    settings |= _texts("description", definition.get("description"))
    _sheet(workbook, "survey", _survey_rows(definition))
    choices = [
        {"list_name": name, "name": choice["code"]}
        | _texts("label", choice["label"])
        | {"not_applicable": _flag(choice.get("not_applicable"))}
        for name, listing in definition.get("choice_lists", {}).items()
        for choice in listing
    ]
    _sheet(workbook, "choices", choices)
    if "factors" in definition:
        factors = [
            {"name": f["code"], "weight": f.get("weight")} | _texts("label", f["name"])
            for f in definition["factors"]
        ]
        _sheet(workbook, "factors", factors)
    _sheet(workbook, "settings", [settings])
    # written even without a tree: the headings show an author where one goes
    _sheet(workbook, "indices", _index_rows(definition.get("indices", [])))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
