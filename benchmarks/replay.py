"""A copied kiosk token replaying backdated responses: how many the server flags.

A real server on 127.0.0.1 (waitress, fresh SQLite database with the demo). A kiosk
of the demo unit is registered, enrolled the day before (so it has a whole window of
plausible throughput behind it), and its token sends --count responses in one sync
request, without a start time, their finishing times spread --spacing seconds apart
into the past: the attack of issue 18 item 1. The database is then asked how many
were stored, flagged (left out of every figure until reviewed) and counted.

Run: .venv/bin/python benchmarks/replay.py [--count 200] [--spacing 150]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import running_server  # noqa: E402

UNIT = "QN-HALONG-TT"


def register_kiosk(database: Path) -> tuple[str, dict]:
    """A kiosk of UNIT enrolled a day ago: its token, and valid answers whose
    criteria scores vary (not straight-lining)."""
    from sipas import create_app
    from sipas.extensions import db
    from sipas.services.questionnaires import parsed
    from sipas.services.responses import devices
    from sipas.services.units.lookup import unit_by_code
    from tests.api.test_sync import varied_answers
    from tests.factories import demo_target

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": "replay"}
    )
    with app.app_context():
        device, token = devices.create_device(unit_by_code(UNIT), "Quầy chép", None)
        device.created_at = datetime.now(UTC) - timedelta(days=1)
        answers = varied_answers(parsed(demo_target(UNIT)[0].questionnaire))
        db.session.commit()
        db.engine.dispose()
    return token, answers


def replay_body(answers: dict, count: int, spacing: int) -> bytes:
    """``count`` responses without started_at, ``spacing`` seconds apart, backdated."""
    now = datetime.now(UTC)
    responses = [
        {
            "uuid": str(uuid.uuid4()),
            "unit_code": UNIT,
            "answers": answers,
            "submitted_at": (now - timedelta(seconds=spacing * k)).isoformat(),
            "language": "vi",
        }
        for k in range(count)
    ]
    return json.dumps({"app_version": "replay", "responses": responses}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--spacing", type=int, default=150)
    args = parser.parse_args()
    with running_server() as server:
        token, answers = register_kiosk(server.database)
        body = replay_body(answers, args.count, args.spacing)
        request = urllib.request.Request(  # noqa: S310
            f"{server.base_url}/api/sync",
            data=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request) as answer:  # noqa: S310
            acknowledged = len(json.load(answer)["acknowledged"])
        seconds = time.perf_counter() - started
        with sqlite3.connect(server.database) as connection:
            rows = dict(
                connection.execute(
                    "SELECT status, count(*) FROM responses GROUP BY status"
                ).fetchall()
            )
    print(f"sent {args.count} backdated responses {args.spacing} s apart, no start")
    print(f"acknowledged {acknowledged} in {seconds:.2f} s")
    flagged, counted = rows.get("flagged", 0), rows.get("complete", 0)
    print(f"stored: flagged {flagged}, counted {counted}")


if __name__ == "__main__":
    main()
