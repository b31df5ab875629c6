"""Files the app writes are for its owner and group only, whatever the umask
(issue 18 item 13): exports, paper forms, posters, kept uploads, backups."""

from __future__ import annotations

import os
import stat

import pytest

from sipas.extensions import db
from sipas.models import Role
from sipas.services import accounts, uploads
from sipas.services.jobs import files, importing
from tests.conftest import STAFF_PASSWORD
from tests.factories import demo_target, make_response

UNIT = "QN-HALONG-TT"


@pytest.fixture(autouse=True)
def permissive_umask():
    """The umask of a careless shell: without their own modes files come out 0644."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("responses.csv", ["export", "demo"]),
        ("forms.pdf", ["paper", "demo", UNIT, "--count", "2"]),
        ("posters.pdf", ["posters", "--unit", UNIT, "--base-url", "https://x.vn"]),
    ],
)
def test_commands_write_files_for_owner_and_group(
    demo_app, runner, tmp_path, name, arguments
):
    make_response()
    output = tmp_path / name
    output.write_bytes(b"an older file, world-readable")  # replaced, mode too
    result = runner.invoke(args=["sipas", *arguments, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.stat().st_size > 0
    assert mode(output) == 0o640


def test_kept_uploads_are_for_the_app_only(demo_app):
    with demo_app.test_request_context():
        token = uploads.keep(b"unit,name\n")
        [kept] = uploads.uploads_dir().glob(f"*{token}")
    assert mode(kept) == 0o600


def test_a_large_import_kept_for_the_worker_is_for_the_app_only(demo_app):
    """The uploaded file as it came (comments unmasked) waits in the jobs folder."""
    demo_app.config["JOBS_MIN_IMPORT_ROWS"] = 1
    wave = demo_target()[0]
    owner = accounts.create_user("surveyor-1", STAFF_PASSWORD, Role.surveyor)
    job = importing.ask(wave, owner, "big.csv", b"response_uuid,unit\n", "vi")
    assert mode(files.stored_path(job)) == 0o600
    db.session.rollback()


def test_backups_are_for_the_owner_only(app, runner, tmp_path):
    """Already so on main (a temporary file from mkstemp): kept that way."""
    output = tmp_path / "sipas.backup"
    result = runner.invoke(args=["sipas", "backup", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert mode(output) == 0o600
