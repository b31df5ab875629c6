"""Shared builders of the paper-entry tests: issued forms, typed keys, posting."""

from __future__ import annotations

from flask.testing import FlaskClient

from sipas.extensions import db
from sipas.models import PaperForm, Unit, Wave
from sipas.questionnaire.entry_keys import decode, encode
from sipas.questionnaire.serials import format_serial
from sipas.services.questionnaires import parsed
from tests.conftest import CSRF_PATTERN
from tests.factories import valid_answers


def issue(wave: Wave, unit: Unit, *serials: int) -> None:
    """Record ``serials`` as printed for ``unit`` (flushed)."""
    for serial in serials:
        db.session.add(PaperForm(wave=wave, unit=unit, serial=serial, batch="test"))
    db.session.flush()


def typed_form(wave: Wave, **changes: str) -> dict[str, str]:
    """Keys that type a full valid form, with ``changes`` ({item: typed})."""
    questionnaire = parsed(wave.questionnaire)
    typed = encode(questionnaire, valid_answers(questionnaire))
    typed.update(changes)
    return typed


def form_url(wave: Wave, unit: Unit) -> str:
    return f"/entry/{wave.code}/{unit.code}/form"


def open_form(client: FlaskClient, wave: Wave, unit: Unit, serial: int):
    return client.get(
        form_url(wave, unit), query_string={"serial": format_serial(serial)}
    )


def form_data(
    client: FlaskClient,
    wave: Wave,
    unit: Unit,
    serial: int,
    typed: dict[str, str],
    step: str = "save",
    **extra: str,
) -> dict[str, str]:
    """Open the answer page (for its token and start time); the data posting
    ``typed`` from it."""
    page = open_form(client, wave, unit, serial).get_data(as_text=True)
    token = CSRF_PATTERN.search(page)
    assert token, page[:2000]
    return {
        "csrf_token": token.group(1),
        "serial": format_serial(serial),
        "started_at": _hidden(page, "started_at"),
        "keystrokes": "57",
        "step": step,
        **{f"k_{code}": value for code, value in typed.items()},
        **extra,
    }


def post_form(
    client: FlaskClient,
    wave: Wave,
    unit: Unit,
    serial: int,
    typed: dict[str, str],
    step: str = "save",
    **extra: str,
):
    """Open the answer page, then post ``typed`` from it."""
    data = form_data(client, wave, unit, serial, typed, step, **extra)
    return client.post(form_url(wave, unit), data=data)


def _hidden(page: str, name: str) -> str:
    import re

    match = re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def make_disagreement(wave: Wave, unit: Unit, serial: int) -> None:
    """Form ``serial`` issued and entered twice, by two new surveyors, with one
    answer differing (flushed)."""
    from sipas.models import Role
    from sipas.services import accounts
    from sipas.services.paper.entry import NewEntry, save_entry

    issue(wave, unit, serial)
    questionnaire = parsed(wave.questionnaire)
    for name, overall in (("first", "4"), ("second", "5")):
        user = accounts.create_user(
            f"{name}-typist-{serial}",
            "correct-horse-battery-1",
            Role.surveyor,
            unit=unit,
        )
        answers = decode(questionnaire, typed_form(wave, overall=overall)).answers
        save_entry(NewEntry(wave, unit, format_serial(serial), answers, user))
