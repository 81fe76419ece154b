"""Enedis rows: the secret-statistique threshold, coherent totals, the prebound effect, traps."""

from __future__ import annotations

import collections
import statistics

from tests.sample.conftest import Sample
from tests.sample.helpers import (
    ENEDIS_REPS,
    ENEDIS_TYPES,
    all_dpe,
    all_enedis,
    ban_index,
    number,
    read_csv,
    structured_match,
)


def test_only_addresses_with_at_least_10_dwellings(large: Sample) -> None:
    counts = [int(float(r["nombre_de_logements"])) for r in all_enedis(large.root)]
    assert min(counts) == 10
    assert max(counts) <= 201


def test_total_is_mean_times_dwellings_within_rounding(large: Sample) -> None:
    for row in all_enedis(large.root):
        n = float(row["nombre_de_logements"])
        total = float(row["consommation_annuelle_totale_de_l_adresse_mwh"])
        mean = row["consommation_annuelle_moyenne_par_site_de_l_adresse_mwh"]
        assert len(mean.partition(".")[2]) <= 3
        assert abs(total - float(mean) * n) <= 0.0005 * n + 1e-9
        assert row["segment_de_client"] == "RESIDENTIEL"


def test_numbers_are_written_as_each_layout_writes_them(demo: Sample) -> None:
    """data-fair writes `54.0` dwellings; the Opendatasoft ids and the portal write `54`."""
    for f in demo.report.files:
        if f.source != "enedis":
            continue
        header, rows = read_csv(demo.root / f.path)
        dwellings = {r[header[10]] for r in rows}
        if f.variant == "data-fair":
            assert all(v.endswith(".0") for v in dwellings), f.path
        else:
            assert all(v.isdigit() for v in dwellings), f.path


def test_commune_mean_is_one_value_per_commune_and_year(large: Sample) -> None:
    means = collections.defaultdict(set)
    for row in all_enedis(large.root):
        means[(row["code_commune"], row["annee"])].add(
            row["consommation_annuelle_moyenne_de_la_commune_mwh"]
        )
    assert {len(v) for v in means.values()} == {1}
    assert all(1.0 < float(next(iter(v))) < 8.0 for v in means.values())


def test_tri_des_adresses_is_stable_across_years(large: Sample) -> None:
    tri = collections.defaultdict(set)
    for row in all_enedis(large.root):
        tri[(row["code_commune"], row["code_iris"], row["adresse"])].add(row["tri_des_adresses"])
    assert {len(v) for v in tri.values()} == {1}
    per_year = collections.Counter(
        (r["code_commune"], r["annee"], r["tri_des_adresses"]) for r in all_enedis(large.root)
    )
    assert set(per_year.values()) == {1}


def test_street_fields_are_enedis_style(large: Sample) -> None:
    rows = all_enedis(large.root)
    assert {r["indice_de_repetition"] for r in rows} <= set(ENEDIS_REPS)
    types = {r["type_de_voie"] for r in rows}
    assert {"RUE", "AVENUE", "AV", "BOULEVARD", "BD", ""} <= types
    assert types - {""} <= set(ENEDIS_TYPES) | set(ENEDIS_TYPES.values()) | {"RUE", "QUAI"}
    for row in rows:
        assert row["libelle_de_voie"] == row["libelle_de_voie"].upper()
        assert row["libelle_de_voie"].isascii()
        parts = (row["numero_de_voie"], row["indice_de_repetition"], row["type_de_voie"])
        assert row["adresse"] == " ".join(p for p in (*parts, row["libelle_de_voie"]) if p)


def test_trap_hard_to_match_rows(large: Sample) -> None:
    """A few percent of rows do not match the BAN structurally: a later geocoder has work."""
    index = ban_index(large.root)
    rows = [r for r in all_enedis(large.root) if r["annee"] == "2022"]
    unmatched = [r for r in rows if structured_match(r, index) is None]
    assert 0.02 <= len(unmatched) / len(rows) <= 0.06
    assert any(r["type_de_voie"] == "" for r in unmatched)


def _ratios_by_label(sample: Sample, year: str) -> dict[str, list[float]]:
    """Metered kWh per dwelling / DPE final energy per dwelling, electric-heated buildings."""
    index = ban_index(sample.root)
    dpe = collections.defaultdict(list)
    for row in all_dpe(sample.root):
        if row["type_batiment"] != "immeuble" and row["identifiant_ban"]:
            dpe[row["identifiant_ban"]].append(row)
    ratios = collections.defaultdict(list)
    for row in all_enedis(sample.root):
        rows = dpe.get(structured_match(row, index) or "", []) if row["annee"] == year else []
        electric = [r["type_energie_principale_chauffage"] == "Électricité" for r in rows]
        if not rows or statistics.mean(electric) < 0.5:
            continue
        label = collections.Counter(r["etiquette_dpe"] for r in rows).most_common(1)[0][0]
        dpe_kwh = statistics.mean(
            number(r["conso_5_usages_par_m2_ef"]) * number(r["surface_habitable_logement"])  # type: ignore[operator]
            for r in rows
        )
        metered = float(row["consommation_annuelle_moyenne_par_site_de_l_adresse_mwh"]) * 1000
        ratios[str(label)].append(metered / dpe_kwh)
    return ratios


def test_prebound_effect_metered_over_dpe_falls_from_c_to_g(large: Sample) -> None:
    ratios = _ratios_by_label(large, "2022")
    medians = [statistics.median(ratios[label]) for label in "CDEFG"]
    assert min(len(ratios[label]) for label in "CDEFG") >= 100
    assert medians == sorted(medians, reverse=True)
    assert medians[0] > 1.1 and medians[-1] < 0.7


def test_consumption_falls_in_2022_and_2023(large: Sample) -> None:
    by_year = collections.defaultdict(dict)
    for row in all_enedis(large.root):
        key = (row["code_commune"], row["code_iris"], row["adresse"])
        by_year[row["annee"]][key] = float(
            row["consommation_annuelle_moyenne_par_site_de_l_adresse_mwh"]
        )

    def median_ratio(later: str, earlier: str) -> float:
        common = by_year[later].keys() & by_year[earlier].keys()
        return statistics.median(by_year[later][k] / by_year[earlier][k] for k in common)

    assert 0.88 < median_ratio("2022", "2021") < 0.95
    assert 0.94 < median_ratio("2023", "2022") < 0.99
