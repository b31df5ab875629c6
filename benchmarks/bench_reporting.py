"""Time and peak memory of a wave's indices straight from the database (route (c)).

Builds a SQLite database with the demo units and N synthetic responses (bulk
inserted, ~35 answer rows each), then times reporting.wave_analysis — one grouped
query plus the pure engine — whole wave and by channel.
Run: .venv/bin/python benchmarks/bench_reporting.py [--responses 100000 1000000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sipas import create_app  # noqa: E402
from sipas.extensions import db  # noqa: E402
from sipas.models import Answer, Response, Wave  # noqa: E402
from sipas.services import demo, questionnaires, reporting  # noqa: E402
from sipas.stats.indices import Options  # noqa: E402

BATCH = 20_000


def fill(wave: Wave, n: int, seed: int = 5) -> None:
    """Bulk insert n plausible responses with numpy-made answers."""
    rng = np.random.default_rng(seed)
    questionnaire = questionnaires.parsed(wave.questionnaire)
    criteria = [item.code for item in questionnaire.criteria]
    unit_ids = [wu.unit_id for wu in wave.wave_units]
    quality = rng.uniform(3.3, 4.4, len(unit_ids))
    next_id = (db.session.scalar(sa.select(sa.func.max(Response.id))) or 0) + 1
    connection = db.session.connection()
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        units = rng.integers(0, len(unit_ids), size)
        answers = np.clip(
            np.rint(quality[units, None] + rng.normal(0, 0.9, (size, len(criteria)))),
            1,
            5,
        ).astype(int)
        gave_feedback = rng.random(size) < 0.15
        ids = np.arange(next_id, next_id + size)
        next_id += size
        present = np.ones((size, len(criteria)), bool)
        present[:, [k for k, c in enumerate(criteria) if c.startswith("E")]] = (
            gave_feedback[:, None]
        )
        powers = 1 << np.arange(len(criteria), dtype=np.int64)
        answered_masks = (present * powers).sum(axis=1)
        satisfied_masks = ((present & (answers >= 4)) * powers).sum(axis=1)
        connection.execute(
            sa.insert(Response),
            [
                {
                    "id": int(i),
                    "uuid": uuid.UUID(
                        int=int(rng.integers(1 << 62)) << 64 | int(i), version=4
                    ),
                    "wave_id": wave.id,
                    "unit_id": unit_ids[u],
                    "questionnaire_id": wave.questionnaire_id,
                    "channel": ("web", "kiosk", "paper")[int(i) % 3],
                    "language": "vi",
                    "status": "complete",
                    "criteria_answered": int(am),
                    "criteria_satisfied": int(sm),
                }
                for i, u, am, sm in zip(
                    ids, units, answered_masks, satisfied_masks, strict=True
                )
            ],
        )
        rows = []
        for r, (i, feedback) in enumerate(zip(ids, gave_feedback, strict=True)):
            for k, code in enumerate(criteria):
                if code.startswith("E") and not feedback:
                    continue
                rows.append(
                    {
                        "response_id": int(i),
                        "item_code": code,
                        "value": str(answers[r, k]),
                    }
                )
            rows.append(
                {
                    "response_id": int(i),
                    "item_code": "E_filter",
                    "value": "yes" if feedback else "no",
                }
            )
        connection.execute(sa.insert(Answer), rows)
        db.session.commit()
        connection = db.session.connection()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, nargs="+", default=[100_000])
    options = parser.parse_args()
    print(
        f"{'responses':>10} {'answer rows':>12} {'load s':>8} {'whole s':>8} "
        f"{'by channel s':>13} {'peak MB':>8}"
    )
    for n in options.responses:
        with tempfile.TemporaryDirectory() as folder:
            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/b.db",
                    "SECRET_KEY": "bench",
                    "TESTING": False,
                    "QUESTIONNAIRE_DIR": str(ROOT / "questionnaires"),
                }
            )
            with app.app_context():
                db.create_all()
                questionnaires.sync(
                    questionnaires.questionnaire_files(ROOT / "questionnaires")
                )
                demo.ensure_demo("bench")
                db.session.commit()
                wave = db.session.scalar(sa.select(Wave).filter_by(code="demo"))
                started = time.perf_counter()
                fill(wave, n)
                load = time.perf_counter() - started
                answers = db.session.scalar(
                    sa.select(sa.func.count()).select_from(Answer)
                )
                started = time.perf_counter()
                reporting.wave_analysis(wave, Options())
                whole = time.perf_counter() - started
                started = time.perf_counter()
                reporting.wave_analysis(wave, Options(), by="channel")
                by_channel = time.perf_counter() - started
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(
                    f"{n:>10} {answers:>12} {load:>8.1f} {whole:>8.2f} "
                    f"{by_channel:>13.2f} {peak:>8.0f}"
                )
                db.session.remove()
                db.engine.dispose()


if __name__ == "__main__":
    main()
