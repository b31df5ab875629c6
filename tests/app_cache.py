"""What every test app would compile anew, compiled once per run.

The suite makes an app per test, some 2,400 in `make test`. Two costs of a new app
have nothing to do with what a test checks, and were a fifth of the run's time:

- Jinja compiles each template the first time an app renders it, per app: the
  apps here share one in-memory bytecode cache (Jinja's own mechanism, checked
  against the template's source, so an edited template is compiled again);
- werkzeug compiles two URL builders per route when the route is bound to an
  app's map (some 170 Python functions through ``ast`` and ``compile``): the
  builder of a route is a pure function of the route (``self`` is its first
  argument), so one built for an equal route is reused;
- werkzeug binds each of the ~90 routes to the new app's map and adds it to the
  map's matcher (20 ms an app): apps with the same routes share one map, read
  only; a test that adds a route gets a map of its own at that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Map, Rule


class _TemplatesOfTheRun(BytecodeCache):
    """Compiled templates kept in memory for every app of the run."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` if this template was compiled before (Jinja then checks
        that the source is unchanged)."""
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep a template just compiled."""
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _TemplatesOfTheRun()


def share_compiled_templates(app: Flask) -> None:
    """Let ``app`` use the templates other apps of the run compiled."""
    app.jinja_env.bytecode_cache = _TEMPLATES


_compile_builder = Rule._compile_builder
_builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _builder_of_an_equal_route(
    self: Rule, append_unknown: bool = True
) -> Callable[..., tuple[str, str]]:
    """werkzeug's builder for this route, compiled once per equal route."""
    defaults = self.defaults or {}
    key = (
        self.rule,
        self.subdomain,
        self.host,
        tuple(self._trace),
        tuple(sorted((name, repr(value)) for name, value in defaults.items())),
        tuple(sorted((name, type(c).__name__) for name, c in self._converters.items())),
        append_unknown,
    )
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


def share_route_builders() -> None:
    """Reuse URL builders between the run's apps (see the module's docstring)."""
    Rule._compile_builder = _builder_of_an_equal_route  # type: ignore[method-assign]


_add_to_map = Map.add
#: The finished map of each set of routes, shared by the apps that have them.
_maps: dict[tuple[tuple[Any, ...], ...], Map] = {}


@contextmanager
def routes_held_back() -> Iterator[list[Rule]]:
    """While an app is made: the routes it adds to its map, held back unbound."""
    held: list[Rule] = []

    def hold(_map: Map, rule: Rule) -> None:
        held.append(rule)

    Map.add = hold  # type: ignore[assignment,method-assign]
    try:
        yield held
    finally:
        Map.add = _add_to_map  # type: ignore[method-assign]


def share_routes(app: Flask, held: list[Rule]) -> None:
    """Give ``app`` the map of the run's apps with the same routes (made from its
    own empty map and ``held`` the first time)."""
    key = tuple(_route_signature(rule) for rule in held)
    shared = _maps.get(key)
    if shared is None:
        shared = _maps[key] = app.url_map
        for rule in held:
            shared.add(rule)
        shared.update()
    app.url_map = _SharedMap(shared)


def _route_signature(rule: Rule) -> tuple[Any, ...]:
    """What makes two routes the same route."""
    kwargs = rule.get_empty_kwargs()
    return (rule.rule, *sorted((name, repr(value)) for name, value in kwargs.items()))


class _SharedMap(Map):
    """An app's view of a map other apps share: it reads the shared map; the first
    route the app adds makes the app a map of its own with the shared routes."""

    def __init__(self, shared: Map) -> None:  # noqa: D107  (no Map.__init__: shared)
        self.__dict__.update(shared.__dict__)
        self._shared = shared

    def add(self, rulefactory: Any) -> None:
        """Add a route to a map of this app's own."""
        shared = self.__dict__.pop("_shared", None)
        if shared is not None:
            Map.__init__(
                self,
                [rule.empty() for rule in shared.iter_rules()],
                default_subdomain=shared.default_subdomain,
                strict_slashes=shared.strict_slashes,
                merge_slashes=shared.merge_slashes,
                redirect_defaults=shared.redirect_defaults,
                converters=shared.converters,
                sort_parameters=shared.sort_parameters,
                sort_key=shared.sort_key,
                host_matching=shared.host_matching,
            )
        _add_to_map(self, rulefactory)
