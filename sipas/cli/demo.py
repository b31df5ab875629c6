"""`flask sipas demo [--responses N] [--seed S]`: the demo province, its open survey
round and admin account, and synthetic responses on request."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import Wave
from sipas.services import demo, synthetic


@click.command("demo")
@click.option(
    "--responses",
    "n_responses",
    default=0,
    type=click.IntRange(0),
    help="Also add this many synthetic responses to the demo wave.",
)
@click.option(
    "--seed",
    default=1,
    type=int,
    show_default=True,
    help="Random seed; the same seed makes the same responses.",
)
def demo_command(n_responses: int, seed: int) -> None:
    """Create the demo province, units, open wave `demo` and admin account."""
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
    """Fill the demo wave in committed batches, with a progress bar."""
    added = 0
    with click.progressbar(length=count, label=_("Synthetic responses")) as bar:

        def step(size: int) -> None:
            db.session.commit()
            bar.update(size)

        added = synthetic.add_demo_responses(wave, count, seed, progress=step)
    db.session.commit()
    click.echo(
        _(
            "%(added)d responses added (%(present)d were already there).",
            added=added,
            present=count - added,
        )
    )
