"""The test server closes every response body, even one the browser abandons."""

from __future__ import annotations

import gc

from tests.e2e.conftest import closing_bodies


class Body:
    """A response body that records whether it was closed."""

    def __init__(self) -> None:
        self.closed = False

    def __iter__(self):
        yield b"first"
        yield b"second"

    def close(self) -> None:
        self.closed = True


def test_a_body_dropped_mid_response_is_closed_when_collected():
    body = Body()
    served = closing_bodies(lambda environ, start_response: body)({}, None)
    assert next(served) == b"first"
    del served
    gc.collect()
    assert body.closed


def test_an_empty_body_is_closed_once_served():
    empty = type("Empty", (Body,), {"__iter__": lambda self: iter(())})()
    served = closing_bodies(lambda environ, start_response: empty)({}, None)
    assert list(served) == []
    assert empty.closed
