"""The stats CSV of a wave (DESIGN §5): the export format and the statistics input."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Response, ResponseStatus, Wave
from sipas.services.questionnaires import parsed
from sipas.services.wave_design import unit_designs

#: Multi-choice answers are joined with this in one cell.
MULTI_SEPARATOR = ";"
BATCH = 2000


def stats_csv_rows(wave: Wave) -> Iterator[list[str]]:
    """Header, then one row per counted response, fetched in batches."""
    questionnaire = parsed(wave.questionnaire)
    criteria = [item.code for item in questionnaire.criteria]
    others = [i.code for i in questionnaire.items if not i.is_criterion]
    designs = unit_designs(wave)
    yield [
        "response_id",
        "stratum",
        "psu",
        "weight",
        *criteria,
        "unit",
        "channel",
        "wave",
        *others,
    ]
    last_id = 0
    while True:
        responses = db.session.scalars(
            sa.select(Response)
            .where(
                Response.wave_id == wave.id,
                Response.status == ResponseStatus.complete,
                Response.id > last_id,
            )
            .order_by(Response.id)
            .limit(BATCH)
        ).all()
        if not responses:
            return
        answers = _answers_of([r.id for r in responses])
        for response in responses:
            design = designs[response.unit_id]
            values = answers.get(response.id, {})
            yield [
                str(response.uuid),
                design.stratum,
                design.psu or str(response.uuid),
                repr(design.weight),
                *[values.get(code, "") for code in criteria],
                design.unit.code,
                str(response.channel),
                wave.code,
                *[values.get(code, "") for code in others],
            ]
        last_id = responses[-1].id


def _answers_of(response_ids: list[int]) -> dict[int, dict[str, str]]:
    """Answers of a batch of responses; multi-choice values joined."""
    found: dict[int, dict[str, list[str]]] = {}
    for response_id, code, value in db.session.execute(
        sa.select(Answer.response_id, Answer.item_code, Answer.value)
        .where(Answer.response_id.in_(response_ids))
        .order_by(Answer.response_id, Answer.item_code, Answer.value)
    ):
        found.setdefault(response_id, {}).setdefault(code, []).append(value)
    return {
        rid: {code: MULTI_SEPARATOR.join(vals) for code, vals in codes.items()}
        for rid, codes in found.items()
    }


def stats_csv(wave: Wave) -> str:
    """The whole file as text (UTF-8 BOM added by whoever writes bytes for Excel)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(stats_csv_rows(wave))
    return buffer.getvalue()
