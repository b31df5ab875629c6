"""Read questionnaire YAML into the frozen schema, reporting each problem with its line.

The file is parsed with a :class:`yaml.SafeLoader` subclass that remembers where each
mapping, key and list element starts, so that validation can say ``file:line`` for each
problem. Nothing is built until the whole file has been checked.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sipas.questionnaire.builder import Builder
from sipas.questionnaire.checks import Problem
from sipas.questionnaire.schema import Questionnaire


class QuestionnaireError(Exception):
    """A questionnaire file could not be used; ``problems`` says why, all of it."""

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class LoadedQuestionnaire:
    """A validated questionnaire with the plain definition and hash that get stored."""

    questionnaire: Questionnaire
    definition: dict[str, Any]
    sha256: str
    source: str


class LocatedMap(dict[Any, Any]):
    """A tree mapping that knows the line (or cell number) of itself and each key."""

    line: int | None = None
    key_lines: dict[Any, int]


class LocatedList(list[Any]):
    """A tree list that knows the line (or cell number) of itself and each element."""

    line: int | None = None
    item_lines: list[int]


if TYPE_CHECKING:
    # the checker wants a class it can see; CSafeLoader has the same interface
    _SafeLoader = yaml.SafeLoader
else:
    #: libyaml's parser when PyYAML was built with it (several times faster); its
    #: nodes carry the same line marks
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    """SafeLoader that records line numbers and refuses duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, Any]] = []

    def construct_mapping(
        self, node: yaml.MappingNode, deep: bool = False
    ) -> LocatedMap:
        mapping = LocatedMap()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping.key_lines:
                self.duplicates.append((key_node.start_mark.line + 1, key))
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(
        self, node: yaml.SequenceNode, deep: bool = False
    ) -> LocatedList:
        sequence = LocatedList(
            self.construct_object(child, deep=True) for child in node.value
        )
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
        return sequence


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence
)


def plain_tree(value: Any) -> Any:
    """The YAML tree as plain dicts and lists (what gets stored as JSON)."""
    if isinstance(value, dict):
        return {str(k): plain_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_tree(v) for v in value]
    return value


def definition_sha256(definition: Mapping[str, Any]) -> str:
    """Hash of the canonical JSON of a definition: its identity as a version."""
    canonical = json.dumps(
        definition, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_file(path: str | Path) -> LoadedQuestionnaire:
    """Load and validate one questionnaire file."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionnaireError(
            [Problem(source, None, f"cannot read file: {error}")]
        ) from error
    return load_text(text, source)


def load_text(text: str, source: str) -> LoadedQuestionnaire:
    """Load and validate questionnaire YAML given as text (parsed once per process)."""
    loaded = _load_text_once(text, source)
    # the schema is frozen; the plain definition is a dict the caller may keep
    return replace(loaded, definition=copy.deepcopy(loaded.definition))


@functools.lru_cache(maxsize=16)
def _load_text_once(text: str, source: str) -> LoadedQuestionnaire:
    """Parsing the national form takes 40 ms; a server syncs the same files at every
    start, a test suite thousands of times. A problem is raised anew each time."""
    loader = _LineLoader(text)
    try:
        tree = loader.get_single_data()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        raise QuestionnaireError(
            [Problem(source, line, f"YAML syntax: {reason}")]
        ) from error
    finally:
        loader.dispose()
    problems = [
        Problem(source, line, f"duplicate key {key!r}")
        for line, key in loader.duplicates
    ]
    questionnaire = Builder(source, problems).build(tree)
    if problems or questionnaire is None:
        raise QuestionnaireError(problems)
    definition = plain_tree(tree)
    return LoadedQuestionnaire(
        questionnaire, definition, definition_sha256(definition), source
    )


def parse_definition(
    definition: Mapping[str, Any], source: str = "<stored>"
) -> Questionnaire:
    """Rebuild a questionnaire from its stored JSON definition (same validation)."""
    problems: list[Problem] = []
    questionnaire = Builder(source, problems).build(definition)
    if problems or questionnaire is None:
        raise QuestionnaireError(problems)
    return questionnaire
