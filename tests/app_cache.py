"""What every test app would compile anew, compiled once per run.

The suite makes an app per test, some 2,400 in `make test`. Two costs of a new app
have nothing to do with what a test checks, and were a fifth of the run's time:

- Jinja compiles each template the first time an app renders it, per app: the
  apps here share one in-memory bytecode cache (Jinja's own mechanism, checked
  against the template's source, so an edited template is compiled again);
- werkzeug compiles two URL builders per route when the route is bound to an
  app's map (some 170 Python functions through ``ast`` and ``compile``): the
  builder of a route is a pure function of the route (``self`` is its first
  argument), so one built for an equal route is reused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing import Rule


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
