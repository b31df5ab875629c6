"""Files kept between an import's check and its decision: a quota per user across
sessions, and an expiry after which the decision imports nothing (issue 18 item 5)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sipas.models import Role
from sipas.services import uploads
from tests.conftest import STAFF_PASSWORD, login
from tests.responses.test_imports import (
    csv_file,
    decide,
    make_row,
    stored_count,
    upload,
)

#: Files one user may keep waiting (uploads.MAX_FILES_PER_USER).
QUOTA = 5


def _kept() -> set[Path]:
    return set(uploads.uploads_dir().glob("upload-*"))


def _half_good(questionnaire) -> bytes:
    """A file of one good row and one bad: checked, then kept for a decision."""
    return csv_file([make_row(questionnaire), make_row(questionnaire, unit="XX")])


def test_one_user_keeps_at_most_the_quota_across_sessions(
    demo_app, login_as, wave, questionnaire
):
    first, second = demo_app.test_client(), demo_app.test_client()
    user = login_as(first, Role.admin)
    login(second, user.username, STAFF_PASSWORD)
    before = _kept()  # the instance folder is shared by tests
    for client in (first, second, first, second, first, second, first):
        assert upload(client, _half_good(questionnaire)).status_code == 400
    assert len(_kept() - before) == QUOTA


def test_a_kept_file_past_its_age_is_not_imported(
    demo_client, login_as, wave, questionnaire
):
    before = _kept()
    login_as(demo_client, Role.admin)
    page = upload(demo_client, _half_good(questionnaire)).get_data(as_text=True)
    (kept,) = _kept() - before
    old = time.time() - uploads.MAX_AGE_SECONDS - 60
    os.utime(kept, (old, old))
    assert decide(demo_client, page, "valid_only").status_code == 302
    assert stored_count(wave) == 0


def test_kept_files_are_readable_by_the_server_only(
    demo_client, login_as, questionnaire
):
    before = _kept()
    login_as(demo_client, Role.admin)
    upload(demo_client, _half_good(questionnaire))
    (kept,) = _kept() - before
    assert kept.stat().st_mode & 0o077 == 0


def test_a_file_discarded_by_another_request_meanwhile_breaks_nothing(demo_app):
    # listed, then gone before it is read: a dangling link is exactly that
    folder = uploads.uploads_dir()
    gone = folder / "upload-9-0123456789abcdef0123456789abcdef"
    gone.symlink_to(folder / "discarded-meanwhile")
    token = uploads.keep(b"a checked file", owner=9)
    assert uploads.load(token) == b"a checked file"
    assert uploads.load("0123456789abcdef0123456789abcdef") is None


def test_the_folder_of_kept_files_is_a_setting(demo_app, tmp_path):
    shared = tmp_path / "shared-uploads"
    demo_app.config["UPLOADS_DIR"] = str(shared)
    token = uploads.keep(b"a checked file", owner=3)
    assert [p.name for p in shared.iterdir()] == [f"upload-3-{token}"]
    demo_app.config["UPLOADS_DIR"] = None
    assert uploads.uploads_dir() == Path(demo_app.instance_path) / "uploads"
