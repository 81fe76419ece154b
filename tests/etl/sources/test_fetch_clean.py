"""A clean fetch from the replay server: every row of the world, counts equal to `total`, and
silver identical to a files run of the same world — for both Enedis APIs and both DPE datasets."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tests.etl.sources.fetch_support import (
    DPE,
    DPE_LEGACY,
    ENEDIS,
    config,
    data_files,
    fetch,
    files_run_silver,
    silver_of,
)
from volt.etl.sources.api.ademe import ademe_requests
from volt.etl.sources.api.enedis import enedis_requests
from volt.etl.sources.api.partitions import PartitionStore
from volt.etl.sources.replay import ReplayServer

ENEDIS_ROWS = {2022: 473, 2023: 472}  # Lyon's sample, per year
DPE_ROWS = 1812


@pytest.fixture(scope="module")
def files_silver(world_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return files_run_silver(world_dir, ("enedis", "dpe"), tmp_path_factory.mktemp("files"))


def test_world_row_counts(server: ReplayServer) -> None:
    # The constants below are this world's: a changed sample generator must update them.
    assert len(server.world.rows(ENEDIS)) == sum(ENEDIS_ROWS.values())
    assert len(server.world.rows(DPE)) == DPE_ROWS


def test_enedis_data_fair_fetch_equals_files_run(
    server: ReplayServer, tmp_path: Path, files_silver: dict[str, Any]
) -> None:
    cfg = config(server.url)
    requests = enedis_requests(cfg, year=None, departement="69", page_size=100)
    out = fetch(requests, cfg, tmp_path / "store", tmp_path / "bronze" / "run")
    [part] = out.partitions
    assert (part.state.rows, part.state.expected_total) == (945, 945)
    assert part.state.pages == math.ceil(945 / 100)
    assert [(e.path, e.rows, e.format) for e in out.manifest.entries] == [
        (f"enedis/{ENEDIS}--dep-69.jsonl", 945, "jsonl")
    ]
    assert out.manifest.entries[0].vintage == "2025-01-06T03:00:00.000Z"
    assert (out.summary.fetched, out.summary.skipped, out.summary.rows) == (1, 0, 945)
    assert out.report.rows_in == out.report.rows_out == 945
    silver = silver_of(out.manifest, tmp_path / "bronze" / "run", tmp_path)
    assert silver["enedis"] == files_silver["enedis"]


def test_enedis_partition_per_year(server: ReplayServer, tmp_path: Path) -> None:
    cfg = config(server.url)
    requests = [
        *enedis_requests(cfg, year=2022, departement="69", page_size=200),
        *enedis_requests(cfg, year=2023, departement="69", page_size=200),
    ]
    out = fetch(requests, cfg, tmp_path / "store", tmp_path / "bronze" / "run")
    assert [(p.request.pid.key, p.state.rows, p.state.pages) for p in out.partitions] == [
        ("annee-2022_dep-69", 473, 3),
        ("annee-2023_dep-69", 472, 3),
    ]
    assert out.partitions[0].state.filters == {"annee_eq": "2022", "code_departement_eq": "69"}


def test_enedis_select_uses_the_data_fair_spelling(server: ReplayServer, tmp_path: Path) -> None:
    # Trap: data-fair writes `..._de_ladresse_mwh`; asking for the ODS spelling is a 400.
    cfg = config(server.url)
    out = fetch(enedis_requests(cfg, year=2023, departement="69", page_size=500), cfg,
                tmp_path / "store", tmp_path / "bronze" / "run")  # fmt: skip
    select = out.partitions[0].state.select
    assert "consommation_annuelle_totale_de_ladresse_mwh" in select
    assert "consommation_annuelle_totale_de_l_adresse_mwh" not in select
    assert len(select) == 19


@pytest.mark.parametrize("legacy", [False, True], ids=["dpe03existant", "legacy-dataset"])
def test_dpe_fetch_equals_files_run(
    server: ReplayServer, tmp_path: Path, files_silver: dict[str, Any], legacy: bool
) -> None:
    cfg = config(server.url, legacy=legacy)
    out = fetch(ademe_requests(cfg, departement="69", page_size=250), cfg,
                tmp_path / "store", tmp_path / "bronze" / "run")  # fmt: skip
    [part] = out.partitions
    dataset = DPE_LEGACY if legacy else DPE
    assert (part.request.pid.dataset, part.state.rows, part.state.pages) == (dataset, 1812, 8)
    # The legacy dataset is asked for its label-style keys (the registry's first alias).
    assert part.state.select[0] == ("N°DPE" if legacy else "numero_dpe")
    assert list(part.state.filters) == [
        "N°_département_(BAN)_eq" if legacy else "code_departement_ban_eq"
    ]
    silver = silver_of(out.manifest, tmp_path / "bronze" / "run", tmp_path)
    assert silver["dpe"] == files_silver["dpe"]


def test_dpe_refresh_by_ban_id_chunks(server: ReplayServer, tmp_path: Path) -> None:
    ids = sorted({r["identifiant_ban"] for r in server.world.rows(DPE) if r.get("identifiant_ban")})
    wanted = ids[:150]
    expected = sum(1 for r in server.world.rows(DPE) if r.get("identifiant_ban") in set(wanted))
    cfg = config(server.url)
    requests = ademe_requests(cfg, ban_ids=list(reversed(wanted)), page_size=100)
    assert [len(r.state.filters["identifiant_ban_in"].split(",")) for r in requests] == [100, 50]
    out = fetch(requests, cfg, tmp_path / "store", tmp_path / "bronze" / "run")
    assert sum(p.state.rows for p in out.partitions) == expected
    # The same ids in another order are the same partitions: nothing is fetched again.
    again = fetch(ademe_requests(cfg, ban_ids=wanted, page_size=100), cfg,
                  tmp_path / "store", tmp_path / "bronze" / "run2")  # fmt: skip
    assert (again.summary.skipped, again.summary.rows_fetched) == (2, 0)


def test_api_key_goes_only_to_ademe(server: ReplayServer, tmp_path: Path) -> None:
    cfg = config(server.url)
    keyed = type(cfg)(**{**cfg.__dict__, "ademe_api_key": "secret-key"})
    [dpe] = ademe_requests(keyed, departement="69")
    [enedis] = enedis_requests(keyed, year=2023, departement="69")
    assert (dpe.headers, enedis.headers) == ({"x-apiKey": "secret-key"}, {})


def test_store_files_are_deterministic(server: ReplayServer, tmp_path: Path) -> None:
    cfg = config(server.url)
    requests = ademe_requests(cfg, departement="69", page_size=400)
    fetch(requests, cfg, tmp_path / "a", tmp_path / "bronze" / "a")
    fetch(requests, cfg, tmp_path / "b", tmp_path / "bronze" / "b")
    assert data_files(tmp_path / "a") == data_files(tmp_path / "b")
    assert data_files(tmp_path / "bronze" / "a") == data_files(tmp_path / "bronze" / "b")
    state = PartitionStore(tmp_path / "a").partition(requests[0].pid).load()
    assert state is not None and state.complete and state.rows == DPE_ROWS


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int | None]] = []

    def partition(self, label: str, rows: int, expected: int | None) -> None:
        self.calls.append((label, rows, expected))


def test_progress_per_page(server: ReplayServer, tmp_path: Path) -> None:
    cfg = config(server.url)
    requests = enedis_requests(cfg, year=2023, departement="69", page_size=200)
    recorder = Recorder()
    fetch(requests, cfg, tmp_path / "store", tmp_path / "bronze" / "one", progress=recorder)
    label = f"enedis/{ENEDIS}/annee-2023_dep-69"
    assert recorder.calls == [(label, 0, 472), (label, 200, 472), (label, 400, 472),
                              (label, 472, 472)]  # fmt: skip
    again = Recorder()
    fetch(requests, cfg, tmp_path / "store", tmp_path / "bronze" / "two", progress=again)
    assert again.calls == [(label, 472, 472)]  # skipped: reported once, complete


def test_national_scope_is_one_partition_per_departement() -> None:
    cfg = config("http://127.0.0.1:9")
    requests = enedis_requests(cfg, year=2023, departement=None)
    keys = [r.pid.key for r in requests]
    assert len(keys) == 101
    assert keys[:2] == ["annee-2023_dep-01", "annee-2023_dep-02"]
    assert {"annee-2023_dep-2A", "annee-2023_dep-2B", "annee-2023_dep-976"} <= set(keys)
    explore = enedis_requests(config("http://127.0.0.1:9", explore=True), year=None,
                              departement="2A")  # fmt: skip
    assert explore[0].state.filters == {"where": "code_departement='2A'", "delimiter": ";"}
