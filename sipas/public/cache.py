"""Rendered published pages and posters kept in the process, by their ETag: a
round's figures take seconds to compute on a large round, and every new visitor
(no copy in their browser yet) would otherwise pay for them. Behind the process's
copy, the server's on disk (sipas/services/waves/published_pages.py): a page is
built once per server and version, not once per process and restart, and by
one request at a time: the others wait for it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app

from sipas.services.waves.published_pages import building, keep_page, kept_page

#: Pages and posters kept per process (a poster is some 50 kB).
SIZE = 64
_lock = threading.Lock()


def kept(wave_code: str, tag: str, build: Callable[[], bytes]) -> bytes:
    """The body stored under ``tag`` (a page or poster of round ``wave_code``):
    from this process, else from the disk, else built and kept in both. One
    build at a time per body across the server: a request that finds it under
    way waits for it and reads the body it kept."""
    store: OrderedDict[str, bytes] = current_app.extensions.setdefault(
        "sipas_published_pages", OrderedDict()
    )
    with _lock:
        if tag in store:
            store.move_to_end(tag)
            return store[tag]
    body = kept_page(wave_code, tag)
    if body is None:
        with building(wave_code, tag):
            body = kept_page(wave_code, tag)  # kept while this request waited
            if body is None:
                body = build()
                keep_page(wave_code, tag, body)
    with _lock:
        store[tag] = body
        while len(store) > SIZE:
            store.popitem(last=False)
    return body
