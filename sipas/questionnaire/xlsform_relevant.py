"""Translate an XLSForm ``relevant`` expression into our one-question ``show_if``.

``show_if`` says: ask this item when the answer to one earlier item is among some
options. So a ``relevant`` is accepted when it speaks of one earlier choice question
only, in the forms ``${q} = 'x'``, ``${q} != 'x'``, ``selected(${q}, 'x')``, joined by
``and``/``or`` with parentheses. Anything else is refused with a reason (a message id
and its parameters) so the reader can place it at its cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


def N_(message: str) -> str:  # noqa: N802 - gettext's marker name, extracted by Babel
    """Mark ``message`` for translation without translating it (the web layer does)."""
    return message


@dataclass(frozen=True)
class Target:
    """What a ``relevant`` may know of an earlier question."""

    is_multi: bool
    options: tuple[str, ...]


@dataclass(frozen=True)
class ShowIfRule:
    """A translated ``relevant``: ask when ``item``'s answer is among ``values``."""

    item: str
    values: tuple[str, ...]


class RelevantRefused(Exception):  # noqa: N818 - a refusal, not a programming error
    """The expression cannot become a ``show_if``; ``message % params`` says why."""

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params)


_TOKEN = re.compile(
    r"""\s*(?:
      \$\{(?P<ref>[^}]*)\}
    | '(?P<single>[^']*)'
    | "(?P<double>[^"]*)"
    | (?P<op>!=|=|\(|\)|,)
    | (?P<word>[A-Za-z_][A-Za-z0-9_-]*)
    | (?P<number>-?[0-9]+)
    )""",
    re.VERBOSE,
)


def _tokens(expression: str) -> list[tuple[str, str]]:
    """The expression as (kind, text) tokens; anything unknown is refused."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise RelevantRefused(
                N_("cannot read the condition from “%(rest)s”"),
                rest=text[position:].strip(),
            )
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind in ("single", "double", "number"):
            kind = "string"
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens; each level returns a rule on one item."""

    def __init__(self, expression: str, earlier: Mapping[str, Target]) -> None:
        self.tokens = _tokens(expression)
        self.position = 0
        self.earlier = earlier

    def parse(self) -> ShowIfRule:
        rule = self.either()
        if self.position != len(self.tokens):
            raise RelevantRefused(
                N_("unexpected “%(token)s” in the condition"),
                token=self.tokens[self.position][1],
            )
        if not rule.values:
            raise RelevantRefused(N_("the condition can never be true"))
        return rule

    def peek(self) -> tuple[str, str]:
        if self.position < len(self.tokens):
            return self.tokens[self.position]
        return ("end", "")

    def take(self, kind: str, text: str | None = None) -> str:
        token_kind, token_text = self.peek()
        if token_kind != kind or (text is not None and token_text != text):
            expected = text or kind
            raise RelevantRefused(
                N_("expected “%(expected)s” but found “%(found)s”"),
                expected=expected,
                found=token_text or "…",
            )
        self.position += 1
        return token_text

    def either(self) -> ShowIfRule:
        rule = self.both()
        while self.peek() == ("word", "or"):
            self.position += 1
            other = self.both()
            _same_item(rule, other)
            extra = tuple(value for value in other.values if value not in rule.values)
            rule = ShowIfRule(rule.item, rule.values + extra)
        return rule

    def both(self) -> ShowIfRule:
        rule = self.atom()
        while self.peek() == ("word", "and"):
            self.position += 1
            other = self.atom()
            _same_item(rule, other)
            if self.earlier[rule.item].is_multi:
                raise RelevantRefused(
                    N_(
                        "“and” on the multiple-choice question %(item)s cannot be "
                        "expressed; join its options with “or”"
                    ),
                    item=rule.item,
                )
            kept = tuple(value for value in rule.values if value in other.values)
            rule = ShowIfRule(rule.item, kept)
        return rule

    def atom(self) -> ShowIfRule:
        kind, text = self.peek()
        if (kind, text) == ("op", "("):
            self.position += 1
            rule = self.either()
            self.take("op", ")")
            return rule
        if (kind, text) == ("word", "selected"):
            return self.selected()
        if kind == "ref":
            return self.comparison()
        raise RelevantRefused(
            N_(
                "“%(token)s” cannot start a condition; use ${question} = 'option' "
                "or selected(${question}, 'option')"
            ),
            token=text or "…",
        )

    def selected(self) -> ShowIfRule:
        self.take("word", "selected")
        self.take("op", "(")
        item = self.target(self.take("ref"))
        self.take("op", ",")
        value = self.option(item, self.take("string"))
        self.take("op", ")")
        return ShowIfRule(item, (value,))

    def comparison(self) -> ShowIfRule:
        item = self.target(self.take("ref"))
        operator = self.take("op")
        if operator not in ("=", "!="):
            raise RelevantRefused(
                N_("only = and != can compare an answer, not “%(op)s”"), op=operator
            )
        value = self.option(item, self.take("string"))
        target = self.earlier[item]
        if target.is_multi:
            raise RelevantRefused(
                N_(
                    "%(item)s allows several answers: write selected(${%(item)s}, "
                    "'%(value)s')"
                ),
                item=item,
                value=value,
            )
        if operator == "=":
            return ShowIfRule(item, (value,))
        return ShowIfRule(item, tuple(code for code in target.options if code != value))

    def target(self, name: str) -> str:
        if name not in self.earlier:
            raise RelevantRefused(
                N_("${%(item)s} is not an earlier choice question"), item=name
            )
        return name

    def option(self, item: str, value: str) -> str:
        if value not in self.earlier[item].options:
            raise RelevantRefused(
                N_("“%(value)s” is not an option of %(item)s"), value=value, item=item
            )
        return value


def _same_item(rule: ShowIfRule, other: ShowIfRule) -> None:
    """Refuse a condition on two questions: show_if follows one question only."""
    if rule.item != other.item:
        raise RelevantRefused(
            N_(
                "the condition speaks of %(first)s and %(second)s; a question can "
                "depend on one earlier question only"
            ),
            first=rule.item,
            second=other.item,
        )


def translate(expression: str, earlier: Mapping[str, Target]) -> ShowIfRule:
    """The ``show_if`` meaning ``expression``, given the choice questions before it."""
    return _Parser(expression, earlier).parse()


def write(rule: ShowIfRule, target: Target) -> str:
    """The ``relevant`` expression that :func:`translate` reads back as ``rule``."""
    quoted = [_quote(value) for value in rule.values]
    left_out = [code for code in target.options if code not in rule.values]
    others = [code for code in target.options if code != (left_out or [""])[0]]
    shorter = len(left_out) == 1 and len(others) > 1 and not target.is_multi
    if shorter and list(rule.values) == others:
        return f"${{{rule.item}}} != {_quote(left_out[0])}"
    if target.is_multi:
        parts = [f"selected(${{{rule.item}}}, {value})" for value in quoted]
    else:
        parts = [f"${{{rule.item}}} = {value}" for value in quoted]
    return " or ".join(parts)


def _quote(value: str) -> str:
    return f'"{value}"' if "'" in value else f"'{value}'"
