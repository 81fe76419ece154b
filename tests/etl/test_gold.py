"""Gold stage on a hand-built world: buildings, areas, communes, BAN rows, metrics, contract."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.etl.test_gold_world import World, ban, dpe, enedis, rows
from volt.etl.gold_schema import BUILDINGS, GOLD_TABLES
from volt.etl.transforms.gold import GoldContractError, GoldReport, check_contract

B1, B2, B3 = "06029_0100_00001", "06029_0100_00003", "06029_0200_00005"
B4, B5, B6 = "06088_0300_00002", "06088_0300_00004", "06029_0200_00007"


def small_world() -> World:
    gas = {"is_electric_heating": False, "type_energie_principale_chauffage": "Gaz naturel"}
    return World(
        enedis=[
            enedis(B1, 2022, 20, 100.0),
            # B2 straddles two IRIS: one building of 20 dwellings, located in the larger part.
            enedis(B2, 2022, 12, 60.0, code_iris="060290101"),
            enedis(B2, 2022, 8, 40.0, code_iris="060290102", nom_iris="Gare"),
            enedis(B3, 2022, 10, 30.0, code_iris="060290102", nom_iris="Gare"),
            enedis(B4, 2022, 15, 90.0, geocode_method="geocoder", geocode_score=0.91),
            enedis(None, 2022, 11, 50.0, code_insee="06029"),  # not geocoded
            enedis(B1, 2023, 20, 80.0),
        ],
        dpe=[
            dpe("D1", B1, "D", 50.0, 100.0, label_recomputed="C", inconsistent_label=True),
            dpe("D2", B1, "F", 100.0, 200.0, etiquette_ges="C"),
            dpe("D6", B1, "E", 50.0, 120.0, **gas),
            # A building-level DPE: counted and labelled, never in per-m² figures.
            dpe("D4", B1, "D", None, 90.0, type_batiment="immeuble", **gas),
            dpe("D5", B1, "G", 50.0, 500.0, is_replaced=True),  # replaced: not counted
            dpe("D7", B2, "C", 60.0, 80.0, **gas),
            dpe("D8", B4, "E", 40.0, 150.0),
            dpe("D9", B6, "B", 70.0, 50.0),  # an address without Enedis row
            dpe("D10", "06029_9999_00001", "A", 30.0, 40.0),  # id absent from the BAN
            dpe("D11", "06029_0200", "G", 30.0, 400.0, ban_id_kind="street"),
            dpe("D12", "06029", "G", 30.0, 400.0, ban_id_kind="commune"),
        ],
        ban=[
            ban(B1, "Rue A", 7.0, 43.5),
            ban(B2, "Rue A", 7.2, 43.7),
            ban(B3, "Avenue B", 7.1, 43.6),
            ban(B4, "Boulevard C", 7.3, 43.8),
            ban(B5, "Boulevard C", 7.5, 43.9),
            ban(B6, "Avenue B", 7.3, 43.4),
        ],
    )


@pytest.fixture
def gold(tmp_path: Path) -> tuple[GoldReport, Path]:
    return small_world().build(tmp_path)


def test_every_file_has_the_contract_columns_and_types(gold: tuple[GoldReport, Path]) -> None:
    report, gold_dir = gold
    for table in GOLD_TABLES:
        described = duckdb.sql(f"DESCRIBE SELECT * FROM '{gold_dir}/{table.name}.parquet'")
        assert [(r[0], r[1]) for r in described.fetchall()] == list(table.columns)
    assert report.tables == {
        "communes": 2, "buildings": 5, "areas": 20, "dpe_vs_metered": 20, "area_cuts": 105,
        "dpe": 11, "enedis_consumption": 7, "ban_addresses": 5,
    }  # fmt: skip


def test_a_file_breaking_the_contract_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "buildings.parquet"
    duckdb.sql(f"COPY (SELECT 'x' AS ban_id) TO '{path}' (FORMAT parquet)")
    with pytest.raises(GoldContractError, match=r"buildings\.parquet"):
        check_contract(duckdb.connect(), BUILDINGS, path)


def test_building_sums_an_address_split_over_two_iris(gold: tuple[GoldReport, Path]) -> None:
    (b2,) = rows(gold[1], "buildings", f"ban_id = '{B2}'")
    assert (b2["n_dwellings"], b2["metered_kwh_per_dwelling"]) == (20, 5000.0)
    assert b2["code_iris"] == "060290101"  # the IRIS holding most of its dwellings
    assert (b2["n_dpe"], b2["mean_surface_m2"], b2["metered_kwh_m2"]) == (
        1, 60.0, pytest.approx(5000 / 60),
    )  # fmt: skip
    assert (b2["share_electric_heating"], b2["is_electric_heating"]) == (0.0, False)


def test_building_formulas(gold: tuple[GoldReport, Path]) -> None:
    b1_2022, b1_2023 = rows(gold[1], "buildings", f"ban_id = '{B1}'", "annee")
    expected = {
        "ban_id": B1, "annee": 2022, "code_insee": "06029", "code_iris": "060290101",
        "code_departement": "06", "code_region": "93", "code_epci": "200039915",
        "street_code": "06029_0100", "nom_voie": "Rue A", "numero": "1", "lon": 7.0, "lat": 43.5,
        "n_dwellings": 20, "metered_kwh_per_dwelling": 5000.0,
        # The immeuble DPE (D4) counts in n_dpe, the replaced one (D5) nowhere.
        "n_dpe": 4, "n_dpe_dwelling": 3, "mean_surface_m2": pytest.approx(200 / 3),
        # Surface-weighted over D1, D2, D6: (50·100 + 100·200 + 50·120) / 200.
        "dpe_ef_kwh_m2": 155.0, "dpe_ep_kwh_m2": pytest.approx(155.0 * 2.3),
        "metered_kwh_m2": pytest.approx(75.0),
        "n_label_a": 0, "n_label_b": 0, "n_label_c": 0, "n_label_d": 2, "n_label_e": 1,
        "n_label_f": 1, "n_label_g": 0,
        "n_ges_a": 0, "n_ges_b": 3, "n_ges_c": 1, "n_ges_d": 0, "n_ges_e": 0, "n_ges_f": 0,
        "n_ges_g": 0,
        "n_label_recomputed_a": 0, "n_label_recomputed_b": 0, "n_label_recomputed_c": 1,
        "n_label_recomputed_d": 1, "n_label_recomputed_e": 1, "n_label_recomputed_f": 1,
        "n_label_recomputed_g": 0, "n_inconsistent_label": 1,
        "share_electric_heating": pytest.approx(2 / 3), "is_electric_heating": True,
        # D, E and F once each among dwelling DPE (the immeuble's D is not one): the worse, F.
        "building_label": "F",
        "geocode_status": "matched", "geocode_method": "structured", "geocode_score": 1.0,
    }  # fmt: skip
    assert b1_2022 == expected
    assert (b1_2023["metered_kwh_per_dwelling"], b1_2023["metered_kwh_m2"]) == (
        4000.0,
        pytest.approx(60.0),
    )


def test_building_without_dpe_has_null_dpe_figures(gold: tuple[GoldReport, Path]) -> None:
    (b3,) = rows(gold[1], "buildings", f"ban_id = '{B3}'")
    assert (b3["n_dpe"], b3["n_label_g"], b3["mean_surface_m2"], b3["metered_kwh_m2"]) == (
        0, 0, None, None,
    )  # fmt: skip
    assert (b3["share_electric_heating"], b3["is_electric_heating"], b3["building_label"]) == (
        None, None, None,
    )  # fmt: skip
    (b4,) = rows(gold[1], "buildings", f"ban_id = '{B4}'")
    assert (b4["geocode_method"], b4["geocode_score"]) == ("geocoder", 0.91)


def test_commune_area_aggregates(gold: tuple[GoldReport, Path]) -> None:
    (c,) = rows(gold[1], "areas", "level = 'commune' AND code = '06029' AND annee = 2022")
    assert {k: c[k] for k in list(c)[:12]} == {
        "level": "commune", "code": "06029", "annee": 2022, "name": "Cannes",
        "parent_level": "epci", "parent_code": "200039915", "code_departement": "06",
        "n_buildings": 3, "n_dwellings": 50, "n_dpe": 5, "n_dpe_dwelling": 4,
        "min_building_dwellings": 10,
    }  # fmt: skip
    assert (c["n_label_c"], c["n_label_d"], c["n_inconsistent_label"]) == (1, 2, 1)
    # One value per dwelling DPE: 80, 100, 120, 200.
    assert (c["dpe_ef_kwh_m2_mean"], c["dpe_ef_kwh_m2_median"]) == (125.0, 110.0)
    assert (c["dpe_ef_kwh_m2_p10"], c["dpe_ef_kwh_m2_p90"]) == pytest.approx((86.0, 176.0))
    # Dwelling-weighted: (100 + 100 + 30) MWh / 50 dwellings; median over the 3 buildings.
    assert (c["metered_kwh_per_dwelling_mean"], c["metered_kwh_per_dwelling_median"]) == (
        4600.0, 5000.0,
    )  # fmt: skip
    assert c["metered_kwh_m2_mean"] == pytest.approx((75.0 + 5000 / 60) / 2)
    # Electric buildings: B1 only (its three dwelling DPE: 100, 120, 200).
    assert (c["elec_n_buildings"], c["elec_n_dwellings"], c["elec_n_dpe"]) == (1, 20, 3)
    assert (c["elec_dpe_ef_kwh_m2_mean"], c["elec_dpe_ef_kwh_m2_median"]) == (140.0, 120.0)
    assert (c["elec_dpe_ef_kwh_m2_p10"], c["elec_dpe_ef_kwh_m2_p90"]) == pytest.approx(
        (104.0, 184.0)
    )
    assert (c["elec_metered_kwh_per_dwelling_mean"], c["elec_metered_kwh_m2_median"]) == (
        5000.0, pytest.approx(75.0),
    )  # fmt: skip


def test_area_levels_names_and_parents(gold: tuple[GoldReport, Path]) -> None:
    areas = rows(gold[1], "areas", "annee = 2022", "level, code")
    got = {
        (a["level"], a["code"]): (a["name"], a["parent_level"], a["parent_code"], a["n_buildings"])
        for a in areas
    }
    assert got == {
        ("commune", "06029"): ("Cannes", "epci", "200039915", 3),
        ("commune", "06088"): ("Nice", "epci", "200030195", 1),
        ("departement", "06"): (None, "region", "93", 4),
        ("epci", "200030195"): (None, "departement", "06", 1),
        ("epci", "200039915"): (None, "departement", "06", 3),
        ("france", "FR"): ("France", None, None, 4),
        ("iris", "060290101"): ("Centre", "commune", "06029", 2),
        ("iris", "060290102"): ("Gare", "commune", "06029", 1),
        ("iris", "060880101"): ("Centre", "commune", "06088", 1),
        ("region", "93"): (None, "france", "FR", 4),
        ("street", "06029_0100"): ("Rue A", "commune", "06029", 2),
        ("street", "06029_0200"): ("Avenue B", "commune", "06029", 1),
        ("street", "06088_0300"): ("Boulevard C", "commune", "06088", 1),
    }
    (fr,) = [a for a in areas if a["level"] == "france"]
    assert (fr["n_dwellings"], fr["min_building_dwellings"], fr["code_departement"]) == (
        65, 10, None,
    )  # fmt: skip
    assert fr["metered_kwh_per_dwelling_mean"] == (100 + 100 + 30 + 90) * 1000 / 65
    (iris,) = [a for a in areas if a["code"] == "060290102"]
    assert (iris["n_dwellings"], iris["dpe_ef_kwh_m2_mean"]) == (10, None)


def test_dpe_vs_metered_pairs_buildings_not_dpe(gold: tuple[GoldReport, Path]) -> None:
    got = rows(gold[1], "dpe_vs_metered", "level = 'commune' AND annee = 2022", "code, 4")
    assert [
        (r["code"], r["etiquette_dpe"], r["n_buildings_electric"], r["n_buildings_other"])
        for r in got
    ] == [("06029", "C", 0, 1), ("06029", "F", 1, 0), ("06088", "E", 1, 0)]
    f = got[1]
    # One pair for B1 (three dwelling DPE): DPE 155 kWh/m², metered 75 kWh/m².
    assert (f["n_dwellings_electric"], f["dpe_ef_kwh_m2_median"], f["ratio_q1"]) == (
        20, 155.0, pytest.approx(75 / 155),
    )  # fmt: skip
    assert (f["metered_kwh_m2_q3"], f["wilcoxon_p_value"], f["trend_kendall_tau"]) == (
        pytest.approx(75.0), None, None,
    )  # fmt: skip
    assert got[0]["dpe_ef_kwh_m2_median"] is None  # the non-electric building is not paired
    levels = {r["level"] for r in rows(gold[1], "dpe_vs_metered")}
    assert levels == {"commune", "epci", "departement", "region", "france"}


def test_communes_names_codes_and_centres(gold: tuple[GoldReport, Path]) -> None:
    assert rows(gold[1], "communes") == [
        {"code_insee": "06029", "nom": "Cannes", "code_departement": "06", "code_region": "93",
         "code_epci": "200039915", "nom_epci": None, "lon": pytest.approx(7.15),
         "lat": pytest.approx(43.55)},
        {"code_insee": "06088", "nom": "Nice", "code_departement": "06", "code_region": "93",
         "code_epci": "200030195", "nom_epci": None, "lon": pytest.approx(7.4),
         "lat": pytest.approx(43.85)},
    ]  # fmt: skip


def test_ban_addresses_are_the_ones_pointed_at(gold: tuple[GoldReport, Path]) -> None:
    ids = [r["id"] for r in rows(gold[1], "ban_addresses")]
    assert ids == [B1, B2, B3, B6, B4]  # not B5: neither a building nor a DPE address


def test_dpe_and_enedis_tables_keep_every_row(gold: tuple[GoldReport, Path]) -> None:
    replaced = rows(gold[1], "dpe", "is_replaced")
    assert [r["numero_dpe"] for r in replaced] == ["D5"]
    statuses = [r["geocode_status"] for r in rows(gold[1], "enedis_consumption", order="ban_id")]
    assert statuses.count("not_found") == 1 and len(statuses) == 7


def test_metrics_and_report(gold: tuple[GoldReport, Path]) -> None:
    report, gold_dir = gold
    metrics = json.loads((gold_dir / "metrics.json").read_text("utf-8"))
    assert metrics == report.metrics
    assert metrics == {
        "dpe_rows": 11, "dpe_used": 10,
        # D1 D2 D4 D6 D7 D8 D9 D10 have an address id; D10's is not in the BAN.
        "dpe_address_ids": 8, "dpe_joined_to_ban": 7, "dpe_join_rate": 0.875,
        "dpe_at_buildings": 6,
        "enedis_rows": 7, "matched_rows": 6, "ambiguous_rows": 0, "not_found_rows": 1,
        "geocode_rate": 0.857143, "buildings": 5, "buildings_with_dpe": 4,
        "buildings_electric": 3,
    }  # fmt: skip
    stage = report.stage_report()
    assert (stage.rows_in, stage.rows_out, stage.rows_flagged, stage.balanced) == (
        18, 18, 1, True,
    )  # fmt: skip


def test_no_enedis_and_no_dpe_still_writes_every_table(tmp_path: Path) -> None:
    report, gold_dir = World(ban=[ban(B5, "Boulevard C", 7.5, 43.9)]).build(tmp_path)
    assert report.tables == {
        "communes": 1, "buildings": 0, "areas": 0, "dpe_vs_metered": 0, "area_cuts": 0,
        "dpe": 0, "enedis_consumption": 0, "ban_addresses": 0,
    }  # fmt: skip
    assert (report.metrics["geocode_rate"], report.metrics["dpe_join_rate"]) == (None, None)
    for table in GOLD_TABLES:
        check_contract(duckdb.connect(), table, gold_dir / f"{table.name}.parquet")
