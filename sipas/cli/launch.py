"""`sipas-stats` as installed: Ctrl+C while Python is still loading the command
(its first tenth of a second) says so as the command itself does, not with
Python's traceback."""

from __future__ import annotations


def stats() -> None:
    """Load and run `sipas-stats`."""
    try:
        from sipas.cli.stats import main
    except KeyboardInterrupt:
        # what the command says when stopped (sipas/cli/stopping.py)
        from sipas.cli.stopping import stopped_while_loading

        stopped_while_loading()
    main()
