"""Translated names of the enum values shown in pages."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from sipas.models import Channel, WaveStatus
from sipas.questionnaire.quality import SIGNAL_CODES, signal_codes
from sipas.services.responses.batches import AWAITING_ACCEPTANCE

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
    Channel.imported: _l("File import"),
}

#: Reason codes the quality rules and the kiosk sync give a flagged response.
REASON_LABELS = {
    "too_fast": _l("Answered too fast for the number of questions"),
    "far_too_fast": _l("Far too fast: under half that time"),
    "device_rate": _l("Too many responses from one kiosk in a minute"),
    "straight_lining": _l("The same answer to every criterion"),
    "no_timing": _l("No start time from the kiosk"),
    "device_throughput": _l("More from one kiosk than one person at a time can give"),
    "source_burst": _l("A burst of forms from one network address"),
    "duplicate_answers": _l("The same answers as another form in that burst"),
    "no_open_wave": _l("No open survey round"),
    AWAITING_ACCEPTANCE: _l("Imported file not accepted yet"),
}


#: The quality signals' names, in the order pages list them.
SIGNAL_LABELS = {code: REASON_LABELS[code] for code in SIGNAL_CODES}


def reason_label(reason: str | None) -> str:
    """A flag or void reason in words; reasons typed by staff are shown as they are."""
    if not reason:
        return ""
    if reason in REASON_LABELS:
        return str(REASON_LABELS[reason])
    codes = reason.split(",")
    if len(codes) > 1 and all(code in REASON_LABELS for code in codes):
        # several quality signals together (sipas/questionnaire/quality.py)
        return " + ".join(str(REASON_LABELS[code]) for code in codes)
    if reason.startswith("invalid:"):
        return str(_l("Invalid answers: %(detail)s", detail=reason[len("invalid:") :]))
    return reason


def configure_labels(app: Flask) -> None:
    """Template helpers that name enum values in the visitor's language."""
    app.jinja_env.globals.update(
        wave_status_label=lambda status: str(WAVE_STATUS_LABELS[status]),
        channel_label=lambda channel: str(CHANNEL_LABELS[channel]),
        reason_label=reason_label,
        signal_label=lambda code: str(SIGNAL_LABELS[code]),
        signal_names=lambda mask: [str(SIGNAL_LABELS[c]) for c in signal_codes(mask)],
    )
