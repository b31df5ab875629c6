"""Bulk work without the passes of Python's cyclic garbage collector.

The collector runs a pass each time some hundreds of container objects (dicts,
lists, tuples) have been made and not freed, and now and then one over every
object alive. A bulk write makes millions of them that stay alive until it ends
(a checked row's answers, a batch's columns) and form no cycles; each pass looks
at them all the same and frees nothing. Measured on an import of 100 000
responses: 10.0 s with the passes, 8.7 s without; the check alone 2.1 s against
1.4 s.

Reference counting still frees every object as soon as it is dropped; only
cycles wait for the collector, which takes them at its next pass after the block.
"""

from __future__ import annotations

import atexit
import gc
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TypeVar

T = TypeVar("T")


class _Pauses:
    """The blocks running now, in any thread, and the collector's state before
    the first of them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.was_on = False

    def begin(self) -> None:
        with self.lock:
            if self.running == 0:
                self.was_on = gc.isenabled()
                gc.disable()
            self.running += 1

    def end(self) -> None:
        with self.lock:
            self.running -= 1
            if self.running == 0 and self.was_on:
                gc.enable()


_pauses = _Pauses()


@contextmanager
def cycles_collected_after() -> Iterator[None]:
    """Run the block with the cyclic collector paused; it resumes, as it was,
    when the last such block of any thread ends."""
    _pauses.begin()
    try:
        yield
    finally:
        _pauses.end()


def made_with_collector_paused(chunks: Iterable[T]) -> Iterator[T]:
    """``chunks`` (a file made as it is read), each made with the collector
    paused: it may run between two, while the reader writes one out."""
    made = iter(chunks)
    while True:
        with cycles_collected_after():
            chunk = next(made, _END)
        if chunk is _END:
            return
        yield chunk  # type: ignore[misc]


#: Marks the end of the chunks (a chunk may be anything, None too).
_END = object()


@cache
def frozen_at_exit() -> None:
    """When the process ends, freeze every object still alive, so that Python's
    last collection does not walk them to free nothing (a command that held a
    large round's objects ended 0.3 s sooner). For commands: a process that goes
    on (a test run, a server) pays nothing until its own end. Once per process."""
    atexit.register(gc.freeze)
