"""The gold tables' columns: the contract between the gold stage, the gold zone and PostgreSQL.

Gold parquet files carry exactly these columns, in this order, with these types; the tables
published to PostgreSQL (migrations 0002, 0003) have the same columns. A test checks both sides.
Types are DuckDB names; `pg_type` maps them.
"""

from __future__ import annotations

from dataclasses import dataclass

LABELS = ("a", "b", "c", "d", "e", "f", "g")
LEVELS = ("street", "iris", "commune", "epci", "departement", "region", "france")


@dataclass(frozen=True)
class GoldTable:
    name: str  # gold file <name>.parquet and PostgreSQL table <name>
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]  # (column, DuckDB type)
    serving: bool  # readable by the API's reader role
    # Loaded into PostgreSQL. The DPE and Enedis rows (half of all gold rows) stay in the gold zone
    # only: no database role reads them, and loading them took half of the load's time.
    in_postgres: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


def _labels(prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix}_{label}", "INTEGER") for label in LABELS]


PG_TYPES = {
    "VARCHAR": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
}

COMMUNES = GoldTable(
    "communes",
    ("code_insee",),
    (
        ("code_insee", "VARCHAR"),
        ("nom", "VARCHAR"),
        ("code_departement", "VARCHAR"),
        ("code_region", "VARCHAR"),
        ("code_epci", "VARCHAR"),
        ("nom_epci", "VARCHAR"),
        ("lon", "DOUBLE"),
        ("lat", "DOUBLE"),
    ),
    serving=True,
)

BUILDINGS = GoldTable(
    "buildings",
    ("ban_id", "annee"),
    (
        ("ban_id", "VARCHAR"),
        ("annee", "INTEGER"),
        ("code_insee", "VARCHAR"),
        ("code_iris", "VARCHAR"),
        ("code_departement", "VARCHAR"),
        ("code_region", "VARCHAR"),
        ("code_epci", "VARCHAR"),
        ("street_code", "VARCHAR"),  # {insee}_{voie}: the BAN id without its number
        ("nom_voie", "VARCHAR"),
        ("numero", "VARCHAR"),
        ("lon", "DOUBLE"),
        ("lat", "DOUBLE"),
        ("n_dwellings", "INTEGER"),  # Enedis delivery points
        ("metered_kwh_per_dwelling", "DOUBLE"),
        ("n_dpe", "INTEGER"),
        ("n_dpe_dwelling", "INTEGER"),
        ("mean_surface_m2", "DOUBLE"),
        ("dpe_ef_kwh_m2", "DOUBLE"),
        ("dpe_ep_kwh_m2", "DOUBLE"),
        ("metered_kwh_m2", "DOUBLE"),
        *_labels("n_label"),
        *_labels("n_ges"),
        *_labels("n_label_recomputed"),
        ("n_inconsistent_label", "INTEGER"),
        ("share_electric_heating", "DOUBLE"),
        ("is_electric_heating", "BOOLEAN"),
        ("building_label", "VARCHAR"),
        ("geocode_status", "VARCHAR"),
        ("geocode_method", "VARCHAR"),
        ("geocode_score", "DOUBLE"),
    ),
    serving=True,
)

_STATS = [
    (f"{what}_{stat}", "DOUBLE")
    for what in ("dpe_ef_kwh_m2", "dpe_ep_kwh_m2")
    for stat in ("mean", "median", "p10", "p90")
]
_METERED = [
    ("metered_kwh_per_dwelling_mean", "DOUBLE"),
    ("metered_kwh_per_dwelling_median", "DOUBLE"),
    ("metered_kwh_m2_mean", "DOUBLE"),
    ("metered_kwh_m2_median", "DOUBLE"),
]

AREAS = GoldTable(
    "areas",
    ("level", "code", "annee"),
    (
        ("level", "VARCHAR"),
        ("code", "VARCHAR"),
        ("annee", "INTEGER"),
        ("name", "VARCHAR"),
        ("parent_level", "VARCHAR"),
        ("parent_code", "VARCHAR"),
        ("code_departement", "VARCHAR"),
        ("n_buildings", "INTEGER"),
        ("n_dwellings", "INTEGER"),
        ("n_dpe", "INTEGER"),
        ("n_dpe_dwelling", "INTEGER"),
        ("min_building_dwellings", "INTEGER"),  # suppression: smallest contributing building
        *_labels("n_label"),
        *_labels("n_ges"),
        *_labels("n_label_recomputed"),
        ("n_inconsistent_label", "INTEGER"),
        *_STATS,
        *_METERED,
        ("elec_n_buildings", "INTEGER"),
        ("elec_n_dwellings", "INTEGER"),
        ("elec_n_dpe", "INTEGER"),
        *[(f"elec_{c}", t) for c, t in _STATS],
        *[(f"elec_{c}", t) for c, t in _METERED],
    ),
    serving=True,
)

DPE_VS_METERED = GoldTable(
    "dpe_vs_metered",
    ("level", "code", "annee", "etiquette_dpe"),
    (
        ("level", "VARCHAR"),
        ("code", "VARCHAR"),
        ("annee", "INTEGER"),
        ("etiquette_dpe", "VARCHAR"),  # the building's label (see gold SQL: dominant DPE label)
        ("n_buildings_electric", "INTEGER"),  # pairs: one per building
        ("n_buildings_other", "INTEGER"),  # counted, not paired
        ("n_dwellings_electric", "INTEGER"),
        ("dpe_ef_kwh_m2_q1", "DOUBLE"),
        ("dpe_ef_kwh_m2_median", "DOUBLE"),
        ("dpe_ef_kwh_m2_q3", "DOUBLE"),
        ("metered_kwh_m2_q1", "DOUBLE"),
        ("metered_kwh_m2_median", "DOUBLE"),
        ("metered_kwh_m2_q3", "DOUBLE"),
        ("ratio_q1", "DOUBLE"),
        ("ratio_median", "DOUBLE"),
        ("ratio_q3", "DOUBLE"),
        ("wilcoxon_statistic", "DOUBLE"),
        ("wilcoxon_p_value", "DOUBLE"),
        ("trend_kendall_tau", "DOUBLE"),  # across labels of the area (same on each label row)
        ("trend_p_value", "DOUBLE"),
    ),
    serving=True,
)

# Per area (commune and up), year, DPE dimension and value: counts, label mixes and the
# vigintiles of the conventional consumption per m² (volt.domain.cuts says what a cut is).
AREA_CUTS = GoldTable(
    "area_cuts",
    ("level", "code", "annee", "dimension", "value"),
    (
        ("level", "VARCHAR"),
        ("code", "VARCHAR"),
        ("annee", "INTEGER"),
        ("dimension", "VARCHAR"),
        ("value", "VARCHAR"),
        ("n_dpe", "INTEGER"),  # DPE of the cut (building-wide DPE included)
        *_labels("n_label"),
        *_labels("n_ges"),
        *_labels("n_label_recomputed"),
        ("n_ep", "INTEGER"),  # DPE of the cut with a primary energy per m²
        *[(f"ep_p{p:02d}", "DOUBLE") for p in range(5, 100, 5)],
        ("n_ef", "INTEGER"),  # … with a final energy per m²
        *[(f"ef_p{p:02d}", "DOUBLE") for p in range(5, 100, 5)],
    ),
    serving=True,
)

DPE = GoldTable(
    "dpe",
    ("numero_dpe",),
    (
        ("numero_dpe", "VARCHAR"),
        ("numero_dpe_remplace", "VARCHAR"),
        ("date_etablissement_dpe", "DATE"),
        ("type_batiment", "VARCHAR"),
        ("periode_construction", "VARCHAR"),
        ("annee_construction", "INTEGER"),
        ("surface_habitable_logement", "DOUBLE"),
        ("etiquette_dpe", "VARCHAR"),
        ("etiquette_ges", "VARCHAR"),
        ("label_recomputed", "VARCHAR"),
        ("inconsistent_label", "BOOLEAN"),
        ("conso_5_usages_par_m2_ep", "DOUBLE"),
        ("conso_5_usages_par_m2_ef", "DOUBLE"),
        ("emission_ges_5_usages_par_m2", "DOUBLE"),
        ("cep_current_kwh_m2", "DOUBLE"),  # Cep under today's electricity factor
        ("type_energie_principale_chauffage", "VARCHAR"),
        ("is_electric_heating", "BOOLEAN"),
        ("identifiant_ban", "VARCHAR"),
        ("code_insee", "VARCHAR"),
        ("code_departement", "VARCHAR"),
        ("is_replaced", "BOOLEAN"),
    ),
    serving=False,
    in_postgres=False,
)

ENEDIS = GoldTable(
    "enedis_consumption",
    ("annee", "code_commune", "code_iris", "adresse", "tri_des_adresses"),
    (
        ("annee", "INTEGER"),
        ("code_iris", "VARCHAR"),
        ("nom_iris", "VARCHAR"),
        ("numero_de_voie", "VARCHAR"),
        ("indice_de_repetition", "VARCHAR"),
        ("type_de_voie", "VARCHAR"),
        ("libelle_de_voie", "VARCHAR"),
        ("adresse", "VARCHAR"),
        ("code_commune", "VARCHAR"),
        ("code_insee", "VARCHAR"),
        ("nom_commune", "VARCHAR"),
        ("code_epci", "VARCHAR"),
        ("code_departement", "VARCHAR"),
        ("code_region", "VARCHAR"),
        ("nombre_de_logements", "INTEGER"),
        ("consommation_totale_mwh", "DOUBLE"),
        ("consommation_moyenne_mwh", "DOUBLE"),
        ("consommation_moyenne_commune_mwh", "DOUBLE"),
        ("tri_des_adresses", "BIGINT"),
        ("ban_id", "VARCHAR"),
        ("geocode_status", "VARCHAR"),
        ("geocode_method", "VARCHAR"),
        ("geocode_score", "DOUBLE"),
    ),
    serving=False,
    in_postgres=False,
)

ADDRESSES = GoldTable(
    "ban_addresses",
    ("id",),
    (
        ("id", "VARCHAR"),
        ("id_fantoir", "VARCHAR"),
        ("numero", "VARCHAR"),
        ("rep", "VARCHAR"),
        ("nom_voie", "VARCHAR"),
        ("code_postal", "VARCHAR"),
        ("code_insee", "VARCHAR"),
        ("nom_commune", "VARCHAR"),
        ("lon", "DOUBLE"),
        ("lat", "DOUBLE"),
        ("x", "DOUBLE"),
        ("y", "DOUBLE"),
        ("nom_afnor", "VARCHAR"),
    ),
    serving=False,
)

GOLD_TABLES = (COMMUNES, BUILDINGS, AREAS, DPE_VS_METERED, AREA_CUTS, DPE, ENEDIS, ADDRESSES)
PUBLISHED_TABLES = tuple(t for t in GOLD_TABLES if t.in_postgres)
