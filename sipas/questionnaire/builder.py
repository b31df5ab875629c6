"""Check a questionnaire tree (parsed YAML or stored JSON) and build the frozen schema.

Every rule of DESIGN §4 is checked here and every violation is recorded with the line
it sits on (when the tree came from YAML); building stops only at the very end, so one
run reports all problems of a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sipas.questionnaire.checks import Node, NodeChecks, Problem
from sipas.questionnaire.index_tree import IndexTreeChecks
from sipas.questionnaire.schema import (
    NOT_APPLICABLE_CODE,
    SCALE_ANSWER_CODES,
    SUPPORTED_LANGUAGES,
    Choice,
    Factor,
    Item,
    ItemType,
    Questionnaire,
    Section,
    ShowIf,
)

#: Columns of the flat response file that item codes must not take.
RESERVED_CODES = frozenset(
    {"response_id", "stratum", "psu", "weight", "unit", "channel", "wave"}
)
QUESTIONNAIRE_CODE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")

TOP_KEYS = frozenset(
    {
        "code",
        "version",
        "languages",
        "title",
        "description",
        "factors",
        "choice_lists",
        "sections",
        "indices",
    }
)
TOP_REQUIRED = TOP_KEYS - {"description", "indices"}
FACTOR_KEYS = frozenset({"code", "name", "weight"})
CHOICE_KEYS = frozenset({"code", "label", "not_applicable"})
SECTION_KEYS = frozenset({"code", "title", "description", "items"})
ITEM_KEYS = frozenset(
    {
        "code",
        "type",
        "label",
        "required",
        "choices",
        "factor",
        "show_if",
        "hint",
        "max",
        "max_length",
        "min_value",
        "max_value",
    }
)
SHOW_IF_KEYS = frozenset({"item", "in"})
CHOICE_TYPES = frozenset(
    {ItemType.single_choice, ItemType.multi_choice, ItemType.scale}
)


class Builder(NodeChecks):
    """Walks one questionnaire tree; ``problems`` collects what is wrong."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        super().__init__(source, problems)
        self.choice_lists: dict[str, tuple[Choice, ...]] = {}
        self.factor_codes: set[str] = set()
        self.seen_items: dict[str, Item] = {}

    # -- the questionnaire -----------------------------------------------------------

    def build(self, tree: Any) -> Questionnaire | None:
        """Check the whole tree; the questionnaire, or None if anything is wrong."""
        root = self.mapping(tree, tree, None, "the questionnaire file")
        if root is None:
            return None
        before = len(self.problems)
        self.keys(root, TOP_KEYS, TOP_REQUIRED, "the questionnaire")
        self.check_languages(root)
        code = self.code(root, "questionnaire", QUESTIONNAIRE_CODE_PATTERN)
        version = self.integer(root, "version", "the questionnaire", minimum=1)
        title = self.text(root, "title", "the title")
        description = self.text(root, "description", "the description")
        factors = self.build_factors(root)
        self.build_choice_lists(root)
        sections = self.build_sections(root)
        self.check_factors_used(root, factors)
        indices = IndexTreeChecks(self).build(root, self.seen_items)
        if (
            len(self.problems) > before
            or code is None
            or version is None
            or title is None
        ):
            return None
        return Questionnaire(
            code=code,
            version=version,
            languages=self.languages,
            title=title,
            factors=tuple(factors),
            sections=tuple(sections),
            description=description,
            indices=indices,
        )

    def check_languages(self, root: Node) -> None:
        languages = root.get("languages")
        if list(languages or []) != list(SUPPORTED_LANGUAGES):
            self.problem(
                root,
                "languages",
                f"languages must be {list(SUPPORTED_LANGUAGES)} (Vietnamese first)",
            )

    def build_factors(self, root: Node) -> list[Factor]:
        factors = []
        listing = self.sequence(root, "factors", "the questionnaire")
        for index, raw in enumerate(listing):
            node = self.mapping(raw, listing, index, "a factor")
            if node is None:
                continue
            self.keys(node, FACTOR_KEYS, frozenset({"code", "name"}), "a factor")
            code = self.code(node, "factor")
            name = self.text(node, "name", f"factor {code}")
            weight = self.positive_number(node, "weight", f"factor {code}")
            if weight is None:
                continue
            if code is None or name is None:
                continue
            if code in self.factor_codes:
                self.problem(node, "code", f"duplicate factor code {code!r}")
                continue
            self.factor_codes.add(code)
            factors.append(Factor(code=code, name=name, weight=weight))
        return factors

    def build_choice_lists(self, root: Node) -> None:
        lists = root.get("choice_lists")
        if lists is None:
            return
        if not isinstance(lists, Mapping):
            self.problem(root, "choice_lists", "choice_lists must map names to lists")
            return
        for name, listing in lists.items():
            if not isinstance(name, str):
                self.problem(lists, name, f"choice list name {name!r} is not a string")
                continue
            if not isinstance(listing, list) or not listing:
                self.problem(
                    lists, name, f"choice list {name!r} must be a non-empty list"
                )
                continue
            self.choice_lists[name] = self.build_choices(name, listing)

    def build_choices(self, name: str, listing: list[Any]) -> tuple[Choice, ...]:
        choices: list[Choice] = []
        for index, raw in enumerate(listing):
            node = self.mapping(raw, listing, index, f"an option of {name!r}")
            if node is None:
                continue
            self.keys(
                node,
                CHOICE_KEYS,
                frozenset({"code", "label"}),
                f"an option of {name!r}",
            )
            code = self.code(node, f"option of {name!r}", pattern=None)
            label = self.text(node, "label", f"option {code!r} of {name!r}")
            not_applicable = self.boolean(node, "not_applicable", f"option {code!r}")
            if code is None or label is None:
                continue
            if any(choice.code == code for choice in choices):
                self.problem(
                    node, "code", f"duplicate option code {code!r} in {name!r}"
                )
                continue
            choices.append(
                Choice(code=code, label=label, is_not_applicable=not_applicable)
            )
        return tuple(choices)

    def build_sections(self, root: Node) -> list[Section]:
        sections: list[Section] = []
        seen: set[str] = set()
        listing = self.sequence(root, "sections", "the questionnaire")
        for index, raw in enumerate(listing):
            node = self.mapping(raw, listing, index, "a section")
            if node is None:
                continue
            self.keys(
                node, SECTION_KEYS, frozenset({"code", "title", "items"}), "a section"
            )
            code = self.code(node, "section")
            title = self.text(node, "title", f"section {code}")
            description = self.text(node, "description", f"section {code}")
            items = self.build_items(node)
            if code is not None and code in seen:
                self.problem(node, "code", f"duplicate section code {code!r}")
            elif code is not None and title is not None:
                seen.add(code)
                sections.append(Section(code, title, tuple(items), description))
        return sections

    def build_items(self, section: Node) -> list[Item]:
        items = []
        listing = self.sequence(section, "items", "a section")
        for index, raw in enumerate(listing):
            node = self.mapping(raw, listing, index, "an item")
            if node is not None:
                item = self.build_item(node)
                if item is not None:
                    items.append(item)
        return items

    def check_factors_used(self, root: Node, factors: list[Factor]) -> None:
        used = {item.factor for item in self.seen_items.values() if item.factor}
        nodes = {
            node.get("code"): node
            for node in root.get("factors") or []
            if isinstance(node, Mapping)
        }
        for factor in factors:
            if factor.code not in used:
                node = nodes.get(factor.code)
                self.problem(node, "code", f"factor {factor.code!r} has no criteria")

    # -- one item --------------------------------------------------------------------

    def build_item(self, node: Node) -> Item | None:
        """Check one item against everything asked before it; build it if sound."""
        self.keys(node, ITEM_KEYS, frozenset({"code", "type", "label"}), "an item")
        code = self.code(node, "item")
        if code in RESERVED_CODES:
            self.problem(
                node, "code", f"item code {code!r} is reserved for a file column"
            )
            code = None
        if code is not None and code in self.seen_items:
            self.problem(node, "code", f"duplicate item code {code!r}")
            code = None
        before = len(self.problems)
        item_type = self.item_type(node, code)
        label = self.text(node, "label", f"item {code}")
        hint = self.text(node, "hint", f"item {code}")
        required = self.boolean(node, "required", f"item {code}")
        choices = self.item_choices(node, code, item_type)
        factor = self.item_factor(node, code, item_type)
        show_if = self.item_show_if(node, code)
        limits = self.item_limits(node, code, item_type, len(choices))
        if (
            code is None
            or item_type is None
            or label is None
            or len(self.problems) > before
        ):
            return None
        item = Item(
            code=code,
            type=item_type,
            label=label,
            required=required,
            choice_list=node.get("choices"),
            choices=choices,
            factor=factor,
            show_if=show_if,
            hint=hint,
            **limits,
        )
        self.seen_items[code] = item
        return item

    def item_type(self, node: Node, code: str | None) -> ItemType | None:
        value = node.get("type")
        if value is None:
            return None
        try:
            return ItemType(value)
        except ValueError:
            known = ", ".join(t.value for t in ItemType)
            self.problem(
                node, "type", f"item {code} has unknown type {value!r} ({known})"
            )
            return None

    def item_choices(
        self, node: Node, code: str | None, item_type: ItemType | None
    ) -> tuple[Choice, ...]:
        name = node.get("choices")
        if item_type is None:
            return ()
        if item_type not in CHOICE_TYPES:
            if name is not None:
                self.problem(
                    node, "choices", f"{item_type} item {code} cannot have choices"
                )
            return ()
        if name is None:
            self.problem(node, None, f"{item_type} item {code} needs a choice list")
            return ()
        if not isinstance(name, str) or name not in self.choice_lists:
            self.problem(
                node, "choices", f"item {code} uses unknown choice list {name!r}"
            )
            return ()
        choices = self.choice_lists[name]
        if item_type is ItemType.scale:
            self.check_scale_list(node, code, name, choices)
        return choices

    def check_scale_list(
        self, node: Node, code: str | None, name: str, choices: tuple[Choice, ...]
    ) -> None:
        codes = {choice.code for choice in choices}
        allowed = set(SCALE_ANSWER_CODES) | {NOT_APPLICABLE_CODE}
        if not set(SCALE_ANSWER_CODES) <= codes or not codes <= allowed:
            self.problem(
                node,
                "choices",
                f"scale item {code}: list {name!r} must hold codes 1–5 (and 9 at most)",
            )
        for choice in choices:
            if (choice.code == NOT_APPLICABLE_CODE) != choice.is_not_applicable:
                self.problem(
                    node,
                    "choices",
                    f"scale item {code}: in {name!r} only code 9 is not_applicable",
                )

    def item_factor(
        self, node: Node, code: str | None, item_type: ItemType | None
    ) -> str | None:
        factor = node.get("factor")
        if factor is None:
            return None
        if item_type is not ItemType.scale:
            self.problem(
                node, "factor", f"item {code}: only scale items belong to a factor"
            )
            return None
        if not isinstance(factor, str) or factor not in self.factor_codes:
            self.problem(node, "factor", f"item {code} names unknown factor {factor!r}")
            return None
        return factor

    def item_show_if(self, node: Node, code: str | None) -> ShowIf | None:
        raw = node.get("show_if")
        if raw is None:
            return None
        rule = self.mapping(raw, node, "show_if", f"item {code} show_if")
        if rule is None:
            return None
        self.keys(rule, SHOW_IF_KEYS, SHOW_IF_KEYS, f"item {code} show_if")
        target_code = rule.get("item")
        values = rule.get("in")
        if target_code == code:
            self.problem(rule, "item", f"item {code}: show_if points at itself")
            return None
        # a list or mapping here (a YAML slip) is no item code, and not hashable
        target = (
            self.seen_items.get(target_code) if isinstance(target_code, str) else None
        )
        if target is None:
            self.problem(
                rule,
                "item",
                f"item {code}: show_if points at {target_code!r}, "
                "which is not an earlier item",
            )
            return None
        if not isinstance(values, list) or not values:
            self.problem(
                rule, "in", f"item {code}: show_if 'in' must be a non-empty list"
            )
            return None
        for index, value in enumerate(values):
            if not isinstance(value, str) or value not in target.choice_codes:
                self.problem(
                    values,
                    index,
                    f"item {code}: {value!r} is not an option of {target_code}",
                )
                return None
        return ShowIf(item=target.code, values=tuple(values))

    def item_limits(
        self,
        node: Node,
        code: str | None,
        item_type: ItemType | None,
        n_choices: int,
    ) -> dict[str, int | None]:
        what = f"item {code}"
        rules = {
            "max": ItemType.multi_choice,
            "max_length": ItemType.text,
            "min_value": ItemType.number,
            "max_value": ItemType.number,
        }
        for key, owner in rules.items():
            if key in node and item_type is not None and item_type is not owner:
                self.problem(
                    node, key, f"{what}: {key!r} applies to {owner} items only"
                )
        max_choices = self.integer(node, "max", what, minimum=1)
        if max_choices is not None and n_choices and max_choices > n_choices:
            self.problem(node, "max", f"{what}: max {max_choices} exceeds its options")
        return {
            "max_choices": max_choices,
            "max_length": self.integer(node, "max_length", what, minimum=1),
            "min_value": self.integer(node, "min_value", what),
            "max_value": self.integer(node, "max_value", what),
        }
