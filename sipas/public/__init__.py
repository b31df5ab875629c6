"""Landing page, language switch and health check."""

from sipas.public import views  # noqa: F401  (registers its routes)
from sipas.public.blueprint import bp

__all__ = ["bp"]
