"""The fetch tests' default world (Lyon's sample, fetch_support.make_world) and a replay server
on it for the module; files that need another world or a server per test define their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.etl.sources.fetch_support import make_world
from volt.etl.sources.replay import ReplayServer, World


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_world(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def server(world_dir: Path) -> Iterator[ReplayServer]:
    with ReplayServer(World.load(world_dir), port=0) as srv:
        yield srv
