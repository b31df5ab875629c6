"""SIPAS: citizen-satisfaction surveys for Vietnamese public administration."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by create_app: `sipas-stats` runs without Flask
    from flask import Flask

__version__ = "0.1.0"

# Large arrays are allocated so that the kernel's time stays small and steady. NumPy
# asks for huge pages on every array of 4 MB or more, and where the kernel then
# compacts memory at the page fault (transparent huge pages "madvise", the usual
# default) the results of a 1M round took 17.4 s instead of 15.4 s; Arrow's own
# allocator (jemalloc) gave pages back and took them again, `sipas-stats` on a
# 1M-row file 0.65-1.3 s instead of 0.66-0.70 s (benchmarks/allocators.py). Both
# are read when the library is first imported, which comes after this package in
# every command, server and worker; a value set outside is kept.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

log = logging.getLogger(__name__)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides every other setting (tests)."""
    try:
        return _built_app(config)
    except KeyboardInterrupt:
        _stopped_if_a_command()
        raise


def _built_app(config: dict[str, Any] | None) -> Flask:
    """The application, configured."""
    from flask import Flask

    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder="../static",
        static_url_path="/static",
    )
    configure_settings(app, config)
    configure_security(app)
    configure_extensions(app)
    configure_blueprints(app)
    configure_templates(app)
    configure_errors(app)
    configure_cli(app)
    return app


def _stopped_if_a_command() -> None:
    """Ctrl+C while a command (`flask sipas …`) loads the application: said as the
    running command says it, with status 130, not Click's English "Aborted!" and
    status 1. A server's or a test's interrupt goes on."""
    import click

    if click.get_current_context(silent=True) is None:
        return
    from sipas.cli.stopping import stopped_while_loading

    stopped_while_loading()


def configure_settings(app: Flask, config: dict[str, Any] | None) -> None:
    """Defaults → instance/config.py → SIPAS_* variables → ``config``."""
    from sipas.config import load_config

    load_config(app, config)


def configure_security(app: Flask) -> None:
    """Security headers, trusted proxies and the 429 page (sipas/security.py)."""
    from sipas.security import configure_security as configure

    configure(app)


def configure_extensions(app: Flask) -> None:
    """Database, migrations, CSRF, translations, logins and the job queue."""
    from sipas.auth import configure_login
    from sipas.database import configure_database
    from sipas.extensions import csrf
    from sipas.i18n import configure_i18n
    from sipas.services.jobs.queue import configure_jobs

    configure_database(app)
    csrf.init_app(app)
    configure_i18n(app)
    configure_login(app)
    configure_jobs(app)


def configure_blueprints(app: Flask) -> None:
    """Register the areas of the site."""
    from sipas.admin import bp as admin_bp
    from sipas.api import bp as api_bp
    from sipas.auth import bp as auth_bp
    from sipas.entry import bp as entry_bp
    from sipas.public import bp as public_bp
    from sipas.survey import bp as survey_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(survey_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(entry_bp)
    app.register_blueprint(api_bp)


def configure_templates(app: Flask) -> None:
    """Jinja extensions and helpers used by the templates."""
    from sipas.admin.nav import configure_nav
    from sipas.assets import configure_assets
    from sipas.labels import configure_labels

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    configure_labels(app)
    configure_assets(app)
    configure_nav(app)


def configure_errors(app: Flask) -> None:
    """Friendly error pages in the visitor's language."""
    from sipas.errors import register_error_handlers

    register_error_handlers(app)


def configure_cli(app: Flask) -> None:
    """`flask sipas …` commands."""
    from sipas.cli.group import sipas_cli

    app.cli.add_command(sipas_cli)
