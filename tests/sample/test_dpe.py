"""DPE rows: labels the engine agrees with, a realistic mix, coherent physics and the real traps."""

from __future__ import annotations

import collections
import itertools
import json
import re
import statistics
from datetime import date, timedelta

import numpy as np
import pytest

from tests.sample.conftest import Sample
from tests.sample.helpers import all_ban, all_dpe, day, dpe_records, number, read_csv
from volt.domain.dpe_label import dpe_label, general_bounds
from volt.sample.addresses import generate_addresses
from volt.sample.catalogue import catalogue
from volt.sample.dpe_records import NumberBook, select_records
from volt.sample.thermal import CARRIERS, generate_dwellings

STOCK_MIX = {"A": 2, "B": 4, "C": 16, "D": 33, "E": 25, "F": 12, "G": 8}
HIGH_ALTITUDE_ZONES = {"H1b", "H1c", "H2d"}


def published_label_check(row: dict[str, object]) -> tuple[str, str]:
    surface = number(row["surface_habitable_logement"])
    altitude = row["classe_altitude"] == "supérieur à 800m" and (
        row["zone_climatique"] in HIGH_ALTITUDE_ZONES
    )
    label = dpe_label(
        number(row["conso_5_usages_par_m2_ep"]),  # type: ignore[arg-type]
        number(row["emission_ges_5_usages_par_m2"]),  # type: ignore[arg-type]
        surface,
        day(row["date_etablissement_dpe"]),
        altitude_over_800m=altitude,
    )
    return label, str(row["etiquette_dpe"])


@pytest.mark.parametrize("sample", ["demo", "large"])
def test_published_labels_agree_with_the_label_engine(
    sample: str, request: pytest.FixtureRequest
) -> None:
    rows = all_dpe(request.getfixturevalue(sample).root)
    pairs = [published_label_check(r) for r in rows]
    assert [p for p in pairs if p[0] != p[1]] == []


def test_label_mix_is_the_stock_mix_within_3_points(large: Sample) -> None:
    rows = all_dpe(large.root)
    assert len(rows) >= 30_000
    counts = collections.Counter(r["etiquette_dpe"] for r in rows)
    shares = {label: 100 * counts[label] / len(rows) for label in STOCK_MIX}
    assert {k: abs(shares[k] - v) <= 3 for k, v in STOCK_MIX.items()} == dict.fromkeys(
        STOCK_MIX, True
    )


def test_small_surface_scale_applies_from_2024_07_01(large: Sample) -> None:
    """Some small flats get a better label than the general scale would give them."""
    general = general_bounds()
    better = 0
    for row in all_dpe(large.root):
        surface = number(row["surface_habitable_logement"])
        if (
            surface is None
            or surface >= 40
            or day(row["date_etablissement_dpe"]) < date(2024, 7, 1)
        ):
            continue
        cep = number(row["conso_5_usages_par_m2_ep"])
        assert cep is not None
        general_class = "ABCDEFG"[sum(cep >= b for b in general.cep)]
        better += str(row["etiquette_dpe"]) < general_class
    assert better > 50


def test_heating_energies_are_those_of_the_stock() -> None:
    """Over communes spread across the national catalogue: ≈ 35 % electricity, ≈ 40 % gas."""
    counts = np.zeros(len(CARRIERS))
    book = NumberBook()
    for commune in catalogue()[200::100]:
        rng = np.random.default_rng([42, commune.index])
        addresses = generate_addresses(commune, rng)
        dwellings = generate_dwellings(addresses, rng)
        records = select_records(rng, addresses, dwellings, book, "01")
        counts += np.bincount(dwellings.heating[records.dwelling], minlength=len(CARRIERS))
    share = dict(zip([c.name for c in CARRIERS], 100 * counts / counts.sum(), strict=True))
    assert abs(share["Électricité"] - 35) <= 4
    assert abs(share["Gaz naturel"] - 40) <= 4
    assert 5 <= share["Fioul domestique"] <= 12


def test_heating_energies_use_the_ademe_spellings(large: Sample) -> None:
    energy = {r["type_energie_principale_chauffage"] for r in all_dpe(large.root)}
    assert energy == {
        "Électricité", "Gaz naturel", "Fioul domestique", "Bois – Bûches",
        "Bois – Granulés (pellets) ou briquettes", "Réseau de Chauffage urbain", "GPL", "Charbon",
    }  # fmt: skip


def test_primary_energy_is_final_energy_times_the_electricity_factor(large: Sample) -> None:
    """All-electric rows: ep = 2.3 × ef until 2025, 1.9 × ef from 2026 (arrêté 13/08/2025)."""
    ratios: dict[bool, list[float]] = {False: [], True: []}
    for row in all_dpe(large.root):
        if row["type_energie_n1"] == "Électricité" and row["type_energie_n2"] is None:
            ef, ep = (
                number(row["conso_5_usages_par_m2_ef"]),
                number(row["conso_5_usages_par_m2_ep"]),
            )
            assert ef is not None and ep is not None
            assert abs(number(row["emission_ges_5_usages_par_m2"]) - 0.079 * ef) <= 0.06  # type: ignore[operator]
            ratios[day(row["date_etablissement_dpe"]).year >= 2026].append(ep / ef)
    assert round(statistics.median(ratios[False]), 2) == 2.3
    assert round(statistics.median(ratios[True]), 2) == 1.9


def test_totals_are_per_m2_values_times_the_surface(demo: Sample) -> None:
    for row in all_dpe(demo.root):
        surface = number(row["surface_habitable_logement"]) or number(
            row["surface_habitable_immeuble"]
        )
        per_m2, total = number(row["conso_5_usages_par_m2_ef"]), number(row["conso_5_usages_ef"])
        assert surface is not None and per_m2 is not None and total is not None
        assert abs(total - per_m2 * surface) <= 0.06, row["numero_dpe"]
        parts = [number(row[f"conso_5_usages_ef_energie_n{k}"]) or 0.0 for k in (1, 2, 3)]
        assert abs(sum(parts) - total) <= 0.2


def test_surfaces_are_realistic(large: Sample) -> None:
    rows = all_dpe(large.root)
    flats = [
        number(r["surface_habitable_logement"]) for r in rows if r["type_batiment"] == "appartement"
    ]
    houses = [
        number(r["surface_habitable_logement"]) for r in rows if r["type_batiment"] == "maison"
    ]
    assert 40 <= statistics.median(flats) <= 65  # type: ignore[type-var]
    assert 85 <= statistics.median(houses) <= 120  # type: ignore[type-var]
    assert min(flats) >= 12 and max(flats) <= 160  # type: ignore[type-var,operator]
    for row in rows:
        if row["type_batiment"] == "immeuble":
            assert row["surface_habitable_logement"] in ("", None)
            assert number(row["surface_habitable_immeuble"]) >= 40  # type: ignore[operator]


def test_old_buildings_have_worse_labels(large: Sample) -> None:
    rows = all_dpe(large.root)
    old = {"avant 1948", "1948-1974"}
    good = [r["periode_construction"] in old for r in rows if r["etiquette_dpe"] in ("A", "B")]
    bad = [r["periode_construction"] in old for r in rows if r["etiquette_dpe"] in ("F", "G")]
    assert statistics.mean(bad) > statistics.mean(good) + 0.2


def test_flats_of_one_building_have_correlated_labels(large: Sample) -> None:
    by_building = collections.defaultdict(list)
    for row in all_dpe(large.root):
        if row["type_batiment"] == "appartement" and row["identifiant_ban"]:
            by_building[row["identifiant_ban"]].append("ABCDEFG".index(str(row["etiquette_dpe"])))
    within = [abs(v[0] - v[1]) for v in by_building.values() if len(v) >= 2]
    firsts = [v[0] for v in by_building.values() if len(v) >= 2]
    across = [abs(a - b) for a, b in itertools.pairwise(firsts)]
    assert statistics.mean(within) < 0.75 * statistics.mean(across)


def test_numero_dpe_is_13_chars_with_the_year_first(demo: Sample) -> None:
    for row in all_dpe(demo.root):
        numero = str(row["numero_dpe"])
        assert re.fullmatch(r"\d{4}E\d{7}[A-Z]", numero), numero
        assert int(numero[:2]) == day(row["date_etablissement_dpe"]).year % 100


def test_dates_span_july_2021_to_october_2026_and_validity_is_ten_years(large: Sample) -> None:
    days = []
    for row in all_dpe(large.root):
        start, end = day(row["date_etablissement_dpe"]), day(row["date_fin_validite_dpe"])
        days.append(start)
        ten_years = date(start.year + 10, start.month, 1) + timedelta(days=start.day - 1)
        assert end == ten_years - timedelta(days=1)
    assert min(days) >= date(2021, 7, 1) and max(days) <= date(2026, 10, 31)
    assert min(days) < date(2021, 9, 1) and max(days) > date(2026, 9, 1)


def test_trap_duplicate_numero_dpe_lines(large: Sample) -> None:
    rows = all_dpe(large.root)
    counts = collections.Counter(r["numero_dpe"] for r in rows)
    duplicated = [n for n, c in counts.items() if c > 1]
    assert set(counts.values()) == {1, 2}
    assert 0.002 <= len(duplicated) / len(counts) <= 0.01
    by_numero = collections.defaultdict(list)
    for row in rows:
        if counts[row["numero_dpe"]] > 1:
            by_numero[row["numero_dpe"]].append(row)
    assert all(a == b for a, b in by_numero.values())  # the same line twice


def test_trap_replaced_dpe_is_in_the_same_file_and_older(large: Sample) -> None:
    replaced = total = 0
    for path in sorted((large.root / "dpe").iterdir()):
        rows = dpe_records(path)
        dates = {r["numero_dpe"]: day(r["date_etablissement_dpe"]) for r in rows}
        for row in rows:
            total += 1
            if row["numero_dpe_remplace"]:
                replaced += 1
                older = row["numero_dpe_remplace"]
                assert dates[older] < day(row["date_etablissement_dpe"])
    assert 0.01 <= replaced / total <= 0.03


def test_trap_generated_flats_name_their_building_dpe(demo: Sample) -> None:
    for path in sorted((demo.root / "dpe").iterdir()):
        rows = dpe_records(path)
        buildings = {r["numero_dpe"] for r in rows if r["type_batiment"] == "immeuble"}
        generated = [r for r in rows if r["numero_dpe_immeuble_associe"]]
        assert {r["numero_dpe_immeuble_associe"] for r in generated} <= buildings
        assert {r["methode_application_dpe"] for r in generated} <= {
            "dpe appartement généré à partir des données DPE immeuble"
        }


def _ban_id_kinds(sample: Sample) -> collections.Counter[str]:
    ban_ids = {b["id"] for b in all_ban(sample.root)}
    streets = {b["id_fantoir"] for b in all_ban(sample.root)}
    kinds: collections.Counter[str] = collections.Counter()
    for row in all_dpe(sample.root):
        value = str(row["identifiant_ban"] or "")
        if value in ban_ids:
            kinds["address"] += 1
        elif value in streets:
            kinds["street"] += 1
        elif value.rsplit("_", 1)[0] in ban_ids and value.rsplit("_", 1)[1] in ("bis", "ter"):
            kinds["suffixed"] += 1
        elif re.fullmatch(r"\d{5}|2[AB]\d{3}", value):
            kinds["insee"] += 1
        else:
            kinds["empty" if value == "" else "other"] += 1
    return kinds


def test_trap_identifiant_ban_zoo(large: Sample) -> None:
    """Street-level, suffixed, bare INSEE code and empty BAN ids, a few percent in all."""
    kinds = _ban_id_kinds(large)
    total = sum(kinds.values())
    share = {k: 100 * v / total for k, v in kinds.items()}
    assert set(kinds) == {"address", "street", "suffixed", "insee", "empty"}
    assert 90 <= share["address"] <= 96
    assert 2 <= share["street"] <= 5 and 0.3 <= share["suffixed"] <= 1.2
    assert 0.5 <= share["insee"] <= 1.5 and 1.5 <= share["empty"] <= 3.5


def test_trap_embedded_newline_in_a_quoted_field(large: Sample) -> None:
    found = 0
    for path in sorted((large.root / "dpe").glob("*.csv")):
        header, rows = read_csv(path, ",")
        found += sum("\n" in r[header[-3]] for r in rows)
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines >= len(rows) + 1
    assert found > 0


def test_trap_decimal_comma_in_legacy_json_lines(demo: Sample) -> None:
    with (demo.root / "dpe/dpe-v2-logements-existants-06.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    besoin = [r["Besoin_ECS"] for r in rows]
    assert all(isinstance(v, str) for v in besoin)
    assert any("," in v for v in besoin)
    assert all(isinstance(r["Conso_5_usages/m²_é_finale"], float) for r in rows)
    assert all(isinstance(r["Surface_habitable_immeuble"], float | None) for r in rows)


def test_trap_day_first_dates_in_some_legacy_csv(demo: Sample) -> None:
    first = {
        path.name: read_csv(path, ",")[1][0]["Date_établissement_DPE"]
        for path in sorted((demo.root / "dpe").glob("dpe-v2-*.csv"))
    }
    day_first = {name for name, value in first.items() if re.fullmatch(r"\d\d/\d\d/\d{4}", value)}
    iso = {name for name, value in first.items() if re.fullmatch(r"\d{4}-\d\d-\d\d", value)}
    assert day_first == {"dpe-v2-logements-existants-74.csv"}
    assert iso == {"dpe-v2-logements-existants-2A.csv", "dpe-v2-logements-existants-75.csv"}


def test_trap_geopoint_is_wrong_overseas(demo: Sample) -> None:
    """`_geopoint` is x/y read as Lambert-93: right in Lyon, nowhere near La Réunion."""
    lyon = dpe_records(demo.root / "dpe/dpe03existant-69.csv")
    reunion = dpe_records(demo.root / "dpe/dpe03existant-974.csv")

    def lat_lon(row: dict[str, object]) -> tuple[float, float]:
        lat, lon = str(row["_geopoint"]).split(",")
        return float(lat), float(lon)

    assert all(45.7 < lat_lon(r)[0] < 45.8 for r in lyon if r["_geopoint"])
    assert all(not -22 < lat_lon(r)[0] < -20 for r in reunion if r["_geopoint"])


def test_json_lines_are_exactly_what_json_dumps_writes(demo: Sample) -> None:
    for path in sorted((demo.root / "dpe").glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                assert line == json.dumps(json.loads(line), ensure_ascii=False) + "\n"
