"""Translated names of the enum values shown in pages."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from sipas.models import Channel, WaveStatus

WAVE_STATUS_LABELS = {
    WaveStatus.draft: _l("Draft"),
    WaveStatus.open: _l("Open"),
    WaveStatus.closed: _l("Closed"),
}

CHANNEL_LABELS = {
    Channel.web: _l("Phone / web"),
    Channel.kiosk: _l("Kiosk"),
    Channel.paper: _l("Paper"),
    Channel.interview: _l("Interview"),
}


def configure_labels(app: Flask) -> None:
    """Template helpers that name enum values in the visitor's language."""
    app.jinja_env.globals.update(
        wave_status_label=lambda status: str(WAVE_STATUS_LABELS[status]),
        channel_label=lambda channel: str(CHANNEL_LABELS[channel]),
    )
