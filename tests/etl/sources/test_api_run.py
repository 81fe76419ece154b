"""`--source api` end to end on the replay server: the same gold as a files run of the same data,
and the BAN web geocoder placing what the national file missed, as that file would have."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.etl.sources.replay_worlds import make_sample_world
from volt.config import load_settings
from volt.etl.pipeline import ApiRun, FilesRun, run_etl
from volt.etl.reports import RunReport, StageReport
from volt.etl.sources.api.config import ApiConfig
from volt.etl.sources.api.source import ApiSource
from volt.etl.sources.replay import ReplayServer, World
from volt.etl.transforms.duck import DuckConfig
from volt.etl.transforms.to_gold import GEOCODED_FILE
from volt.etl.zones import Zones

DUCK = DuckConfig("512MB", 1)
YEAR, DEP = 2023, "06"


class NullProgress:
    def stage(self, name: str, total: int | None) -> None: ...

    def advance(self, amount: int) -> None: ...

    def done(self, report: StageReport) -> None: ...


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_sample_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def server(world_dir: Path) -> Iterator[ReplayServer]:
    with ReplayServer(World.load(world_dir)) as running:
        yield running


def api_config(data: ReplayServer, geocoder: ReplayServer | None = None) -> ApiConfig:
    settings = load_settings(
        enedis_api_url=data.url,
        ademe_api_url=data.url,
        ban_files_url=data.url,
        ban_api_url=(geocoder or data).url,
        ban_fallback_api_url="",
        http_retries=2,
    )
    return ApiConfig.from_settings(settings)


def api_run(config: ApiConfig, zones: Zones, *, keep_work: bool = False) -> RunReport:
    source = ApiSource(config, zones, YEAR, DEP)
    run = ApiRun(source, zones, DUCK, YEAR, DEP, keep_work=keep_work, stop_after="gold",
                 geocoders=(source.geocoder(),))  # fmt: skip
    return run_etl(run, NullProgress())


def gold_rows(zones: Zones, run_id: str) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect()
    out = {}
    for path in sorted(zones.gold(run_id).glob("*.parquet")):
        out[path.stem] = sorted(
            con.execute(f"SELECT * FROM read_parquet('{path}')").fetchall(), key=repr
        )
    return out


def test_an_api_run_gives_the_gold_of_a_files_run_of_the_same_data(
    server: ReplayServer, world_dir: Path, tmp_path: Path
) -> None:
    files_zones = Zones(tmp_path / "files")
    files = run_etl(
        FilesRun(world_dir, files_zones, DUCK, YEAR, DEP, stop_after="gold"), NullProgress()
    )
    api_zones = Zones(tmp_path / "api")
    api = api_run(api_config(server), api_zones)
    assert (files.status, api.status) == ("succeeded", "succeeded")
    expected, got = gold_rows(files_zones, files.run_id), gold_rows(api_zones, api.run_id)
    assert sorted(got) == sorted(expected) and len(got) == 8
    for table, rows in expected.items():
        assert rows, table
        assert got[table] == rows, table
    assert api.details["fetch"]["partitions"] == {"fetched": 3, "resumed": 0, "skipped": 0}
    # The national file placed every address: the web geocoder had nothing to ask.
    assert api.details["geocoders"]["ban_web"]["rows_pending"] == 0

    again = api_run(api_config(server), api_zones)
    assert again.details["fetch"]["partitions"] == {"fetched": 0, "resumed": 0, "skipped": 3}
    assert gold_rows(api_zones, again.run_id) == got


def test_the_web_geocoder_places_what_the_national_file_missed_as_the_file_would(
    world_dir: Path, tmp_path: Path
) -> None:
    """The BAN file served lacks one address in five; the geocoder (another host) knows them."""
    thin_dir = tmp_path / "thin-world"
    shutil.copytree(world_dir, thin_dir)
    ban_file = thin_dir / "ban" / f"adresses-{DEP}.csv"
    header, *lines = ban_file.read_text(encoding="utf-8").splitlines(keepends=True)
    ban_file.write_text(header + "".join(lines[i] for i in range(len(lines)) if i % 5), "utf-8")

    full_zones, thin_zones = Zones(tmp_path / "full"), Zones(tmp_path / "thin")
    with ReplayServer(World.load(world_dir)) as full, ReplayServer(World.load(thin_dir)) as thin:
        reference = api_run(api_config(full), full_zones, keep_work=True)
        web = api_run(api_config(thin, geocoder=full), thin_zones, keep_work=True)
        assert thin.log.count("/search/csv") == 0  # the geocoder host is the other one
        assert full.log.count("/search/csv") == 1  # one chunk

    report = web.details["geocoders"]["ban_web"]
    placed = {run.run_id: _placed(zones, run.run_id) for run, zones in
              ((reference, full_zones), (web, thin_zones))}  # fmt: skip
    by_web = {a: (m, b) for a, (m, b) in placed[web.run_id].items() if m == "ban_web"}
    # The national file lacked about one address in five; the web geocoder placed them all, at
    # the BAN id the full national file gives them.
    assert report["rows_pending"] == len(by_web) + sum(report["undecided"].values())
    assert report["matched"] == len(by_web) >= 40
    assert {a: b for a, (_, b) in by_web.items()} == {
        a: placed[reference.run_id][a][1] for a in by_web
    }
    assert set(placed[web.run_id]) == set(placed[reference.run_id])


def _placed(zones: Zones, run_id: str) -> dict[str, tuple[str, str]]:
    """Matched addresses → (method, BAN id), from the run's geocoded Enedis."""
    rows = duckdb.sql(
        "SELECT DISTINCT adresse || '|' || code_insee, split_part(geocode_method, ':', 1), ban_id "
        f"FROM read_parquet('{zones.work(run_id) / GEOCODED_FILE}') "
        "WHERE geocode_status = 'matched'"
    ).fetchall()
    return {address: (method, ban_id) for address, method, ban_id in rows}
