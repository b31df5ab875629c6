"""Bulk work with the cyclic garbage collector paused (sipas/collector.py)."""

from __future__ import annotations

import gc
import threading

import pytest

from sipas.collector import cycles_collected_after, made_with_collector_paused


@pytest.fixture(autouse=True)
def collector_on():
    """Each test begins with the collector on, and leaves it as it found it."""
    was_on = gc.isenabled()
    gc.enable()
    yield
    if was_on:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_paused_in_the_block_and_resumes_after():
    with cycles_collected_after():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_in_the_block_resumes_the_collector():
    with pytest.raises(ValueError, match="half-way"), cycles_collected_after():
        raise ValueError("half-way")
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off():
    gc.disable()
    with cycles_collected_after():
        pass
    assert not gc.isenabled()


def test_it_resumes_when_the_last_block_of_any_thread_ends():
    inside, leave = threading.Event(), threading.Event()

    def other_block() -> None:
        with cycles_collected_after():
            inside.set()
            leave.wait(5)

    with cycles_collected_after():
        other = threading.Thread(target=other_block)
        other.start()
        inside.wait(5)
    # this block ended first: the other thread's still runs paused
    assert not gc.isenabled()
    leave.set()
    other.join(5)
    assert gc.isenabled()


def test_each_chunk_is_made_paused_and_the_collector_runs_between_them():
    states: list[str] = []

    def chunks():
        for chunk in (b"a", None, b"c"):
            states.append("made paused" if not gc.isenabled() else "made on")
            yield chunk

    taken = []
    for chunk in made_with_collector_paused(chunks()):
        states.append("between on" if gc.isenabled() else "between paused")
        taken.append(chunk)
    assert taken == [b"a", None, b"c"]
    assert states == ["made paused", "between on"] * 3
    assert gc.isenabled()
