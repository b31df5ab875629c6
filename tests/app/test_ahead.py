"""Batches made one ahead in a background thread (sipas/ahead.py)."""

from __future__ import annotations

import threading

import pytest

from sipas.ahead import MadeAhead


def test_batches_come_in_order_made_in_another_thread():
    made_in: list[str] = []

    def make(number: int) -> int:
        made_in.append(threading.current_thread().name)
        return number * 10

    with MadeAhead(make, [1, 2, 3]) as batches:
        taken = list(batches)
    assert taken == [10, 20, 30]
    assert len(made_in) == 3
    assert threading.current_thread().name not in made_in


def test_the_next_batch_is_begun_only_when_asked():
    begun: list[int] = []
    gate = threading.Event()

    def make(number: int) -> int:
        begun.append(number)
        gate.wait(5)
        return number

    with MadeAhead(make, [1, 2, 3]) as batches:
        iterator = iter(batches)
        gate.set()
        assert next(iterator) == 1
        assert begun == [1]  # nothing made while the caller works unasked
        gate.clear()
        batches.start_next()
        batches.start_next()  # a second call begins nothing more
        gate.set()
        assert next(iterator) == 2
        assert begun == [1, 2]
        assert list(iterator) == [3]


def test_an_error_making_a_batch_is_raised_where_it_is_taken():
    def make(number: int) -> int:
        if number == 2:
            raise ValueError("no batch 2")
        return number

    with MadeAhead(make, [1, 2, 3]) as batches:
        iterator = iter(batches)
        assert next(iterator) == 1
        batches.start_next()
        with pytest.raises(ValueError, match="no batch 2"):
            next(iterator)


def test_leaving_early_waits_for_the_batch_being_made():
    started = threading.Event()
    finished: list[int] = []

    def make(number: int) -> int:
        if number == 2:
            started.set()
            threading.Event().wait(0.05)
        finished.append(number)
        return number

    with MadeAhead(make, [1, 2, 3]) as batches:
        for batch in batches:
            batches.start_next()
            assert started.wait(5)
            assert batch == 1
            break
    # batch 2 was being made: leaving waited for it; batch 3 was never begun
    assert finished == [1, 2]
