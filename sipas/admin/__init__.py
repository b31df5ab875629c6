"""Back office for administrators and analysts: one module per area, each
registering its routes on the blueprint."""

from sipas.admin import (  # noqa: F401  (each registers its routes)
    audit,
    devices,
    jobs,
    paper,
    posters,
    publication,
    questionnaires,
    responses,
    results,
    units,
    users,
    waves,
)
from sipas.admin.blueprint import bp

__all__ = ["bp"]
