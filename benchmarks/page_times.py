"""Every back-office page an administrator reaches by following links, timed on a
large round: no page may make its reader wait anywhere near a request timeout.

A new administrator (or ``--role analyst --unit QN``, say) logs in and follows each
page's links (GET only, this site, no downloads, no logging out), at most
``--per-shape`` pages of each shape (a path whose numbers and UUIDs are taken as
ids, its query's names without their values). Each page's server time and status
are printed, slowest first. No job worker runs, as when it is busy: a page that
hands its work to a job must answer without waiting for it.

It writes to the database (the account, jobs asked for by pages): run it on a copy.

    cp big.db /tmp/copy.db
    SIPAS_DATABASE_URL=sqlite:////tmp/copy.db .venv/bin/python benchmarks/page_times.py
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._server import app_on, database_given  # noqa: E402
from sipas.extensions import db  # noqa: E402
from sipas.models import Role  # noqa: E402
from sipas.services import accounts  # noqa: E402
from sipas.services.units.lookup import unit_by_code  # noqa: E402

LINK = re.compile(r'href="([^"#]+)')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: Links not followed: files, leaving, language switches and static assets.
SKIPPED = re.compile(
    r"download|\.(csv|xlsx|json|parquet|pdf|png|svg|zip|r|do)$|/auth/logout|/static/"
    r"|/lang/|/jobs/\d+/file"
)


def shape(url: str) -> str:
    """The page's shape: numbers in its path as ids, its query's names only."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/{id}", UUID.sub("{uuid}", parts.path))
    names = sorted({name for name, _value in parse_qsl(parts.query)})
    return path + ("?" + "&".join(names) if names else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="/admin/")
    parser.add_argument("--per-shape", type=int, default=2)
    parser.add_argument("--limit", type=int, default=400, help="pages at most")
    parser.add_argument("--role", default="admin", choices=[r.value for r in Role])
    parser.add_argument("--unit", help="the account's unit scope (a unit code)")
    args = parser.parse_args()
    url = database_given("the copy of a database to crawl")
    with tempfile.TemporaryDirectory(prefix="page-times-") as jobs:
        app = app_on(url, jobs)
        account = (Role(args.role), args.unit)
        timings = crawl(app, account, args.start, args.per_shape, args.limit)
    report(timings)


def crawl(
    app, account: tuple[Role, str | None], start: str, per_shape: int, limit: int
) -> list[tuple[float, int, str]]:
    """(seconds, status, url) of each page visited, breadth first from ``start``,
    by a new account of that role and unit scope."""
    password = secrets.token_urlsafe(12)
    username = f"crawler-{secrets.token_hex(3)}"
    role, unit_code = account
    with app.app_context():
        unit = unit_by_code(unit_code) if unit_code else None
        accounts.create_user(username, password, role, unit=unit)
        db.session.commit()
    client = app.test_client()
    login = client.get("/auth/login").get_data(as_text=True)
    form = {"username": username, "password": password}
    token = CSRF.search(login)
    if token:
        form["csrf_token"] = token.group(1)
    if client.post("/auth/login", data=form).status_code != 302:
        raise SystemExit("could not log in")
    seen, per = {start}, Counter({shape(start): 1})
    queue: deque[str] = deque([start])
    timings = []
    while queue and len(timings) < limit:
        page = queue.popleft()
        began = time.perf_counter()
        response = client.get(page)
        seconds = time.perf_counter() - began
        timings.append((seconds, response.status_code, page))
        print(f"{seconds:7.2f} s  {response.status_code}  {page}", flush=True)
        if "html" not in (response.content_type or ""):
            continue
        for link in LINK.findall(response.get_data(as_text=True)):
            target = urljoin(page, link.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc not in ("", "localhost") or SKIPPED.search(parts.path):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            kind = shape(local)
            if local in seen or per[kind] >= per_shape:
                continue
            seen.add(local)
            per[kind] += 1
            queue.append(local)
    return timings


def report(timings: list[tuple[float, int, str]]) -> None:
    """The slowest pages, and any page that did not answer 200 or a redirect."""
    print(f"\n{len(timings)} pages; the slowest:")
    for seconds, status, page in sorted(timings, reverse=True)[:15]:
        print(f"{seconds:7.2f} s  {status}  {page}")
    failed = [t for t in timings if t[1] >= 400]
    print(f"{len(failed)} answered 4xx/5xx" + (":" if failed else ""))
    for seconds, status, page in failed:
        print(f"{seconds:7.2f} s  {status}  {page}")


if __name__ == "__main__":
    main()
