"""`flask sipas …` and `sipas-stats`: one module per command or command group.

The group that gathers them is in ``group.py``, so that a single command (the
statistics) can be imported without Flask."""
