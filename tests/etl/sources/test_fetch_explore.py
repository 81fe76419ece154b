"""Enedis through Opendatasoft Explore v2.1: whole partitions by `/exports/csv`, kept as received
(BOM and all), their row count checked against `/records?limit=0`'s `total_count`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.etl.sources.fetch_support import (
    ENEDIS,
    config,
    data_files,
    fetch,
    files_run_silver,
    silver_of,
)
from volt.etl.sources.api.datafair import IncompleteFetchError
from volt.etl.sources.api.enedis import enedis_requests
from volt.etl.sources.api.explore import where_clause
from volt.etl.sources.api.fetch import FetchOutcome
from volt.etl.sources.replay import ReplayServer
from volt.etl.textfiles import BOM


@pytest.fixture(autouse=True)
def no_faults(server: ReplayServer) -> Iterator[None]:
    server.faults.clear()
    yield
    server.faults.clear()


def _fetch(server: ReplayServer, root: Path, year: int | None = None) -> FetchOutcome:
    cfg = config(server.url, explore=True)
    requests = enedis_requests(cfg, year=year, departement="69")
    return fetch(requests, cfg, root / "store", root / "bronze" / "run")


def test_where_clause_types_the_year_as_a_date() -> None:
    # Trap: `annee` is a date field in Opendatasoft; annee='2023' matches nothing.
    where = where_clause({"annee": "2023", "code_departement": "2A"}, date_fields={"annee"})
    assert where == ("annee=date'2023' and code_departement='2A'")


def test_explore_export_equals_files_run(
    server: ReplayServer, world_dir: Path, tmp_path: Path
) -> None:
    out = _fetch(server, tmp_path)
    [part] = out.partitions
    assert (part.state.rows, part.state.expected_total, part.state.filters["where"]) == (
        945, 945, "code_departement='69'",
    )  # fmt: skip
    [entry] = out.manifest.entries
    assert (entry.path, entry.format, entry.rows) == (f"enedis/{ENEDIS}--dep-69.csv", "csv", 945)
    exported = (tmp_path / "bronze" / "run" / entry.path).read_bytes()
    assert exported.startswith(BOM)  # kept as received
    assert exported == (part.part.path / "export.csv").read_bytes()
    files: dict[str, Any] = files_run_silver(world_dir, ("enedis",), tmp_path / "files")
    assert (
        silver_of(out.manifest, tmp_path / "bronze" / "run", tmp_path)["enedis"]
        == (files["enedis"])
    )


def test_explore_never_pages_records(server: ReplayServer, tmp_path: Path) -> None:
    # Trap: /records stops at offset + limit = 10,000; it is only asked for its count.
    server.log.clear()
    _fetch(server, tmp_path, year=2023)
    records = [e.target for e in server.log.entries() if "/records" in e.target]
    assert len(records) == 1 and "limit=0" in records[0]


def test_explore_export_row_count_differs_from_total_count(
    server: ReplayServer, tmp_path: Path
) -> None:
    server.faults.add(r"/records\?", "status", status=200, times=None,
                      body={"total_count": 900, "results": []})  # fmt: skip
    with pytest.raises(IncompleteFetchError, match="the export has 945 rows, /records says 900"):
        _fetch(server, tmp_path)


def test_explore_truncated_export_is_fetched_again(server: ReplayServer, tmp_path: Path) -> None:
    reference = _fetch(server, tmp_path / "ref")
    rule = server.faults.add(r"/exports/csv", "truncate", fraction=0.4)
    out = _fetch(server, tmp_path / "cut")
    assert (rule.fired, out.summary.http["retries"]) == (1, 1)
    assert data_files(tmp_path / "cut") == data_files(tmp_path / "ref")
    assert out.manifest.entries[0].sha256 == reference.manifest.entries[0].sha256


def test_explore_unchanged_partition_is_skipped(server: ReplayServer, tmp_path: Path) -> None:
    _fetch(server, tmp_path)
    server.log.clear()
    out = _fetch(server, tmp_path)
    assert (out.summary.skipped, out.summary.rows) == (1, 945)
    paths = sorted(e.target.split("?")[0].rsplit("/", 1)[1] for e in server.log.entries())
    assert paths == [ENEDIS, "records"]
