"""Messages and numbers in the user's language, with or without the web app.

Inside the app (pages, `flask sipas …`) Flask-Babel chooses the language and
translates; `sipas-stats` runs without Flask and reads the same compiled catalogs
with the standard library's gettext (6 ms, where importing Babel's took 37), in the
language of ``SIPAS_BABEL_DEFAULT_LOCALE`` (Vietnamese by default).
"""

from __future__ import annotations

import gettext as gettext_module
import math
from functools import cache
from pathlib import Path
from typing import Any

from sipas.config import in_app, setting

#: translations/ at the project root, beside the package.
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def current_language() -> str:
    """The language code of the request or command ("vi" or "en")."""
    if in_app():
        from flask_babel import get_locale

        return str(get_locale() or setting("BABEL_DEFAULT_LOCALE"))
    return str(setting("BABEL_DEFAULT_LOCALE"))


@cache
def catalog(language: str, domain: str = "messages") -> gettext_module.NullTranslations:
    """The compiled catalog of ``domain`` in ``language`` (the message ids
    themselves where there is none)."""
    return gettext_module.translation(
        domain, TRANSLATIONS_DIR, [language], fallback=True
    )


def N_(message: str) -> str:  # noqa: N802  (gettext's name for the marker)
    """``message`` as it is: marks a text made at import time (a command's help)
    for the catalogs; it is translated where it is shown."""
    return message


def gettext(message: str, **variables: Any) -> str:
    """``message`` translated, then filled with ``variables`` as Flask-Babel does."""
    if in_app():
        from flask_babel import gettext as app_gettext

        return app_gettext(message, **variables)
    text = catalog(current_language()).gettext(message)
    return text % variables if variables else text


def number_text(value: float | int | None, digits: int, language: str) -> str:
    """``value`` as ``language`` writes it: 12345.6 → "12.345,6" in Vietnamese;
    "–" for no value or an undefined one (NaN, infinity)."""
    if value is None or not math.isfinite(value):
        return "–"
    from babel.numbers import format_decimal  # imported when first needed

    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=language)


def percent_text(fraction: float | None, digits: int, language: str) -> str:
    """A fraction as a percentage in ``language``: 0.8266 → "82,66%"; "–" for
    no value or an undefined one."""
    if fraction is None or not math.isfinite(fraction):
        return "–"
    return number_text(fraction * 100, digits, language) + "%"


def format_number(value: float | int | None, digits: int = 0) -> str:
    """A number in the current language."""
    return number_text(value, digits, current_language())


def format_percent(fraction: float | None, digits: int = 2) -> str:
    """A fraction as a percentage in the current language."""
    return percent_text(fraction, digits, current_language())
