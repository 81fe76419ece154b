"""File layout, the variants of each source, exact headers and codes as text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sample.conftest import Sample
from tests.sample.helpers import all_ban, all_enedis, dpe_records, raw_header, read_csv
from volt.etl.sources.registry import match_header, source_spec

DEMO_DEPARTEMENTS = ["06", "2A", "2B", "44", "48", "69", "73", "74", "75", "974"]
REPO_FIXTURES = Path(__file__).parents[1] / "fixtures" / "real"

BAN_HEADER = [
    "id",
    "id_fantoir",
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "nom_commune",
    "code_insee_ancienne_commune",
    "nom_ancienne_commune",
    "x",
    "y",
    "lon",
    "lat",
    "type_position",
    "alias",
    "nom_ld",
    "libelle_acheminement",
    "nom_afnor",
    "source_position",
    "source_nom_voie",
    "certification_commune",
    "cad_parcelles",
]
ENEDIS_FIELD_IDS = [
    "annee",
    "code_iris",
    "nom_iris",
    "numero_de_voie",
    "indice_de_repetition",
    "type_de_voie",
    "libelle_de_voie",
    "code_commune",
    "nom_commune",
    "segment_de_client",
    "nombre_de_logements",
    "consommation_annuelle_totale_de_l_adresse_mwh",
    "consommation_annuelle_moyenne_par_site_de_l_adresse_mwh",
    "consommation_annuelle_moyenne_de_la_commune_mwh",
    "adresse",
    "code_epci",
    "code_departement",
    "code_region",
    "tri_des_adresses",
]
ENEDIS_DATA_FAIR = [
    h.replace("_de_l_adresse_mwh", "_de_ladresse_mwh") for h in ENEDIS_FIELD_IDS
]  # the two consumption columns
ENEDIS_DATA_FAIR[0] = "\ufeff" + ENEDIS_DATA_FAIR[0]  # data-fair's CSV export adds a BOM
ENEDIS_LABELS = [
    "\ufeffAnnée", "Code IRIS", "Nom IRIS", "Numéro de voie", "Indice de répétition",
    "Type de voie", "Libellé de voie", "Code Commune", "Nom Commune", "Segment de client",
    "Nombre de logements", "Consommation annuelle totale de l'adresse (MWh)",
    "Consommation annuelle moyenne par logement de l'adresse (MWh)",
    "Consommation annuelle moyenne de la commune (MWh)", "Adresse", "Code EPCI",
    "Code Département", "Code Région", "Tri des adresses",
]  # fmt: skip
DPE_CURRENT = [
    "\ufeffnumero_dpe", "numero_dpe_remplace", "numero_dpe_immeuble_associe",
    "date_etablissement_dpe", "date_reception_dpe", "date_visite_diagnostiqueur",
    "date_fin_validite_dpe", "version_dpe", "modele_dpe", "methode_application_dpe",
    "type_batiment", "periode_construction", "annee_construction", "surface_habitable_logement",
    "surface_habitable_immeuble", "nombre_appartement", "etiquette_dpe", "etiquette_ges",
    "conso_5_usages_par_m2_ep", "conso_5_usages_par_m2_ef", "emission_ges_5_usages_par_m2",
    "conso_5_usages_ep", "conso_5_usages_ef", "emission_ges_5_usages",
    "type_energie_principale_chauffage", "type_energie_principale_ecs", "type_energie_n1",
    "conso_5_usages_ef_energie_n1", "type_energie_n2", "conso_5_usages_ef_energie_n2",
    "type_energie_n3", "conso_5_usages_ef_energie_n3", "type_installation_chauffage",
    "zone_climatique", "classe_altitude", "identifiant_ban", "adresse_ban", "numero_voie_ban",
    "nom_rue_ban", "code_postal_ban", "code_insee_ban", "nom_commune_ban",
    "code_departement_ban", "code_region_ban", "score_ban", "statut_geocodage",
    "coordonnee_cartographique_x_ban", "coordonnee_cartographique_y_ban", "_geopoint",
    "cout_total_5_usages", "cout_chauffage", "cout_ecs", "ubat_w_m2_k",
    "qualite_isolation_enveloppe", "qualite_isolation_murs", "qualite_isolation_menuiseries",
    "besoin_chauffage", "besoin_ecs", "besoin_refroidissement", "conso_chauffage_ef",
    "conso_ecs_ef", "hauteur_sous_plafond", "complement_adresse_logement",
    "complement_adresse_batiment", "nom_residence", "numero_etage_appartement", "adresse_brut",
    "code_postal_brut", "nom_commune_brut",
]  # fmt: skip
DPE_LEGACY = [
    "N°DPE", "N°_DPE_remplacé", "N°_DPE_immeuble_associé", "Date_établissement_DPE",
    "Date_réception_DPE", "Date_visite_diagnostiqueur", "Date_fin_validité_DPE", "Version_DPE",
    "Modèle_DPE", "Méthode_application_DPE", "Type_bâtiment", "Période_construction",
    "Année_construction", "Surface_habitable_logement", "Surface_habitable_immeuble",
    "Nombre_appartement", "Etiquette_DPE", "Etiquette_GES", "Conso_5_usages_par_m²_é_primaire",
    "Conso_5_usages/m²_é_finale", "Emission_GES_5_usages_par_m²", "Conso_5_usages_é_primaire",
    "Conso_5_usages_é_finale", "Emission_GES_5_usages", "Type_énergie_principale_chauffage",
    "Type_énergie_principale_ECS", "Type_énergie_n°1", "Conso_5_usages_é_finale_énergie_n°1",
    "Type_énergie_n°2", "Conso_5_usages_é_finale_énergie_n°2", "Type_énergie_n°3",
    "Conso_5_usages_é_finale_énergie_n°3", "Type_installation_chauffage", "Zone_climatique_",
    "Classe_altitude", "Identifiant__BAN", "Adresse_(BAN)", "N°_voie_(BAN)", "Nom__rue_(BAN)",
    "Code_postal_(BAN)", "Code_INSEE_(BAN)", "Nom__commune_(BAN)", "N°_département_(BAN)",
    "N°_région_(BAN)", "Score_BAN", "Statut_géocodage", "Coordonnée_cartographique_X_(BAN)",
    "Coordonnée_cartographique_Y_(BAN)", "_geopoint", "Coût_total_5_usages", "Coût_chauffage",
    "Coût_ECS", "Ubat_W/m²_K", "Qualité_isolation_enveloppe", "Qualité_isolation_murs",
    "Qualité_isolation_menuiseries", "Besoin_chauffage", "Besoin_ECS", "Besoin_refroidissement",
    "Conso_chauffage_é_finale", "Conso_ECS_é_finale", "Hauteur_sous-plafond",
    "Complément_d'adresse_logement", "Complément_d'adresse_bâtiment", "Nom_résidence",
    "N°_étage_appartement", "Adresse_brute", "Code_postal_(brut)", "Nom__commune_(Brut)",
]  # fmt: skip


def test_layout_of_a_12_commune_sample(demo: Sample) -> None:
    names = sorted(p.relative_to(demo.root).as_posix() for p in demo.root.rglob("*.*"))
    ban = [f"ban/adresses-{d}.csv" for d in DEMO_DEPARTEMENTS]
    dpe = [
        "dpe/dpe-v2-logements-existants-06.jsonl", "dpe/dpe-v2-logements-existants-2A.csv",
        "dpe/dpe-v2-logements-existants-48.jsonl", "dpe/dpe-v2-logements-existants-73.jsonl",
        "dpe/dpe-v2-logements-existants-74.csv", "dpe/dpe-v2-logements-existants-75.csv",
        "dpe/dpe03existant-2B.csv", "dpe/dpe03existant-44.csv", "dpe/dpe03existant-69.csv",
        "dpe/dpe03existant-974.csv",
    ]  # fmt: skip
    enedis = [
        f"enedis/consommation-annuelle-residentielle-par-adresse-{y}-{d}.csv"
        for y in (2021, 2022, 2023)
        for d in DEMO_DEPARTEMENTS
    ]
    assert names == sorted(ban + dpe + enedis)
    assert [f.path for f in demo.report.files] == sorted(ban + dpe + enedis)


def test_every_variant_of_each_source_is_in_a_12_commune_sample(demo: Sample) -> None:
    variants = {(f.source, f.variant) for f in demo.report.files}
    assert variants == {
        ("ban", "national"),
        ("dpe", "current"), ("dpe", "legacy-jsonl"), ("dpe", "legacy-csv"),
        ("enedis", "field-ids"), ("enedis", "portal-labels"), ("enedis", "data-fair"),
    }  # fmt: skip


def test_report_counts_match_the_files(demo: Sample) -> None:
    for f in demo.report.files:
        path = demo.root / f.path
        assert f.bytes == path.stat().st_size
        if f.source == "dpe":
            assert f.rows == len(dpe_records(path))
        else:
            assert f.rows == len(read_csv(path)[1])
    assert demo.report.rows("ban") == demo.report.addresses == 10_500


def test_headers_are_exactly_the_real_ones(demo: Sample) -> None:
    for f in demo.report.files:
        path = demo.root / f.path
        if f.variant == "legacy-jsonl":
            with path.open(encoding="utf-8") as fh:
                header = list(json.loads(fh.readline()))
        else:
            header = raw_header(path)
        expected = {
            "national": BAN_HEADER,
            "field-ids": ENEDIS_FIELD_IDS,
            "portal-labels": ENEDIS_LABELS,
            "data-fair": ENEDIS_DATA_FAIR,
            "current": DPE_CURRENT,
            "legacy-jsonl": DPE_LEGACY,
            "legacy-csv": DPE_LEGACY,
        }[f.variant]
        assert header == expected, f.path


@pytest.mark.skipif(not REPO_FIXTURES.is_dir(), reason="real fixture extracts not present")
def test_headers_equal_those_of_the_real_extracts() -> None:
    assert raw_header(REPO_FIXTURES / "cannes-enedis-2022.csv") == ENEDIS_FIELD_IDS
    assert raw_header(REPO_FIXTURES / "adresses-48.csv") == BAN_HEADER


def test_the_registry_finds_every_required_column_of_every_file(demo: Sample) -> None:
    for f in demo.report.files:
        path = demo.root / f.path
        if f.variant == "legacy-jsonl":
            with path.open(encoding="utf-8") as fh:
                header = list(json.loads(fh.readline()))
        else:
            header = read_csv(path)[0]
        match = match_header(source_spec(f.source), header)
        assert match.missing_required == (), f.path


def test_codes_keep_their_leading_zeros(demo: Sample) -> None:
    enedis = {r["code_commune"]: r for r in all_enedis(demo.root)}
    cannes = enedis["06029"]
    assert (cannes["code_departement"], cannes["code_region"], cannes["code_epci"]) == (
        "06", "93", "200039915",
    )  # fmt: skip
    assert cannes["code_iris"].startswith("06029") and len(cannes["code_iris"]) == 9
    assert (enedis["2A004"]["code_departement"], enedis["2A004"]["code_region"]) == ("2A", "94")
    assert (enedis["97411"]["code_departement"], enedis["97411"]["code_region"]) == ("974", "04")
    ban = {(b["code_insee"], b["code_postal"]) for b in all_ban(demo.root)}
    assert {("06029", "06400"), ("2A004", "20000"), ("97411", "97400")} <= ban
    dpe = dpe_records(demo.root / "dpe/dpe-v2-logements-existants-06.jsonl")
    assert {
        (r["code_insee_ban"], r["code_postal_ban"], r["code_departement_ban"]) for r in dpe
    } == {("06029", "06400", "06")}


def test_plm_enedis_writes_the_city_code_and_ban_the_arrondissements(demo: Sample) -> None:
    lyon = [r for r in all_enedis(demo.root) if r["code_departement"] == "69"]
    assert {r["code_commune"] for r in lyon} == {"69123"}
    assert {r["nom_commune"] for r in lyon} == {"Lyon"}
    assert {r["code_iris"][:5] for r in lyon} == {"69381", "69383", "69387"}
    paris = [r for r in all_enedis(demo.root) if r["code_departement"] == "75"]
    assert {(r["code_commune"], r["code_iris"][:5]) for r in paris} == {("75056", "75111")}
    ban = {(b["code_insee"], b["nom_commune"]) for b in all_ban(demo.root) if b["id"][:2] == "69"}
    assert ban == {
        ("69381", "Lyon 1er Arrondissement"),
        ("69383", "Lyon 3e Arrondissement"),
        ("69387", "Lyon 7e Arrondissement"),
    }
    dpe = dpe_records(demo.root / "dpe/dpe03existant-69.csv")
    assert {r["code_insee_ban"] for r in dpe} == {"69381", "69383", "69387"}
