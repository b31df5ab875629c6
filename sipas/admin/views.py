"""Administrator pages (the survey-round list moved to sipas/admin/waves.py)."""

from __future__ import annotations
