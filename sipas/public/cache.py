"""Rendered published pages and posters kept in the process, by their ETag: a
round's figures take seconds to compute on a large round, and every new visitor
(no copy in their browser yet) would otherwise pay for them. Behind the process's
copy, the server's on disk (sipas/services/waves/published_pages.py): a page is
built once per server and version, not once per process and restart, and by
one request at a time: the others wait for it.

A page's ETag rests on the round's fingerprint, which counts its responses (0.13 s
at a million): each process takes it as current for FINGERPRINT_SECONDS, so a
page kept is served in milliseconds, and a change to a published round shows at
most that much later (browsers may keep a page for ten minutes anyway)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import ServiceUnavailable

from sipas.models import Wave
from sipas.services.results.dashboard import fingerprint
from sipas.services.waves.published_pages import (
    build_failures,
    building,
    keep_page,
    kept_page,
    note_failure,
)

#: Pages and posters kept per process (a poster is some 50 kB).
SIZE = 64
#: Seconds a process takes a published round's fingerprint as current.
FINGERPRINT_SECONDS = 30.0
_lock = threading.Lock()


def round_state(wave: Wave) -> str:
    """The fingerprint of published round ``wave``, computed again at most every
    FINGERPRINT_SECONDS in this process (and at once when it is published anew)."""
    known: dict[tuple, tuple[float, str]] = current_app.extensions.setdefault(
        "sipas_published_states", {}
    )
    key = (wave.id, wave.published_at)
    now = time.monotonic()
    with _lock:
        found = known.get(key)
    if found is not None and now - found[0] < FINGERPRINT_SECONDS:
        return found[1]
    state = fingerprint(wave)
    with _lock:
        known[key] = (now, state)
    return state


class BuildFailed(ServiceUnavailable):
    """The build of a page this request waited for failed: the visitor may try
    again shortly, when the next request builds it anew (the 503 page)."""

    sipas_message = _l(
        "The results could not be prepared just now. Please try again in a few minutes."
    )


def kept(wave_code: str, tag: str, build: Callable[[], bytes]) -> bytes:
    """The body stored under ``tag`` (a page or poster of round ``wave_code``):
    from this process, else from the disk, else built and kept in both. One
    build at a time per body across the server: a request that finds it under
    way waits for it and reads the body it kept, or, if that build failed, is
    answered at once with BuildFailed (the next request builds it anew)."""
    store: OrderedDict[str, bytes] = current_app.extensions.setdefault(
        "sipas_published_pages", OrderedDict()
    )
    with _lock:
        if tag in store:
            store.move_to_end(tag)
            return store[tag]
    body = kept_page(wave_code, tag)
    if body is None:
        failed_before = build_failures(wave_code, tag)
        with building(wave_code, tag):
            body = kept_page(wave_code, tag)  # kept while this request waited
            if body is None:
                if build_failures(wave_code, tag) != failed_before:
                    raise BuildFailed  # the build this request waited for
                body = _built(wave_code, tag, build)
    with _lock:
        store[tag] = body
        while len(store) > SIZE:
            store.popitem(last=False)
    return body


def _built(wave_code: str, tag: str, build: Callable[[], bytes]) -> bytes:
    """``build()``'s body, kept on disk; a failure is recorded for the requests
    waiting for it, then raised."""
    try:
        body = build()
    except Exception:
        note_failure(wave_code, tag)
        raise
    keep_page(wave_code, tag, body)
    return body
