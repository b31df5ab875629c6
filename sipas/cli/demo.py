"""`flask sipas demo [--responses N] [--seed S]`: the demo province, its admin
account, and two survey rounds filled with synthetic responses (last year's,
closed, and this year's, open), idempotently."""

from __future__ import annotations

import sys
from contextlib import nullcontext

import click
from flask import current_app
from flask_babel import gettext as _

from sipas.database import written_in_place
from sipas.extensions import db
from sipas.i18n import format_number
from sipas.language import N_
from sipas.models import Wave
from sipas.services import demo
from sipas.services.responses import bulk
from sipas.services.synthetic import rounds


@click.command("demo")
@click.option(
    "--responses",
    "n_responses",
    default=rounds.CURRENT_RESPONSES,
    type=click.IntRange(0),
    show_default=True,
    help=N_(
        "Synthetic responses of this year's demo round (last year's gets 70 % "
        "as many when it is made); 0 for none. A second run with the same seed adds "
        "nothing; with more responses it adds the difference to this year's round only."
    ),
)
@click.option(
    "--seed",
    default=1,
    type=int,
    show_default=True,
    help=N_("Random seed; the same seed makes the same responses."),
)
def demo_command(n_responses: int, seed: int) -> None:
    """Create the demo province, units, rounds and admin account, with responses."""
    try:
        report = demo.ensure_demo(current_app.config.get("ADMIN_PASSWORD"))
    except demo.DemoNeedsQuestionnaire as error:
        db.session.rollback()
        click.echo(
            _(
                "Questionnaire %(code)s is not stored: run "
                "`flask sipas questionnaire sync`.",
                code=str(error),
            ),
            err=True,
        )
        sys.exit(1)
    db.session.commit()
    names = {"units": report.units_created, "wave": demo.DEMO_WAVE_CODE}
    if report.wave_created:
        click.echo(
            _("Demo data: %(units)d units created, wave “%(wave)s” created.", **names)
        )
    else:
        click.echo(
            _(
                "Demo data: %(units)d units created, wave “%(wave)s” already there.",
                **names,
            )
        )
    if report.admin_password:
        click.echo(
            _(
                "Admin account created: user “%(user)s”, password “%(password)s” "
                "(shown only this once).",
                user=demo.ADMIN_USERNAME,
                password=report.admin_password,
            )
        )
    if n_responses:
        _add_synthetic_responses(report.wave, n_responses, seed)


def _add_synthetic_responses(wave: Wave, count: int, seed: int) -> None:
    """Fill the demo rounds, with a progress bar; one commit at the end. A new
    installation's first responses are written in place when nothing else has
    the database open: nobody has anything to read in it yet."""
    total = count + round(count * rounds.PREVIOUS_SHARE)
    first_load = not bulk.any_stored()
    db.session.commit()  # the read ends: a journal is chosen outside a transaction
    with (
        written_in_place() if first_load else nullcontext(),
        click.progressbar(
            length=total, label=_("Synthetic responses"), file=sys.stderr
        ) as bar,
    ):
        report = rounds.fill_demo_rounds(wave, count, seed, progress=bar.update)
        db.session.commit()
    click.echo(
        _(
            "%(added)s responses added to this year's round and %(previous)s to last "
            "year's (%(void)s voided, %(paper)s paper forms).",
            added=format_number(report.current_added),
            previous=format_number(report.previous_added),
            void=format_number(report.voided),
            paper=format_number(report.paper.total),
        )
    )
