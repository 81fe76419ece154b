"""Gold area_cuts: ADEME wording → slugs, the population of areas.n_dpe, label mixes, vigintiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.etl.conftest import NullProgress
from tests.etl.test_gold_world import World, ban, dpe, enedis, rows
from volt.domain.cuts import CUT_LEVELS, VALUES, VIGINTILES, Dimension, vigintile_column
from volt.etl.gold_schema import LABELS
from volt.etl.pipeline import FilesRun, run_etl
from volt.etl.transforms.cut_values import create_cut_macros
from volt.etl.transforms.duck import DuckConfig
from volt.etl.zones import Zones
from volt.sample.generator import generate_sample

C1, C2 = "06029_0100_00001", "06029_0100_00003"  # Cannes; C2's Enedis rows carry no EPCI
N1, T1 = "06088_0300_00002", "31555_0400_00001"  # Nice, Toulouse
ENERGY_SLUGS = ("electricite", "gaz_naturel", "fioul", "bois", "reseau_chaleur", "gpl", "charbon")
LABEL_COLUMNS = [
    f"{p}_{label}" for p in ("n_label", "n_ges", "n_label_recomputed") for label in LABELS
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    create_cut_macros(connection)
    return connection


@pytest.mark.parametrize(
    ("ademe", "slug"),
    [
        ("Électricité", "electricite"),
        ("Électricité d'origine renouvelable utilisée dans le bâtiment", "electricite"),
        ("  ELECTRICITE ", "electricite"),  # case, accents and spaces of older extracts
        ("électricité", "electricite"),
        ("Gaz naturel", "gaz_naturel"),
        ("GAZ NATUREL", "gaz_naturel"),
        ("Fioul domestique", "fioul"),
        ("Bois – Bûches", "bois"),
        ("Bois – Granulés (pellets) ou briquettes", "bois"),
        ("Bois – Plaquettes forestières", "bois"),
        ("Bois – Plaquettes d'industrie", "bois"),
        ("Réseau de Chauffage urbain", "reseau_chaleur"),
        ("reseau de chauffage urbain", "reseau_chaleur"),
        ("GPL", "gpl"),
        ("Propane", "gpl"),
        ("Butane", "gpl"),
        ("Charbon", "charbon"),
        ("Autre combustible fossile", "autre"),
        ("Réseau de froid urbain", "autre"),
        ("", "unknown"),
        ("   ", "unknown"),
        (None, "unknown"),
    ],
)
def test_heating_energies_are_grouped_by_carrier(
    con: duckdb.DuckDBPyConnection, ademe: str | None, slug: str
) -> None:
    assert con.execute("SELECT cut_energie(?)", [ademe]).fetchall() == [(slug,)]


@pytest.mark.parametrize(
    ("ademe", "slug"),
    [
        ("avant 1948", "avant_1948"),
        ("Avant 1948", "avant_1948"),
        ("1948-1974", "1948_1974"),
        (" 2013-2021 ", "2013_2021"),
        ("après 2021", "apres_2021"),
        ("APRES 2021", "apres_2021"),
        ("1991-2000", "unknown"),  # not an ADEME period
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_construction_periods_map_to_their_slugs(
    con: duckdb.DuckDBPyConnection, ademe: str | None, slug: str
) -> None:
    assert con.execute("SELECT cut_periode(?)", [ademe]).fetchall() == [(slug,)]


@pytest.mark.parametrize(
    ("label", "value", "rank"),
    [
        ("D", "D", 4),
        ("a", "A", None),
        ("G", "G", 7),
        (None, "unknown", None),
        ("H", "unknown", None),
    ],
)
def test_labels_are_upper_cased_and_ranked_as_published(
    con: duckdb.DuckDBPyConnection, label: str | None, value: str, rank: int | None
) -> None:
    # The rank counts labels exactly as buildings and areas compare them ('a' is not an A).
    got = con.execute("SELECT cut_etiquette(?), cut_label_rank(?)", [label, label]).fetchall()
    assert got == [(value, rank)]


def test_every_domain_slug_is_reachable(con: duckdb.DuckDBPyConnection) -> None:
    wordings = ["Électricité", "Gaz naturel", "Fioul domestique", "Bois – Bûches",
                "Réseau de Chauffage urbain", "GPL", "Charbon", "Pétrole", None]  # fmt: skip
    got = [con.execute("SELECT cut_energie(?)", [w]).fetchall()[0][0] for w in wordings]
    assert tuple(got) == VALUES[Dimension.ENERGIE_CHAUFFAGE]


def cuts_world() -> World:
    """Cannes (two buildings, one without EPCI), Nice, Toulouse in 2022; Cannes' C1 in 2023."""
    gas = {"is_electric_heating": False, "type_energie_principale_chauffage": "Gaz naturel"}
    no_m2 = {"conso_5_usages_par_m2_ef": None, "conso_5_usages_par_m2_ep": None}
    toulouse = [  # (label, ef, ep, energy, period)
        ("C", 80.0, 150.0, "Électricité d'origine renouvelable utilisée dans le bâtiment",
         "1989-2000"),
        ("D", 100.0, 230.0, " ÉLECTRICITÉ ", "1989-2000"),
        ("D", 120.0, 250.0, "Charbon", "1989-2000"),
        ("E", 150.0, 300.0, "Fioul domestique", "Avant 1948"),
        ("G", 200.0, 460.0, "Autre combustible fossile", "1991-2000"),
    ]  # fmt: skip
    return World(
        enedis=[
            enedis(C1, 2022, 20, 100.0),
            enedis(C1, 2023, 20, 90.0),
            enedis(C2, 2022, 12, 50.0, code_epci=None),
            enedis(N1, 2022, 15, 80.0),
            enedis(T1, 2022, 30, 120.0),
        ],
        dpe=[
            dpe("A1", C1, "D", 50.0, 100.0, periode_construction="1948-1974"),
            dpe(
                "A2",
                C1,
                "F",
                100.0,
                200.0,
                periode_construction="avant 1948",
                etiquette_ges="E",
                label_recomputed="E",
                **gas,
            ),
            # A building-wide DPE: in n_dpe, the label mixes and the per-m² vigintiles.
            dpe(
                "A3",
                C1,
                "D",
                None,
                90.0,
                type_batiment="immeuble",
                type_energie_principale_chauffage="Réseau de Chauffage urbain",
            ),
            # No label, no heating energy, no per-m² value: counted, never in a vigintile.
            dpe(
                "A4",
                C1,
                None,
                70.0,
                0.0,
                type_batiment="maison",
                etiquette_ges=None,
                label_recomputed=None,
                type_energie_principale_chauffage=None,
                periode_construction="après 2021",
                **no_m2,
            ),
            dpe("A5", C1, "G", 50.0, 500.0, is_replaced=True),  # replaced: in no cut
            dpe(
                "B1",
                C2,
                "C",
                60.0,
                60.0,
                periode_construction="2013-2021",
                type_energie_principale_chauffage="Bois – Granulés (pellets) ou briquettes",
            ),
            dpe(
                "N1",
                N1,
                "E",
                40.0,
                150.0,
                periode_construction="1975-1977",
                type_energie_principale_chauffage="Propane",
            ),
            dpe("N2", "06088_0300", "G", 40.0, 400.0, ban_id_kind="street"),  # not an address
            *[
                dpe(
                    f"T{i}",
                    T1,
                    label,
                    60.0,
                    ef,
                    conso_5_usages_par_m2_ep=ep,
                    type_energie_principale_chauffage=energy,
                    periode_construction=period,
                )
                for i, (label, ef, ep, energy, period) in enumerate(toulouse)
            ],
        ],
        ban=[
            ban(C1, "Rue A", 7.0, 43.5),
            ban(C2, "Rue A", 7.0, 43.5),
            ban(N1, "Boulevard C", 7.3, 43.8),
        ],
    )


@pytest.fixture(scope="module")
def gold_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cuts_world().build(tmp_path_factory.mktemp("cuts"))[1]


def _cuts(gold_dir: Path, where: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["dimension"], r["value"]): r for r in rows(gold_dir, "area_cuts", where)}


def cut_sums_and_area_counts(gold_dir: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Per area-year and dimension: Σ over values of n_dpe and label mixes; areas' own counts."""
    sums = ", ".join(f"sum(c.{col}) AS {col}" for col in ["n_dpe", *LABEL_COLUMNS])
    got = duckdb.sql(
        f"SELECT c.level, c.code, c.annee, c.dimension, {sums} "
        f"FROM '{gold_dir}/area_cuts.parquet' AS c GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    columns = ", ".join(["n_dpe", *LABEL_COLUMNS])
    expected = duckdb.sql(
        f"SELECT a.level, a.code, a.annee, d.dimension, {columns} "
        f"FROM '{gold_dir}/areas.parquet' AS a, "
        f"(SELECT unnest({[d.value for d in Dimension]}) AS dimension) AS d "
        f"WHERE a.level IN {tuple(level.value for level in CUT_LEVELS)} AND a.n_dpe > 0 "
        "ORDER BY ALL"
    ).fetchall()
    return got, expected


def test_every_dimension_adds_up_to_the_areas_dpe(gold_dir: Path) -> None:
    """For every area-year and dimension: Σ n_dpe over values = areas.n_dpe, same label mixes."""
    got, expected = cut_sums_and_area_counts(gold_dir)
    assert got == expected
    # Sixteen area-years with DPE (eleven in 2022; Cannes' five levels in 2023), five dimensions.
    assert len(got) == 16 * 5


def test_the_label_cut_counts_the_areas_label_counts(gold_dir: Path) -> None:
    cut = duckdb.sql(
        f"SELECT level, code, annee, value, n_dpe FROM '{gold_dir}/area_cuts.parquet' "
        "WHERE dimension = 'etiquette_dpe' AND value <> 'unknown'"
    ).fetchall()
    got = {(level, code, annee, value): n for level, code, annee, value, n in cut}
    for area in rows(gold_dir, "areas", "level NOT IN ('street', 'iris')"):
        for label in LABELS:
            key = (area["level"], area["code"], area["annee"], label.upper())
            assert got.get(key, 0) == area[f"n_label_{label}"], key
    # The label-less DPE (A4) is the 'unknown' label of its areas.
    (unknown,) = rows(
        gold_dir, "area_cuts", "level = 'commune' AND annee = 2023 AND value = 'unknown' "
        "AND dimension = 'etiquette_dpe'",
    )  # fmt: skip
    assert (unknown["n_dpe"], unknown["n_ep"], unknown["ep_p50"]) == (1, 0, None)


def test_cuts_exist_from_the_commune_up(gold_dir: Path) -> None:
    levels = {
        r[0]
        for r in duckdb.sql(f"SELECT DISTINCT level FROM '{gold_dir}/area_cuts.parquet'").fetchall()
    }
    assert levels == {level.value for level in CUT_LEVELS}  # no street, no IRIS
    # C2 has no EPCI code: Cannes' EPCI holds C1's DPE only, its département both buildings'.
    epci = _cuts(gold_dir, "level = 'epci' AND code = '200039915' AND annee = 2022")
    dep = _cuts(gold_dir, "level = 'departement' AND code = '06' AND annee = 2022")
    assert (epci["all", "all"]["n_dpe"], dep["all", "all"]["n_dpe"]) == (4, 6)
    assert ("energie_chauffage", "bois") not in epci
    assert dep["energie_chauffage", "bois"]["n_dpe"] == 1


def test_values_are_the_domain_slugs(gold_dir: Path) -> None:
    found = duckdb.sql(
        f"SELECT DISTINCT dimension, value FROM '{gold_dir}/area_cuts.parquet'"
    ).fetchall()
    for dimension, value in found:
        assert value in VALUES[Dimension(dimension)], (dimension, value)
    assert {v for d, v in found if d == "energie_chauffage"} == {
        "electricite", "gaz_naturel", "bois", "reseau_chaleur", "gpl", "charbon", "fioul",
        "autre", "unknown",
    }  # fmt: skip
    assert {v for d, v in found if d == "periode_construction"} == {
        "avant_1948", "1948_1974", "1975_1977", "1989_2000", "2013_2021", "apres_2021",
        "unknown",
    }  # fmt: skip


def test_a_commune_year_and_its_cuts(gold_dir: Path) -> None:
    """Cannes 2023: C1 alone, its four DPE in use (A5 is replaced), counted once this year."""
    cuts = _cuts(gold_dir, "level = 'commune' AND code = '06029' AND annee = 2023")
    assert {k: (r["n_dpe"], r["n_ep"], r["n_ef"]) for k, r in cuts.items()} == {
        ("all", "all"): (4, 3, 3),
        ("etiquette_dpe", "D"): (2, 2, 2),
        ("etiquette_dpe", "F"): (1, 1, 1),
        ("etiquette_dpe", "unknown"): (1, 0, 0),
        ("type_batiment", "appartement"): (2, 2, 2),
        ("type_batiment", "immeuble"): (1, 1, 1),
        ("type_batiment", "maison"): (1, 0, 0),
        ("periode_construction", "1948_1974"): (1, 1, 1),
        ("periode_construction", "avant_1948"): (1, 1, 1),
        ("periode_construction", "apres_2021"): (1, 0, 0),
        ("periode_construction", "unknown"): (1, 1, 1),
        ("energie_chauffage", "electricite"): (1, 1, 1),
        ("energie_chauffage", "gaz_naturel"): (1, 1, 1),
        ("energie_chauffage", "reseau_chaleur"): (1, 1, 1),
        ("energie_chauffage", "unknown"): (1, 0, 0),
    }
    gas = cuts["energie_chauffage", "gaz_naturel"]
    assert {c: gas[c] for c in LABEL_COLUMNS if gas[c]} == {
        "n_label_f": 1, "n_ges_e": 1, "n_label_recomputed_e": 1,
    }  # fmt: skip
    # The immeuble DPE is in the vigintiles: ef 90, 100 (A1) and 200 (A2).
    everything = cuts["all", "all"]
    assert (everything["ef_p05"], everything["ef_p50"], everything["ef_p95"]) == pytest.approx(
        (91.0, 100.0, 190.0)
    )
    assert cuts["type_batiment", "immeuble"]["ef_p05"] == 90.0
    assert cuts["etiquette_dpe", "unknown"]["ef_p50"] is None


def test_vigintiles_are_quantile_cont_of_the_cut(gold_dir: Path) -> None:
    """Toulouse 2022, five DPE: ef 80, 100, 120, 150, 200; position (n − 1)·p, interpolated."""
    cuts = _cuts(gold_dir, "level = 'commune' AND code = '31555' AND annee = 2022")
    everything = cuts["all", "all"]
    ef = [everything[vigintile_column("ef", p)] for p in VIGINTILES]
    by_hand = {5: 84.0, 10: 88.0, 25: 100.0, 40: 112.0, 50: 120.0, 60: 132.0, 75: 150.0,
               90: 180.0, 95: 190.0}  # fmt: skip
    assert {p: v for p, v in zip(VIGINTILES, ef, strict=True) if p in by_hand} == pytest.approx(
        by_hand
    )
    assert ef == sorted(ef)
    assert (
        everything["n_ep"],
        everything["ep_p05"],
        everything["ep_p50"],
        everything["ep_p95"],
    ) == (pytest.approx((5, 166.0, 250.0, 428.0)))
    # The three DPE of 1989-2000 (ef 80, 100, 120); 1991-2000 is no ADEME period.
    period = cuts["periode_construction", "1989_2000"]
    assert (period["n_ef"], period["ef_p05"], period["ef_p50"], period["ef_p75"]) == (
        pytest.approx((3, 82.0, 100.0, 110.0))
    )
    one = cuts["energie_chauffage", "charbon"]  # a single value: every vigintile is it
    assert {one[vigintile_column("ef", p)] for p in VIGINTILES} == {120.0}
    assert cuts["energie_chauffage", "electricite"]["n_dpe"] == 2
    assert cuts["periode_construction", "unknown"]["n_dpe"] == 1


def test_france_holds_every_building_dpe_once_per_year(gold_dir: Path) -> None:
    fr = {
        r["annee"]: r for r in rows(gold_dir, "area_cuts", "level = 'france' AND dimension = 'all'")
    }
    # 2022: C1 (4 in use), C2 (1), N1 (1; N2's id is a street), T1 (5); 2023: C1 alone.
    assert {y: (r["code"], r["value"], r["n_dpe"]) for y, r in fr.items()} == {
        2022: ("FR", "all", 11),
        2023: ("FR", "all", 4),
    }


@pytest.fixture(scope="module")
def sample_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Gold of a generated sample (ADEME spellings, legacy keys, replaced DPE) via the pipeline."""
    root = tmp_path_factory.mktemp("sample")
    generate_sample(root / "input", communes=6, seed=11)
    zones = Zones(root / "zones")
    run = FilesRun(root / "input", zones, DuckConfig("512MB", 2), stop_after="gold")
    report = run_etl(run, NullProgress())
    assert report.status == "succeeded", report.message
    return zones.gold(report.run_id)


def test_a_generated_sample_adds_up_and_maps_every_wording(sample_gold: Path) -> None:
    got, expected = cut_sums_and_area_counts(sample_gold)
    assert got == expected and len(got) > 5 * 20
    values = duckdb.sql(
        f"SELECT DISTINCT dimension, value FROM '{sample_gold}/area_cuts.parquet'"
    ).fetchall()
    # The sample writes the ADEME wordings (current and legacy files): each maps to its slug.
    assert {v for d, v in values if d == "energie_chauffage"} <= set(ENERGY_SLUGS)
    assert {v for d, v in values if d == "periode_construction"} == set(
        VALUES[Dimension.PERIODE_CONSTRUCTION]
    ) - {"unknown"}
