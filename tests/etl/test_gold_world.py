"""Helpers (no tests here): hand-built geocoded Enedis, labelled DPE and silver BAN for gold."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from volt.etl.transforms.gold import GoldReport, build_gold

ENEDIS_COLUMNS = (
    ("annee", "INTEGER"), ("code_iris", "VARCHAR"), ("nom_iris", "VARCHAR"),
    ("numero_de_voie", "VARCHAR"), ("indice_de_repetition", "VARCHAR"),
    ("type_de_voie", "VARCHAR"), ("libelle_de_voie", "VARCHAR"), ("adresse", "VARCHAR"),
    ("code_commune", "VARCHAR"), ("code_insee", "VARCHAR"), ("nom_commune", "VARCHAR"),
    ("code_epci", "VARCHAR"), ("code_departement", "VARCHAR"), ("code_region", "VARCHAR"),
    ("segment_de_client", "VARCHAR"), ("nombre_de_logements", "BIGINT"),
    ("consommation_totale_mwh", "DOUBLE"), ("consommation_moyenne_mwh", "DOUBLE"),
    ("consommation_moyenne_commune_mwh", "DOUBLE"), ("tri_des_adresses", "BIGINT"),
    ("_file", "VARCHAR"), ("quality_flags", "VARCHAR[]"), ("ban_id", "VARCHAR"),
    ("geocode_status", "VARCHAR"), ("geocode_method", "VARCHAR"), ("geocode_score", "DOUBLE"),
    ("geocode_candidates", "INTEGER"),
)  # fmt: skip
DPE_COLUMNS = (
    ("numero_dpe", "VARCHAR"), ("numero_dpe_remplace", "VARCHAR"),
    ("date_etablissement_dpe", "DATE"), ("type_batiment", "VARCHAR"),
    ("periode_construction", "VARCHAR"), ("annee_construction", "BIGINT"),
    ("surface_habitable_logement", "DOUBLE"), ("surface_habitable_immeuble", "DOUBLE"),
    ("etiquette_dpe", "VARCHAR"), ("etiquette_ges", "VARCHAR"),
    ("conso_5_usages_par_m2_ep", "DOUBLE"), ("conso_5_usages_par_m2_ef", "DOUBLE"),
    ("emission_ges_5_usages_par_m2", "DOUBLE"), ("type_energie_principale_chauffage", "VARCHAR"),
    ("is_electric_heating", "BOOLEAN"), ("identifiant_ban", "VARCHAR"), ("ban_id_kind", "VARCHAR"),
    ("code_insee", "VARCHAR"), ("nom_commune_ban", "VARCHAR"), ("code_departement", "VARCHAR"),
    ("code_region", "VARCHAR"), ("is_replaced", "BOOLEAN"), ("label_recomputed", "VARCHAR"),
    ("inconsistent_label", "BOOLEAN"), ("cep_current_kwh_m2", "DOUBLE"),
    ("elec_ef_kwh_m2", "DOUBLE"),
)  # fmt: skip
BAN_COLUMNS = (
    ("id", "VARCHAR"), ("id_fantoir", "VARCHAR"), ("numero", "VARCHAR"), ("rep", "VARCHAR"),
    ("nom_voie", "VARCHAR"), ("code_postal", "VARCHAR"), ("code_insee", "VARCHAR"),
    ("code_departement", "VARCHAR"), ("nom_commune", "VARCHAR"), ("x", "DOUBLE"),
    ("y", "DOUBLE"), ("lon", "DOUBLE"), ("lat", "DOUBLE"), ("nom_afnor", "VARCHAR"),
    ("_file", "VARCHAR"),
)  # fmt: skip

COMMUNES = {  # code_insee: (nom, epci, departement, region)
    "06029": ("Cannes", "200039915", "06", "93"),
    "06088": ("Nice", "200030195", "06", "93"),
    "31555": ("Toulouse", "243100518", "31", "76"),
}


def enedis(ban_id: str | None, annee: int, dwellings: int, mwh: float, **kw: Any) -> dict:
    insee = kw.pop("code_insee", ban_id[:5] if ban_id else "06029")
    nom, epci, dep, reg = COMMUNES[insee]
    row = {
        "annee": annee, "code_iris": insee + "0101", "nom_iris": "Centre", "numero_de_voie": "1",
        "type_de_voie": "RUE", "libelle_de_voie": "A", "adresse": "1 RUE A",
        "code_commune": insee, "code_insee": insee, "nom_commune": nom.upper(), "code_epci": epci,
        "code_departement": dep, "code_region": reg, "segment_de_client": "RESIDENTIEL",
        "nombre_de_logements": dwellings, "consommation_totale_mwh": mwh,
        "consommation_moyenne_mwh": round(mwh / dwellings, 3), "tri_des_adresses": 1,
        "_file": "enedis/x.csv", "quality_flags": [], "ban_id": ban_id,
        "geocode_status": "matched" if ban_id else "not_found",
        "geocode_method": "structured" if ban_id else None,
        "geocode_score": 1.0 if ban_id else None, "geocode_candidates": 1 if ban_id else 0,
    }  # fmt: skip
    row.update(kw)
    return row


def dpe(numero: str, ban_id: str | None, label: str, surface: float | None, ef: float,
        **kw: Any) -> dict:  # fmt: skip
    insee = kw.get("code_insee", ban_id[:5] if ban_id else "06029")
    row = {
        "numero_dpe": numero, "type_batiment": "appartement", "surface_habitable_logement": surface,
        "etiquette_dpe": label, "etiquette_ges": "B", "conso_5_usages_par_m2_ef": ef,
        "conso_5_usages_par_m2_ep": ef * 2.3, "is_electric_heating": True,
        "type_energie_principale_chauffage": "Électricité", "identifiant_ban": ban_id,
        "ban_id_kind": "address", "code_insee": insee, "nom_commune_ban": COMMUNES[insee][0],
        "code_departement": COMMUNES[insee][2], "code_region": COMMUNES[insee][3],
        "is_replaced": False, "label_recomputed": label, "inconsistent_label": False,
        "date_etablissement_dpe": "2023-01-02", "annee_construction": 1975,
    }  # fmt: skip
    row.update(kw)
    return row


def ban(ban_id: str, nom_voie: str, lon: float, lat: float) -> dict:
    insee = ban_id[:5]
    return {
        "id": ban_id, "numero": str(int(ban_id.split("_")[2])), "nom_voie": nom_voie,
        "code_postal": "06400", "code_insee": insee, "code_departement": COMMUNES[insee][2],
        "nom_commune": COMMUNES[insee][0], "lon": lon, "lat": lat, "x": 1.0, "y": 2.0,
        "_file": "ban/adresses.csv",
    }  # fmt: skip


@dataclass
class World:
    enedis: list[dict] = field(default_factory=list)
    dpe: list[dict] = field(default_factory=list)
    ban: list[dict] = field(default_factory=list)

    def build(self, root: Path) -> tuple[GoldReport, Path]:
        con = duckdb.connect()
        _table(con, "enedis_rows", ENEDIS_COLUMNS, self.enedis)
        _table(con, "labelled_dpe", DPE_COLUMNS, self.dpe)
        _table(con, "ban_rows", BAN_COLUMNS, self.ban)
        enedis_path, ban_dir = (
            root / "enedis_geocoded.parquet",
            root / "ban" / "code_departement=06",
        )
        ban_dir.mkdir(parents=True)
        con.execute(f"COPY enedis_rows TO '{enedis_path}' (FORMAT parquet)")
        con.execute(f"COPY ban_rows TO '{ban_dir}/part-0.parquet' (FORMAT parquet)")
        gold_dir = root / "gold"
        report = build_gold(
            con,
            enedis_geocoded=str(enedis_path),
            dpe_view="labelled_dpe",
            ban_parquet=str(root / "ban" / "**" / "*.parquet"),
            gold_dir=gold_dir,
        )
        return report, gold_dir


def _table(con: duckdb.DuckDBPyConnection, name: str, columns: tuple, rows: list[dict]) -> None:
    con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
    names = [c for c, _ in columns]
    marks = ", ".join("?" for _ in names)
    for row in rows:
        con.execute(f"INSERT INTO {name} VALUES ({marks})", [row.get(c) for c in names])


def rows(gold_dir: Path, table: str, where: str = "TRUE", order: str = "1") -> list[dict]:
    rel = duckdb.sql(f"SELECT * FROM '{gold_dir}/{table}.parquet' WHERE {where} ORDER BY {order}")
    return [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
