"""The commands' help and Click's own words ("Usage:", "Options", its errors) in the
user's language.

Click marks its words with the standard library's ``gettext`` and ships no
catalog; ours of them is the ``click`` domain (``translations/*/LC_MESSAGES/
click.po``, made from the installed Click by ``make translations-update``). Click's
modules import ``gettext`` as ``_`` (and ``ngettext``) by name, so
:func:`speak_the_language` puts ours in those names; ``tests/cli/test_words.py``
says when a Click release changes that.

A command's help is its docstring or its ``help=N_("…")``, kept in English in the
code (the Babel extractor in ``sipas/cli/extract.py`` takes the docstrings of
commands too) and translated when the command line is read. What follows a
docstring's ``\f`` is for developers: Click does not show it, and it is not
translated.

Both are set for the whole process, in the language of the command line last
read: a process reads one (a test reads several, each in its own language).
"""

from __future__ import annotations

import gettext as gettext_module
import importlib
import inspect
from collections.abc import Iterator
from weakref import WeakKeyDictionary

import click

from sipas.language import catalog, current_language

#: Click's modules that name ``gettext`` as ``_`` or ``ngettext`` (but
#: ``click._winconsole``, which only Windows imports).
CLICK_MODULES = (
    "click._termui_impl",
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.shell_completion",
    "click.termui",
    "click.types",
    "click.utils",
)


def click_word(message: str) -> str:
    """``message`` as it is: marks a word Click translates but does not mark
    (extracted into the ``click`` domain only)."""
    return message


#: Words Click passes through gettext without marking them for extraction.
UNMARKED_CLICK_WORDS = (click_word("required"),)


#: The language of the command line last read (Click prints a usage error after
#: the application's context has ended, when its language is no longer known).
_spoken: list[str] = []


def click_gettext(message: str) -> str:
    """Click's ``message`` in the language of the command line."""
    return catalog(_language(), "click").gettext(message)


def click_ngettext(singular: str, plural: str, count: int) -> str:
    """Click's ``singular`` or ``plural`` message for ``count``, translated."""
    return catalog(_language(), "click").ngettext(singular, plural, count)


def _language() -> str:
    """The language of the command line last read, else the current one."""
    return _spoken[-1] if _spoken else current_language()


def speak_the_language(command: click.Command) -> None:
    """Click's words, and the help of ``command`` and of every command under it,
    in the current language from now on."""
    for name in CLICK_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "_", None) in (gettext_module.gettext, click_gettext):
            module._ = click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) in (
            gettext_module.ngettext,
            click_ngettext,
        ):
            module.ngettext = click_ngettext  # type: ignore[attr-defined]
    language = current_language()
    _spoken[:] = [language]
    translations = catalog(language)
    for each in _commands(command):
        # Click makes the --help option once, in the language of that moment
        each._help_option = None
        helped_ones: list[click.Command | click.Option] = [each, *_options(each)]
        for helped in helped_ones:
            english = _ENGLISH.setdefault(helped, helped.help or "")
            if english:
                helped.help = translations.gettext(shown_help(english))


def shown_help(help_text: str) -> str:
    """The part of a command's help Click shows, cleaned as it cleans it: its
    message id."""
    return inspect.cleandoc(help_text).partition("\f")[0].rstrip()


#: The help of each command and option as the code gives it (message ids).
_ENGLISH: WeakKeyDictionary[click.Command | click.Option, str] = WeakKeyDictionary()


def _commands(command: click.Command) -> Iterator[click.Command]:
    """``command`` and every command under it."""
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _commands(sub)


def _options(command: click.Command) -> list[click.Option]:
    """The options of ``command`` (Click's --help apart)."""
    return [param for param in command.params if isinstance(param, click.Option)]
