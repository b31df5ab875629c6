"""The workbook's index tree (``indices`` sheet, ``index`` column) and its copies."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook, load_workbook

from sipas.questionnaire import load_file, load_text
from sipas.questionnaire.xlsform import WorkbookError, read_workbook
from sipas.questionnaire.xlsform_copies import (
    copy_name,
    stale_copies,
    workbook_copies,
)
from sipas.questionnaire.xlsform_indices import parent_depths
from sipas.questionnaire.xlsform_write import write_workbook
from tests.conftest import ROOT
from tests.questionnaire.test_index_tree import TREE
from tests.questionnaire.test_xlsform import (
    Edit,
    in_vietnamese,
    problems_of,
    put,
    workbook_of,
)

#: The national form: a draft today, shipped beside the 2017 files once it is final.
NATIONAL = next(
    path
    for path in (
        ROOT / "questionnaires" / "sipas-2023.yaml",
        ROOT / "questionnaires" / "drafts" / "sipas-2023.yaml",
    )
    if path.exists()
)


def tree_workbook(edit: Edit | None = None) -> bytes:
    """The index-tree test file as a workbook, with ``edit`` applied.

    Survey: row 2 begins ``main``, rows 3–7 are A1, A2, B1, B2, note; ``index`` is
    column J. Indices: rows 2–5 are policy, services, access (parent services),
    steps (parent services); columns name, parent, label::vi, label::en, weight,
    aggregate (A–F).
    """
    return workbook_of(TREE, edit)


def with_label(node: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    """``node`` and its children, each labelled (by its factor's name if need be)."""
    shaped = dict(node)
    shaped.setdefault("label", names.get(node["code"]))
    if "children" in node:
        shaped["children"] = [with_label(child, names) for child in node["children"]]
    return shaped


def national_file(folder: Path) -> Path:
    """The national draft, its tree in the loader's shape, written into ``folder``.

    The draft proposes ``indices:`` as one root node (``SIPAS``, the plain weighted
    mean of its children, which is what the implicit ``overall`` is) with unlabelled
    leaves named after factors; the loader takes the list under the root, labelled.
    Once the file itself has that shape this changes nothing.
    """
    with NATIONAL.open(encoding="utf-8") as stream:
        definition = yaml.safe_load(stream)
    tree = definition["indices"]
    if isinstance(tree, dict):
        assert (tree["code"], tree.get("aggregate", "mean")) == ("SIPAS", "mean")
        tree = tree["children"]
    names = {factor["code"]: factor["name"] for factor in definition["factors"]}
    definition["indices"] = [with_label(node, names) for node in tree]
    path = folder / NATIONAL.name
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    return path


def shipped_files(folder: Path) -> list[Path]:
    """Every shipped questionnaire file and the national form (loader-shaped)."""
    others = sorted((ROOT / "questionnaires").glob("*.yaml"))
    return [*(p for p in others if p.name != NATIONAL.name), national_file(folder)]


def test_a_tree_round_trips_to_the_same_hash():
    loaded = load_text(TREE, "tree.yaml")
    again = read_workbook(tree_workbook())
    assert again.definition == loaded.definition
    assert again.sha256 == loaded.sha256
    assert again.questionnaire.index_tree == loaded.questionnaire.index_tree


def test_the_national_form_round_trips_with_its_tree(tmp_path):
    loaded = load_file(national_file(tmp_path))
    again = read_workbook(write_workbook(loaded.definition))
    assert again.sha256 == loaded.sha256
    tree = again.questionnaire.index_tree
    assert tree == loaded.questionnaire.index_tree
    assert len(tree.children) == 2  # the two domains, each over its factors
    assert all(domain.children for domain in tree.children)
    assert sorted(tree.item_codes) == sorted(
        item.code for item in loaded.questionnaire.criteria
    )


def test_the_tree_is_one_row_per_node_and_an_index_cell_per_criterion():
    workbook = load_workbook(io.BytesIO(tree_workbook()))
    indices = [row[:2] + row[4:6] for row in workbook["indices"].values]
    assert indices == [
        ("name", "parent", "weight", "aggregate"),
        ("policy", None, 2, None),
        ("services", None, None, "pooled"),
        ("access", "services", None, None),
        ("steps", "services", 0.5, None),
    ]
    survey = {row[1]: row[9] for row in workbook["survey"].iter_rows(values_only=True)}
    assert survey["name"] == "index"
    assert [survey[code] for code in ("A1", "A2", "B1", "B2", "note")] == [
        "policy",
        "policy",
        "access",
        "steps",
        None,
    ]


def test_a_form_without_a_tree_gets_an_empty_indices_sheet_and_reads_without_one():
    loaded = load_file(ROOT / "questionnaires" / "sipas-2017-v2.yaml")
    data = write_workbook(loaded.definition)
    assert [row for row in load_workbook(io.BytesIO(data))["indices"].values] == [
        ("name", "parent", "label::vi", "label::en", "weight", "aggregate")
    ]
    assert "indices" not in read_workbook(data).definition


def test_a_tree_can_be_typed_in_any_row_order():
    def edit(workbook: Workbook) -> None:
        sheet = workbook["indices"]
        rows = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
        for number, values in enumerate(reversed(rows), start=2):
            for column, value in enumerate(values, start=1):
                sheet.cell(number, column).value = value

    tree = read_workbook(tree_workbook(edit)).questionnaire.index_tree
    assert [node.code for node in tree.walk()] == [
        "overall",
        "services",
        "steps",
        "access",
        "policy",
    ]


def label(sheet: str, row: int, vi: str, en: str) -> Edit:
    def edit(workbook: Workbook) -> None:
        workbook[sheet][f"C{row}"], workbook[sheet][f"D{row}"] = vi, en

    return edit


def both(*edits: Edit) -> Edit:
    def edit(workbook: Workbook) -> None:
        for change in edits:
            change(workbook)

    return edit


def without_tree(workbook: Workbook) -> None:
    workbook["indices"].delete_rows(2, 4)


BAD_TREES = [
    pytest.param(
        both(put("indices", "A6", "spare"), label("indices", 6, "Dự phòng", "Spare")),
        "indices",
        "A6",
        "the index node “spare” has no items",
        id="node-without-items",
    ),
    pytest.param(
        put("indices", "B3", "steps"),
        "indices",
        "B3",
        "the parents go round in a circle: services → steps → services",
        id="cycle",
    ),
    pytest.param(
        put("indices", "B2", "policy"),
        "indices",
        "B2",
        "the parents go round in a circle: policy → policy",
        id="own-parent",
    ),
    pytest.param(
        put("indices", "E2", "nặng"),
        "indices",
        "E2",
        "the weight “nặng” is not a number",
        id="weight-not-a-number",
    ),
    pytest.param(
        put("indices", "E5", 0),
        "indices",
        "E5",
        "the weight “0” must be above 0",
        id="weight-zero",
    ),
    pytest.param(
        put("indices", "A5", "access"),
        "indices",
        "A5",
        "the name “access” is already used on row 4",
        id="duplicate-node",
    ),
    pytest.param(
        both(put("indices", "A2", "Chính sách"), put("survey", "J3", "Chính sách")),
        "indices",
        "A2",
        "the name “Chính sách” must start with a letter",
        id="name-not-a-code",
    ),
    pytest.param(
        put("indices", "A2", "overall"),
        "indices",
        "A2",
        "“overall” is the name of the whole index",
        id="reserved-name",
    ),
    pytest.param(
        put("indices", "B4", "servces"),
        "indices",
        "B4",
        "the parent “servces” is not a node of this sheet",
        id="unknown-parent",
    ),
    pytest.param(
        put("indices", "F3", "median"),
        "indices",
        "F3",
        "“median” is not a way to aggregate: write mean / pooled",
        id="unknown-aggregate",
    ),
    pytest.param(
        put("indices", "D4", None),
        "indices",
        "D4",
        "“label::en” is empty",
        id="missing-english-label",
    ),
    pytest.param(
        put("survey", "J3", "polcy"),
        "survey",
        "J3",
        "“polcy” is not a node of the “indices” sheet",
        id="index-at-nothing",
    ),
    pytest.param(
        put("survey", "J5", "services"),
        "survey",
        "J5",
        "the index node “services” has nodes under it",
        id="index-at-a-parent",
    ),
    pytest.param(
        put("survey", "J7", "policy"),
        "survey",
        "J7",
        "only a scale question with a factor counts in an index node",
        id="index-on-a-text-question",
    ),
    pytest.param(
        without_tree,
        "survey",
        "J3",
        "“policy” is not a node of the “indices” sheet",
        id="index-without-a-tree",
    ),
]


@pytest.mark.parametrize(("edit", "sheet", "cell", "words"), BAD_TREES)
def test_each_bad_tree_is_refused_at_its_cell_in_its_own_words(
    edit, sheet, cell, words
):
    with pytest.raises(WorkbookError) as caught:
        read_workbook(tree_workbook(edit))
    problems = caught.value.problems
    found = [(p.sheet, f"{p.column}{p.row}", p.text) for p in problems]
    assert any(
        (at_sheet, at) == (sheet, cell) and words in text
        for at_sheet, at, text in found
    ), found
    # said by the workbook reader (translated), not passed on from the YAML rules
    assert all(p.message != "%(message)s" for p in problems), found


def test_independent_problems_of_the_tree_and_survey_are_listed_together():
    edit = both(
        put("indices", "B3", "steps"),
        put("indices", "E2", "heavy"),
        put("survey", "A7", "note"),
        put("survey", "J3", "polcy"),
    )
    cells = {(sheet, cell) for sheet, cell, _ in problems_of(tree_workbook(edit))}
    assert {
        ("indices", "B3"),
        ("indices", "E2"),
        ("survey", "A7"),
        ("survey", "J3"),
    } <= cells


def test_tree_problems_read_in_vietnamese():
    edit = both(
        put("indices", "B3", "steps"),
        put("survey", "J3", "polcy"),
        both(put("indices", "A6", "spare"), label("indices", 6, "Dự phòng", "Spare")),
    )
    assert in_vietnamese(tree_workbook(edit)) == [
        "“polcy” không phải là một nút của trang “indices”",
        "các nút cha nối thành một vòng: services → steps → services",
        "nút chỉ số “spare” không có câu hỏi nào: ghi tên nút vào cột “index” "
        "của các câu hỏi thuộc nút, hoặc vào cột “parent” của các nút con",
    ]


def chained(count: int) -> Edit:
    """Put ``count`` nodes n1 … n<count> above ``services``, each above the next."""

    def edit(workbook: Workbook) -> None:
        sheet = workbook["indices"]
        sheet["B3"] = f"n{count}"  # services hangs below the whole chain
        for number in range(1, count + 1):
            parent = f"n{number - 1}" if number > 1 else None
            sheet.append([f"n{number}", parent, f"Mức {number}", f"Level {number}"])

    return edit


def test_a_tree_deeper_than_the_limit_is_refused_where_it_passes_it():
    # n1 … n8 above services above access and steps: 10 levels, accepted
    read_workbook(tree_workbook(chained(8)))
    found = problems_of(tree_workbook(chained(9)))
    assert found == [
        ("indices", "B4", "the tree is more than 10 levels deep here"),
        ("indices", "B5", "the tree is more than 10 levels deep here"),
    ]


def test_a_long_chain_of_parents_is_read_in_one_pass():
    count = 3000  # walking each node's chain again and again would take minutes
    found = problems_of(tree_workbook(chained(count)))
    assert found == [("indices", "B16", "the tree is more than 10 levels deep here")]


def test_parent_depths_finds_every_circle_once_and_what_hangs_below():
    parents = {"a": "", "b": "a", "c": "d", "d": "c", "e": "c", "f": "f", "g": "x"}
    depths, circles = parent_depths(parents)
    assert depths == {"a": 1, "b": 2, "c": -1, "d": -1, "e": -1, "f": -1, "g": 1}
    assert circles == [["c", "d"], ["f"]]


def test_every_questionnaire_file_gives_a_workbook_of_the_same_hash(tmp_path):
    files = shipped_files(tmp_path)
    copies = workbook_copies(files)
    assert sorted(copies) == sorted(copy_name(path) for path in files)
    assert "sipas-2023.xlsx" in copies
    for path in files:
        again = read_workbook(copies[copy_name(path)], copy_name(path))
        assert again.sha256 == load_file(path).sha256, path.name


def test_stale_copies_names_missing_and_outdated_workbooks(tmp_path):
    files = [ROOT / "questionnaires" / "sipas-2017.yaml", national_file(tmp_path)]
    folder = tmp_path / "xlsx"
    folder.mkdir()
    assert stale_copies(files, folder) == ["sipas-2017.xlsx", "sipas-2023.xlsx"]
    for name, data in workbook_copies(files).items():
        (folder / name).write_bytes(data)
    assert stale_copies(files, folder) == []
    changed = load_file(files[1]).definition
    changed["title"]["en"] = "An older title"
    (folder / "sipas-2023.xlsx").write_bytes(write_workbook(changed))
    (folder / "sipas-2017.xlsx").write_bytes(b"not a workbook")
    assert stale_copies(files, folder) == ["sipas-2017.xlsx", "sipas-2023.xlsx"]
