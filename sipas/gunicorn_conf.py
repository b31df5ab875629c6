"""Gunicorn settings: ``gunicorn -c python:sipas.gunicorn_conf wsgi:app``.

Every setting can be overridden on the command line (``-b``, ``-w`` …); the
address and the number of processes also by ``SIPAS_BIND`` and ``SIPAS_WORKERS``.
"""

from __future__ import annotations

import os


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def default_workers(cores: int | None = None) -> int:
    """Gunicorn's rule of thumb, two per core plus one, at most eight: each worker
    keeps its own database connections, and eight fill a small PostgreSQL's pool."""
    return min(2 * (cores or os.cpu_count() or 1) + 1, 8)


#: Behind nginx on the same machine; SIPAS_BIND=0.0.0.0:8000 to listen on the network.
bind = os.environ.get("SIPAS_BIND", "127.0.0.1:8000")
workers = _int_env("SIPAS_WORKERS", default_workers())
#: Threads per worker: requests mostly wait for the database.
worker_class = "gthread"
threads = _int_env("SIPAS_THREADS", 4)

#: Files the workers create are not for other users of the machine (the app also
#: sets the mode of what it writes: sipas/files.py).
umask = 0o027

#: A worker silent this long is killed and replaced (the PDF report of a large
#: province takes a few seconds; imports of 50 MB up to a minute).
timeout = 120
graceful_timeout = 30
keepalive = 5
#: Replace workers now and then so a slow leak cannot grow for months.
max_requests = 5000
max_requests_jitter = 500

#: Only the local nginx may say the request came over HTTPS (X-Forwarded-Proto);
#: the app itself believes X-Forwarded-For/-Proto through SIPAS_TRUSTED_PROXIES.
forwarded_allow_ips = "127.0.0.1"

accesslog = "-"
errorlog = "-"
loglevel = "info"
#: Combined log format plus the worker's pid and the time taken in milliseconds.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(p)s %(M)sms'
)

#: Build the app once in the master: a configuration error (a missing
#: SIPAS_SECRET_KEY in production) stops the start with one clear message instead
#: of workers failing one by one, and the workers share the loaded code.
preload_app = True


def post_fork(server, worker) -> None:
    """Drop database connections inherited from the master: a connection must
    never be shared between processes."""
    from sipas.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
