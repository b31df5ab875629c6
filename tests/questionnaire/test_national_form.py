"""The national form (QĐ 1001/QĐ-BNV, `questionnaires/sipas-2023.yaml`): it loads,
`sync` picks it up, it has the published 2024 shape, and its index tree has the two
domains whose weights reproduce the published 2024 SIPAS."""

from __future__ import annotations

import pytest

from sipas.questionnaire import ItemType, Questionnaire, load_file
from sipas.questionnaire.logic import visible_items
from sipas.questionnaire.steps import step_number
from sipas.services.questionnaires import questionnaire_files
from tests.conftest import ROOT

FORM = ROOT / "questionnaires" / "sipas-2023.yaml"


@pytest.fixture(scope="module")
def form() -> Questionnaire:
    return load_file(FORM).questionnaire


def _lists(form: Questionnaire) -> dict[str | None, int]:
    by_list: dict[str | None, int] = {}
    for item in form.items:
        by_list[item.choice_list] = by_list.get(item.choice_list, 0) + 1
    return by_list


def test_sync_stores_the_national_form() -> None:
    assert FORM in questionnaire_files(ROOT / "questionnaires")


def test_the_form_has_the_2024_indicator_counts(form: Questionnaire) -> None:
    by_list = _lists(form)
    assert by_list["extent3"] == 42
    assert len(form.criteria) == 51
    assert by_list["need3"] == 10
    assert len(form.items) == 112


def test_the_parts_come_in_the_order_of_the_method(form: Questionnaire) -> None:
    codes = [section.code for section in form.sections]
    assert codes[0] == "respondent"
    policy = [f"{kind}_p{n}" for n in range(1, 10) for kind in ("perception", "policy")]
    assert codes[1:19] == policy
    assert codes[19:21] == ["service_use", "perception_services"]
    assert codes[-1] == "needs"
    comment = form.items[-1]
    assert comment.type is ItemType.text
    assert comment.label["vi"] == "Ý kiến khác của Ông/Bà (xin ghi cụ thể)"


def test_perceptions_answer_none_some_many(form: Questionnaire) -> None:
    perceptions = [
        item
        for section in form.sections
        if section.code.startswith("perception_")
        for item in section.items
    ]
    assert len(perceptions) == 42
    for item in perceptions:
        assert [choice.label["vi"] for choice in item.choices] == [
            "Không có",
            "Một số",
            "Nhiều",
        ]


def test_needs_are_rated_one_by_one(form: Questionnaire) -> None:
    needs = form.sections[form.section_index("needs")].items
    rated = [item for item in needs if item.type is ItemType.single_choice]
    assert len(rated) == 10
    assert {item.choice_list for item in rated} == {"need3"}


def test_nine_policy_groups_and_five_service_factors(form: Questionnaire) -> None:
    policy, services = form.index_tree.children
    assert [node.code for node in policy.children] == [f"P{n}" for n in range(1, 10)]
    assert [node.code for node in services.children] == list("ABCDE")
    counts = {node.code: len(node.items) for node in services.children}
    assert (counts["A"], counts["B"]) == (3, 4)
    assert all(len(node.items) == 4 for node in policy.children)


def test_service_items_are_asked_only_of_service_users(form: Questionnaire) -> None:
    non_user = {i.code for i in visible_items(form, {"used_service": "no"})}
    user = {
        i.code for i in visible_items(form, {"used_service": "yes", "E_filter": "yes"})
    }
    assert non_user.isdisjoint({"A1", "E_filter", "E1", "S_N1"})
    assert {"P1_1", "P9_N4", "NC10", "comment"} <= non_user
    assert {"A1", "B4", "E1", "S_N1"} <= user


def test_the_tree_covers_every_criterion_once(form: Questionnaire) -> None:
    listed = form.index_tree.item_codes
    assert sorted(listed) == sorted(item.code for item in form.criteria)
    for domain in form.index_tree.children:
        for node in domain.children:
            assert {form.item(code).factor for code in node.items} == {node.code}


def test_domain_weights_reproduce_the_published_2024_sipas(
    form: Questionnaire,
) -> None:
    published = {"POLICY": 83.84, "SERVICES": 84.09}
    domains = form.index_tree.children
    combined = sum(node.weight * published[node.code] for node in domains)
    assert round(combined / sum(node.weight for node in domains), 2) == 83.94


def test_the_step_count_includes_what_a_filter_ahead_may_open(
    form: Questionnaire,
) -> None:
    assert step_number(form, {}, "respondent") == (1, 27)
    assert step_number(form, {"used_service": "yes"}, "service_access") == (22, 27)
    assert step_number(form, {"used_service": "no"}, "needs") == (21, 21)
    # a filter passed unanswered opens nothing any more
    assert step_number(form, {}, "needs") == (21, 21)
