"""Batches made one ahead in a background thread, each begun when the caller is
about to wait on the database.

The bulk writers (demo data, imports) alternate two kinds of work: Python that
makes a batch of rows (drawing, judging, encoding), which holds the interpreter
lock, and SQLite statements that run a long time without it (spreading a
batch's answers into rows). Done in turn, one core waits for the other. With
:class:`MadeAhead` the next batch is made on the second core while SQLite works
on this one.

The next batch is begun when the caller says so (:meth:`MadeAhead.start_next`),
just before its long statement, not as soon as the thread is free: a statement
run once per row (``executemany``) lets the interpreter go and takes it back at
each row, and beside a busy thread each take waits its turn. 100 000 rows into a
temporary table took 0.11 s alone and 35 s beside a thread that computes.

What is made must not use the database or the ORM session: they belong to the
caller's thread. Plain values and numpy arrays only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Generic, TypeVar

A = TypeVar("A")
T = TypeVar("T")


class MadeAhead(Generic[A, T]):
    """``make(argument)`` of each of ``arguments``, in order, in one background
    thread; iterate to take them. Use as a context manager: leaving it waits for
    a batch still being made and drops it."""

    def __init__(self, make: Callable[[A], T], arguments: Sequence[A]) -> None:
        self._make = make
        self._arguments = list(arguments)
        #: How many batches were begun.
        self._begun = 0
        self._pending: Future[T] | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="made-ahead")

    def start_next(self) -> None:
        """Begin the next batch, unless it is begun or there is none: call it as
        a long statement starts."""
        if self._pending is None and self._begun < len(self._arguments):
            self._pending = self._pool.submit(self._make, self._arguments[self._begun])
            self._begun += 1

    def __iter__(self) -> Iterator[T]:
        """Each batch, when made (begun now if it was not); an error raised
        making it is raised here."""
        while True:
            self.start_next()
            if self._pending is None:
                return
            pending, self._pending = self._pending, None
            yield pending.result()

    def __enter__(self) -> MadeAhead[A, T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
