"""(c) A wave's statistics straight from the database, on SQLite and PostgreSQL.

A national-size design: 34 provinces (strata) × 250 service centres (PSUs), N
synthetic responses with ~31 answer rows each, bulk-loaded. A fresh process then times
`reporting.wave_analysis` (whole wave, by channel, by unit) and the perception shares,
and reports its own peak memory (so loading does not count).

Run: .venv/bin/python benchmarks/bench_reporting.py [--responses 100000 1000000]
                                                    [--databases sqlite postgresql]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sipas import create_app  # noqa: E402
from sipas.extensions import db  # noqa: E402
from sipas.models import (  # noqa: E402
    Response,
    Unit,
    UnitLevel,
    Wave,
    WaveStatus,
    WaveUnit,
)
from sipas.questionnaire.choices import choice_layout, pack_many  # noqa: E402
from sipas.services import questionnaires  # noqa: E402
from sipas.services.questionnaires.lookup import parsed  # noqa: E402
from sipas.services.results import sums  # noqa: E402
from sipas.services.waves.lookup import wave_by_code  # noqa: E402
from sipas.stats.indices import Options  # noqa: E402

N_PROVINCES, N_CENTRES = 34, 250
BATCH = 50_000
CRITERIA = "A1 A2 A3 A4 B1 B2 B3 B4 B5 C1 C2 C3 C4 C5 C6 D1 D2 D3 E1 E2 E3 E4".split()
#: single-choice items with their options and how often each is chosen
SINGLE_CHOICE = {
    "field": (
        ["land", "construction", "justice_civil_status", "residence", "other"],
        [0.3, 0.15, 0.25, 0.2, 0.1],
    ),
    "trips": (["1", "2", "3", "4plus"], [0.62, 0.25, 0.09, 0.04]),
    "on_time": (["early", "on_time", "late"], [0.2, 0.72, 0.08]),
    "harassment": (["no", "yes"], [0.97, 0.03]),
    "unofficial_payment": (["no", "yes"], [0.98, 0.02]),
    "sex": (["male", "female"], [0.49, 0.51]),
    "age_group": (
        ["18_25", "26_35", "36_45", "46_60", "over_60"],
        [0.12, 0.28, 0.27, 0.23, 0.1],
    ),
}
EXPECTATIONS = ["information", "simpler_procedures", "shorter_time", "online_services"]
SHARE_ITEMS = ["harassment", "unofficial_payment", "trips", "expectations"]


def app_for(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "QUESTIONNAIRE_DIR": str(ROOT / "questionnaires"),
            # the PDF timed as the route makes it at once (above the size of a job
            # it is made by the worker, the same way, off the request)
            "JOBS_MIN_RESPONSES": 10**9,
            "JOBS_QUEUE_URL": "memory",
        }
    )


def make_wave(centres: int = N_CENTRES) -> Wave:
    """34 provinces sharing ``centres`` service centres evenly, and an open wave
    stratified by province."""
    questionnaires.sync(questionnaires.questionnaire_files(ROOT / "questionnaires"))
    version = questionnaires.latest_version("sipas-2017")
    wave = Wave(
        code="bench",
        title="Benchmark",
        questionnaire=version,
        status=WaveStatus.open,
        strata_level=UnitLevel.province,
        psu_level=UnitLevel.centre,
    )
    db.session.add(wave)
    rng = np.random.default_rng(2)
    for p in range(N_PROVINCES):
        province = Unit(code=f"P{p:02d}", name=f"Tỉnh {p}", level=UnitLevel.province)
        db.session.add(province)
        for c in range(centres // N_PROVINCES + (p < centres % N_PROVINCES)):
            centre = Unit(
                code=f"P{p:02d}-C{c}",
                name=f"Trung tâm {p}.{c}",
                level=UnitLevel.centre,
                parent=province,
            )
            population = int(rng.integers(2_000, 40_000))
            wave.wave_units.append(WaveUnit(unit=centre, population=population))
    db.session.commit()
    return wave


def _answers_of_batch(rng, size: int, quality: np.ndarray):
    """Scale answers (0 = skipped), feedback flag and the answer rows of a batch."""
    scale = np.clip(np.rint(quality[:, None] + rng.normal(0, 0.9, (size, 22))), 1, 5)
    scale = scale.astype(np.int64)
    feedback = rng.random(size) < 0.15
    scale[~feedback, 18:] = 0  # factor E asked only after feedback
    scale[rng.random((size, 22)) < 0.03] = 0  # some blanks
    return scale, feedback


def fill(wave: Wave, n: int, seed: int = 5) -> None:
    """Bulk-load n responses and their answer rows, batch by batch; each response
    carries its packed choices, as every stored response does (without them the
    shares would be read from the answer rows, a fallback for old data)."""
    rng = np.random.default_rng(seed)
    wave_units = list(wave.wave_units)
    unit_ids = np.array([wu.unit_id for wu in wave_units])
    share = np.array([wu.population for wu in wave_units], dtype=float)
    unit_quality = rng.uniform(3.9, 4.7, len(unit_ids))
    powers = 1 << np.arange(22, dtype=np.int64)
    layout = choice_layout(parsed(wave.questionnaire))
    now = datetime.now(UTC)
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        units = rng.choice(len(unit_ids), size, p=share / share.sum())
        scale, feedback = _answers_of_batch(rng, size, unit_quality[units])
        ids = np.arange(start + 1, start + size + 1)
        answered = ((scale > 0) * powers).sum(axis=1)
        satisfied = ((scale >= 4) * powers).sum(axis=1)
        answers = batch_answers(rng, scale, feedback)
        packed = pack_many(layout, answers)
        db.session.execute(
            sa.insert(Response),
            [
                {
                    "id": int(i),
                    "uuid": uuid.UUID(int=int(i), version=4),
                    "wave_id": wave.id,
                    "unit_id": int(unit_ids[u]),
                    "questionnaire_id": wave.questionnaire_id,
                    "channel": ("web", "kiosk", "paper")[int(i) % 3],
                    "submitted_at": now,
                    "criteria_answered": int(a),
                    "criteria_satisfied": int(s),
                    "choice_codes": codes,
                }
                for i, u, a, s, codes in zip(
                    ids, units, answered, satisfied, packed, strict=True
                )
            ],
        )
        db.session.commit()
        copy_rows(answer_rows(ids, answers))


def batch_answers(rng, scale, feedback) -> list[dict[str, str | tuple[str, ...]]]:
    """Each response's answers of a batch (item code → value; option codes of the
    multiple choice)."""
    picks = {
        item: rng.choice(len(options), len(scale), p=shares)
        for item, (options, shares) in SINGLE_CHOICE.items()
    }
    wishes = rng.random((len(scale), len(EXPECTATIONS))) < 0.4
    batch = []
    for r in range(len(scale)):
        given: dict[str, str | tuple[str, ...]] = {
            code: str(value)
            for code, value in zip(CRITERIA, scale[r].tolist(), strict=True)
            if value
        }
        given["E_filter"] = "yes" if feedback[r] else "no"
        for item, (options, _shares) in SINGLE_CHOICE.items():
            given[item] = options[picks[item][r]]
        chosen = tuple(
            wish for wish, on in zip(EXPECTATIONS, wishes[r], strict=True) if on
        )
        if chosen:
            given["expectations"] = chosen
        batch.append(given)
    return batch


def answer_rows(ids, answers) -> list[tuple[int, str, str]]:
    """(response_id, item_code, value) rows of a batch: an option a row."""
    rows = []
    for response_id, given in zip(ids.tolist(), answers, strict=True):
        for code, value in given.items():
            if isinstance(value, tuple):
                rows += [(response_id, code, option) for option in value]
            else:
                rows.append((response_id, code, value))
    return rows


def copy_rows(rows: list[tuple[int, str, str]]) -> None:
    """Answer rows in one statement: COPY on PostgreSQL, executemany on SQLite."""
    if db.engine.dialect.name != "postgresql":
        db.session.connection().exec_driver_sql(
            "INSERT INTO answers (response_id, item_code, value) VALUES (?, ?, ?)",
            rows,
        )
        db.session.commit()
        return
    raw = db.engine.raw_connection()
    try:
        statement = "COPY answers (response_id, item_code, value) FROM STDIN"
        with raw.cursor().copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def measure(url: str) -> dict[str, float]:
    """Seconds of each statistic on a filled database, and this process's peak MB."""
    app = app_for(url)
    figures: dict[str, float] = {}
    with app.app_context():
        wave = wave_by_code("bench")
        for name, by in (
            ("whole", None),
            ("by_channel", "channel"),
            ("by_unit", "unit"),
        ):
            started = time.perf_counter()
            analysis = sums.wave_analysis(wave, Options(), by=by)
            figures[name] = time.perf_counter() - started
        figures["sipas"] = analysis.overall.overall.estimate.value
        started = time.perf_counter()
        sums.wave_shares(wave, SHARE_ITEMS, Options())
        figures["shares"] = time.perf_counter() - started
    figures["peak_mb"] = own_peak_mb()
    return figures


def own_peak_mb() -> float:
    """This process's peak resident memory since it started (VmHWM). Not
    ru_maxrss: it also holds the parent's resident memory when it forked this
    process, here the parent that loaded the round (100 MB more at 100 000)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(url: str, n: int, centres: int = N_CENTRES) -> tuple[float, int]:
    """Create the tables, the units and n responses; seconds taken and answer rows."""
    app = app_for(url)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        fill(make_wave(centres), n)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    sa.text("VACUUM ANALYZE")
                )
        seconds = time.perf_counter() - started
        answers = db.session.scalar(sa.text("SELECT count(*) FROM answers"))
        db.session.remove()
        db.engine.dispose()
    return seconds, int(answers)


def database_url(kind: str, folder: str, stack: ExitStack) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder}/bench.db"
    from tests.pg_cluster import throwaway_cluster

    return stack.enter_context(throwaway_cluster())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, nargs="+", default=[100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure:
        print(json.dumps(measure(options.measure)))
        return
    print(f"{N_PROVINCES} strata (provinces), {N_CENTRES} PSUs (centres)")
    print(
        f"{'database':>10} {'responses':>10} {'answers':>11} {'load s':>7} "
        f"{'whole s':>8} {'channel s':>9} {'unit s':>7} {'shares s':>8} "
        f"{'peak MB':>8} {'SIPAS':>7}"
    )
    for kind in options.databases:
        for n in options.responses:
            with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
                url = database_url(kind, folder, stack)
                seconds, answers = load(url, n)
                child = subprocess.run(
                    [sys.executable, __file__, "--measure", url],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                f = json.loads(child.stdout)
                print(
                    f"{kind:>10} {n:>10} {answers:>11} {seconds:>7.0f} "
                    f"{f['whole']:>8.2f} {f['by_channel']:>9.2f} {f['by_unit']:>7.2f} "
                    f"{f['shares']:>8.2f} {f['peak_mb']:>8.0f} {f['sipas']:>7.2%}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
