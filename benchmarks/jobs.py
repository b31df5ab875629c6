"""What the web path costs when a round's download is made by the job worker, and
how long the worker takes, on a database that already holds a round (e.g. after
`flask sipas demo --responses 100000`):

- the requests an analyst makes: the download link (the page offering the job: one
  COUNT), asking for the job (one INSERT, one enqueue), the job's page and its
  progress JSON: none waits for the file;
- the worker's run of the job (the service writing the file, progress recorded),
  in this process, and the file's size.

Run: SIPAS_DATABASE_URL=sqlite:////path/sipas.db .venv/bin/python
     benchmarks/jobs.py [--wave demo] [--format xlsx|csv|parquet|json]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SIPAS_SECRET_KEY", "benchmark-" + "x" * 40)
os.environ["SIPAS_JOBS_MIN_RESPONSES"] = "1"
os.environ["SIPAS_RATE_LIMIT_ENABLED"] = "false"

from sipas import create_app  # noqa: E402

PASSWORD = "benchmark-password-1"  # noqa: S105  (a throwaway account)
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def timed(client, method: str, url: str, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    answer = getattr(client, method)(url, **kwargs)
    return time.perf_counter() - started, answer


def logged_in(app):
    from sipas.extensions import db
    from sipas.models import Role
    from sipas.services import accounts

    name = f"bench-{time.monotonic_ns()}"
    with app.app_context():
        accounts.create_user(name, PASSWORD, Role.analyst)
        db.session.commit()
    client = app.test_client()
    token = CSRF.search(client.get("/auth/login").get_data(as_text=True))[1]
    data = {"csrf_token": token, "username": name, "password": PASSWORD}
    if client.post("/auth/login", data=data).status_code != 302:
        raise SystemExit("login failed")
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wave", default="demo")
    parser.add_argument("--format", default="xlsx")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sipas-jobs-"))
    os.environ["SIPAS_JOBS_QUEUE_URL"] = f"sqlite:///{folder / 'queue.sqlite3'}"
    os.environ["SIPAS_JOBS_DIR"] = str(folder / "jobs")
    app = create_app()
    client = logged_in(app)
    base = f"/admin/results/{options.wave}"
    seconds, offer = timed(client, "get", f"{base}/download.{options.format}")
    print(f"download link (offer page)  {seconds * 1000:7.1f} ms  {offer.status_code}")
    token = CSRF.search(offer.get_data(as_text=True))[1]
    data = {"csrf_token": token, "what": options.format}
    seconds, asked = timed(client, "post", f"{base}/job", data=data)
    job_page = asked.headers["Location"]
    print(f"ask for the job             {seconds * 1000:7.1f} ms  {asked.status_code}")
    seconds, page = timed(client, "get", job_page)
    print(f"job page                    {seconds * 1000:7.1f} ms  {page.status_code}")
    seconds, _state = timed(client, "get", f"{job_page}/progress")
    print(f"progress JSON               {seconds * 1000:7.1f} ms")
    job_id = int(job_page.rsplit("/", 1)[1])
    with app.app_context():
        from sipas.extensions import db
        from sipas.services.jobs import files, runner
        from sipas.services.jobs.lookup import Job

        started = time.perf_counter()
        runner.run(job_id)  # what the worker does with it
        seconds = time.perf_counter() - started
        job = db.session.get(Job, job_id)
        size = files.stored_path(job).stat().st_size
        print(
            f"worker: job {job.status} in {seconds:6.1f} s, "
            f"{job.done} / {job.total} responses, {size / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
