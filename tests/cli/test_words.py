"""Help and Click's own words in the language of the application: Vietnamese by
default, English when configured, whole either way."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup

from sipas.cli import words
from sipas.cli.group import sipas_cli
from sipas.cli.stats import stats_command
from sipas.language import catalog
from tests.conftest import make_app

#: Letters only Vietnamese uses among the help's words.
VIETNAMESE_LETTERS = re.compile("[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]")


def every_help(command: click.Command):
    """(where, English help) of ``command``, its options and all under it."""
    words.speak_the_language(command)  # keeps the English of each
    for each in words._commands(command):
        for helped in (each, *words._options(each)):
            english = words._ENGLISH.get(helped)
            if english:
                yield f"{each.name} {getattr(helped, 'opts', '')}", english


@pytest.mark.parametrize("command", [sipas_cli, stats_command], ids=["flask", "stats"])
def test_every_help_text_has_its_vietnamese(app, command):
    with app.app_context():
        untranslated = [
            where
            for where, english in every_help(command)
            if catalog("vi").gettext(inspect.cleandoc(english))
            == inspect.cleandoc(english)
        ]
    assert not untranslated, untranslated


def test_the_help_of_a_command_is_in_vietnamese(runner):
    shown = runner.invoke(args=["sipas", "export", "--help"])
    assert shown.exit_code == 0
    for text in (
        "Cách dùng: sipas sipas export [OPTIONS] WAVE_CODE",  # the runner names it
        "Ghi kết quả của một đợt khảo sát",
        "Tùy chọn:",
        "Tệp sẽ ghi.  [bắt buộc]",
        "[mặc định: csv]",
        "Hiện hướng dẫn này rồi thoát.",
    ):
        assert text in shown.output
    listed = runner.invoke(args=["sipas", "--help"])
    assert "Các lệnh:" in listed.output
    assert "Quản lý tài khoản cán bộ." in listed.output


def test_a_mistyped_command_line_is_told_in_vietnamese(runner):
    missing = runner.invoke(args=["sipas", "export"])
    assert missing.exit_code == 2
    assert "Lỗi: Thiếu đối số 'WAVE_CODE'." in missing.output
    assert "Xem hướng dẫn bằng lệnh 'sipas sipas export --help'." in missing.output
    mistyped = runner.invoke(args=["sipas", "exprt"])
    assert "Không có lệnh 'exprt'. Có phải ý bạn là 'export'" in mistyped.output
    wrong = runner.invoke(
        args=["sipas", "export", "demo", "-o", "x", "--format", "pdf"]
    )
    assert (
        "Giá trị không hợp lệ cho '--format': 'pdf' không phải là một trong"
        in wrong.output
    )


def test_english_when_configured_and_whole_after_vietnamese(runner, tmp_path):
    assert "Tùy chọn:" in runner.invoke(args=["sipas", "report", "--help"]).output
    english_app = make_app(tmp_path / "en.db", BABEL_DEFAULT_LOCALE="en")
    with english_app.app_context():  # as `flask` runs its app's commands
        shown = english_app.test_cli_runner().invoke(args=["sipas", "report", "--help"])
    assert "Usage: sipas sipas report [OPTIONS] WAVE_CODE" in shown.output
    assert "Write the PDF report of a wave" in shown.output
    assert "Show this message and exit." in shown.output
    assert not VIETNAMESE_LETTERS.search(shown.output)
    again = runner.invoke(args=["sipas", "report", "--help"])
    assert "Hiện hướng dẫn này rồi thoát." in again.output


def test_every_click_module_that_translates_is_given_the_catalog():
    found = {
        "click." + path.stem
        for path in Path(click.__file__).parent.glob("*.py")
        if "from gettext import" in path.read_text(encoding="utf-8")
    }
    assert found - {"click._winconsole"} == set(words.CLICK_MODULES)


def test_usage_errors_in_the_language_of_the_app_after_its_context_ends(tmp_path):
    # as `flask` runs: Click prints a usage error once Flask's application
    # context is over, so the language configured in the app must be kept
    english_app = make_app(tmp_path / "en.db", BABEL_DEFAULT_LOCALE="en")
    flask = FlaskGroup(create_app=lambda: english_app)
    missing = CliRunner().invoke(flask, ["sipas", "export"])
    assert "Error: Missing argument 'WAVE_CODE'." in missing.output
    assert not VIETNAMESE_LETTERS.search(missing.output)
