"""The three DPE file variants: current snake_case CSV, legacy-key JSON lines, legacy-key CSV.

Current keys are the registry's canonical names plus realistic extras; legacy keys are the
registry's first alias (`N°DPE`, `Etiquette_DPE`, …) and, for the extras, the label-style names
of the ADEME fixture (`Coût_total_5_usages`, `Ubat_W/m²_K`, …).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from itertools import repeat
from json.encoder import encode_basestring
from typing import Any, Literal

import numpy as np

from volt.etl.sources.registry import source_spec
from volt.sample.dpe_energy import Columns
from volt.sample.formats import day_first_dates, iso_dates, js_numbers, js_strings, json_numbers

# "small": a number column with few distinct values (formatted through a cache).
Kind = Literal["text", "float", "small", "int", "date", "comma"]
DpeVariant = Literal["current", "legacy-jsonl", "legacy-csv"]
DPE_VARIANTS: tuple[DpeVariant, ...] = ("current", "legacy-jsonl", "legacy-csv")

# (current key, kind) in the order of a data-fair export with `select=`.
COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("numero_dpe", "text"), ("numero_dpe_remplace", "text"),
    ("numero_dpe_immeuble_associe", "text"), ("date_etablissement_dpe", "date"),
    ("date_reception_dpe", "date"), ("date_visite_diagnostiqueur", "date"),
    ("date_fin_validite_dpe", "date"), ("version_dpe", "small"), ("modele_dpe", "text"),
    ("methode_application_dpe", "text"), ("type_batiment", "text"),
    ("periode_construction", "text"), ("annee_construction", "int"),
    ("surface_habitable_logement", "small"), ("surface_habitable_immeuble", "float"),
    ("nombre_appartement", "small"), ("etiquette_dpe", "text"), ("etiquette_ges", "text"),
    ("conso_5_usages_par_m2_ep", "small"), ("conso_5_usages_par_m2_ef", "small"),
    ("emission_ges_5_usages_par_m2", "small"), ("conso_5_usages_ep", "float"),
    ("conso_5_usages_ef", "float"), ("emission_ges_5_usages", "float"),
    ("type_energie_principale_chauffage", "text"), ("type_energie_principale_ecs", "text"),
    ("type_energie_n1", "text"), ("conso_5_usages_ef_energie_n1", "float"),
    ("type_energie_n2", "text"), ("conso_5_usages_ef_energie_n2", "float"),
    ("type_energie_n3", "text"), ("conso_5_usages_ef_energie_n3", "float"),
    ("type_installation_chauffage", "text"), ("zone_climatique", "text"),
    ("classe_altitude", "text"), ("identifiant_ban", "text"), ("adresse_ban", "text"),
    ("numero_voie_ban", "text"), ("nom_rue_ban", "text"), ("code_postal_ban", "text"),
    ("code_insee_ban", "text"), ("nom_commune_ban", "text"), ("code_departement_ban", "text"),
    ("code_region_ban", "text"), ("score_ban", "small"), ("statut_geocodage", "text"),
    ("coordonnee_cartographique_x_ban", "float"), ("coordonnee_cartographique_y_ban", "float"),
    ("_geopoint", "text"), ("cout_total_5_usages", "float"), ("cout_chauffage", "float"),
    ("cout_ecs", "float"), ("ubat_w_m2_k", "small"), ("qualite_isolation_enveloppe", "text"),
    ("qualite_isolation_murs", "text"), ("qualite_isolation_menuiseries", "text"),
    ("besoin_chauffage", "float"), ("besoin_ecs", "comma"), ("besoin_refroidissement", "comma"),
    ("conso_chauffage_ef", "float"), ("conso_ecs_ef", "float"), ("hauteur_sous_plafond", "small"),
    ("complement_adresse_logement", "text"), ("complement_adresse_batiment", "text"),
    ("nom_residence", "text"), ("numero_etage_appartement", "small"), ("adresse_brut", "text"),
    ("code_postal_brut", "text"), ("nom_commune_brut", "text"),
)  # fmt: skip

# Legacy label-style keys of the columns the registry does not know (modelled on the fixture).
EXTRA_LEGACY = {
    "cout_total_5_usages": "Coût_total_5_usages",
    "cout_chauffage": "Coût_chauffage",
    "cout_ecs": "Coût_ECS",
    "ubat_w_m2_k": "Ubat_W/m²_K",
    "qualite_isolation_enveloppe": "Qualité_isolation_enveloppe",
    "qualite_isolation_murs": "Qualité_isolation_murs",
    "qualite_isolation_menuiseries": "Qualité_isolation_menuiseries",
    "besoin_chauffage": "Besoin_chauffage",
    "besoin_ecs": "Besoin_ECS",
    "besoin_refroidissement": "Besoin_refroidissement",
    "conso_chauffage_ef": "Conso_chauffage_é_finale",
    "conso_ecs_ef": "Conso_ECS_é_finale",
    "hauteur_sous_plafond": "Hauteur_sous-plafond",
    "complement_adresse_logement": "Complément_d'adresse_logement",
    "complement_adresse_batiment": "Complément_d'adresse_bâtiment",
    "nom_residence": "Nom_résidence",
    "numero_etage_appartement": "N°_étage_appartement",
    "adresse_brut": "Adresse_brute",
    "code_postal_brut": "Code_postal_(brut)",
    "nom_commune_brut": "Nom__commune_(Brut)",
}


@cache
def header(variant: DpeVariant) -> tuple[str, ...]:
    if variant == "current":
        return tuple(name for name, _ in COLUMNS)
    spec = source_spec("dpe").columns
    return tuple(
        spec[name].first_alias if name in spec else EXTRA_LEGACY[name] for name, _ in COLUMNS
    )


@cache
def _jsonl_keys() -> tuple[str, ...]:
    """`{"N°DPE": `, `, "N°_DPE_remplacé": `, …: the text around each value of a line."""
    keys = header("legacy-jsonl")
    return tuple(
        ("{" if i == 0 else ", ") + encode_basestring(k) + ": " for i, k in enumerate(keys)
    )


def csv_rows(cols: Columns, duplicate: np.ndarray, *, day_first: bool) -> list[tuple[object, ...]]:
    """Rows for csv.writer: numbers as JavaScript writes them (`143`, `2.3`), `None` empty."""
    values: list[list[Any]] = []
    for name, kind in COLUMNS:
        column = cols[name]
        if kind == "date":
            dates = np.asarray(column)
            values.append(day_first_dates(dates) if day_first else iso_dates(dates))
        elif kind == "text":
            values.append(list(column))
        elif kind in ("small", "int"):
            values.append(js_strings(np.asarray(column, dtype=np.float64)))
        else:
            values.append(js_numbers(np.asarray(column, dtype=np.float64)))
    rows = list(zip(*values, strict=True))
    return _with_duplicates(rows, duplicate)


def jsonl_lines(cols: Columns, duplicate: np.ndarray) -> list[str]:
    """JSON lines with numbers as numbers, except the needs written `"1208,4"` (decimal comma)."""
    # Joining pre-encoded pieces row by row is ≈ 3x faster than json.dumps on a dict per row.
    pieces: list[Iterable[str]] = []
    for key, (name, kind) in zip(_jsonl_keys(), COLUMNS, strict=True):
        pieces.append(repeat(key))
        pieces.append(_json_column(kind, cols[name]))
    pieces.append(repeat("}\n"))
    lines = list(map("".join, zip(*pieces, strict=False)))  # keys repeat forever
    return _with_duplicates(lines, duplicate)


def _json_column(kind: Kind, column: object) -> list[str]:
    if kind == "text":
        return _json_text(column)  # type: ignore[arg-type]
    if kind == "date":
        return ['"' + s + '"' for s in iso_dates(column)]  # type: ignore[arg-type]
    arr = np.asarray(column, dtype=np.float64)
    if kind == "int":
        return [v or "null" for v in js_strings(arr)]
    if kind == "small":
        return json_numbers(arr)
    if kind == "comma":
        return ["null" if v is None else f'"{v}"'.replace(".", ",") for v in js_numbers(arr)]
    out = list(map(repr, arr.tolist()))
    for i in np.flatnonzero(np.isnan(arr)).tolist():
        out[i] = "null"
    return out


def _json_text(column: list[str | None]) -> list[str]:
    distinct = set(column)
    if 4 * len(distinct) < len(column):  # categorical: encode each value once
        memo = {v: "null" if v is None else encode_basestring(v) for v in distinct}
        return list(map(memo.__getitem__, column))
    if None in distinct:
        return [encode_basestring(v) if v is not None else "null" for v in column]
    return list(map(encode_basestring, column))  # type: ignore[arg-type] # no None left


def _with_duplicates(rows: list, duplicate: np.ndarray) -> list:  # type: ignore[type-arg]
    if not duplicate.any():
        return rows
    order = np.repeat(np.arange(len(rows)), 1 + duplicate.astype(np.int64))
    return [rows[i] for i in order.tolist()]
