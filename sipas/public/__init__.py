"""Landing page, language switch, health check and the published results."""

from sipas.public import results, views  # noqa: F401  (register their routes)
from sipas.public.blueprint import bp

__all__ = ["bp"]
