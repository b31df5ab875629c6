"""A wave's downloads: the stats CSV (DESIGN §5, the export format and the statistics
input) and the results as JSON."""

from __future__ import annotations

import io
import json
import math
import re
import uuid as uuid_module
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import datetime
from itertools import islice, repeat
from typing import Any, NamedTuple, cast

import sqlalchemy as sa

from sipas.database import batch_bound, plain_rows
from sipas.extensions import db
from sipas.models import Channel, Response, ResponseStatus, Unit, Wave
from sipas.reports.wave_results import Change, ShareTable, WaveResults
from sipas.services.questionnaires import parsed
from sipas.services.responses.privacy import text_item_codes
from sipas.services.results.answers import BatchAnswers, ItemKinds, answers_of
from sipas.services.waves.design import unit_designs
from sipas.spreadsheets import CsvWriter, csv_text
from sipas.stats.indices import Options
from sipas.stats.output import indices_json

#: Responses fetched per query.
BATCH = 2000
#: Rows of the stats CSV per streamed chunk.
CHUNK_ROWS = 500

#: Told ``(responses done, responses total)`` while a download is made.
Progress = Callable[[int, int], None]


class CountedResponse(NamedTuple):
    """What the downloads show of a counted response (a row, not an ORM object)."""

    id: int
    #: the UUID as text (8-4-4-4-12 hex digits)
    uuid: str
    unit_id: int
    channel: Channel
    submitted_at: datetime | None


def stats_csv_rows(
    wave: Wave,
    unit_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> Iterator[Sequence[str | None]]:
    """Header, then one row per counted response (of ``unit_ids`` if given), fetched
    in batches; cells that could read as a formula are neutralised here already.

    Everything the rows need from ``wave`` is read before the header is yielded:
    the rows may then be made in another session (a streamed download outlives the
    session of its request).
    """
    questionnaire = parsed(wave.questionnaire)
    criteria = [item.code for item in questionnaire.criteria]
    others = [i.code for i in questionnaire.items if not i.is_criterion]
    # free text is what a person typed; every other answer is a code or a number
    texts = text_item_codes(questionnaire)
    other_columns = [(code, code in texts) for code in others]
    designs = {
        unit_id: (
            csv_text(design.stratum),
            None if design.psu is None else csv_text(design.psu),  # None: each
            repr(design.weight),  # response is its own PSU
            csv_text(design.unit.code),
        )
        for unit_id, design in unit_designs(wave).items()
    }
    wave_code = csv_text(wave.code)
    batches = counted_batches(wave, unit_ids, progress)
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
    for responses, answers in batches:
        # column by column: a question's answers, then the rows zipped from them
        uuids = [response.uuid for response in responses]
        design = [designs[response.unit_id] for response in responses]
        yield from zip(
            uuids,
            [d[0] for d in design],
            [d[1] or uuid for d, uuid in zip(design, uuids, strict=True)],
            [d[2] for d in design],
            *(answers.column(code) for code in criteria),  # None: an empty cell
            [d[3] for d in design],
            [response.channel.value for response in responses],
            repeat(wave_code, len(responses)),
            *(
                # free text: the only cells that could be formulas
                _neutralised(answers.column(code)) if is_text else answers.column(code)
                for code, is_text in other_columns
            ),
            strict=True,
        )


def _neutralised(texts: list[str | None]) -> list[str | None]:
    """Free-text cells that could read as a formula made plain text."""
    return [None if text is None else csv_text(text) for text in texts]


def count_counted(wave: Wave, unit_ids: Collection[int] | None = None) -> int:
    """How many responses of ``wave`` (of ``unit_ids`` if given) are counted."""
    query = sa.select(sa.func.count()).select_from(Response)
    return db.session.scalar(query.where(*_counted(wave, unit_ids))) or 0


def _counted(
    wave: Wave, unit_ids: Collection[int] | None
) -> list[sa.ColumnElement[bool]]:
    """The conditions of ``wave``'s counted responses (of ``unit_ids`` if given)."""
    conditions = [
        Response.wave_id == wave.id,
        Response.status == ResponseStatus.complete,
    ]
    if unit_ids is not None:
        conditions.append(Response.unit_id.in_(sorted(unit_ids)))
    return conditions


def counted_batches(
    wave: Wave,
    unit_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> Iterator[tuple[Sequence[CountedResponse], BatchAnswers]]:
    """The wave's counted responses (of ``unit_ids`` if given) in id order, a batch
    at a time, with their answers (multi-choice values joined, personal data in free
    text masked). ``wave`` is read at the call, the batches as they are taken;
    ``progress`` hears ``(0, total)`` first, then ``(done, total)`` after each
    batch has been used."""
    batches = _batches(_counted(wave, unit_ids), ItemKinds.of(wave))
    if progress is None:
        return batches
    return _reported(batches, count_counted(wave, unit_ids), progress)


def _reported(batches, total: int, progress: Progress):
    """``batches`` as they are, telling ``progress`` once each has been used."""
    progress(0, total)
    done = 0
    for batch in batches:
        yield batch  # resumed only when the taker is done with this batch
        done += len(batch[0])
        progress(done, total)


def _batches(
    conditions: list[sa.ColumnElement[bool]], kinds: ItemKinds
) -> Iterator[tuple[Sequence[CountedResponse], BatchAnswers]]:
    """Responses meeting ``conditions`` in id order, ``BATCH`` at a time, with
    their answers: the driver's plain rows, no ORM object, no SQLAlchemy row.

    The ids are read first, in one query: a batch asked for by its conditions
    and ``id > last`` made SQLite sort the whole round's rows for each batch.
    """
    ids = [
        found
        for (found,) in plain_rows(
            sa.select(Response.id).where(*conditions).order_by(Response.id)
        )
    ]
    columns = [getattr(Response, name) for name in CountedResponse._fields]
    channels = {channel.value: channel for channel in Channel}
    # the batch's span of ids, as the primary key finds it; another round's
    # responses among them are left out below (cheaper than 2,000 parameters)
    in_span = (
        sa.select(*columns, Response.choice_codes)
        .where(Response.id.between(batch_bound("first"), batch_bound("last")))
        .order_by(Response.id)
    )
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        wanted = set(batch)
        responses, packed = [], []
        for id, uuid, unit_id, channel, submitted, choices in plain_rows(
            in_span, {"first": batch[0], "last": batch[-1]}
        ):
            if id not in wanted:
                continue
            responses.append(
                CountedResponse(
                    id, _uuid_text(uuid), unit_id, channels[channel], _moment(submitted)
                )
            )
            packed.append(choices)
        if responses:
            yield responses, answers_of([r.id for r in responses], kinds, packed)


def _uuid_text(value: object) -> str:
    """A stored UUID as canonical text (SQLite keeps 32 hex digits)."""
    if isinstance(value, uuid_module.UUID):  # PostgreSQL's driver
        return str(value)
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(uuid_module.UUID(str(value)))


def _moment(value: object) -> datetime | None:
    """A stored time as a datetime (SQLite gives back its text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return cast("datetime | None", value)  # the driver's datetime


def stats_csv(wave: Wave) -> str:
    """The whole file as text (UTF-8 BOM added by whoever writes bytes for Excel)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer, lineterminator="\n", neutralised=True)
    writer.writerows(stats_csv_rows(wave))
    return buffer.getvalue()


#: Byte order mark: tells Excel the file is UTF-8 (DESIGN §5 allows it).
BOM = "\ufeff"


def stats_csv_chunks(
    wave: Wave,
    unit_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The stats CSV as UTF-8 bytes with a BOM, a few hundred rows per chunk;
    ``progress`` hears ``(responses done, responses total)`` after each batch.

    The header (and so the wave's weights) is made before the first chunk is
    returned: a wave that cannot be weighted fails here, not half-way through a
    download.
    """
    rows = stats_csv_rows(wave, unit_ids, progress)
    header = next(rows)

    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = CsvWriter(buffer, lineterminator="\n", neutralised=True)
        buffer.write(BOM)
        writer.writerow(header)
        while chunk := list(islice(rows, CHUNK_ROWS)):
            writer.writerows(chunk)
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():  # the header of a file without rows
            yield buffer.getvalue().encode("utf-8")

    return chunks()


def _number(value: float | None) -> float | None:
    """JSON has no NaN: undefined numbers are null."""
    return float(value) if value is not None and math.isfinite(value) else None


def _share_rows(tables: Sequence[ShareTable], options: Options) -> list[dict]:
    method = str(options.ci_method)
    return [
        {
            "item": table.code,
            "question": table.title,
            "shares": [
                {
                    "option": share.option,
                    "label": table.labels.get(share.option, share.option),
                    "n": share.estimate.n,
                    "chosen": share.estimate.satisfied,
                    "share": _number(share.estimate.value),
                    "se": _number(share.estimate.se),
                    "df": share.estimate.df,
                    "ci": [
                        _number(share.interval.lower),
                        _number(share.interval.upper),
                    ],
                    **_method_note(share.interval.method, method),
                }
                for share in table.shares
            ],
        }
        for table in tables
    ]


def _method_note(method: str, default: str) -> dict[str, str]:
    return {} if method == default else {"ci_method": str(method)}


def _meta(results: WaveResults) -> dict[str, Any]:
    options, overall = results.options, results.indices.overall.estimate
    strata = psus = 0
    if results.design is not None and overall.psu_has_rows is not None:
        has_rows = overall.psu_has_rows
        psus = int(has_rows.sum())
        # a domain's estimate holds only its own PSUs (psu_ids in the design)
        ids = overall.psu_ids
        with_rows = ids[has_rows] if ids is not None else has_rows
        strata = len(set(results.design.psu_stratum[with_rows].tolist()))
    return {
        "rows": results.responses,
        "strata": strata,
        "psus": psus,
        "df": overall.df,
        "level": options.level,
        "ci_method": str(options.ci_method),
        "index_ci_method": str(options.index_ci_method),
        "lonely_psu": str(options.lonely_psu),
        "questionnaire": results.questionnaire.code,
        "wave": results.wave.code,
        "unit": results.root.code if results.root is not None else None,
        "responding_units": results.responding_units,
        "previous_wave": results.previous_wave.code if results.previous_wave else None,
        "min_n": results.thresholds.min_n,
        "min_effective_n": results.thresholds.min_effective_n,
    }


def results_document(results: WaveResults) -> dict[str, Any]:
    """The results as JSON: the §5 document (meta, criteria, factors, overall) plus
    the dashboard's ranking, breakdowns, shares and changes; fractions in [0, 1]."""
    options = results.options
    ci, index_ci = str(options.ci_method), str(options.index_ci_method)
    return {
        "meta": _meta(results),
        **indices_json(results.indices, ci, index_ci),
        "ranking": [
            {
                "rank": ranked.rank,
                "unit": ranked.unit.code,
                "name": ranked.unit.name,
                "n": ranked.overall.estimate.n,
                **indices_json(ranked.indices, ci, index_ci)["overall"],
                "indistinguishable": list(ranked.indistinguishable),
                "untestable": list(ranked.untestable),
                "tied_with_next": ranked.tied_with_next,
                "untestable_with_next": ranked.untestable_with_next,
                "standing": str(ranked.standing()),
            }
            for ranked in results.ranking
        ],
        "heatmap": _heat_map(results),
        "key_shares": [
            {
                "code": key.code,
                "item": key.item,
                "options": list(key.options),
                "n": key.share.estimate.n,
                "share": _number(key.share.estimate.value),
                "ci": [
                    _number(key.share.interval.lower),
                    _number(key.share.interval.upper),
                ],
            }
            for key in results.key_shares
        ],
        "trend": [
            {
                "wave": point.wave.code,
                "title": point.wave.title,
                **indices_json(point.indices, ci, index_ci),
            }
            for point in results.trend
        ],
        "breakdowns": [
            {
                "column": breakdown.code,
                "title": breakdown.title,
                "groups": [
                    {
                        "value": row.value,
                        "label": row.label,
                        "n": row.indices.overall.estimate.n,
                        **indices_json(row.indices, ci, index_ci),
                    }
                    for row in breakdown.rows
                ],
            }
            for breakdown in results.breakdowns
        ],
        "perceptions": _share_rows(results.perceptions, options),
        "expectations": _share_rows(results.expectations, options),
        "changes": [_change(change) for change in results.changes],
        "tree_changes": [_change(change) for change in results.node_changes],
    }


def _change(change: Change) -> dict[str, Any]:
    """One index now against the previous wave: the difference and its test."""
    return {
        "code": change.code,
        "current": _number(change.current.estimate.value),
        "previous": _number(change.previous.estimate.value),
        "difference": _number(change.difference.value),
        "se": _number(change.difference.se),
        "df": _number(change.difference.df),
        "ci": [_number(change.difference.lower), _number(change.difference.upper)],
        "p_value": _number(change.difference.p_value),
        "significant": change.difference.is_significant,
    }


def _heat_map(results: WaveResults) -> list[dict[str, Any]]:
    """The criteria × units table the dashboard's heat map draws: each ranked unit's
    criteria with their standing against the scope ("below": a marked cell) and
    whether they rest on too few responses (a suppressed cell)."""
    return [
        {
            "unit": ranked.unit.code,
            "name": ranked.unit.name,
            "criteria": [
                {
                    "code": result.code,
                    "n": result.estimate.n,
                    "index": _number(result.estimate.value),
                    "ci": [
                        _number(result.interval.lower),
                        _number(result.interval.upper),
                    ],
                    "standing": str(ranked.standing(result.code)),
                    "small": results.thresholds.is_small(result),
                }
                for result in ranked.indices.criteria
            ],
        }
        for ranked in results.ranking
    ]


def results_json(results: WaveResults) -> str:
    """The results document as pretty-printed UTF-8 JSON text."""
    return json.dumps(results_document(results), ensure_ascii=False, indent=2)


def export_filename(wave: Wave, root: Unit | None, extension: str) -> str:
    """``sipas-<wave>[-<unit>].<extension>``, safe as a file name."""
    parts = ["sipas", wave.code] + ([root.code] if root is not None else [])
    stem = "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", part) for part in parts)
    return f"{stem}.{extension}"
