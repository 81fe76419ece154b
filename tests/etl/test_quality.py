"""Quality gates on hand-made gold files: each gate passes on good data and fails on its trap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from volt.etl.gold_schema import GOLD_TABLES
from volt.etl.quality import (
    GOLD_METRICS_NAME,
    GateThresholds,
    PreviousLoad,
    QualityReport,
    check_gates,
    source_rows_of,
)

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
}
THRESHOLDS = GateThresholds(min_geocode_rate=0.7, min_dpe_join_rate=0.5, max_drop=0.2)
SOURCE_ROWS = {"enedis": 4, "dpe": 2, "ban": 3}


def _enedis(annee: int, adresse: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "annee": annee,
        "adresse": adresse,
        "code_commune": "06029",
        "code_insee": "06029",
        "code_departement": "06",
        "code_iris": "060290101",
        "nombre_de_logements": 12,
        "consommation_totale_mwh": 30.5,
        "tri_des_adresses": 1,
        "geocode_status": status,
        "ban_id": "06029_0100_00012" if status == "matched" else None,
        **extra,
    }


def _building(ban_id: str, annee: int, lon: float, lat: float, **extra: Any) -> dict[str, Any]:
    return {
        "ban_id": ban_id,
        "annee": annee,
        "code_insee": "06029",
        "code_departement": "06",
        "street_code": ban_id.rsplit("_", 1)[0],
        "nom_voie": "Rue d'Antibes",
        "lon": lon,
        "lat": lat,
        "n_dwellings": 12,
        "n_dpe": 1,
        "share_electric_heating": 1.0,
        "is_electric_heating": True,
        **extra,
    }


def good_gold() -> dict[str, list[dict[str, Any]]]:
    """A tiny but complete gold zone: Cannes (06) and Saint-Denis de La Réunion (974)."""
    return {
        "communes": [
            {
                "code_insee": "06029",
                "nom": "Cannes",
                "code_departement": "06",
                "lon": 7.01,
                "lat": 43.55,
            },
            {
                "code_insee": "97411",
                "nom": "Saint-Denis",
                "code_departement": "974",
                "lon": 55.45,
                "lat": -20.88,
            },
        ],
        "buildings": [
            _building("06029_0100_00012", 2022, 7.0, 43.55, metered_kwh_per_dwelling=2541.5),
            _building("06029_0100_00014", 2022, 7.01, 43.56, building_label="D"),
            _building("06029_0100_00012", 2023, 7.0, 43.55, n_label_d=1),
        ],
        "areas": [
            {
                "level": "commune",
                "code": "06029",
                "annee": 2022,
                "name": "Cannes",
                "n_buildings": 2,
                "code_departement": "06",
            },
            {"level": "france", "code": "FR", "annee": 2022, "name": "France", "n_buildings": 2},
        ],
        "dpe_vs_metered": [
            {
                "level": "commune",
                "code": "06029",
                "annee": 2022,
                "etiquette_dpe": "D",
                "ratio_median": 0.62,
            },
        ],
        "area_cuts": [
            {
                "level": "commune",
                "code": "06029",
                "annee": 2022,
                "dimension": "all",
                "value": "all",
                "n_dpe": 2,
                "n_label_d": 1,
                "n_ep": 2,
                "ep_p05": 121.5,
                "ep_p95": 245.25,
            },
            {
                "level": "france",
                "code": "FR",
                "annee": 2022,
                "dimension": "etiquette_dpe",
                "value": "D",
                "n_dpe": 1,
                "n_label_d": 1,
                "n_ep": 0,
            },
        ],
        "dpe": [
            {
                "numero_dpe": "2306E0123456X",
                "type_batiment": "appartement",
                "etiquette_dpe": "D",
                "code_departement": "06",
                "identifiant_ban": "06029_0100_00012",
            },
            {
                "numero_dpe": "2306E0123457Y",
                "type_batiment": "maison",
                "etiquette_dpe": "B",
                "code_departement": "06",
                "is_replaced": False,
            },
        ],
        "enedis_consumption": [
            _enedis(2022, "12 RUE D ANTIBES", "matched"),
            _enedis(2022, "14 RUE D ANTIBES", "matched", code_iris=None, tri_des_adresses=None),
            _enedis(2023, "12 RUE D ANTIBES", "matched"),
            _enedis(2023, "99 CHEMIN PERDU", "not_found"),
        ],
        "ban_addresses": [
            {
                "id": "06029_0100_00012",
                "numero": "12",
                "nom_voie": "Rue d'Antibes",
                "code_insee": "06029",
                "lon": 7.0,
                "lat": 43.55,
            },
            {
                "id": "06029_0100_00014",
                "numero": "14",
                "nom_voie": "Rue d'Antibes",
                "code_insee": "06029",
                "lon": 7.01,
                "lat": 43.56,
            },
            {
                "id": "97411_0001_00001",
                "numero": "1",
                "nom_voie": "Rue de Paris",
                "code_insee": "97411",
                "lon": 55.45,
                "lat": -20.88,
            },
        ],
    }


def write_gold(
    directory: Path, tables: dict[str, list[dict[str, Any]]], dpe_join_rate: float | None = 0.9
) -> Path:
    """Gold parquet files typed as the contract says; columns not given are NULL."""
    directory.mkdir(parents=True, exist_ok=True)
    for table in GOLD_TABLES:
        schema = pa.schema([(name, ARROW_TYPES[duck]) for name, duck in table.columns])
        rows = tables.get(table.name, [])
        pq.write_table(
            pa.Table.from_pylist(rows, schema=schema), directory / f"{table.name}.parquet"
        )
    if dpe_join_rate is not None:
        (directory / GOLD_METRICS_NAME).write_text(json.dumps({"dpe_join_rate": dpe_join_rate}))
    return directory


def gates_of(directory: Path, previous: PreviousLoad | None = None) -> QualityReport:
    return check_gates(directory, source_rows=SOURCE_ROWS, thresholds=THRESHOLDS, previous=previous)


def _gate(report: QualityReport, name: str) -> tuple[bool, float | None, str]:
    gate = next(g for g in report.gates if g.name == name)
    return gate.passed, gate.measured, gate.message


def test_good_gold_passes_every_gate(tmp_path: Path) -> None:
    report = gates_of(write_gold(tmp_path, good_gold()))
    assert report.passed
    assert [g.name for g in report.gates] == [
        "volumes",
        "coordinates_buildings",
        "coordinates_communes",
        "geocode_rate",
        "dpe_join_rate",
        "partition_drop",
    ]
    assert dict(report.table_rows) == {
        "communes": 2,
        "buildings": 3,
        "areas": 2,
        "dpe_vs_metered": 1,
        "area_cuts": 2,
        "dpe": 2,
        "enedis_consumption": 4,
        "ban_addresses": 3,
    }
    assert report.partition_counts["buildings"] == {"2022|06": 2, "2023|06": 1}
    assert report.partition_counts["communes"] == {"*|06": 1, "*|974": 1}
    assert report.partition_counts["ban_addresses"] == {"*|06": 2, "*|974": 1}
    assert report.partition_counts["areas"] == {"2022|06": 1, "2022|*": 1}
    # Cuts carry no département: one national partition per year, as dpe_vs_metered.
    assert report.partition_counts["area_cuts"] == {"2022|*": 2}
    assert report.render()[3] == (
        "PASS geocode_rate: 0.75 (threshold 0.7) 3 of 4 Enedis rows matched to a BAN address"
    )


def test_swapped_lon_lat_put_a_building_outside_france(tmp_path: Path) -> None:
    gold = good_gold()
    gold["buildings"][1] |= {"lon": 43.56, "lat": 7.01}
    report = gates_of(write_gold(tmp_path, gold))
    assert not report.passed
    assert _gate(report, "coordinates_buildings") == (
        False,
        1 / 3,
        "1 of 3 rows with coordinates lie outside France",
    )
    assert _gate(report, "coordinates_communes")[0] is True


def test_an_overseas_commune_is_checked_against_its_own_box(tmp_path: Path) -> None:
    gold = good_gold()
    # Réunion's département code with Martinique's position: inside "some" French box, not its own.
    gold["communes"][1] |= {"lon": -61.0, "lat": 14.6}
    report = gates_of(write_gold(tmp_path, gold))
    assert _gate(report, "coordinates_communes") == (
        False,
        0.5,
        "1 of 2 rows with coordinates lie outside France",
    )


def test_rows_without_coordinates_are_not_outside(tmp_path: Path) -> None:
    gold = good_gold()
    gold["buildings"][0] |= {"lon": None, "lat": None}
    assert _gate(gates_of(write_gold(tmp_path, gold)), "coordinates_buildings") == (
        True,
        0.0,
        "0 of 2 rows with coordinates lie outside France",
    )


def test_low_geocoding_rate_blocks(tmp_path: Path) -> None:
    gold = good_gold()
    gold["enedis_consumption"][0] |= {"geocode_status": "ambiguous", "ban_id": None}
    report = gates_of(write_gold(tmp_path, gold))
    assert _gate(report, "geocode_rate") == (
        False,
        0.5,
        "2 of 4 Enedis rows matched to a BAN address",
    )
    assert not report.passed


def test_low_dpe_join_rate_blocks(tmp_path: Path) -> None:
    report = gates_of(write_gold(tmp_path, good_gold(), dpe_join_rate=0.42))
    assert _gate(report, "dpe_join_rate")[:2] == (False, 0.42)


def test_unmeasured_dpe_join_rate_blocks(tmp_path: Path) -> None:
    report = gates_of(write_gold(tmp_path, good_gold(), dpe_join_rate=None))
    assert _gate(report, "dpe_join_rate") == (False, None, "the gold stage did not measure it")


def test_a_25_percent_drop_against_the_previous_load_blocks(tmp_path: Path) -> None:
    previous = PreviousLoad(
        "a" * 64,
        {
            "enedis_consumption": {"2022|06": 2, "2023|06": 2},
            "buildings": {"2022|06": 2, "2023|06": 1},
            "dpe": {"*|06": 2},
        },
    )
    gold = good_gold()
    assert gates_of(write_gold(tmp_path / "same", gold), previous).passed
    gold["enedis_consumption"] = [*gold["enedis_consumption"], _enedis(2022, "1 RUE X", "matched")]
    previous_big = PreviousLoad("b" * 64, {"enedis_consumption": {"2022|06": 4}})
    report = gates_of(write_gold(tmp_path / "drop", gold), previous_big)  # 3 rows left of 4
    assert _gate(report, "partition_drop") == (
        False,
        0.25,
        "dropped vs bbbbbbbbbbbb: enedis_consumption[2022|06] -25%",
    )


def test_a_partition_that_vanished_is_a_full_drop(tmp_path: Path) -> None:
    previous = PreviousLoad("c" * 64, {"buildings": {"2021|06": 10, "2022|06": 2}})
    report = gates_of(write_gold(tmp_path, good_gold()), previous)
    assert _gate(report, "partition_drop")[:2] == (False, 1.0)


def test_area_cuts_are_compared_per_year(tmp_path: Path) -> None:
    # A load from before area_cuts existed has no partition of it: nothing to compare.
    before_cuts = PreviousLoad("e" * 64, {"areas": {"2022|06": 1, "2022|*": 1}})
    assert _gate(
        gates_of(write_gold(tmp_path / "first", good_gold()), before_cuts), "partition_drop"
    )[0]
    previous = PreviousLoad("f" * 64, {"area_cuts": {"2022|*": 4}})
    report = gates_of(write_gold(tmp_path / "half", good_gold()), previous)  # 2 cuts left of 4
    assert _gate(report, "partition_drop") == (
        False,
        0.5,
        "dropped vs ffffffffffff: area_cuts[2022|*] -50%",
    )


def test_a_20_percent_drop_is_allowed(tmp_path: Path) -> None:
    gold = good_gold()
    previous = PreviousLoad("d" * 64, {"enedis_consumption": {"2022|06": 2, "2023|06": 2}})
    thresholds = GateThresholds(0.7, 0.5, max_drop=0.5)
    gold["enedis_consumption"].pop()  # 2023|06: 1 of 2, a 50 % drop, at the threshold
    report = check_gates(
        write_gold(tmp_path, gold),
        source_rows=SOURCE_ROWS,
        thresholds=thresholds,
        previous=previous,
    )
    assert _gate(report, "partition_drop")[:2] == (True, 0.5)


def test_an_empty_gold_table_whose_source_had_rows_blocks(tmp_path: Path) -> None:
    gold = good_gold()
    gold["buildings"] = []
    gold["dpe"] = []
    report = gates_of(write_gold(tmp_path, gold))
    assert _gate(report, "volumes") == (
        False,
        2.0,
        "empty although their source had rows: buildings, dpe",
    )


def test_an_empty_table_without_source_rows_is_fine(tmp_path: Path) -> None:
    gold = good_gold()
    gold["dpe"] = []
    report = check_gates(
        write_gold(tmp_path, gold),
        source_rows={"enedis": 4, "ban": 3},
        thresholds=THRESHOLDS,
        previous=None,
    )
    assert _gate(report, "volumes")[0] is True
    assert _gate(report, "dpe_join_rate") == (True, 0.9, "no DPE rows")


def test_a_missing_gold_file_counts_as_empty(tmp_path: Path) -> None:
    gold_dir = write_gold(tmp_path, good_gold())
    (gold_dir / "areas.parquet").unlink()
    assert _gate(gates_of(gold_dir), "volumes")[2] == (
        "empty although their source had rows: areas"
    )


def test_source_rows_come_from_the_bronze_manifest() -> None:
    manifest = {
        "entries": [
            {"source": "enedis", "rows": 81, "sha256": "1"},
            {"source": "dpe", "rows": 5, "sha256": "2"},
            {"source": "dpe", "rows": 7, "sha256": "3"},
        ]
    }
    assert source_rows_of(manifest) == {"enedis": 81, "dpe": 12}


@pytest.mark.parametrize(("rate", "passed"), [(0.75, True), (0.76, False)])
def test_the_geocode_threshold_is_inclusive(tmp_path: Path, rate: float, passed: bool) -> None:
    thresholds = GateThresholds(min_geocode_rate=rate, min_dpe_join_rate=0.5, max_drop=0.2)
    report = check_gates(
        write_gold(tmp_path, good_gold()),
        source_rows=SOURCE_ROWS,
        thresholds=thresholds,
        previous=None,
    )
    assert _gate(report, "geocode_rate")[:2] == (passed, 0.75)
