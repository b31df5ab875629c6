"""`flask sipas jobs worker`: the worker that makes large downloads and reports.

`make run` starts one beside the development server; in production run it as a
service of its own (docs/deployment.md#background-jobs). Before it takes jobs it
queues again those a dead worker left half-done and the public pages of the
rounds it made before (a new version makes its own), and every minute it purges
expired files.
"""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import AppGroup

from sipas.language import N_
from sipas.services.jobs import workers as workers_alive
from sipas.services.jobs.queue import job_queue, prepare_pages_again, tidy_up

jobs_cli = AppGroup("jobs", help=N_("Background jobs (large downloads and reports)."))


@jobs_cli.command("worker")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help=N_("Jobs made at the same time (threads)."),
)
def worker_command(workers: int) -> None:
    """Run the job worker until stopped (Ctrl+C or SIGTERM)."""
    # Ctrl+C stops it from the start, before Huey's consumer sets its own handlers:
    # a process a script starts in the background (`make serve`, a test run) comes
    # with SIGINT ignored, and one sent while it tidied up was lost: it ran on.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    workers_alive.keep_marking(app)  # waiting jobs' pages tell a worker runs
    tidy_up()
    huey = job_queue(app).huey
    prepare_pages_again()
    consumer = huey.create_consumer(workers=workers, worker_type="thread")
    consumer.run()
