"""Responses carry their choice answers packed (sipas/questionnaire/choices.py), so
option shares and breakdowns by a respondent question read one value per response

The responses stored before are packed here from their answer rows, a batch at a
time, by the app's own packing (so the upgrade writes what the app reads); one with
an answer outside its question's options keeps none, and its wave is read from the
answer rows, as before.

Revision ID: choices1a2b3c
Revises: jobs3results
Create Date: 2026-12-05

"""

import json

import sqlalchemy as sa
from alembic import op

revision = "choices1a2b3c"
down_revision = "jobs3results"
branch_labels = None
depends_on = None

#: The statistics index, which gains the packed choices as its last column.
INDEX = "ix_responses_patterns"


def _index_columns() -> list[str]:
    """The columns of the statistics index as the database holds it now."""
    indexes = sa.inspect(op.get_bind()).get_indexes("responses")
    return list(next(i for i in indexes if i["name"] == INDEX)["column_names"])


#: Responses packed per statement.
BATCH = 2000


def upgrade():
    op.add_column(
        "responses", sa.Column("choice_codes", sa.LargeBinary(), nullable=True)
    )
    patterns = _index_columns()
    op.drop_index(INDEX, table_name="responses")
    connection = op.get_bind()
    versions = connection.execute(
        sa.text("SELECT id, definition FROM questionnaire_versions")
    ).fetchall()
    for version_id, definition in versions:
        _pack_version(connection, version_id, definition)
    op.create_index(INDEX, "responses", [*patterns, "choice_codes"])


def _pack_version(connection, version_id, definition) -> None:
    """Pack the choices of the responses answered on one questionnaire version."""
    from sipas.questionnaire import QuestionnaireError, parse_definition
    from sipas.questionnaire.choices import choice_layout, pack_choices

    if isinstance(definition, str):
        definition = json.loads(definition)
    try:
        layout = choice_layout(parse_definition(definition))
    except QuestionnaireError:
        return  # a definition the app no longer reads: its rows are read instead
    last = 0
    while ids := _batch(connection, version_id, last):
        answers = _choice_answers(connection, layout, ids)
        connection.execute(
            sa.text("UPDATE responses SET choice_codes = :packed WHERE id = :id"),
            [{"packed": pack_choices(layout, a), "id": i} for i, a in answers.items()],
        )
        last = ids[-1]


def _batch(connection, version_id, last) -> list[int]:
    """The next ids (after ``last``) of the responses of one version."""
    return list(
        connection.execute(
            sa.text(
                "SELECT id FROM responses WHERE questionnaire_id = :version "
                "AND id > :last ORDER BY id LIMIT :batch"
            ),
            {"version": version_id, "last": last, "batch": BATCH},
        ).scalars()
    )


def _choice_answers(connection, layout, ids) -> dict[int, dict]:
    """The choice answers of responses ``ids`` (increasing), as the app holds
    them: a code, or a tuple of codes for a multiple choice."""
    answers: dict[int, dict] = {response_id: {} for response_id in ids}
    rows = connection.execute(
        sa.text(
            "SELECT response_id, item_code, value FROM answers "
            "WHERE response_id BETWEEN :first AND :last "
            "ORDER BY response_id, item_code, value"
        ),
        {"first": ids[0], "last": ids[-1]},
    )
    for response_id, code, value in rows:
        given, slot = answers.get(response_id), layout.slot(code)
        if given is None or slot is None:
            continue  # another version's response, or not a choice question
        if slot.multiple or code in given:  # a single choice twice: not packed
            previous = given.get(code, ())
            given[code] = (
                *((previous,) if isinstance(previous, str) else previous),
                value,
            )
        else:
            given[code] = value
    return answers


def downgrade():
    # no batch: SQLite would rebuild ``responses``, and dropping the old table
    # cascades to the answers; both databases drop a column in place
    patterns = [c for c in _index_columns() if c != "choice_codes"]
    op.drop_index(INDEX, table_name="responses")
    op.create_index(INDEX, "responses", patterns)
    op.execute("ALTER TABLE responses DROP COLUMN choice_codes")
