"""The stage: Paris/Lyon/Marseille through silver, nothing dropped, rates, the geocoder chain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.etl.conftest import ENEDIS_HEADER
from tests.etl.geocode.conftest import Enedis, ban, run_geocoding
from volt.errors import VoltError
from volt.etl.geocode import BanFileGeocoder, DepartementRate

BAN_HEADER = "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune"


def test_paris_lyon_marseille_match_through_the_arrondissement(run_silver, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Enedis publishes Lyon as 69123; silver takes the arrondissement (69381) from the IRIS code.
    # Without an IRIS code the row keeps 69123 and still matches, through the whole-city code.
    enedis_rows = [
        "2022;693810101;Iris;12;;RUE;DE LA REPUBLIQUE;69123;Lyon;RESIDENTIEL;20;40;2;2.5;"
        "12 RUE DE LA REPUBLIQUE;200046977;69;84;1",
        "2022;;;14;;RUE;DE LA REPUBLIQUE;69123;Lyon;RESIDENTIEL;20;40;2;2.5;"
        "14 RUE DE LA REPUBLIQUE;200046977;69;84;2",
        "2022;751010101;Iris;3;;RUE;DE RIVOLI;75056;Paris;RESIDENTIEL;20;40;2;2.5;"
        "3 RUE DE RIVOLI;200054781;75;11;3",
    ]
    ban_rows = [
        "69381_1234_00012;;12;;Rue de la République;69001;69381;Lyon 1er Arrondissement",
        "69381_1234_00014;;14;;Rue de la République;69001;69381;Lyon 1er Arrondissement",
        "75101_8250_00003;;3;;Rue de Rivoli;75001;75101;Paris 1er Arrondissement",
    ]
    run = run_silver(
        {
            "enedis/lyon.csv": "\n".join([ENEDIS_HEADER, *enedis_rows]) + "\n",
            "ban/adresses-69.csv": "\n".join([BAN_HEADER, *ban_rows]) + "\n",
        }
    )
    silver = run.zones.silver(run.report.run_id)
    result = run_geocoding(silver, tmp_path / "geocoded.parquet")
    assert [(r["code_commune"], r["code_insee"], r["ban_id"]) for r in result.rows] == [
        ("69123", "69381", "69381_1234_00012"),
        ("69123", "69123", "69381_1234_00014"),
        ("75056", "75101", "75101_8250_00003"),
    ]
    assert result.report.matched == 3


def test_nothing_dropped_rows_in_equal_rows_out(geocode) -> None:  # type: ignore[no-untyped-def]
    enedis = [
        Enedis("5", "RUE", "PASTEUR", annee=2021),
        Enedis("5", "RUE", "PASTEUR", annee=2022),  # the same address, another year
        Enedis("5", "RUE", "PASTEUR", annee=2022),  # and once more (another IRIS)
        Enedis("8", "RUE", "DE LA PAIX"),
        Enedis("1", None, None),
        Enedis(None, None, None),
        Enedis("77", "RUE", "INCONNUE"),
    ]
    result = geocode(
        enedis,
        [
            ban("06029_0001_00005", "5", "Rue Pasteur"),
            ban("06029_0002_00008", "8", "Rue de la Paix"),
            ban("06029_0003_00008", "8", "Rue de la Paix"),
        ],
    )
    report = result.report
    assert (report.rows_in, report.matched, report.ambiguous, report.not_found) == (7, 3, 1, 3)
    assert len(result.rows) == 7
    assert [r["geocode_status"] for r in result.rows] == [
        "matched", "matched", "matched", "ambiguous", "not_found", "not_found", "not_found",
    ]  # fmt: skip
    assert report.by_method == {"ban_file:exact": 4}
    # Every silver column is kept, the geocoding columns are added.
    assert list(result.rows[0])[-5:] == [
        "ban_id", "geocode_status", "geocode_method", "geocode_score", "geocode_candidates",
    ]  # fmt: skip
    assert "nombre_de_logements" in result.rows[0]


def test_output_column_types(geocode, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    geocode([Enedis("5", "RUE", "PASTEUR")], [ban("06029_0001_00005", "5", "Rue Pasteur")])
    rel = duckdb.sql(
        f"DESCRIBE SELECT ban_id, geocode_status, geocode_method, geocode_score, "
        f"geocode_candidates, code_departement FROM read_parquet('{tmp_path}/geocoded.parquet')"
    )
    assert [(r[0], r[1]) for r in rel.fetchall()] == [
        ("ban_id", "VARCHAR"),
        ("geocode_status", "VARCHAR"),
        ("geocode_method", "VARCHAR"),
        ("geocode_score", "DOUBLE"),
        ("geocode_candidates", "INTEGER"),
        ("code_departement", "VARCHAR"),
    ]


def test_rates_per_departement(geocode) -> None:  # type: ignore[no-untyped-def]
    result = geocode(
        [
            Enedis("5", "RUE", "PASTEUR"),
            Enedis("6", "RUE", "PASTEUR"),
            Enedis("1", "RUE", "DU PORT", code_commune="2A004"),
            Enedis("2", "RUE", "DU PORT", code_commune="2A004"),
            Enedis("3", "RUE", "DU PORT", code_commune="2A004"),
            Enedis("9", "RUE", "DU PORT", code_commune="2A004"),
        ],
        [
            ban("06029_0001_00005", "5", "Rue Pasteur"),
            ban("2A004_0001_00001", "1", "Rue du Port"),
            ban("2A004_0001_00002", "2", "Rue du Port"),
            ban("2A004_0001_00003", "3", "Rue du Port"),
        ],
    )
    rates = result.report.by_departement
    assert rates == (DepartementRate("06", 2, 1, 0, 1), DepartementRate("2A", 4, 3, 0, 1))
    assert [r.match_rate for r in rates] == [0.5, 0.75]
    assert result.report.match_rate == 4 / 6


@dataclass(frozen=True)
class EverythingAtTheTownHall:
    """A stand-in for a later geocoder: decides every row still pending."""

    method: str = "town_hall"

    def geocode(self, con: duckdb.DuckDBPyConnection, pending: str) -> str:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE town_hall AS SELECT _row_id, 'HALL' AS ban_id, "
            "'matched' AS geocode_status, 'town_hall' AS geocode_method, 0.1 AS geocode_score, "
            f"1 AS geocode_candidates FROM {pending}"
        )
        return "town_hall"


def test_chain_passes_only_pending_rows_to_the_next_geocoder(geocode, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ban_glob = f"{tmp_path}/silver/ban/**/*.parquet"
    result = geocode(
        [Enedis("5", "RUE", "PASTEUR"), Enedis("77", "RUE", "INCONNUE")],
        [ban("06029_0001_00005", "5", "Rue Pasteur")],
        [BanFileGeocoder(ban_glob), EverythingAtTheTownHall()],
    )
    assert [r[:3] for r in result.outcome()] == [
        ("06029_0001_00005", "matched", "ban_file:exact"),
        ("HALL", "matched", "town_hall"),
    ]
    assert result.report.by_method == {"ban_file:exact": 1, "town_hall": 1}


@dataclass(frozen=True)
class DecidesTwice:
    method: str = "twice"

    def geocode(self, con: duckdb.DuckDBPyConnection, pending: str) -> str:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE twice AS SELECT _row_id, 'X' AS ban_id, "
            "'matched' AS geocode_status, 'twice' AS geocode_method, 0.1 AS geocode_score, "
            f"1 AS geocode_candidates FROM {pending} CROSS JOIN range(2)"
        )
        return "twice"


def test_a_geocoder_deciding_a_row_twice_is_refused(geocode) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(VoltError, match="returned 2 decisions for 1 rows"):
        geocode([Enedis("5", "RUE", "PASTEUR")], [], [DecidesTwice()])
