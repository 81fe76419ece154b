"""Bulk DPE labels: the arrow UDFs and dpe_labels.sql over a hand-written silver_dpe view."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from volt.etl.transforms.labels import (
    create_labelled_dpe,
    label_dpe_sql,
    register_label_functions,
)

# The silver DPE columns the labelling reads, plus the key; the view keeps them all.
SILVER_DPE_SQL = """
CREATE OR REPLACE TEMP TABLE silver_rows (
    numero_dpe VARCHAR, date_etablissement_dpe DATE, type_batiment VARCHAR,
    surface_habitable_logement DOUBLE, surface_habitable_immeuble DOUBLE, etiquette_dpe VARCHAR,
    conso_5_usages_par_m2_ep DOUBLE, conso_5_usages_par_m2_ef DOUBLE,
    emission_ges_5_usages_par_m2 DOUBLE, type_energie_principale_chauffage VARCHAR,
    type_energie_principale_ecs VARCHAR, is_electric_heating BOOLEAN,
    type_energie_n1 VARCHAR, conso_5_usages_ef_energie_n1 DOUBLE,
    type_energie_n2 VARCHAR, conso_5_usages_ef_energie_n2 DOUBLE,
    type_energie_n3 VARCHAR, conso_5_usages_ef_energie_n3 DOUBLE,
    zone_climatique VARCHAR, classe_altitude VARCHAR
);
INSERT INTO silver_rows VALUES
-- 1: all-electric flat of 2025, 6,000 kWhEF / 60 m² = 100: Cep 270 → 230, E → D.
('1', '2025-03-01', 'appartement', 60, NULL, 'E', 270, 100, 8, 'Électricité', 'Électricité',
 true, 'Électricité', 6000, NULL, NULL, NULL, NULL, 'H2c', 'inférieur à 400m'),
-- 2: building DPE, gas plus two electricity lines, per m² of the building: 20,000 / 1,000.
('2', '2023-06-01', 'immeuble', NULL, 1000, 'D', 200, 120, 40, 'Gaz naturel', 'Gaz naturel',
 false, 'Gaz naturel', 100000, 'Électricité d''origine renouvelable utilisée dans le bâtiment',
 2000, 'Électricité', 18000, 'H1a', 'inférieur à 400m'),
-- 3: 12 m² of 2023 without breakdown, all electric: general scale then (G), small tables now.
('3', '2023-05-01', 'appartement', 12, NULL, 'G', 550, 150, 9, 'Électricité', NULL,
 true, NULL, NULL, NULL, NULL, NULL, NULL, 'H1b', 'inférieur à 400m'),
-- 4: above 800 m in H1c: the altitude scale keeps 350 / 75 in E.
('4', '2022-01-10', 'maison', 80, NULL, 'E', 350, 300, 75, 'Gaz naturel', 'Gaz naturel',
 false, 'Gaz naturel', 24000, NULL, NULL, NULL, NULL, 'H1c', 'supérieur à 800m'),
-- 5: above 800 m but in H3: general scale, 350 is F, the published E is inconsistent.
('5', '2022-01-10', 'maison', 80, NULL, 'E', 350, 300, 75, 'Gaz naturel', 'Gaz naturel',
 false, 'Gaz naturel', 24000, NULL, NULL, NULL, NULL, 'H3', 'supérieur à 800m'),
-- 6: electric heating, gas hot water, no breakdown: share unknown, no correction; 250.0 on
-- the D/E bound, so the published D is within rounding.
('6', '2024-02-01', 'maison', 100, NULL, 'D', 250, 150, 5, 'Électricité', 'Gaz naturel',
 true, NULL, NULL, NULL, NULL, NULL, NULL, 'H1a', NULL),
-- 7: no Cep: no label, no verdict; an electric line without surface: no per-m² amount.
('7', '2024-02-01', 'appartement', NULL, NULL, 'C', NULL, NULL, 5, 'Électricité', NULL,
 true, 'Électricité', 3000, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE OR REPLACE TEMP VIEW silver_dpe AS SELECT * FROM silver_rows;
"""
ADDED = [
    "elec_ef_source",
    "elec_ef_kwh_m2",
    "altitude_over_800m",
    "cep_current_kwh_m2",
    "label_recomputed",
    "inconsistent_label",
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(SILVER_DPE_SQL)
    create_labelled_dpe(con)
    return con


def rows(con: duckdb.DuckDBPyConnection, columns: str) -> list[tuple[Any, ...]]:
    return con.execute(f"SELECT numero_dpe, {columns} FROM labelled_dpe ORDER BY 1").fetchall()


def test_labelled_dpe_keeps_every_silver_column_and_adds_six(
    con: duckdb.DuckDBPyConnection,
) -> None:
    silver = [r[0] for r in con.execute("DESCRIBE silver_dpe").fetchall()]
    labelled = con.execute("DESCRIBE labelled_dpe").fetchall()
    assert [r[0] for r in labelled] == silver + ADDED
    types = {r[0]: r[1] for r in labelled}
    assert [types[c] for c in ADDED] == [
        "VARCHAR",
        "DOUBLE",
        "BOOLEAN",
        "DOUBLE",
        "VARCHAR",
        "BOOLEAN",
    ]


def test_final_electricity_per_m2_from_breakdown_or_heating(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert rows(con, "elec_ef_source, elec_ef_kwh_m2") == [
        ("1", "breakdown", 100.0),
        ("2", "breakdown", 20.0),
        ("3", "all_electric", 150.0),
        ("4", "breakdown", 0.0),
        ("5", "breakdown", 0.0),
        ("6", "electric_share_unknown", 0.0),
        ("7", "breakdown", None),
    ]


def test_labels_recomputed_under_todays_rules(con: duckdb.DuckDBPyConnection) -> None:
    assert rows(con, "altitude_over_800m, cep_current_kwh_m2, label_recomputed") == [
        ("1", False, 230.0, "D"),
        ("2", False, 192.0, "D"),  # 200 − 20 × 0.4; climate D (30 ≤ 40 < 50)
        ("3", False, 490.0, "F"),  # 12 m² tables: F below 578
        ("4", True, 350.0, "E"),
        ("5", False, 350.0, "F"),
        ("6", False, 250.0, "E"),
        ("7", False, None, None),
    ]


def test_published_labels_checked_against_their_own_values(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert rows(con, "inconsistent_label") == [
        ("1", False),
        ("2", False),
        ("3", False),
        ("4", False),
        ("5", True),
        ("6", False),
        ("7", None),
    ]


def test_udfs_take_sql_nulls_and_registering_twice_is_harmless() -> None:
    con = duckdb.connect(":memory:")
    register_label_functions(con)
    register_label_functions(con)
    got = con.execute(
        "SELECT dpe_label_at(550, 9, 12, DATE '2024-07-01', NULL), "
        "dpe_label_at(550, 9, NULL, DATE '2024-07-01', false), "
        "dpe_label_at(NULL, 9, 12, DATE '2024-07-01', false), "
        "dpe_cep_current(300, 100, DATE '2025-12-31'), dpe_cep_current(300, 100, NULL), "
        "dpe_label_inconsistent('A', 70.0, 1, 60, DATE '2025-01-01', false)"
    ).fetchone()
    assert got == ("F", "G", None, 260.0, None, False)


def test_label_sql_is_the_packaged_file() -> None:
    assert "CREATE OR REPLACE TEMP VIEW labelled_dpe" in label_dpe_sql()
