"""The gold load: COPY into staging, swap in one transaction, idempotence, crashes and sweeps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.etl.test_quality import gates_of, good_gold, write_gold
from volt.config import Settings
from volt.db import migrate
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.errors import UsageError
from volt.etl import load
from volt.etl.load import (
    LOAD_LOCK_KEY,
    LoadBlockedError,
    LoadReport,
    current_data_version,
    data_version_of,
    load_gold,
    previous_load,
)
from volt.etl.manifest import ManifestEntry

CHECKSUM_SQL = """
SELECT count(*), md5(coalesce(string_agg(r, '|' ORDER BY r), ''))
FROM (SELECT (to_jsonb(t) - 'id')::text AS r FROM {table} t) s
"""
RUN_SQL = "SELECT status, data_version, error, quality -> 'passed' FROM etl_runs WHERE id = %s"
INDEXES_SQL = "SELECT indexname FROM pg_indexes WHERE schemaname = 'volt' AND tablename = %s"
GOLD = (
    "communes",
    "buildings",
    "areas",
    "dpe_vs_metered",
    "area_cuts",
    "ban_addresses",
)
NICE = {"code_insee": "06088", "nom": "Nice", "code_departement": "06", "lon": 7.26, "lat": 43.7}
MANIFEST = {"run_id": "r", "origin": "files", "entries": [{"source": "enedis", "sha256": "ab"}]}


@pytest.fixture
def settings(empty_db_settings: Settings) -> Settings:
    """A database of this test's own: loads change what every session would see."""
    migrate.upgrade(empty_db_settings)
    return empty_db_settings


Loader = Callable[..., LoadReport]


@pytest.fixture
def load_dir(settings: Settings, tmp_path: Path) -> Loader:
    def run(
        gold: dict[str, list[dict[str, Any]]], version: str, run_id: str, **kw: Any
    ) -> LoadReport:
        gold_dir = write_gold(tmp_path / run_id, gold)
        gates = gates_of(gold_dir, previous_load(settings))
        return load_gold(settings, gold_dir, run_id, MANIFEST, version, gates, **kw)

    return run


def checksums(settings: Settings, role: DbRole = DbRole.WRITER) -> dict[str, tuple[int, str]]:
    tables = GOLD if role is DbRole.WRITER else GOLD[:5]  # the reader sees serving tables only
    with connect(settings, role) as conn:
        return {t: _checksum(conn, t) for t in tables}


def _checksum(conn: psycopg.Connection[Any], table: str) -> tuple[int, str]:
    row = conn.execute(CHECKSUM_SQL.format(table=table)).fetchone()
    assert row is not None
    return row[0], row[1]


def run_row(settings: Settings, run_id: str) -> tuple[Any, ...] | None:
    with connect(settings, DbRole.WRITER) as conn:
        return conn.execute(RUN_SQL, (run_id,)).fetchone()


def test_load_then_reload_the_same_version_is_skipped(settings: Settings, load_dir: Loader) -> None:
    first = load_dir(good_gold(), "v1", "run-1")
    assert (first.skipped, first.tables) == (
        False,
        {
            "communes": 2,
            "buildings": 3,
            "areas": 2,
            "dpe_vs_metered": 1,
            "area_cuts": 2,
            "ban_addresses": 3,
        },
    )
    before = checksums(settings)
    second = load_dir(good_gold(), "v1", "run-2")
    assert (second.skipped, second.tables) == (True, {})
    assert checksums(settings) == before
    assert run_row(settings, "run-1") == ("succeeded", "v1", None, True)
    assert run_row(settings, "run-2") == ("succeeded", "v1", None, True)
    assert current_data_version(settings) == "v1"
    current = previous_load(settings)
    assert current is not None and current.partition_counts["enedis_consumption"] == {
        "2022|06": 2,
        "2023|06": 2,
    }


def test_a_new_version_replaces_the_data(settings: Settings, load_dir: Loader) -> None:
    load_dir(good_gold(), "v1", "run-1")
    indexes = {t: _index_names(settings, t) for t in GOLD}
    gold = good_gold()
    gold["communes"][0]["nom"] = "Cannes-la-Bocca"
    gold["buildings"].append(gold["buildings"][0] | {"ban_id": "06029_0100_00016"})
    report = load_dir(gold, "v2", "run-2")
    assert (report.skipped, report.tables["buildings"], report.tables["communes"]) == (False, 4, 2)
    with connect(settings, DbRole.READER) as reader:
        names = reader.execute("SELECT nom FROM communes ORDER BY 1").fetchall()
        versions = reader.execute("SELECT data_version, is_current FROM data_loads ORDER BY 1")
        assert (names, versions.fetchall()) == (
            [("Cannes-la-Bocca",), ("Saint-Denis",)],
            [("v1", False), ("v2", True)],
        )
        assert _checksum(reader, "buildings")[0] == 4
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("SELECT 1 FROM ban_addresses")
    # Same index names after the swap, and no staging or old table left behind.
    assert {t: _index_names(settings, t) for t in GOLD} == indexes
    assert "areas_name_trgm_idx" in indexes["areas"]
    with connect(settings, DbRole.WRITER) as conn:
        leftovers = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%\\_\\_%'"
        ).fetchone()
        assert leftovers == (0,)


def test_values_survive_the_binary_copy(settings: Settings, load_dir: Loader) -> None:
    gold = good_gold()
    gold["buildings"][0] |= {"metered_kwh_per_dwelling": 0.1 + 0.2, "nom_voie": "", "numero": None}
    gold["buildings"][1] |= {"nom_voie": 'Allée "des" Pins,\nbis', "geocode_score": 1e-300}
    load_dir(gold, "v1", "run-1")
    with connect(settings, DbRole.WRITER) as conn:
        rows = conn.execute(
            "SELECT metered_kwh_per_dwelling, nom_voie, numero, geocode_score, is_electric_heating "
            "FROM buildings WHERE annee = 2022 ORDER BY ban_id"
        ).fetchall()
    assert rows == [
        (0.30000000000000004, "", None, None, True),
        (None, 'Allée "des" Pins,\nbis', None, 1e-300, True),
    ]


def test_area_cuts_are_published_to_the_reader(settings: Settings, load_dir: Loader) -> None:
    load_dir(good_gold(), "v1", "run-1")
    with connect(settings, DbRole.READER) as reader:
        got = reader.execute(
            "SELECT level, code, annee, dimension, value, n_dpe, n_label_d, n_label_a, n_ep, "
            "ep_p05, ep_p50, ep_p95, n_ef FROM area_cuts ORDER BY level"
        ).fetchall()
    assert got == [
        ("commune", "06029", 2022, "all", "all", 2, 1, None, 2, 121.5, None, 245.25, None),
        ("france", "FR", 2022, "etiquette_dpe", "D", 1, 1, None, 0, None, None, None, None),
    ]
    assert "area_cuts_pkey" in _index_names(settings, "area_cuts")


@pytest.mark.parametrize("streams", [1, 3])
def test_any_number_of_streams_loads_every_row(
    settings: Settings, tmp_path: Path, streams: int
) -> None:
    gold = good_gold()
    gold["ban_addresses"] = [
        {"id": f"06029_0100_{i:05d}", "code_insee": "06029", "lon": 7.0, "lat": 43.5}
        for i in range(1000)
    ]
    gold_dir = write_gold(tmp_path, gold)
    custom = settings.model_copy(update={"load_streams": streams})
    report = load_gold(custom, gold_dir, "run-s", MANIFEST, "v1", gates_of(gold_dir))
    assert (report.streams, report.tables["ban_addresses"]) == (streams, 1000)
    assert checksums(settings)["ban_addresses"][0] == 1000


def test_a_reader_sees_old_or_new_rows_never_a_mix(settings: Settings, load_dir: Loader) -> None:
    load_dir(good_gold(), "v1", "run-1")
    old = checksums(settings, DbRole.READER)
    gold = good_gold()
    gold["communes"].append(NICE)
    gold["buildings"].append(gold["buildings"][0] | {"ban_id": "06029_0100_00016"})
    done: list[LoadReport] = []
    with connect(settings, DbRole.READER) as reader:
        seen_before = {t: _checksum(reader, t) for t in ("communes", "buildings")}
        loader = threading.Thread(target=lambda: done.append(load_dir(gold, "v2", "run-2")))
        loader.start()
        time.sleep(2.0)  # the swap now waits for this transaction's locks, retrying
        seen_during = {t: _checksum(reader, t) for t in ("communes", "buildings", "areas")}
        assert not done
        reader.commit()
        loader.join(timeout=60)
        seen_after = {t: _checksum(reader, t) for t in ("communes", "buildings")}
    assert seen_before == {t: old[t] for t in ("communes", "buildings")}
    assert seen_during == {t: old[t] for t in ("communes", "buildings", "areas")}
    assert (seen_after["communes"][0], seen_after["buildings"][0]) == (3, 4)
    assert done and not done[0].skipped


def test_a_row_breaking_a_constraint_fails_the_run_and_keeps_the_old_data(
    settings: Settings, load_dir: Loader
) -> None:
    load_dir(good_gold(), "v1", "run-1")
    before = checksums(settings)
    gold = good_gold()
    gold["communes"][0]["code_insee"] = "6029"  # went through a number and lost its zero
    with pytest.raises(psycopg.errors.CheckViolation):
        load_dir(gold, "v2", "run-2")
    assert checksums(settings) == before
    status, version, error, _ = run_row(settings, "run-2") or ()
    assert (status, version, current_data_version(settings)) == ("failed", "v2", "v1")
    assert error.startswith('CheckViolation: new row for relation "communes__staging"')


def test_a_duplicate_key_fails_at_publish_and_keeps_the_old_data(
    settings: Settings, load_dir: Loader
) -> None:
    load_dir(good_gold(), "v1", "run-1")
    before = checksums(settings)
    gold = good_gold()
    gold["buildings"].append(gold["buildings"][0])
    with pytest.raises(psycopg.errors.UniqueViolation):
        load_dir(gold, "v2", "run-2")
    assert checksums(settings) == before
    assert (run_row(settings, "run-2") or ())[0] == "failed"


def test_a_crash_between_copy_and_publish_keeps_the_old_data(
    settings: Settings, load_dir: Loader, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_dir(good_gold(), "v1", "run-1")
    before = checksums(settings)

    def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(load, "_publish", crash)
    gold = good_gold()
    gold["communes"].append(NICE)
    with pytest.raises(RuntimeError):
        load_dir(gold, "v2", "run-2")
    assert checksums(settings) == before
    assert run_row(settings, "run-2") == ("failed", "v2", "RuntimeError: power cut", True)
    monkeypatch.undo()
    assert load_dir(gold, "v2", "run-3").tables["communes"] == 3  # leftovers do not get in the way


def test_a_stale_running_load_is_swept_by_the_next_load(
    settings: Settings, load_dir: Loader
) -> None:
    with connect(settings, DbRole.WRITER) as conn:
        conn.execute(
            "INSERT INTO etl_runs (id, source, status, data_version) VALUES "
            "('killed', 'load', 'running', 'v0'), ('silver-only', 'files', 'running', NULL)"
        )
    load_dir(good_gold(), "v1", "run-1")
    killed = run_row(settings, "killed")
    assert killed is not None and killed[:2] == ("failed", "v0")
    assert killed[2] == "The load stopped without finishing (process killed?); swept by run run-1"
    assert (run_row(settings, "silver-only") or ())[0] == "running"  # not a load: not ours


def test_a_live_load_is_not_swept(settings: Settings, load_dir: Loader) -> None:
    with connect(settings, DbRole.WRITER, autocommit=True) as live:
        live.execute(
            "INSERT INTO etl_runs (id, source, status, data_version) "
            "VALUES ('live', 'load', 'running', 'v0')"
        )
        live.execute("SELECT pg_advisory_lock(%s)", (LOAD_LOCK_KEY,))
        with pytest.raises(UsageError) as caught:
            load_dir(good_gold(), "v1", "run-1")
        assert caught.value.message == "Another gold load is running on this database."
        assert (run_row(settings, "live") or ())[0] == "running"


def test_failed_gates_block_the_load_and_record_the_report(
    settings: Settings, load_dir: Loader
) -> None:
    load_dir(good_gold(), "v1", "run-1")
    before = checksums(settings)
    gold = good_gold()
    gold["buildings"][0] |= {"lon": 43.55, "lat": 7.0}
    with pytest.raises(LoadBlockedError):
        load_dir(gold, "v2", "run-2")
    assert checksums(settings) == before
    status, version, error, passed = run_row(settings, "run-2") or ()
    assert (status, version, passed) == ("blocked", "v2", False)
    assert "FAIL coordinates_buildings: 0.333333 (threshold 1e-05)" in error


def test_data_version_depends_on_file_hashes_and_code_version_only() -> None:
    def entry(source: str, sha: str) -> ManifestEntry:
        return ManifestEntry(source, f"{source}.csv", "x", sha, 1, 1, "csv", "2024", "now")

    a, b = entry("enedis", "11"), entry("ban", "22")
    version = data_version_of([a, b], "0.1.0")
    assert version == data_version_of([b, a], "0.1.0")
    assert version == data_version_of([{"source": "ban", "sha256": "22"}, a], "0.1.0")
    assert version != data_version_of([a, b], "0.2.0")
    assert version != data_version_of([a, entry("ban", "23")], "0.1.0")
    assert len(version) == 64


def _index_names(settings: Settings, table: str) -> set[str]:
    with connect(settings, DbRole.WRITER) as conn:
        return {r[0] for r in conn.execute(INDEXES_SQL, (table,)).fetchall()}


def test_tables_are_dealt_to_sessions_by_rows_largest_first() -> None:
    from volt.etl.gold_schema import AREAS, BUILDINGS, COMMUNES, DPE_VS_METERED
    from volt.etl.load_stage import deal

    tables = [
        (COMMUNES, "c", 10),
        (BUILDINGS, "b", 500),
        (AREAS, "a", 300),
        (DPE_VS_METERED, None, 0),
    ]
    groups = deal(tables, 2)
    assert [[t.name for t, _ in g] for g in groups] == [
        ["buildings"],
        ["areas", "communes", "dpe_vs_metered"],
    ]
    assert [[t.name for t, _ in g] for g in deal(tables, 8)] == [
        ["buildings"],
        ["areas"],
        ["communes"],
        ["dpe_vs_metered"],
    ]
