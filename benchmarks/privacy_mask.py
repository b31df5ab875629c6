"""Cost of masking personal data in comments, on the way out of a large wave.

Loads N responses (the national-size design of bench_reporting.py) into SQLite and
gives EVERY one a comment — the worst case; in real rounds a few percent comment —
of which one in ten holds a phone number, an ID number or an e-mail address. Then
times the masker alone on those comments, the stats CSV export with and without
masking, and a dry run of the retention erasure (which masks every comment too).

Run: .venv/bin/python benchmarks/privacy_mask.py [--responses 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_reporting import app_for, load  # noqa: E402
from sipas.extensions import db  # noqa: E402
from sipas.models import Response, Wave  # noqa: E402
from sipas.questionnaire.personal_data import mask_personal_data  # noqa: E402
from sipas.services.responses import privacy  # noqa: E402
from sipas.services.results import exports  # noqa: E402
from sipas.services.waves.lookup import wave_by_code  # noqa: E402

CLEAN = [
    "Cán bộ hướng dẫn tận tình, thủ tục nhanh gọn.",
    "Phải chờ 45 phút, lệ phí 500.000 đồng là cao so với năm 2024.",
    "Đề nghị bố trí thêm ghế ngồi và nước uống cho người dân chờ đợi.",
    "Câu 12 khó hiểu. Hồ sơ 000.00.12.H42-240312-0001 trả chậm 3 ngày.",
]
PERSONAL = [
    "Có gì xin gọi tôi 0912 345 678 vào buổi chiều.",
    "Email của tôi là nguyenvana@gmail.com, mong được phản hồi.",
    "CCCD 001234567890 bị ghi sai ngày sinh, đề nghị sửa.",
]


def comments(n: int, seed: int = 7) -> list[str]:
    """``n`` comments, one in ten holding personal data."""
    rng = random.Random(seed)
    return [
        rng.choice(PERSONAL) if rng.random() < 0.1 else rng.choice(CLEAN)
        for _ in range(n)
    ]


def add_comments(texts: list[str]) -> None:
    """A comment answer for every response of the loaded wave."""
    ids = db.session.scalars(sa.select(Response.id).order_by(Response.id)).all()
    db.session.connection().exec_driver_sql(
        "INSERT INTO answers (response_id, item_code, value) VALUES (?, ?, ?)",
        [(rid, "comment", text) for rid, text in zip(ids, texts, strict=False)],
    )
    db.session.commit()


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def export_seconds(wave: Wave) -> float:
    return timed(lambda: sum(len(c) for c in exports.stats_csv_chunks(wave)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=100_000)
    n = parser.parse_args().responses
    texts = comments(n)
    pure = timed(lambda: [mask_personal_data(t) for t in texts])
    print(f"masker alone: {n} comments in {pure:.2f} s ({pure / n * 1e6:.1f} µs each)")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        load(url, n)
        app = app_for(url)
        with app.app_context(), app.test_request_context():
            add_comments(texts)
            wave = wave_by_code("bench")
            plain = mock.patch.object(exports, "mask_personal_data", lambda t: t)
            with plain:
                unmasked = export_seconds(wave)
            masked = export_seconds(wave)
            dry = timed(lambda: privacy.erase_originals(wave, dry_run=True))
    print(f"stats CSV of {n} responses: {unmasked:.2f} s plain, {masked:.2f} s masked")
    print(f"retention dry run (every comment masked and compared): {dry:.2f} s")


if __name__ == "__main__":
    main()
