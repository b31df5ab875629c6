"""XLSForm ``relevant`` expressions into show_if: what translates, what is refused."""

from __future__ import annotations

import pytest

from sipas.questionnaire.xlsform_relevant import (
    RelevantRefused,
    ShowIfRule,
    Target,
    translate,
    write,
)

EARLIER = {
    "on_time": Target(False, ("early", "on_time", "late", "not_received")),
    "filter": Target(False, ("yes", "no")),
    "channels": Target(True, ("desk", "post", "online")),
}


@pytest.mark.parametrize(
    ("expression", "item", "values"),
    [
        ("${filter} = 'yes'", "filter", ("yes",)),
        ('${filter}="yes"', "filter", ("yes",)),
        ("${on_time} != 'not_received'", "on_time", ("early", "on_time", "late")),
        ("selected(${on_time}, 'late')", "on_time", ("late",)),
        ("${on_time} = 'late' or ${on_time} = 'early'", "on_time", ("late", "early")),
        (
            "(${on_time} != 'early') and (${on_time} != 'late' or ${on_time} = 'late')",
            "on_time",
            ("on_time", "late", "not_received"),
        ),
        (
            "${on_time} != 'early' and ${on_time} != 'not_received'",
            "on_time",
            ("on_time", "late"),
        ),
        (
            "selected(${channels}, 'post') or selected(${channels}, 'online')",
            "channels",
            ("post", "online"),
        ),
    ],
)
def test_expressions_show_if_can_hold_are_translated(expression, item, values):
    assert translate(expression, EARLIER) == ShowIfRule(item, values)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("${filter} = 'yes' or ${on_time} = 'late'", "one earlier question only"),
        ("${channels} = 'post'", "selected(${channels}, 'post')"),
        ("${channels} != 'post'", "selected(${channels}, 'post')"),
        (
            "selected(${channels}, 'post') and selected(${channels}, 'desk')",
            "“and” on the multiple-choice question channels",
        ),
        ("${filter} = 'yes' and ${filter} = 'no'", "can never be true"),
        ("${filter} = 'yes' or", "cannot start a condition"),
        ("(${filter} = 'yes'", "expected “)”"),
        ("${filter} > 'yes'", "cannot read the condition"),
        ("not(${filter} = 'yes')", "“not” cannot start a condition"),
        ("${filter} = 'yes' ${filter}", "unexpected “filter”"),
        ("${comment} = 'x'", "not an earlier choice question"),
    ],
)
def test_anything_else_is_refused_with_a_reason(expression, words):
    with pytest.raises(RelevantRefused) as refused:
        translate(expression, EARLIER)
    assert words in str(refused.value)


@pytest.mark.parametrize("item", ["on_time", "channels"])
def test_written_rule_reads_back(item):
    rule = ShowIfRule(item, EARLIER[item].options[1:])
    assert translate(write(rule, EARLIER[item]), EARLIER) == rule


def test_quote_in_an_option_is_written_readably():
    target = Target(False, ("it's",))
    rule = ShowIfRule("q", ("it's",))
    assert translate(write(rule, target), {"q": target}) == rule


@pytest.mark.parametrize(
    ("values", "written"),
    [
        (("early", "on_time", "late"), "${on_time} != 'not_received'"),
        (
            ("on_time", "early", "late"),
            "${on_time} = 'on_time' or ${on_time} = 'early' or ${on_time} = 'late'",
        ),
        (("late",), "${on_time} = 'late'"),
    ],
)
def test_all_options_but_one_in_their_order_are_written_with_not_equal(values, written):
    rule = ShowIfRule("on_time", values)
    assert write(rule, EARLIER["on_time"]) == written
    assert translate(written, EARLIER) == rule
