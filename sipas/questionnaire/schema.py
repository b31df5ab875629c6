"""The questionnaire as frozen data: what the loader builds and everything else reads.

Nothing here knows about files, Flask or the database. A :class:`Questionnaire` is
built by :mod:`sipas.questionnaire.loader` from a YAML file (or from the JSON stored
for a frozen version) and is immutable afterwards, so one parsed instance can be
shared by all requests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

#: Languages every questionnaire must provide; the first is the default.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("vi", "en")

#: Scale answers that count as an answer (1–5); 4 and 5 count as satisfied.
SCALE_ANSWER_CODES: tuple[str, ...] = ("1", "2", "3", "4", "5")
SATISFIED_CODES: frozenset[str] = frozenset({"4", "5"})
#: "Not applicable / no opinion": stored, but not an answer for the indices.
NOT_APPLICABLE_CODE = "9"

#: Default limit for free text when an item does not set ``max_length``.
DEFAULT_TEXT_MAX_LENGTH = 2000


class ItemType(StrEnum):
    """The kinds of question a questionnaire can ask."""

    single_choice = "single_choice"
    multi_choice = "multi_choice"
    scale = "scale"
    text = "text"
    number = "number"


class LocalizedText(Mapping[str, str]):
    """An immutable ``{language: text}`` mapping with a fallback lookup."""

    __slots__ = ("_texts",)

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = MappingProxyType(dict(texts))

    def __getitem__(self, language: str) -> str:
        return self._texts[language]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __repr__(self) -> str:
        return f"LocalizedText({dict(self._texts)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self) == dict(other)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._texts.items())))

    def get_text(self, language: str) -> str:
        """The text in ``language``, else in the first supported language present."""
        if language in self._texts:
            return self._texts[language]
        for fallback in SUPPORTED_LANGUAGES:
            if fallback in self._texts:
                return self._texts[fallback]
        return next(iter(self._texts.values()), "")


@dataclass(frozen=True)
class Choice:
    """One answer option of a choice list; ``code`` is what gets stored."""

    code: str
    label: LocalizedText
    #: True for "not applicable / no opinion" options (stored, never scored).
    is_not_applicable: bool = False


@dataclass(frozen=True)
class ShowIf:
    """Show an item only when an earlier item's answer is one of ``values``."""

    item: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Factor:
    """A factor (yếu tố) of the index; its criteria are the items that name it."""

    code: str
    name: LocalizedText
    weight: float = 1.0


class Aggregate(StrEnum):
    """How an index node combines what is under it."""

    #: weighted mean of the children's indices (of the items' indices for a leaf)
    mean = "mean"
    #: one share: satisfied answers over all valid answers of all its items
    pooled = "pooled"


#: Code of the root of every index tree (the SIPAS index of the questionnaire).
OVERALL_CODE = "overall"


@dataclass(frozen=True)
class IndexNode:
    """A node of the index tree: children nodes, or (a leaf) criteria item codes."""

    code: str
    label: LocalizedText
    weight: float = 1.0
    aggregate: Aggregate = Aggregate.mean
    children: tuple[IndexNode, ...] = ()
    items: tuple[str, ...] = ()

    def walk(self) -> Iterator[IndexNode]:
        """This node and every node under it, parents before children."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def item_codes(self) -> tuple[str, ...]:
        """Every criterion under this node, in tree order."""
        return tuple(code for node in self.walk() for code in node.items)


@dataclass(frozen=True)
class Item:
    """One question."""

    code: str
    type: ItemType
    label: LocalizedText
    required: bool = False
    #: Name of the choice list in the file (for choice and scale items).
    choice_list: str | None = None
    choices: tuple[Choice, ...] = ()
    #: Factor code for scored criteria (scale items only).
    factor: str | None = None
    show_if: ShowIf | None = None
    hint: LocalizedText | None = None
    #: Most options a multi_choice answer may hold.
    max_choices: int | None = None
    #: Longest text answer in characters (text items).
    max_length: int | None = None
    #: Inclusive bounds for number items.
    min_value: int | None = None
    max_value: int | None = None

    @property
    def is_criterion(self) -> bool:
        """True for scored scale items that feed a factor index."""
        return self.type is ItemType.scale and self.factor is not None

    @cached_property
    def choice_codes(self) -> tuple[str, ...]:
        """The codes of this item's options, in order."""
        return tuple(choice.code for choice in self.choices)

    def choice(self, code: str) -> Choice | None:
        """Return the option with ``code`` or None."""
        return next((c for c in self.choices if c.code == code), None)


@dataclass(frozen=True)
class Section:
    """A group of items shown together as one step of the phone form."""

    code: str
    title: LocalizedText
    items: tuple[Item, ...]
    description: LocalizedText | None = None


@dataclass(frozen=True)
class Questionnaire:
    """A whole questionnaire version, as parsed and validated."""

    code: str
    version: int
    languages: tuple[str, ...]
    title: LocalizedText
    factors: tuple[Factor, ...]
    sections: tuple[Section, ...]
    description: LocalizedText | None = None
    #: The declared top nodes of the index tree (``indices:``); empty when the file
    #: has none, and the tree is then derived from the factors
    indices: tuple[IndexNode, ...] = ()
    #: Lookup of items by code, derived from ``sections``.
    _items_by_code: Mapping[str, Item] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        by_code = {
            item.code: item for section in self.sections for item in section.items
        }
        object.__setattr__(self, "_items_by_code", MappingProxyType(by_code))

    @cached_property
    def items(self) -> tuple[Item, ...]:
        """All items in the order they are asked."""
        return tuple(self._items_by_code.values())

    @cached_property
    def criteria(self) -> tuple[Item, ...]:
        """The scored criteria (scale items with a factor), in order."""
        return tuple(item for item in self.items if item.is_criterion)

    def item(self, code: str) -> Item:
        """Return the item with ``code``; raise KeyError if there is none."""
        return self._items_by_code[code]

    def has_item(self, code: str) -> bool:
        """True if an item with ``code`` exists."""
        return code in self._items_by_code

    def section_index(self, code: str) -> int:
        """Position of the section with ``code``; KeyError if there is none."""
        for index, section in enumerate(self.sections):
            if section.code == code:
                return index
        raise KeyError(code)

    def criteria_of(self, factor_code: str) -> tuple[Item, ...]:
        """The criteria that belong to factor ``factor_code``."""
        return tuple(item for item in self.criteria if item.factor == factor_code)

    @property
    def index_tree(self) -> IndexNode:
        """The root of the index tree: the declared nodes, or factors → criteria.

        The root is the weighted mean of the top nodes; without ``indices:`` those are
        the factors (with their weights), each the plain mean of its criteria, which
        is the overall index as it has always been computed.
        """
        top = self.indices or tuple(
            IndexNode(
                code=factor.code,
                label=factor.name,
                weight=factor.weight,
                items=tuple(item.code for item in self.criteria_of(factor.code)),
            )
            for factor in self.factors
        )
        return IndexNode(code=OVERALL_CODE, label=self.title, children=top)
