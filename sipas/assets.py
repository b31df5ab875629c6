"""Static files with content-hashed URLs, so browsers may cache them for a year."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, url_for

#: Browsers keep hashed static files this long; a new file gets a new URL.
STATIC_MAX_AGE_SECONDS = 365 * 24 * 3600


def asset_url(filename: str) -> str:
    """URL of a static file with ``?v=<hash of its content>``."""
    folder = Path(current_app.static_folder or "")
    return url_for("static", filename=filename, v=_content_hash(folder / filename))


@lru_cache(maxsize=64)
def _content_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def configure_assets(app: Flask) -> None:
    """Long caching for static files and the `asset_url` template helper."""
    app.config.setdefault("SEND_FILE_MAX_AGE_DEFAULT", STATIC_MAX_AGE_SECONDS)
    if app.config["SEND_FILE_MAX_AGE_DEFAULT"] is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = STATIC_MAX_AGE_SECONDS
    app.jinja_env.globals["asset_url"] = asset_url
