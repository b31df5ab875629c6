"""Language choice and number/date formatting in the visitor's locale."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, to_user_timezone
from werkzeug.wrappers import Response

from sipas.extensions import babel
from sipas.language import current_language, number_text, percent_text


def select_locale() -> str:
    """The visitor's explicit choice (cookie) if supported, else Vietnamese."""
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(current_app.config["LANGUAGE_COOKIE"], "")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


#: A year: the language choice should outlive a browser session.
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def is_language(code: str | None) -> bool:
    """True for a language the interface speaks."""
    return code in current_app.config["LANGUAGES"]


def remember_language(response: Response, code: str) -> None:
    """Set the cookie that makes ``code`` the visitor's language from now on."""
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE"],
        code,
        max_age=LANGUAGE_COOKIE_SECONDS,
        samesite="Lax",
        httponly=True,
    )


def format_percent(fraction: float | None, digits: int = 2) -> str:
    """A fraction as a percentage in the current locale: 0.8266 → "82,66%"."""
    return percent_text(fraction, digits, current_language())


def format_number(value: float | int | None, digits: int = 0) -> str:
    """A number in the current locale: 12345.6 → "12.345,6" in Vietnamese."""
    return number_text(value, digits, current_language())


#: Date patterns where the locale's own medium format is not what officials write
#: (Vietnamese documents use 25/11/2026, not "25 thg 11, 2026").
DAY_PATTERNS = {"vi": ("dd/MM/yyyy", "dd/MM/yyyy HH:mm")}


def format_day(value: date | datetime | None) -> str:
    """A date (or date and time) as the locale writes it in documents."""
    if value is None:
        return ""
    day_pattern, time_pattern = DAY_PATTERNS.get(
        current_language(), ("medium", "medium")
    )
    if isinstance(value, datetime):
        return format_datetime(value, time_pattern)
    return format_date(value, day_pattern)


def local_day(moment: datetime) -> date:
    """The day a stored moment falls on in the site's time zone (a publication made
    at 01:00 in Hà Nội is dated that day, not the day before in UTC)."""
    return to_user_timezone(_aware(moment)).date()


def format_moment(moment: datetime | None) -> str:
    """A stored UTC time in Vietnam's time zone: "25/11/2026 23:05"."""
    if moment is None:
        return ""
    return format_datetime(_aware(moment), "dd/MM/yyyy HH:mm")


def _aware(moment: datetime) -> datetime:
    """A stored moment with its UTC zone (SQLite hands timestamps back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def configure_i18n(app: Flask) -> None:
    """Flask-Babel with our locale selector and the formatting filters for templates."""
    translations_dir = str(app.config.get("TRANSLATIONS_DIR") or _translations_dir(app))
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=translations_dir,
    )
    app.jinja_env.filters.update(
        percent=format_percent,
        number=format_number,
        day=format_day,
        local_day=local_day,
        moment=format_moment,
    )
    app.jinja_env.globals.update(current_language=current_language)


def _translations_dir(app: Flask) -> str:
    """translations/ at the project root, beside the package."""
    return str(Path(app.root_path).parent / "translations")
