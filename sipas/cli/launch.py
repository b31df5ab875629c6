"""`sipas-stats` as installed: Ctrl+C while Python is still loading the command
(its first tenth of a second) says so as the command itself does, not with
Python's traceback."""

from __future__ import annotations

import sys

#: The exit status of a command stopped with Ctrl+C (128 + SIGINT, as a shell
#: reports a command it interrupted).
INTERRUPTED = 130


def stats() -> None:
    """Load and run `sipas-stats`."""
    try:
        from sipas.cli.stats import main
    except KeyboardInterrupt:
        from sipas.language import gettext

        sys.stderr.write("\n" + gettext("Stopped (Ctrl+C).") + "\n")
        raise SystemExit(INTERRUPTED) from None
    main()
