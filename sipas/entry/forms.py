"""Forms of the paper-entry screens, and the wording of entry problems."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField

from sipas.questionnaire import Item
from sipas.questionnaire.entry_keys import (
    NO_ANSWER_KEY,
    EntryValue,
    KeyedItem,
    KeyProblem,
)
from sipas.services.paper.entry import SerialState

#: Prefix of the answer inputs' names (item codes could clash with other fields).
KEY_PREFIX = "k_"


class ChooseForm(FlaskForm):
    """Which wave and unit the forms on the desk belong to (a GET form)."""

    class Meta:
        csrf = False

    wave = SelectField(_l("Survey round"), choices=[])
    unit = SelectField(_l("Unit"), choices=[])


class SerialForm(FlaskForm):
    """The serial printed on the form (a GET form: it only opens the answer page)."""

    class Meta:
        csrf = False

    serial = StringField(
        _l("Form number"),
        description=_l(
            "Six digits, a dash and the check digit, e.g. 000123-1; or scan the "
            "code printed on the form."
        ),
        # room for a scanned form code: SIPAS:<round>:<unit>:<serial>
        render_kw={"autocomplete": "off", "inputmode": "numeric", "maxlength": 100},
    )


class EntryForm(FlaskForm):
    """What the answer page posts besides the typed keys."""

    serial = HiddenField()
    #: Set by the server when the serial was accepted.
    started_at = HiddenField()
    #: Counted by the page's script.
    keystrokes = HiddenField()

    def started(self) -> datetime | None:
        try:
            moment = datetime.fromisoformat(self.started_at.data or "")
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def keystroke_count(self) -> int | None:
        text = self.keystrokes.data or ""
        return int(text) if text.isdigit() and len(text) < 7 else None


class SettleForm(FlaskForm):
    """The settlement page; the choice per item is read from the posted form."""


class SettingForm(FlaskForm):
    counts_unverified = BooleanField(
        _l("Count paper forms entered once, before verification"),
        description=_l(
            "Off (recommended): a paper form counts in the statistics once two "
            "entries agree or a supervisor has settled it."
        ),
    )


class ImportSettingForm(FlaskForm):
    counts_unaccepted = BooleanField(
        _l("Count imported rows before an administrator accepts their file"),
        description=_l(
            "Off (recommended): a file import skips the double entry of paper "
            "forms, so its rows count once an administrator has looked at the file "
            "and accepted it."
        ),
    )


def typed_keys(form: Mapping[str, str]) -> dict[str, str]:
    """{item code: typed string} from a posted form."""
    return {
        name[len(KEY_PREFIX) :]: value
        for name, value in form.items()
        if name.startswith(KEY_PREFIX)
    }


SERIAL_MESSAGES: dict[SerialState, Callable[[], str]] = {
    SerialState.ok: lambda: _("Form number accepted."),
    SerialState.malformed: lambda: _(
        "A form number has six digits, a dash and a check digit."
    ),
    SerialState.check: lambda: _(
        "Wrong check digit: please read the form number again."
    ),
    SerialState.not_issued: lambda: _(
        "This form number has not been issued to this unit."
    ),
    SerialState.entered_twice: lambda: _("This form has already been entered twice."),
    SerialState.own_entry: lambda: _(
        "You entered this form once already: the second entry must be made by "
        "another surveyor."
    ),
}

KEY_MESSAGES: dict[KeyProblem, Callable[[], str]] = {
    KeyProblem.missing: lambda: _(
        "Type the answer's key, or - if the respondent gave no answer."
    ),
    KeyProblem.invalid_key: lambda: _("Not a key of this question."),
    KeyProblem.repeated_key: lambda: _("The same option was typed twice."),
    KeyProblem.too_many: lambda: _("Too many options for this question."),
    KeyProblem.skipped: lambda: _(
        "This question is skipped on this form: leave it empty."
    ),
    KeyProblem.too_long: lambda: _("The text is too long."),
    KeyProblem.not_a_number: lambda: _("Type a whole number."),
    KeyProblem.out_of_range: lambda: _("The number is outside the allowed range."),
}


def serial_message(state: SerialState) -> str:
    return SERIAL_MESSAGES[state]()


def key_message(problem: KeyProblem) -> str:
    return KEY_MESSAGES[problem]()


def legend(keyed: KeyedItem, language: str) -> str:
    """The keys of an item with their meaning, as shown under its input."""
    # the keys are in the order of the options (option_keys)
    parts = [
        f"{key} {choice.label.get_text(language)}"
        for (key, _code), choice in zip(keyed.keys, keyed.item.choices, strict=True)
    ]
    if not keyed.keys:
        parts.append(
            _("type the number") if keyed.item.type == "number" else _("type the text")
        )
    if keyed.max_keys > 1:
        parts.append(_("up to %(n)s keys one after another", n=keyed.max_keys))
    parts.append(_("%(key)s no answer", key=NO_ANSWER_KEY))
    return " · ".join(parts)


def answer_text(item: Item, value: EntryValue, language: str, *, present: bool) -> str:
    """An entered answer in words."""
    if not present:
        return _("(skipped)")
    if value is None:
        return _("No answer")
    if not item.choices:
        return str(value)
    codes = [value] if isinstance(value, str) else value
    return "; ".join(
        choice.label.get_text(language) if (choice := item.choice(code)) else code
        for code in codes
    )
