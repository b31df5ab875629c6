"""Erased comments masked again with the wider detector (phone numbers and addresses
written with dashes, "/", "_", ",", runs of spaces, letter O, other digit scripts,
"at … dot")

Revision ID: privacy2remask1a
Revises: quality2a2b3c4d
Create Date: 2026-12-04

Only rounds whose originals were erased (``waves.texts_erased_at`` set) hold masked
text in the database; everywhere else the originals are kept and every page and file
masks them when shown, so the wider detector applies there by itself. The erased
rounds' stored text was masked by the narrower detector: here it is masked again.

A data migration rather than a command to remember: ``flask db upgrade`` is the one
step every upgrade runs, so no installation keeps the old masking. It calls the app's
pure masking function (sipas.questionnaire.personal_data) on purpose: masking is
idempotent and only ever hides more, so running this later with a newer detector
does no harm. The daily ``flask sipas retention`` job re-masks the same rounds too.
Downgrading keeps the masked text (the originals are gone).
"""

import sqlalchemy as sa
from alembic import op

from sipas.questionnaire.personal_data import mask_personal_data

revision = "privacy2remask1a"
down_revision = "quality2a2b3c4d"
branch_labels = None
depends_on = None

ANSWERS = sa.table(
    "answers",
    sa.column("response_id", sa.Integer),
    sa.column("item_code", sa.String),
    sa.column("value", sa.Text),
)
RESPONSES = sa.table(
    "responses",
    sa.column("id", sa.Integer),
    sa.column("wave_id", sa.Integer),
    sa.column("questionnaire_id", sa.Integer),
)
VERSIONS = sa.table(
    "questionnaire_versions", sa.column("id", sa.Integer), sa.column("definition", sa.JSON)
)
#: The tables that keep answers as JSON, with their key column.
JSON_TABLES = (
    sa.table(
        "paper_entries",
        sa.column("id", sa.Integer),
        sa.column("wave_id", sa.Integer),
        sa.column("answers", sa.JSON),
    ),
    sa.table(
        "response_drafts",
        sa.column("form_uuid", sa.Uuid),
        sa.column("wave_id", sa.Integer),
        sa.column("answers", sa.JSON),
    ),
)


def upgrade():
    bind = op.get_bind()
    erased = bind.execute(
        sa.text(
            "SELECT id, questionnaire_id FROM waves WHERE texts_erased_at IS NOT NULL"
        )
    ).all()
    for wave_id, questionnaire_id in erased:
        codes = _text_codes(bind, wave_id, questionnaire_id)
        if codes:
            _remask_answers(bind, wave_id, codes)
            for table in JSON_TABLES:
                _remask_json(bind, table, wave_id, codes)


def downgrade():
    pass  # the originals were erased before: nothing to give back


def _text_codes(bind, wave_id, questionnaire_id):
    """Codes of the text questions of the wave's questionnaire versions."""
    used = sa.select(RESPONSES.c.questionnaire_id).where(
        RESPONSES.c.wave_id == wave_id
    )
    wanted = {questionnaire_id, *bind.execute(used).scalars()}
    definitions = bind.execute(
        sa.select(VERSIONS.c.definition).where(VERSIONS.c.id.in_(sorted(wanted)))
    ).scalars()
    return {
        item["code"]
        for definition in definitions
        for section in definition.get("sections", ())
        for item in section.get("items", ())
        if item.get("type") == "text"
    }


def _remask_answers(bind, wave_id, codes):
    rows = bind.execute(
        sa.select(ANSWERS.c.response_id, ANSWERS.c.item_code, ANSWERS.c.value)
        .join(RESPONSES, RESPONSES.c.id == ANSWERS.c.response_id)
        .where(RESPONSES.c.wave_id == wave_id, ANSWERS.c.item_code.in_(sorted(codes)))
    ).all()
    changes = [
        {"rid": rid, "code": code, "old": value, "new": masked}
        for rid, code, value in rows
        if (masked := mask_personal_data(value)) != value
    ]
    if changes:
        bind.execute(
            ANSWERS.update()
            .where(
                ANSWERS.c.response_id == sa.bindparam("rid"),
                ANSWERS.c.item_code == sa.bindparam("code"),
                ANSWERS.c.value == sa.bindparam("old"),
            )
            .values(value=sa.bindparam("new")),
            changes,
        )


def _remask_json(bind, table, wave_id, codes):
    key = next(iter(table.c))
    for row_key, answers in bind.execute(
        sa.select(key, table.c.answers).where(table.c.wave_id == wave_id)
    ).all():
        masked = {
            code: mask_personal_data(value)
            if code in codes and isinstance(value, str)
            else value
            for code, value in (answers or {}).items()
        }
        if masked != (answers or {}):
            bind.execute(table.update().where(key == row_key).values(answers=masked))
