"""Configuration: defaults, then ``instance/config.py``, then ``SIPAS_*`` variables."""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `sipas-stats` reads settings without Flask
    from flask import Flask

#: werkzeug's password hashing method for staff accounts (about 0.1 s a hash).
PASSWORD_HASH_DEFAULT = "scrypt"  # noqa: S105  (a method name, not a password)


class DefaultConfig:
    """Settings that work for `make run` on one machine with SQLite."""

    #: Set in production; `make run` generates one and keeps it in instance/.
    SECRET_KEY: str | None = None
    #: SQLite under instance/ unless SIPAS_DATABASE_URL says otherwise.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Seconds SQLite waits for a lock before giving up.
    SQLITE_BUSY_TIMEOUT_MS = 10_000

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    #: Cookie that remembers the language a visitor chose.
    LANGUAGE_COOKIE = "sipas_lang"

    WTF_CSRF_TIME_LIMIT = 6 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Sessions end after this many minutes without a request (sets
    #: PERMANENT_SESSION_LIFETIME, refreshed on every request).
    SESSION_LIFETIME_MINUTES = 480
    #: Send the session and remember-me cookies over HTTPS only; default: on in
    #: production mode, off otherwise.
    SESSION_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_SECURE: bool | None = None
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: Failed logins for one username from one address before that address's
    #: attempts for it are refused until the window has passed; beyond this many
    #: failures from any addresses, each login for the username is slowed down
    #: (never refused: strangers must not lock an account out).
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_MINUTES = 15
    #: Failed logins from one address, for any usernames, before it is refused
    #: (an office shares one address: a little more room than per username).
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    #: Longest wait added to a login for a username under attack (a second more
    #: per failure beyond LOGIN_MAX_FAILURES).
    LOGIN_SLOWDOWN_MAX_SECONDS = 5
    #: Largest request body accepted (a questionnaire is a few KB); the file imports
    #: and the kiosk sync raise it for themselves.
    MAX_CONTENT_LENGTH = 256 * 1024
    #: Form fields (not files) held in memory, and fields per request (an entry form
    #: has about a hundred).
    MAX_FORM_MEMORY_SIZE = 256 * 1024
    MAX_FORM_PARTS = 1000

    #: Production mode: refuses to start without a strong SIPAS_SECRET_KEY and
    #: sends cookies over HTTPS only (sipas/config.py check_production).
    PRODUCTION = False
    #: How staff passwords are hashed (werkzeug's method string). The default costs
    #: about 0.1 s per hash, as it should; the test suite sets a cheap one, which
    #: production mode refuses.
    PASSWORD_HASH_METHOD = PASSWORD_HASH_DEFAULT
    #: Reverse proxies (nginx) in front of the app whose X-Forwarded-* headers are
    #: believed: 0 when clients connect directly, 1 behind one nginx.
    TRUSTED_PROXIES = 0

    #: Switch for every rate limit below (benchmarks, whose clients all come from
    #: 127.0.0.1, turn them off).
    RATE_LIMIT_ENABLED = True
    #: Rate limits, counted in the database so they hold across worker processes;
    #: 0 switches one off. Phone questionnaire steps sent from one address (carrier
    #: NAT puts thousands of phones behind one address: keep it generous) …
    RATE_LIMIT_PHONE_PER_MINUTE = 600
    #: … kiosk sync requests per device …
    RATE_LIMIT_SYNC_PER_MINUTE = 120
    #: … login attempts from one address (on top of LOGIN_MAX_FAILURES) …
    RATE_LIMIT_LOGIN_PER_MINUTE = 30
    #: … and file imports (units, targets, responses) by one user.
    RATE_LIMIT_IMPORTS_PER_HOUR = 60

    #: Folder of questionnaire YAML files loaded by `flask sipas questionnaire sync`.
    QUESTIONNAIRE_DIR: str | None = None
    #: Unfinished phone questionnaires are forgotten after this many days.
    DRAFT_RETENTION_DAYS = 7
    #: Kiosk: seconds without a touch before "are you still there?", then seconds
    #: more before the unfinished answers are discarded.
    KIOSK_IDLE_SECONDS = 45
    KIOSK_RESET_SECONDS = 60

    #: Quality rules (sipas/questionnaire/quality.py): each raises a signal; one
    #: signal marks a response for review and it still counts, two exclude it.
    #: "Too fast": fewer seconds than this per answered question, per channel
    #: (paper is exempt: its timings are the typist's). The floors sit well below
    #: the time needed to read a criterion (6-12 syllables; Zhang & Conrad 2014
    #: use 300 ms a word) and at about a quarter of a typical pace, under the
    #: "half the median" of Leiner 2019: see docs/administrators.md, Quality rules.
    QUALITY_SECONDS_PER_ANSWER_WEB = 1.0
    #: One question per screen: a tap on the answer, then the next screen.
    QUALITY_SECONDS_PER_ANSWER_KIOSK = 1.5
    #: The interviewer reads every question aloud before the answer.
    QUALITY_SECONDS_PER_ANSWER_INTERVIEW = 2.0
    #: More responses than this from one kiosk within a minute.
    QUALITY_MAX_PER_DEVICE_MINUTE = 3
    #: The same pace judged on the server's receive times: more responses received
    #: from a kiosk within this many minutes (since its enrolment at the earliest)
    #: than that pace allows flags the whole delivery, whatever the device's clock.
    QUALITY_DEVICE_THROUGHPUT_MINUTES = 60
    #: Phone completions for one unit from one network address (hashed, kept this
    #: many minutes only) beyond QUALITY_SOURCE_BURST are a burst: marked, and
    #: excluded when a burst repeats the same answers. Generous: a carrier's NAT
    #: or an office Wi-Fi puts many honest phones behind one address.
    QUALITY_SOURCE_WINDOW_MINUTES = 10
    QUALITY_SOURCE_BURST = 10

    #: Estimates with fewer responses, or a smaller effective sample size, are marked
    #: as too small to publish.
    STATS_MIN_N = 30
    STATS_MIN_EFFECTIVE_N = 30.0

    #: Issuing body at the top left of the PDF report (one line per row, e.g.
    #: "UBND TỈNH QUẢNG NINH\nSỞ NỘI VỤ"); default: the People's Committee of the
    #: report's root unit.
    REPORT_ISSUER: str | None = None
    #: Place in the report's date line; default: the short name of its province.
    REPORT_PLACE: str | None = None

    #: Address citizens reach the site at (``https://khaosat.example.gov.vn``), printed
    #: on the QR posters; default: the address of the request that prints them.
    PUBLIC_BASE_URL: str | None = None

    #: Days after a survey round closes that the original free-text answers are
    #: kept (phone numbers, ID numbers and e-mail addresses unmasked, shown only to
    #: administrators); the default of a new round's setting. None: kept for good.
    TEXT_RETENTION_DAYS: int | None = 365
    #: Background jobs (sipas/services/jobs/): downloads and reports of a round with
    #: at least this many counted responses in the scope asked for are made by a
    #: worker, with their progress on a page; smaller ones are served at once.
    JOBS_MIN_RESPONSES = 20_000
    #: Paper forms printed at once above which the PDF is made by the worker too.
    JOBS_MIN_PAPER_FORMS = 500
    #: Units of a round from which its QR posters are laid out by the worker too
    #: (11 ms a poster: 500 take about 6 s, the 3 321 communes of the country 37).
    JOBS_MIN_POSTERS = 500
    #: Counted responses in scope from which the results dashboard is computed by
    #: the worker (the page shows its progress, then the results); smaller scopes
    #: are computed in the request.
    JOBS_MIN_RESULTS_RESPONSES = 20_000
    #: Rows of a response file (counted from its lines, or the rows its sheet
    #: declares) from which the import page hands the check and the storing to a
    #: worker, with progress on the job's page; smaller files are imported at once.
    JOBS_MIN_IMPORT_ROWS = 10_000
    #: Hours a finished file stays downloadable; then it is deleted.
    JOBS_KEEP_HOURS = 24
    #: Folder of the finished files; default: instance/jobs.
    JOBS_DIR: str | None = None
    #: Folder of the response files kept between an import's check and its
    #: decision; default: instance/uploads. With several app servers, one they all
    #: mount: the decision may reach another server than the check.
    UPLOADS_DIR: str | None = None
    #: The job queue. Default: a SQLite file in instance/ (no server to run);
    #: ``redis://host:6379/0`` or ``postgresql://user@host/db`` for several
    #: machines; ``memory`` runs each job at once in the process asking (tests).
    JOBS_QUEUE_URL: str | None = None
    #: Tries of a job whose worker died mid-way (killed, machine restarted) before
    #: it is given up with a message.
    JOBS_MAX_ATTEMPTS = 3
    #: A running job whose worker gave no sign of life for this many seconds is
    #: taken as stalled: tried again, or given up after JOBS_MAX_ATTEMPTS.
    JOBS_STALL_SECONDS = 120
    #: Folder of pg_dump and pg_restore for `flask sipas backup/restore` on
    #: PostgreSQL (their version must be at least the server's); default: the PATH.
    PG_BIN_DIR: str | None = None


def in_app() -> bool:
    """True inside a Flask application context (never when Flask was not imported)."""
    flask = sys.modules.get("flask")
    return flask is not None and flask.has_app_context()


def setting(name: str) -> Any:
    """A setting: the app's inside one, else ``SIPAS_<name>`` or the default.

    Outside the app (`sipas-stats`) instance/config.py is not read; a variable's
    value is read as JSON where it parses, as Flask's ``from_prefixed_env`` does.
    """
    if in_app():
        from flask import current_app

        return current_app.config[name]
    raw = os.environ.get(f"SIPAS_{name}")
    if raw is None:
        return getattr(DefaultConfig, name)
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_config(app: Flask, overrides: dict | None) -> None:
    """Defaults, then instance/config.py and SIPAS_* variables, or else ``overrides``.

    As in Flask's tutorial, an explicit mapping (tests) replaces the machine's own
    settings, so a developer's instance/config.py never leaks into a test run.
    """
    app.config.from_object(DefaultConfig)
    if overrides is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env(prefix="SIPAS")
        if "DATABASE_URL" in app.config:
            app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    else:
        app.config.update(overrides)
    if app.config["PRODUCTION"]:
        check_production(app.config)
    _fill_local_defaults(app)
    _fill_cookie_defaults(app)


def _fill_local_defaults(app: Flask) -> None:
    """Defaults that depend on the instance folder."""
    instance = Path(app.instance_path)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'sipas.db'}"
    if not app.config["QUESTIONNAIRE_DIR"]:
        app.config["QUESTIONNAIRE_DIR"] = str(
            Path(app.root_path).parent / "questionnaires"
        )
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret_key(instance)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(
        minutes=int(app.config["SESSION_LIFETIME_MINUTES"])
    )


def _instance_secret_key(instance: Path) -> str:
    """Read or create a random key kept in instance/ so sessions survive restarts.

    Several processes may start at once (workers, a test run on each database): the
    key is written to a file of its own and then linked into place, so a reader sees
    either no key file or a whole one, and the first process to link wins.
    """
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    import secrets  # only when a key is made: sipas-stats imports this module too
    import tempfile

    instance.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=instance, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        os.chmod(draft, 0o600)
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass  # another process was first: use its key
    finally:
        os.unlink(draft)
    return key_file.read_text().strip()


class ProductionConfigError(RuntimeError):
    """A setting that production mode refuses; the message says which and why."""


#: Keys seen in examples, tests and tutorials: anyone could sign sessions with them.
KNOWN_SECRET_KEYS = frozenset(
    {
        "dev",
        "development",
        "change-me",
        "changeme",
        "change-me-to-a-long-random-string",
        "secret",
        "secret-key",
        "test",
        "test-secret",
        "benchmark",
        "sipas",
    }
)
#: Shorter keys are refused in production (secrets.token_hex(32) gives 64).
MIN_SECRET_KEY_LENGTH = 32


def check_production(config: dict) -> None:
    """Refuse a SECRET_KEY that was generated, is short or is a published example.

    A key generated into instance/ differs between machines, so several app
    servers would reject each other's sessions and CSRF tokens.
    """
    key = str(config.get("SECRET_KEY") or "")
    how_to = "set SIPAS_SECRET_KEY, e.g. to the output of `openssl rand -hex 32`"
    if not key:
        problem = (
            "SIPAS_SECRET_KEY is not set (a key generated into instance/ "
            "is not shared by several servers)"
        )
    elif key.strip().lower() in KNOWN_SECRET_KEYS:
        problem = "SIPAS_SECRET_KEY is a published example value"
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problem = f"SIPAS_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    elif config.get("PASSWORD_HASH_METHOD", PASSWORD_HASH_DEFAULT) != (
        PASSWORD_HASH_DEFAULT
    ):
        problem = "SIPAS_PASSWORD_HASH_METHOD weakens password hashes"
        how_to = "leave it unset (it is for the test suite only)"
    else:
        return
    raise ProductionConfigError(f"production mode: {problem}; {how_to}.")


def _fill_cookie_defaults(app: Flask) -> None:
    """Cookies over HTTPS only in production unless a setting says otherwise."""
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config[name] is None:
            app.config[name] = bool(app.config["PRODUCTION"])
