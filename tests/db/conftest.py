"""Fixtures of the database tests: a wide console for Rich tables printed by `volt db`."""

from __future__ import annotations

import pytest

from volt.cli import common


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # Off a terminal Rich wraps at 80 columns, which would split temp paths across table lines.
    # Patch the private `_width` (None = follow the terminal): patching the `width` property
    # would leave a fixed 80 behind after the test and narrow every later test's output.
    monkeypatch.setattr(common.console, "_width", 400)
    monkeypatch.setattr(common.err_console, "_width", 400)
