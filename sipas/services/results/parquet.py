"""A wave's responses as Parquet: one row per counted response, typed columns, the
design columns and the questionnaire's wording as metadata, written a batch of
responses at a time (constant memory however large the wave).

Columns: ``response_id``, ``stratum``, ``psu``, ``weight`` (float64), one int8 column
per criterion (the 1–5 score, 9 "not applicable", null for no answer), ``unit``,
``channel``, ``wave``, then every other question as text (multiple choices joined
with ``;``, personal data in free text masked, as in the stats CSV). The schema's
metadata holds ``sipas`` (JSON: wave, questionnaire, design) and each field's own
``label`` and ``choices`` in the questionnaire's first language.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING

from sipas.models import Wave
from sipas.questionnaire import Item, Questionnaire
from sipas.services.questionnaires import parsed
from sipas.services.results.answers import MULTI_SEPARATOR
from sipas.services.results.exports import (
    Progress,
    counted_batches,
)
from sipas.services.waves.design import unit_designs

if TYPE_CHECKING:  # pyarrow is imported when a Parquet file is made
    import pyarrow as pa

#: Design and identifying columns before the criteria (their Arrow types'
#: names: all text but the weight), and after them.
LEADING = (("response_id", "string"), ("stratum", "string"),
           ("psu", "string"), ("weight", "float64"))  # fmt: skip
TRAILING = ("unit", "channel", "wave")


class _Sink:
    """A write-only file that hands its bytes on as they come (Parquet's footer
    needs the true offsets, so ``tell`` counts every byte ever written)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0
        self.closed = False

    def write(self, data) -> int:
        """Keep ``data`` until taken."""
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        """Bytes written so far."""
        return self.position

    def flush(self) -> None:
        """Nothing is buffered here."""

    def close(self) -> None:
        """The writer is done."""
        self.closed = True

    def take(self) -> bytes:
        """The bytes written since the last call."""
        chunk, self.parts = b"".join(self.parts), []
        return chunk


def _field(item: Item, data_type: pa.DataType, language: str) -> pa.Field:
    """A question's column, its wording and choices as the field's metadata."""
    import pyarrow as pa

    metadata = {"label": item.label.get_text(language)}
    if item.choices:
        choices = {c.code: c.label.get_text(language) for c in item.choices}
        metadata["choices"] = json.dumps(choices, ensure_ascii=False)
    return pa.field(item.code, data_type, metadata=metadata)


def parquet_schema(wave: Wave, questionnaire: Questionnaire) -> pa.Schema:
    """The file's columns and metadata."""
    import pyarrow as pa

    language = questionnaire.languages[0]
    fields = [pa.field(name, getattr(pa, kind)()) for name, kind in LEADING]
    fields += [_field(i, pa.int8(), language) for i in questionnaire.criteria]
    fields += [pa.field(name, pa.string()) for name in TRAILING]
    fields += [
        _field(i, pa.string(), language)
        for i in questionnaire.items
        if not i.is_criterion
    ]
    about = {
        "wave": wave.code,
        "questionnaire": questionnaire.code,
        "version": questionnaire.version,
        "design": {"strata": "stratum", "ids": "psu", "weights": "weight"},
        "multi_separator": MULTI_SEPARATOR,
        "language": language,
    }
    return pa.schema(fields, metadata={"sipas": json.dumps(about, ensure_ascii=False)})


def stats_parquet_chunks(
    wave: Wave,
    unit_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The Parquet file of the wave's counted responses (of ``unit_ids``), one row
    group per batch of responses, as bytes while they are made; ``progress`` hears
    ``(responses done, responses total)`` after each batch. The wave's weights
    are read first: a wave that cannot be weighted fails before any byte."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    questionnaire = parsed(wave.questionnaire)
    schema = parquet_schema(wave, questionnaire)
    designs = {
        unit_id: (d.stratum, d.psu, float(d.weight), d.unit.code)
        for unit_id, d in unit_designs(wave).items()
    }
    criteria = [item.code for item in questionnaire.criteria]
    others = [item.code for item in questionnaire.items if not item.is_criterion]
    batches = counted_batches(wave, unit_ids, progress)

    def chunks() -> Iterator[bytes]:
        sink = _Sink()
        with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
            for responses, answers in batches:
                columns = _columns(responses, answers, designs, criteria, others)
                columns["wave"] = [wave_code] * len(responses)
                writer.write_table(pa.table(columns, schema=schema))
                yield sink.take()
        yield sink.take()

    wave_code = wave.code
    return chunks()


def _columns(responses, answers, designs, criteria, others) -> dict[str, list]:
    """One batch as columns (the wave column aside), a question at a time from
    the batch's answers, never a dict per response."""
    uuids = [response.uuid for response in responses]
    design = [designs[response.unit_id] for response in responses]
    return {
        "response_id": uuids,
        "stratum": [d[0] for d in design],
        # None: each response is its own PSU
        "psu": [d[1] or uuid for d, uuid in zip(design, uuids, strict=True)],
        "weight": [d[2] for d in design],
        **{code: _scores(answers.column(code)) for code in criteria},
        "unit": [d[3] for d in design],
        "channel": [response.channel.value for response in responses],
        **{code: answers.column(code) for code in others},
    }


def _scores(texts: list[str | None]) -> list[int | None]:
    """A criterion's answers as numbers (None: no answer), each text read once."""
    numbers = {text: int(text) for text in set(texts) if text}
    return [numbers.get(text) for text in texts]  # type: ignore[arg-type]
