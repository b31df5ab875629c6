"""Loading official units through the admin page: seconds per province, and the
whole country.

Creates a fresh SQLite database with the demo, logs in as an administrator and, for
every province of the list of 1/7/2025, posts the confirmation of
/admin/units/official (with the units before 1/7/2025 with ``--with-history``),
timing each request. Then loads the whole list once more to show it changes nothing.

Run: .venv/bin/python benchmarks/official_units.py [--with-history] [--province 22]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_reporting import app_for  # noqa: E402
from sipas.extensions import db  # noqa: E402
from sipas.models import Unit  # noqa: E402
from sipas.services import demo, questionnaires  # noqa: E402
from sipas.services.units.official_data import official_provinces  # noqa: E402

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PASSWORD = "bench-password-1"  # noqa: S105 (a throwaway database)


def _client(app):
    with app.app_context():
        db.create_all()
        questionnaires.sync(questionnaires.questionnaire_files(ROOT / "questionnaires"))
        demo.ensure_demo(PASSWORD)
        db.session.commit()
    client = app.test_client()
    token = TOKEN.search(client.get("/auth/login").get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "username": "admin", "password": PASSWORD}
    if client.post("/auth/login", data=data).status_code != 302:
        raise SystemExit("could not log in")
    return client


def _load(client, province: str, with_history: bool) -> float:
    page = client.get("/admin/units/official").get_data(as_text=True)
    data = {
        "csrf_token": TOKEN.search(page).group(1),
        "province": province,
        "action": "confirm",
    }
    if with_history:
        data["with_history"] = "y"
    started = time.perf_counter()
    response = client.post("/admin/units/official", data=data)
    elapsed = time.perf_counter() - started
    if response.status_code != 302:
        raise SystemExit(f"province {province}: {response.status_code}")
    return elapsed


def _counts(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Unit.official_era, Unit.level, sa.func.count())
            .where(Unit.official_era.is_not(None))
            .group_by(Unit.official_era, Unit.level)
        )
        return {f"{era.value} {level.value}": n for era, level, n in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-history", action="store_true")
    parser.add_argument("--province", action="append")
    args = parser.parse_args()
    provinces = args.province or [code for code, _name in official_provinces()]
    with tempfile.TemporaryDirectory() as tmp:
        app = app_for(f"sqlite:///{tmp}/bench.db")
        client = _client(app)
        times = {code: _load(client, code, args.with_history) for code in provinces}
        again = sum(_load(client, code, args.with_history) for code in provinces)
        for code, seconds in sorted(times.items(), key=lambda item: -item[1])[:5]:
            print(f"province {code}: {seconds:.3f} s")
        print(
            f"{len(times)} provinces: {sum(times.values()):.2f} s in all, "
            f"slowest {max(times.values()):.3f} s; again (nothing to change) "
            f"{again:.2f} s"
        )
        for group, n in sorted(_counts(app).items()):
            print(f"{group}: {n}")


if __name__ == "__main__":
    main()
