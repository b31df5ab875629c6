"""Translations: every interface string in Vietnamese and English, none fuzzy."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import click
import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from sipas.i18n import format_day, format_number, format_percent
from tests.conftest import ROOT


def extracted_ids(pot: Path, *arguments: str) -> set:
    """The message ids ``pybabel extract ARGUMENTS`` finds (run at the project root)."""
    pybabel = Path(sys.executable).with_name("pybabel")
    extract = [str(pybabel), "-q", "extract", "-o", str(pot), *arguments]
    subprocess.run(extract, cwd=ROOT, check=True)
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The message ids in the source code right now (fresh extraction)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    return extracted_ids(pot, "-F", "babel.cfg", "-k", "_l", ".")


@pytest.fixture(scope="module")
def extracted_from_click(tmp_path_factory):
    """The message ids of the installed Click, and the words it does not mark
    (as `make translations-extract` takes them)."""
    pot = tmp_path_factory.mktemp("pot") / "click.pot"
    keywords = ("-k", "_", "-k", "ngettext:1,2", "-k", "click_word")
    click_folder = str(Path(click.__file__).parent)
    return extracted_ids(
        pot, "--no-default-keywords", *keywords, click_folder, "sipas/cli/words.py"
    )


def catalog(language: str, domain: str = "messages"):
    path = ROOT / "translations" / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_catalog_covers_every_extracted_string(extracted, language):
    ids = {message.id for message in catalog(language) if message.id}
    missing = sorted(str(i) for i in extracted - ids)
    assert not missing, f"{language} catalog lacks: {missing[:10]}"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_clicks_catalog_covers_the_installed_click(extracted_from_click, language):
    ids = {message.id for message in catalog(language, "click") if message.id}
    missing = sorted(str(i) for i in extracted_from_click - ids)
    assert not missing, f"{language} catalog of Click lacks: {missing[:10]}"


@pytest.mark.parametrize("domain", ["messages", "click"])
def test_vietnamese_catalog_is_complete_and_not_fuzzy(domain):
    problems = []
    for message in catalog("vi", domain):
        if not message.id:
            continue
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        if message.fuzzy or not all(strings):
            problems.append(str(message.id))
    assert not problems, f"untranslated or fuzzy: {problems[:10]}"


def test_numbers_and_dates_in_vietnamese_format(app):
    with app.test_request_context(), force_locale("vi"):
        assert format_percent(0.82657) == "82,66%"
        assert format_number(12345.6, 1) == "12.345,6"
        assert "2026" in format_day(date(2026, 11, 23))
    with app.test_request_context(), force_locale("en"):
        assert format_percent(0.82657) == "82.66%"


def test_no_gettext_call_inside_an_f_string():
    """Babel's extractor cannot see `_()` inside an f-string: such text would never
    reach the catalogs and would stay English (as the stats table's headings did)."""
    import tokenize

    offenders = []
    for path in (ROOT / "sipas").rglob("*.py"):
        with path.open("rb") as handle:
            for token in tokenize.tokenize(handle.readline):
                text = token.string
                is_f_string = token.type == tokenize.STRING and text[:2].lower() in (
                    'f"',
                    "f'",
                )
                if is_f_string and ("{_(" in text or "{_l(" in text):
                    offenders.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert not offenders, offenders
