"""Index trees in the questionnaire file: declared, derived, bad trees refused."""

from __future__ import annotations

import textwrap

import pytest

from sipas.questionnaire import (
    QuestionnaireError,
    load_file,
    load_text,
    parse_definition,
)
from sipas.questionnaire.schema import OVERALL_CODE, Aggregate
from tests.questionnaire.test_loader import QUESTIONNAIRES, problems_of

SCALE = "type: scale, choices: s5"
TREE = textwrap.dedent(
    f"""\
    code: tree
    version: 1
    languages: [vi, en]
    title: {{vi: "Phiếu thử", en: "Test form"}}
    factors:
      - {{code: A, name: {{vi: "Chính sách", en: "Policy"}}}}
      - {{code: B, name: {{vi: "Dịch vụ", en: "Services"}}}}
    choice_lists:
      s5:
        - {{code: "1", label: {{vi: "Rất không hài lòng", en: "Very dissatisfied"}}}}
        - {{code: "2", label: {{vi: "Không hài lòng", en: "Dissatisfied"}}}}
        - {{code: "3", label: {{vi: "Bình thường", en: "Neutral"}}}}
        - {{code: "4", label: {{vi: "Hài lòng", en: "Satisfied"}}}}
        - {{code: "5", label: {{vi: "Rất hài lòng", en: "Very satisfied"}}}}
    sections:
      - code: main
        title: {{vi: "Phần chính", en: "Main part"}}
        items:
          - {{code: A1, {SCALE}, factor: A, label: {{vi: "Y tế", en: "Health"}}}}
          - {{code: A2, {SCALE}, factor: A, label: {{vi: "Giáo dục", en: "Schools"}}}}
          - {{code: B1, {SCALE}, factor: B, label: {{vi: "Tiếp cận", en: "Access"}}}}
          - {{code: B2, {SCALE}, factor: B, label: {{vi: "Thủ tục", en: "Steps"}}}}
          - {{code: note, type: text, label: {{vi: "Ý kiến", en: "Comment"}}}}
    indices:
      - code: policy
        label: {{vi: "Chính sách công", en: "Public policy"}}
        weight: 2
        items: [A1, A2]
      - code: services
        label: {{vi: "Dịch vụ công", en: "Public services"}}
        aggregate: pooled
        children:
          - code: access
            label: {{vi: "Tiếp cận", en: "Access"}}
            items: [B1]
          - code: steps
            label: {{vi: "Thủ tục", en: "Steps"}}
            weight: 0.5
            items: [B2]
    """
)


def mutate(old: str, new: str) -> str:
    """The tree file with one piece of text replaced."""
    assert old in TREE
    return TREE.replace(old, new, 1)


def last_line_of(text: str, fragment: str) -> int:
    """1-based line of the last line containing ``fragment``."""
    lines = text.splitlines()
    return max(i for i, line in enumerate(lines, 1) if fragment in line)


def test_a_declared_tree_is_read_with_its_weights_and_aggregates():
    root = load_text(TREE, "tree.yaml").questionnaire.index_tree
    assert root.code == OVERALL_CODE
    policy, services = root.children
    assert (policy.code, policy.weight, policy.aggregate) == ("policy", 2.0, "mean")
    assert policy.items == ("A1", "A2")
    assert services.aggregate is Aggregate.pooled
    assert [c.code for c in services.children] == ["access", "steps"]
    assert services.children[1].weight == 0.5
    assert services.item_codes == ("B1", "B2")
    assert [n.code for n in root.walk()] == [
        "overall",
        "policy",
        "services",
        "access",
        "steps",
    ]
    assert policy.label.get_text("en") == "Public policy"


def test_a_tree_round_trips_through_its_stored_definition():
    loaded = load_text(TREE, "tree.yaml")
    assert parse_definition(loaded.definition) == loaded.questionnaire


def test_without_indices_the_tree_is_the_factors_over_their_criteria():
    questionnaire = load_file(QUESTIONNAIRES / "sipas-2017.yaml").questionnaire
    root = questionnaire.index_tree
    assert questionnaire.indices == ()
    assert [(n.code, n.weight) for n in root.children] == [
        (f.code, f.weight) for f in questionnaire.factors
    ]
    for node in root.children:
        assert node.aggregate is Aggregate.mean
        assert not node.children
        assert node.items == tuple(c.code for c in questionnaire.criteria_of(node.code))
    assert root.item_codes == tuple(c.code for c in questionnaire.criteria)


BAD_TREES = [
    (
        "    items: [A1, A2]\n",
        "    items: []\n",
        "items: []",
        "index node policy 'items' must be a non-empty list",
    ),
    (
        "    items: [A1, A2]\n",
        "",
        "code: policy",
        "index node policy has no items",
    ),
    (
        "items: [A1, A2]",
        "items: [A1, A9]",
        "items: [A1, A9]",
        "index node policy names unknown item 'A9'",
    ),
    (
        "items: [A1, A2]",
        "items: [A1, note]",
        "items: [A1, note]",
        "index node policy: item note is not a criterion (a scale item with a factor)",
    ),
    (
        "items: [B2]",
        "items: [B1]",
        "items: [B1]",
        "item B1 is in index nodes access and steps",
    ),
    ("weight: 2", "weight: heavy", "weight: heavy", "weight must be a positive number"),
    ("weight: 0.5", "weight: -1", "weight: -1", "weight must be a positive number"),
    (
        "aggregate: pooled",
        "aggregate: median",
        "aggregate: median",
        "index node services aggregate must be one of mean, pooled, not 'median'",
    ),
    ("code: steps", "code: access", "code: access", "duplicate index node code"),
    ("code: steps", "code: overall", "code: overall", "duplicate index node code"),
    (
        "        items: [B1]\n",
        "        items: [B1]\n        children: []\n",
        "items: [B1]",
        "index node access has both children and items",
    ),
    (
        "    weight: 2\n",
        "    weight: 2\n    colour: red\n",
        "colour: red",
        "unknown key 'colour' in an index node",
    ),
]


@pytest.mark.parametrize(("old", "new", "fragment", "message"), BAD_TREES)
def test_each_bad_tree_is_reported_at_its_line(old, new, fragment, message):
    text = mutate(old, new)
    problems = problems_of(text)
    expected_line = last_line_of(text, fragment)
    assert any(
        message in text_ and line == expected_line for line, text_ in problems
    ), problems


def test_a_node_listed_inside_itself_is_a_cycle():
    text = mutate(
        "  - code: services\n", "  - &services\n    code: services\n"
    ).replace("        items: [B2]\n", "        items: [B2]\n      - *services\n")
    messages = [message for _, message in problems_of(text)]
    # YAML itself refuses a node that contains itself
    assert any("recursive node" in message for message in messages), messages


def test_a_stored_definition_with_a_cycle_is_refused():
    definition = load_text(TREE, "tree.yaml").definition
    services = definition["indices"][1]
    services["children"].append(services)
    with pytest.raises(QuestionnaireError, match="the index tree contains a cycle"):
        parse_definition(definition)
