"""A database error that ends a command is said in the user's language."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from sipas.cli.database_errors import cause


def failed(message: str) -> sa.exc.OperationalError:
    """SQLAlchemy's error around the driver's ``message``."""
    return sa.exc.OperationalError("INSERT …", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(
    ("driver_says", "said"),
    [
        ("database or disk is full", "ổ đĩa đã đầy"),
        ("database is locked", "một chương trình khác giữ cơ sở dữ liệu lâu hơn"),
        ("disk I/O error", "không đọc hoặc ghi được ổ đĩa"),
        ("attempt to write a readonly database", "cơ sở dữ liệu không cho phép ghi"),
    ],
)
def test_a_known_cause_is_said_in_vietnamese(app, driver_says, said):
    with app.test_request_context():
        assert cause(failed(driver_says)).startswith(said)


def test_an_unknown_cause_keeps_the_database_words_first_line(app):
    with app.test_request_context():
        assert cause(failed("something odd\nSQL: …")) == "something odd"
