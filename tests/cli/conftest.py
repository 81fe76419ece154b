"""CLI tests read Rich output: wide, whatever the terminal or the xdist temp paths."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _wide(wide_console: None) -> None:
    return None
