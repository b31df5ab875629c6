"""`sipas-stats` stopped with Ctrl+C while Python still loads it says so, as the
command does, and exits with 130: no traceback."""

from __future__ import annotations

import sys

import pytest

from sipas.cli import launch
from sipas.cli.stopping import INTERRUPTED


class CtrlCWhileLoading:
    """An import finder that is interrupted as it looks for the command."""

    def find_spec(self, name, path=None, target=None):
        if name == "sipas.cli.stats":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_while_the_command_loads(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "sipas.cli.stats", raising=False)
    monkeypatch.setattr(sys, "meta_path", [CtrlCWhileLoading(), *sys.meta_path])
    with pytest.raises(SystemExit) as stopped:
        launch.stats()
    assert stopped.value.code == INTERRUPTED
    assert capsys.readouterr().err == "\nĐã dừng (Ctrl+C).\n"
