"""Tiny silver Enedis and BAN parquet files written with DuckDB, geocoded, read back in order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from volt.etl.geocode import Geocoder, GeocodeReport, geocode_enedis
from volt.etl.transforms.duck import DuckConfig, connect

ENEDIS_COLUMNS = (
    "annee", "code_iris", "numero_de_voie", "indice_de_repetition", "type_de_voie",
    "libelle_de_voie", "adresse", "code_commune", "nom_commune", "code_insee", "code_departement",
    "nombre_de_logements", "tri_des_adresses",
)  # fmt: skip
INTEGER_COLUMNS = ("annee", "nombre_de_logements", "tri_des_adresses")
BAN_COLUMNS = ("id", "numero", "rep", "nom_voie", "code_insee", "code_insee_ancienne_commune")


@dataclass(frozen=True)
class Enedis:
    """One silver Enedis row; `code_insee` defaults to the commune (the arrondissement in PLM)."""

    numero: str | None
    type_de_voie: str | None
    libelle: str | None
    code_commune: str = "06029"
    indice: str | None = None
    code_insee: str | None = None
    annee: int = 2022

    def values(self, tri: int) -> tuple[Any, ...]:
        insee = self.code_insee or self.code_commune
        adresse = " ".join(
            p for p in (self.numero, self.indice, self.type_de_voie, self.libelle) if p
        )
        dep = insee[:3] if insee.startswith("97") else insee[:2]
        return (
            self.annee, insee + "0101", self.numero, self.indice, self.type_de_voie, self.libelle,
            adresse, self.code_commune, None, insee, dep, 12, tri,
        )  # fmt: skip


def ban(
    id_: str, numero: str, nom_voie: str, rep: str | None = None, ancienne: str | None = None
) -> tuple[Any, ...]:
    """One silver BAN row; the commune is the id's prefix."""
    return (id_, numero, rep, nom_voie, id_.split("_")[0], ancienne)


@dataclass
class Geocoded:
    report: GeocodeReport
    rows: list[dict[str, Any]]  # in the order the Enedis rows were given

    def outcome(self) -> list[tuple[Any, ...]]:
        keys = ("ban_id", "geocode_status", "geocode_method", "geocode_score", "geocode_candidates")
        return [tuple(r[k] for k in keys) for r in self.rows]


def write_table(path: Path, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    typed = ", ".join(f"{c} {'INTEGER' if c in INTEGER_COLUMNS else 'VARCHAR'}" for c in columns)
    con.execute(f"CREATE TABLE t ({typed})")
    if rows:
        con.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in columns)})", rows)
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    con.close()


@pytest.fixture
def geocode(tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(
        enedis: list[Enedis],
        ban_rows: list[tuple[Any, ...]],
        geocoders: list[Geocoder] | None = None,
    ) -> Geocoded:
        silver = tmp_path / "silver"
        write_table(
            silver / "enedis" / "part-0.parquet",
            ENEDIS_COLUMNS,
            [e.values(i) for i, e in enumerate(enedis)],
        )
        write_table(silver / "ban" / "part-0.parquet", BAN_COLUMNS, ban_rows)
        return run_geocoding(silver, tmp_path / "geocoded.parquet", geocoders)

    return run


def run_geocoding(silver: Path, out: Path, geocoders: list[Geocoder] | None = None) -> Geocoded:
    con = connect(DuckConfig("512MB", 1))
    try:
        report = geocode_enedis(
            con,
            f"{silver}/enedis/**/*.parquet",
            f"{silver}/ban/**/*.parquet",
            out,
            geocoders,
        )
        rel = con.execute(f"SELECT * FROM read_parquet('{out}') ORDER BY tri_des_adresses, annee")
        columns = [d[0] for d in rel.description]
        rows = [dict(zip(columns, r, strict=True)) for r in rel.fetchall()]
    finally:
        con.close()
    return Geocoded(report, rows)
