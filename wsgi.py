"""Entry point for `flask --app wsgi` and WSGI servers (waitress, gunicorn)."""

from sipas import create_app

app = create_app()
