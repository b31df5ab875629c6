"""`python -m sipas.stats FILE.csv …`: the same as `sipas-stats` (cli/stats.py)."""

from sipas.cli.launch import stats

stats()
