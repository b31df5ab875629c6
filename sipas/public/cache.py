"""Rendered published pages and posters kept in the process, by their ETag: a
round's figures take seconds to compute on a large round, and every new visitor
(no copy in their browser yet) would otherwise pay for them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app

#: Pages and posters kept per process (a poster is some 50 kB).
SIZE = 64
_lock = threading.Lock()


def kept(tag: str, build: Callable[[], bytes]) -> bytes:
    """The body stored under ``tag``, built (outside the lock) when missing."""
    store: OrderedDict[str, bytes] = current_app.extensions.setdefault(
        "sipas_published_pages", OrderedDict()
    )
    with _lock:
        if tag in store:
            store.move_to_end(tag)
            return store[tag]
    body = build()
    with _lock:
        store[tag] = body
        while len(store) > SIZE:
            store.popitem(last=False)
    return body
