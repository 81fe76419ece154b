"""BAN national files by conditional GET: fetched once, then a 304 keeps the stored file; a new
file (new ETag) is fetched again; the bronze copy reads to the same silver as a files run."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.etl.sources.fetch_support import (
    config,
    data_files,
    fetch,
    files_run_silver,
    sha256,
    silver_of,
)
from volt.etl.sources.api.ban_files import ban_file_requests, http_date_iso
from volt.etl.sources.api.fetch import FetchOutcome
from volt.etl.sources.replay import ReplayServer, World

BAN_ROWS = 1100  # addresses of the Lyon sample


@pytest.fixture
def server(world_dir: Path) -> Iterator[ReplayServer]:
    with ReplayServer(World.load(world_dir), port=0) as srv:
        yield srv


def _fetch(server: ReplayServer, root: Path, run: str = "run") -> FetchOutcome:
    cfg = config(server.url)
    return fetch(
        ban_file_requests(cfg, departement="69"), cfg, root / "store", root / "bronze" / run
    )


def test_ban_file_fetch_equals_files_run(
    server: ReplayServer, world_dir: Path, tmp_path: Path
) -> None:
    out = _fetch(server, tmp_path)
    [entry] = out.manifest.entries
    assert (entry.path, entry.format, entry.rows) == ("ban/adresses-69.csv.gz", "csv", BAN_ROWS)
    assert entry.vintage == "2025-01-06T03:00:00+00:00"  # Last-Modified, as ISO 8601
    bronze_file = tmp_path / "bronze" / "run" / entry.path
    assert (
        gzip.decompress(bronze_file.read_bytes())
        == (world_dir / "ban" / "adresses-69.csv").read_bytes()
    )
    assert entry.sha256 == sha256(bronze_file)
    files = files_run_silver(world_dir, ("ban",), tmp_path / "files")
    assert silver_of(out.manifest, tmp_path / "bronze" / "run", tmp_path)["ban"] == files["ban"]


def test_unchanged_ban_file_answers_304(server: ReplayServer, tmp_path: Path) -> None:
    first = _fetch(server, tmp_path, "one")
    server.log.clear()
    second = _fetch(server, tmp_path, "two")
    assert [e.status for e in server.log.entries()] == [304]
    assert (second.summary.skipped, second.summary.rows, second.summary.rows_fetched) == (
        1, BAN_ROWS, 0,
    )  # fmt: skip
    assert second.manifest.entries[0].sha256 == first.manifest.entries[0].sha256


def test_new_ban_file_is_fetched_again(
    server: ReplayServer, world_dir: Path, tmp_path: Path
) -> None:
    first = _fetch(server, tmp_path, "one")
    text = (world_dir / "ban" / "adresses-69.csv").read_bytes()
    shorter = b"".join(text.splitlines(keepends=True)[:-10])
    server.world.update_ban("69", csv_bytes=shorter, last_modified=None)
    second = _fetch(server, tmp_path, "two")
    [part] = second.partitions
    assert (part.action, part.state.rows) == ("fetched", BAN_ROWS - 10)
    assert part.state.probe["etag"] != first.partitions[0].state.probe["etag"]


def test_truncated_ban_download_is_retried(server: ReplayServer, tmp_path: Path) -> None:
    reference = _fetch(server, tmp_path / "ref")
    rule = server.faults.add(r"adresses-69\.csv\.gz", "truncate", fraction=0.5)
    out = _fetch(server, tmp_path / "cut")
    assert (rule.fired, out.summary.http["retries"]) == (1, 1)
    assert data_files(tmp_path / "cut") == data_files(tmp_path / "ref")
    assert out.manifest.entries[0].sha256 == reference.manifest.entries[0].sha256


def test_a_200_that_is_not_the_gzip_is_retried_not_stored(
    server: ReplayServer, tmp_path: Path
) -> None:
    """Trap: a maintenance page served with 200 instead of the file."""
    reference = _fetch(server, tmp_path / "ref")
    rule = server.faults.add(
        r"adresses-69\.csv\.gz", "status", status=200, body={"message": "maintenance"}
    )
    out = _fetch(server, tmp_path / "page")
    assert (rule.fired, out.summary.http["by_reason"]) == (1, {"payload": 1})
    assert out.manifest.entries[0].sha256 == reference.manifest.entries[0].sha256
    assert out.manifest.entries[0].rows == BAN_ROWS


def test_last_modified_as_iso() -> None:
    assert http_date_iso("Mon, 06 Jan 2025 03:00:00 GMT") == "2025-01-06T03:00:00+00:00"
    assert http_date_iso(None) == ""
