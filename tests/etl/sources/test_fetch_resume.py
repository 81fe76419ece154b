"""Resumable and incremental: a fetch killed with SIGKILL resumes to the same bytes; a second
fetch of an unchanged source sends only probes; an updated dataset is fetched again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.etl.sources.fetch_support import DPE, config, data_files, fetch, make_world
from volt.etl.sources.api.ademe import ademe_requests
from volt.etl.sources.api.datafair import IncompleteFetchError
from volt.etl.sources.api.enedis import enedis_requests
from volt.etl.sources.api.plan import PartitionRequest
from volt.etl.sources.replay import ReplayServer, World

REPO = Path(__file__).resolve().parents[3]
PAGE = 100  # Lyon: 1,812 DPE rows → 19 pages
NEW_DATE = "2025-02-01T00:00:00.000Z"
# The fetch a subprocess runs (and the test kills): the same call as the reference fetch.
CHILD = """
import sys
from pathlib import Path
from tests.etl.sources.fetch_support import config, fetch
from volt.etl.sources.api.ademe import ademe_requests
url, root = sys.argv[1], Path(sys.argv[2])
cfg = config(url)
fetch(ademe_requests(cfg, departement="69", page_size=100), cfg, root / "store",
      root / "bronze" / "run")
"""


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def server(world_dir: Path) -> Iterator[ReplayServer]:
    # One server per test: the incremental tests change its world.
    with ReplayServer(World.load(world_dir), port=0) as srv:
        yield srv


def _requests(server: ReplayServer) -> list[PartitionRequest]:
    cfg = config(server.url)
    return [
        *enedis_requests(cfg, year=None, departement="69", page_size=PAGE * 5),
        *ademe_requests(cfg, departement="69", page_size=PAGE),
    ]


def _pages_written(state: Path) -> int:
    try:
        return int(json.loads(state.read_text("utf-8"))["pages"])
    except (OSError, ValueError, KeyError):
        return 0  # not written yet, or caught mid-rename


def test_kill_9_and_resume(server: ReplayServer, tmp_path: Path) -> None:
    cfg = config(server.url)
    requests = ademe_requests(cfg, departement="69", page_size=PAGE)
    reference = fetch(
        requests, cfg, tmp_path / "ref" / "store", tmp_path / "ref" / "bronze" / "run"
    )
    server.latency_s = 0.05  # slow enough to be killed mid-partition
    state = tmp_path / "killed" / "store" / "dpe" / DPE / "dep-69" / "state.json"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, server.url, str(tmp_path / "killed")], cwd=REPO
    )
    try:
        deadline = time.monotonic() + 30
        while _pages_written(state) < 2 and child.poll() is None:
            assert time.monotonic() < deadline, "the child fetch never wrote 2 pages"
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    killed_at = _pages_written(state)
    assert 2 <= killed_at < 19
    assert not (tmp_path / "killed" / "bronze").exists()
    server.latency_s = 0.0
    out = fetch(
        requests, cfg, tmp_path / "killed" / "store", tmp_path / "killed" / "bronze" / "run"
    )
    assert (out.summary.resumed, out.summary.rows) == (1, 1812)
    assert out.summary.rows_fetched == 1812 - killed_at * PAGE
    assert data_files(tmp_path / "killed") == data_files(tmp_path / "ref")
    assert [e.sha256 for e in out.manifest.entries] == [
        e.sha256 for e in reference.manifest.entries
    ]


def test_unchanged_source_makes_only_probe_requests(server: ReplayServer, tmp_path: Path) -> None:
    cfg = config(server.url)
    first = fetch(_requests(server), cfg, tmp_path / "store", tmp_path / "bronze" / "one")
    server.log.clear()
    second = fetch(_requests(server), cfg, tmp_path / "store", tmp_path / "bronze" / "two")
    targets = sorted(e.target.split("?")[0].rsplit("/", 2)[-2:][-1] + (
        "?size=0" if "size=0" in e.target else "") for e in server.log.entries())  # fmt: skip
    # Per dataset: its metadata once, and the partition's count.
    assert targets == [
        "consommation-annuelle-residentielle-par-adresse",
        "dpe03existant",
        "lines?size=0",
        "lines?size=0",
    ]
    assert (second.summary.skipped, second.summary.fetched, second.summary.rows_fetched) == (
        2, 0, 0,
    )  # fmt: skip
    assert second.summary.rows == first.summary.rows == 945 + 1812
    assert data_files(tmp_path / "bronze" / "two") == data_files(tmp_path / "bronze" / "one")


def test_updated_dataset_is_fetched_again(server: ReplayServer, tmp_path: Path) -> None:
    cfg = config(server.url)
    fetch(_requests(server), cfg, tmp_path / "store", tmp_path / "bronze" / "one")
    rows = server.world.rows(DPE)
    server.world.update(DPE, rows=rows[:-12], data_updated_at=NEW_DATE)
    out = fetch(_requests(server), cfg, tmp_path / "store", tmp_path / "bronze" / "two")
    actions = {p.request.pid.source: (p.action, p.state.rows) for p in out.partitions}
    assert actions == {"enedis": ("skipped", 945), "dpe": ("fetched", 1800)}
    vintages = {e.source: e.vintage for e in out.manifest.entries}
    assert vintages == {"enedis": "2025-01-06T03:00:00.000Z", "dpe": NEW_DATE}


def test_update_while_interrupted_restarts_the_partition(
    server: ReplayServer, tmp_path: Path
) -> None:
    # Trap: resuming a cursor over a republished dataset would mix two versions of it.
    cfg = config(server.url)
    requests = ademe_requests(cfg, departement="69", page_size=PAGE)
    server.faults.add(r"/lines\?.*size=100", "empty_page", after=4, times=None)
    with pytest.raises(IncompleteFetchError):
        fetch(requests, cfg, tmp_path / "store", tmp_path / "bronze" / "one")
    server.faults.clear()
    server.world.update(DPE, rows=server.world.rows(DPE)[5:], data_updated_at=NEW_DATE)
    out = fetch(requests, cfg, tmp_path / "store", tmp_path / "bronze" / "two")
    [part] = out.partitions
    assert (part.action, part.state.rows, part.state.pages) == ("fetched", 1807, 19)
    assert out.summary.rows_fetched == 1807
