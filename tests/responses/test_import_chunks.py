"""A file's rows are checked a chunk at a time, question by question down the
chunk: each row still gets exactly what checking it alone gives, across chunk
borders, and ids repeated in another chunk are still found."""

from __future__ import annotations

import random

from flask_babel import force_locale

from sipas.services.responses import imports as response_import
from sipas.services.responses.rows import PROGRESS_ROWS, plan_rows
from sipas.services.synthetic import synthetic_answers
from sipas.services.units.rows import read_records
from tests.responses.test_imports import BAD_ROWS, cells_of, csv_file, make_row

#: Rows of the file: more than two chunks, the last one short.
ROWS = 2 * PROGRESS_ROWS + 345


def messy_rows(questionnaire) -> list[dict[str, str]]:
    """Rows of varied answers, a fifth of them spoilt with a kind of bad row, some
    with option labels instead of codes, some without a response_id."""
    draw = random.Random(2025)  # noqa: S311 - test data, the same every run
    labels = {
        item.code: {choice.code: choice.label["vi"] for choice in item.choices}
        for item in questionnaire.items
    }
    rows = []
    for _ in range(ROWS):
        answers = cells_of(synthetic_answers(questionnaire, draw, draw.uniform(3, 4.6)))
        row = make_row(questionnaire, channel=draw.choice(["paper", "kiosk", ""]))
        row.update({code: "" for code in labels if code in row})
        row.update(answers)
        if draw.random() < 0.2:
            row.update(draw.choice(list(BAD_ROWS.values()))[0])
        if draw.random() < 0.1:
            code = draw.choice([c for c in answers if answers[c] in labels[c]])
            row[code] = labels[code][answers[code]]
        if draw.random() < 0.05:
            row["response_id"] = ""
        rows.append(row)
    return rows


def plan(wave, data: bytes, records=None):
    """The check of a file (or of some of its records) for ``wave``."""
    records = records if records is not None else read_records("f.csv", data)
    with force_locale("en"):
        made = plan_rows(
            records,
            response_import._vocabulary(wave),
            response_import._context(wave, None),
        )
        errors = [(e.row, e.column, str(e.message)) for e in made.errors]
    return made, errors


def stored_form(row) -> tuple:
    """What a checked row would store (its id only when the file gave it)."""
    return (
        row.row,
        row.uuid if row.id_given else None,
        row.unit_id,
        row.channel,
        dict(row.answers),
    )


def test_each_row_of_a_chunked_file_is_checked_as_if_alone(wave, questionnaire):
    rows = messy_rows(questionnaire)
    # an id given again in a later chunk: only the whole file can see it
    first, again = PROGRESS_ROWS - 2, PROGRESS_ROWS + 7
    rows[again]["response_id"] = rows[first]["response_id"] = str(
        rows[first]["response_id"] or "9f1c3a52-7d1e-4a8b-9c3e-2b7f5d6e8a10"
    )
    data = csv_file(rows)
    records = read_records("f.csv", data)
    whole, whole_errors = plan(wave, data)

    alone_rows, alone_errors = [], []
    for record in records[1:]:
        made, errors = plan(wave, data, [records[0], record])
        alone_rows.extend(made.rows)
        alone_errors.extend(errors)
    repeated = (
        again + 2,
        "response_id",
        f"The response_id is already on row {first + 2}.",
    )

    # the id is checked first: its problem leads the row's
    expected = sorted(
        [repeated, *alone_errors], key=lambda error: (error[0], error != repeated)
    )
    assert whole_errors == expected
    kept = [row for row in alone_rows if row.row != again + 2]
    assert [stored_form(r) for r in whole.rows] == [stored_form(r) for r in kept]
    # the file is as messy as meant: many rows of each
    assert 0.1 * ROWS < whole.bad_rows < 0.4 * ROWS
    assert len({message for _row, _column, message in whole_errors}) >= 8
    assert len(whole.rows) + whole.bad_rows == ROWS
