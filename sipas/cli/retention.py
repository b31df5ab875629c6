"""`flask sipas retention [--dry-run]`: erase original free text past its retention;
`flask sipas purge-drafts`: forget unfinished phone questionnaires.

Meant for a daily cron job or systemd timer. For every closed wave whose
``text_retention_days`` have passed since its close, the original free-text answers
are replaced by their masked text (see sipas.services.responses.privacy); running
it again changes nothing.
"""

from __future__ import annotations

import click
from flask import current_app
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.language import N_
from sipas.services.responses import phone, privacy, sources


@click.command("retention")
@click.option(
    "--dry-run",
    is_flag=True,
    help=N_("Only count what would be erased; change nothing."),
)
def retention_command(dry_run: bool) -> None:
    """Erase the original comments of survey rounds past their retention period."""
    waves = privacy.due_waves()
    if not waves:
        click.echo(_("No survey round is due for erasing its original comments."))
        return
    for wave in waves:
        erasure = privacy.erase_originals(wave, dry_run=dry_run)
        counts = {
            "wave": erasure.wave,
            "answers": erasure.answers,
            "entries": erasure.paper_entries,
            "drafts": erasure.drafts,
        }
        message = (
            _(
                "%(wave)s: originals would be erased in %(answers)s answers, "
                "%(entries)s paper entries, %(drafts)s unsent drafts.",
                **counts,
            )
            if dry_run
            else _(
                "%(wave)s: originals erased in %(answers)s answers, %(entries)s "
                "paper entries, %(drafts)s unsent drafts.",
                **counts,
            )
        )
        click.echo(message)
    if dry_run:
        db.session.rollback()
        click.echo(_("Dry run: nothing was changed."))
    else:
        db.session.commit()


@click.command("purge-drafts")
def purge_drafts_command() -> None:
    """Forget unfinished phone questionnaires older than DRAFT_RETENTION_DAYS, and
    the hashed sources of phone completions past their window."""
    removed = phone.purge_stale_drafts(current_app.config["DRAFT_RETENTION_DAYS"])
    sources.purge_expired()
    db.session.commit()
    click.echo(_("%(removed)d unfinished questionnaires removed.", removed=removed))
