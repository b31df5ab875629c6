"""The draft national form (QĐ 1001/QĐ-BNV): it loads, has the published 2024
shape, its proposed index tree covers its criteria, and `sync` never picks it up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from sipas.questionnaire import Questionnaire, parse_definition
from sipas.questionnaire.logic import visible_items
from sipas.services.questionnaires import questionnaire_files
from tests.conftest import ROOT

DRAFT = ROOT / "questionnaires" / "drafts" / "sipas-2023.yaml"


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    with DRAFT.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.safe_load(stream)
    return loaded


@pytest.fixture(scope="module")
def draft(definition: dict[str, Any]) -> Questionnaire:
    """The draft as today's loader sees it: without the proposed `indices` block."""
    without_tree = {key: value for key, value in definition.items() if key != "indices"}
    return parse_definition(without_tree, str(DRAFT))


def _leaves(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "items" in node:
        yield node
    for child in node.get("children", ()):
        yield from _leaves(child)


def test_the_draft_has_the_2024_indicator_counts(draft: Questionnaire) -> None:
    by_list: dict[str | None, int] = {}
    for item in draft.items:
        by_list[item.choice_list] = by_list.get(item.choice_list, 0) + 1
    assert by_list["extent3"] == 42
    assert len(draft.criteria) == 51
    assert by_list["need3"] == 10


def test_perceptions_answer_none_some_many(draft: Questionnaire) -> None:
    perception = next(item for item in draft.items if item.choice_list == "extent3")
    assert [choice.label["vi"] for choice in perception.choices] == [
        "Không có",
        "Một số",
        "Nhiều",
    ]


def test_nine_policy_groups_and_five_service_factors(draft: Questionnaire) -> None:
    codes = [factor.code for factor in draft.factors]
    assert codes == [f"P{n}" for n in range(1, 10)] + ["A", "B", "C", "D", "E"]
    per_factor = {code: 0 for code in codes}
    for item in draft.criteria:
        assert item.factor is not None
        per_factor[item.factor] += 1
    assert (per_factor["A"], per_factor["B"]) == (3, 4)


def test_service_items_are_asked_only_of_service_users(draft: Questionnaire) -> None:
    non_user = {i.code for i in visible_items(draft, {"used_service": "no"})}
    user = {
        i.code for i in visible_items(draft, {"used_service": "yes", "E_filter": "yes"})
    }
    assert non_user.isdisjoint({"A1", "E_filter", "E1", "S_N1"})
    assert "P1_1" in non_user
    assert {"A1", "B4", "E1", "S_N1"} <= user


def test_index_tree_leaves_partition_the_criteria(
    definition: dict[str, Any], draft: Questionnaire
) -> None:
    leaves = list(_leaves(definition["indices"]))
    listed = [code for leaf in leaves for code in leaf["items"]]
    assert sorted(listed) == sorted(item.code for item in draft.criteria)
    for leaf in leaves:
        assert {draft.item(code).factor for code in leaf["items"]} == {leaf["code"]}


def test_domain_weights_reproduce_the_published_2024_sipas(
    definition: dict[str, Any],
) -> None:
    published = {"POLICY": 83.84, "SERVICES": 84.09}
    domains = definition["indices"]["children"]
    weights = {node["code"]: float(node.get("weight", 1)) for node in domains}
    combined = sum(weights[code] * published[code] for code in published)
    assert round(combined / sum(weights.values()), 2) == 83.94


def test_sync_does_not_pick_up_drafts() -> None:
    assert DRAFT not in questionnaire_files(ROOT / "questionnaires")
    assert all(
        path.parent.name != "drafts"
        for path in questionnaire_files(ROOT / "questionnaires")
    )
