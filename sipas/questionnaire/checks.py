"""Generic checks of a questionnaire tree node, each problem recorded with its line."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sipas.questionnaire.schema import SUPPORTED_LANGUAGES, LocalizedText

CODE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

#: A mapping as YAML gives it: keys and values of any type until checked.
Node = Mapping[Any, Any]


def line_of(container: Any, key: Any = None) -> int | None:
    """Line of ``key`` in a mapping or of element ``key`` in a list, else the node's."""
    key_lines: Mapping[Any, int] | None = getattr(container, "key_lines", None)
    if key_lines is not None and key in key_lines:
        return key_lines[key]
    item_lines: list[int] | None = getattr(container, "item_lines", None)
    if item_lines is not None and isinstance(key, int) and 0 <= key < len(item_lines):
        return item_lines[key]
    line: int | None = getattr(container, "line", None)
    return line


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a questionnaire file."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


class NodeChecks:
    """Checks shared by every level of the tree; ``problems`` collects findings."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        self.languages: tuple[str, ...] = SUPPORTED_LANGUAGES

    def problem(self, container: Any, key: Any, message: str) -> None:
        """Record a problem at the line of ``key`` in ``container``."""
        self.problems.append(Problem(self.source, line_of(container, key), message))

    # -- generic checks -------------------------------------------------------------

    def mapping(self, node: Any, where: Any, key: Any, what: str) -> Node | None:
        """``node`` if it is a mapping, else a problem and None."""
        if isinstance(node, Mapping):
            return node
        self.problem(where, key, f"{what} must be a mapping")
        return None

    def keys(
        self,
        node: Node,
        allowed: frozenset[str],
        required: frozenset[str],
        what: str,
    ) -> None:
        """Refuse unknown keys and report missing ones."""
        for key in node:
            if key not in allowed:
                self.problem(node, key, f"unknown key {key!r} in {what}")
        for key in sorted(required - set(node)):
            self.problem(node, None, f"{what} lacks required key {key!r}")

    def code(
        self, node: Node, what: str, pattern: re.Pattern[str] | None = CODE_PATTERN
    ) -> str | None:
        """The ``code`` of a node, checked to be a string of the right shape."""
        value = node.get("code")
        if "code" not in node:
            return None
        if not isinstance(value, str):
            self.problem(
                node,
                "code",
                f'{what} code {value!r} is not a string; quote it, e.g. "{value}"',
            )
            return None
        if pattern is not None and not pattern.match(value):
            self.problem(node, "code", f"{what} code {value!r} is not a valid code")
            return None
        if pattern is None and not value:
            self.problem(node, "code", f"{what} code is empty")
            return None
        return value

    def text(self, node: Node, key: str, what: str) -> LocalizedText | None:
        """A localized text present in every language of the file."""
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.problem(node, key, f"{what} must give a text per language")
            return None
        ok = True
        for language in value:
            if language not in self.languages:
                self.problem(
                    value, language, f"{what} has unknown language {language!r}"
                )
                ok = False
        for language in self.languages:
            text = value.get(language)
            if language not in value:
                self.problem(node, key, f"{what} lacks the {language!r} text")
                ok = False
            elif not isinstance(text, str) or not text.strip():
                self.problem(value, language, f"{what} has an empty {language!r} text")
                ok = False
        return LocalizedText({k: str(v) for k, v in value.items()}) if ok else None

    def integer(
        self, node: Node, key: str, what: str, minimum: int | None = None
    ) -> int | None:
        """An int value (not a bool), optionally at least ``minimum``."""
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(node, key, f"{what} {key!r} must be a whole number")
            return None
        if minimum is not None and value < minimum:
            self.problem(node, key, f"{what} {key!r} must be at least {minimum}")
            return None
        return value

    def positive_number(self, node: Node, key: str, what: str) -> float | None:
        """A number above 0 under ``key`` (1 when absent)."""
        value = node.get(key, 1.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.problem(node, key, f"{what} {key} must be a positive number")
            return None
        return float(value)

    def boolean(self, node: Node, key: str, what: str) -> bool:
        """A true/false value (absent means false)."""
        value = node.get(key, False)
        if not isinstance(value, bool):
            self.problem(node, key, f"{what} {key!r} must be true or false")
            return False
        return value

    def sequence(self, node: Node, key: str, what: str) -> list[Any]:
        """A non-empty list under ``key``."""
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not value:
            self.problem(node, key, f"{what} {key!r} must be a non-empty list")
            return []
        return value
