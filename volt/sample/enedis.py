"""Enedis metered consumption per address and year, with the prebound effect, in three layouts.

Per dwelling, electrically heated: DPE final energy × surface × a label factor (the prebound
effect: efficient homes use more than computed, inefficient ones much less) + specific uses;
other dwellings: 2,000–3,000 kWh of specific uses. Only addresses with >= 10 dwellings are
published (secret statistique), in the whole-city code for Paris, Lyon and Marseille.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

import numpy as np

from volt.etl.sources.registry import source_spec
from volt.sample import text
from volt.sample.addresses import MIN_LARGE, Addresses
from volt.sample.catalogue import Commune
from volt.sample.thermal import ELEC, Dwellings

EnedisVariant = Literal["field-ids", "portal-labels", "data-fair"]
ENEDIS_VARIANTS: tuple[EnedisVariant, ...] = ("field-ids", "portal-labels", "data-fair")
FIELD_IDS = (
    "annee", "code_iris", "nom_iris", "numero_de_voie", "indice_de_repetition", "type_de_voie",
    "libelle_de_voie", "code_commune", "nom_commune", "segment_de_client", "nombre_de_logements",
    "consommation_annuelle_totale_de_l_adresse_mwh",
    "consommation_annuelle_moyenne_par_site_de_l_adresse_mwh",
    "consommation_annuelle_moyenne_de_la_commune_mwh", "adresse", "code_epci",
    "code_departement", "code_region", "tri_des_adresses",
)  # fmt: skip
# data-fair drops the apostrophe's underscore: `..._de_ladresse_mwh`.
DATA_FAIR_RENAMES = {
    "consommation_annuelle_totale_de_l_adresse_mwh": "consommation_annuelle_totale_de_ladresse_mwh",
    "consommation_annuelle_moyenne_par_site_de_l_adresse_mwh": (
        "consommation_annuelle_moyenne_par_site_de_ladresse_mwh"
    ),
}
LABEL_FACTOR = np.array([1.4, 1.25, 1.05, 0.9, 0.75, 0.6, 0.5])  # prebound, A..G
SPECIFIC_KWH = 1800.0  # appliances and lighting outside the DPE's five uses
OTHER_KWH = (2000.0, 3000.0)  # electricity of a dwelling heated otherwise
# Mild yearly trend: cold 2021, sobriety and prices in 2022-2023.
YEAR_TREND = {2018: 1.03, 2019: 1.0, 2020: 1.02, 2021: 1.04, 2022: 0.95, 2023: 0.92}
PLM_MEAN_MWH = {"75056": 2.3, "69123": 2.6, "13055": 2.7}
# Hard-to-match rows (stable per address): no type, particles dropped, abbreviations, a typo.
MATCH_TRAPS = np.array([0.960, 0.015, 0.010, 0.010, 0.005])
_ABBREVIATIONS = {"SAINT": "ST", "SAINTE": "STE", "GENERAL": "GAL", "MARECHAL": "MAL",
                  "DOCTEUR": "DR", "PRESIDENT": "PDT"}  # fmt: skip
_PARTICLES = ("DE LA ", "DE L ", "DU ", "DES ", "DE ", "D ")


@dataclass(frozen=True)
class Metering:
    """Mean kWh per dwelling of every address (before yearly noise) and its stable factors."""

    kwh: np.ndarray  # per address
    noise: np.ndarray  # persistent per-address factor (occupants, vacancy)
    commune_kwh: float  # mean over all the commune's dwellings


def header(variant: EnedisVariant) -> tuple[str, ...]:
    if variant == "portal-labels":
        spec = source_spec("enedis").columns
        return tuple(spec[name].first_alias for name in FIELD_IDS)
    if variant == "data-fair":
        return tuple(DATA_FAIR_RENAMES.get(name, name) for name in FIELD_IDS)
    return FIELD_IDS


def metering(rng: np.random.Generator, addr: Addresses, dw: Dwellings) -> Metering:
    other = rng.uniform(*OTHER_KWH, addr.n)[dw.address]
    heated = dw.ef_m2 * dw.surface * LABEL_FACTOR[dw.label] + SPECIFIC_KWH
    per_dwelling = np.where(dw.heating == ELEC, heated, other)
    kwh = np.bincount(dw.address, per_dwelling, addr.n) / addr.dwellings
    noise = rng.lognormal(0.0, 0.15, addr.n)
    return Metering(kwh, noise, float(per_dwelling.mean()) if dw.n else 0.0)


def _style(city: str) -> tuple[bool, bool]:
    """Per city: abbreviated street types (`AV`) or full (`AVENUE`); `B` or `BIS`."""
    h = zlib.crc32(city.encode())
    return h % 3 == 0, h % 2 == 0


def _street_labels(addr: Addresses) -> tuple[list[str], list[str]]:
    abbreviated, _ = _style(addr.commune.city)
    types = [text.STREET_TYPES[t or "Lieu-dit"][1 if abbreviated else 0] for t in addr.streets.type]
    return types, [text.afnor(b) for b in addr.streets.base]


def _mangle(libelle: str, trap: int, rng: np.random.Generator) -> str:
    if trap == 2 or (trap == 3 and not any(w in _ABBREVIATIONS for w in libelle.split())):
        for particle in _PARTICLES:
            if libelle.startswith(particle):
                return libelle[len(particle) :]
        return libelle.replace(" ", "", 1) if " " in libelle else libelle
    if trap == 3:
        return " ".join(_ABBREVIATIONS.get(w, w) for w in libelle.split())
    if trap == 4 and len(libelle) > 4:
        cut = int(rng.integers(1, len(libelle) - 1))
        return libelle[:cut] + libelle[cut + 1 :]
    return libelle


@dataclass(frozen=True)
class EnedisAddresses:
    """The published addresses of a commune and their text fields, the same every year."""

    index: np.ndarray  # address indexes, in `tri_des_adresses` order
    tri: np.ndarray
    fields: list[tuple[str, str, str, str, str, str, str]]  # iris, nom iris, n°, indice, type…
    counts: dict[int, np.ndarray]  # dwellings per year


def enedis_addresses(
    rng: np.random.Generator, addr: Addresses, years: list[int], seed: int
) -> EnedisAddresses:
    counts = {}
    for year in years:
        yearly = np.random.default_rng([seed, addr.commune.index, year, 1])
        delta = yearly.choice(3, addr.n, p=[0.07, 0.86, 0.07]) - 1
        counts[year] = np.maximum(addr.dwellings + np.where(addr.dwellings > 2, delta, 0), 1)
    published = np.zeros(addr.n, dtype=bool)
    for year in years:
        published |= counts[year] >= MIN_LARGE
    types, libelles = _street_labels(addr)
    traps = rng.choice(len(MATCH_TRAPS), addr.n, p=MATCH_TRAPS)
    _, bis_long = _style(addr.commune.city)
    indices = ("", "BIS" if bis_long else "B", "TER" if bis_long else "T", "A", "B", "C")
    index = np.flatnonzero(published)
    keys = [
        (libelles[addr.street[i]], types[addr.street[i]], addr.numero[i], addr.rep[i])
        for i in index
    ]
    order = sorted(range(len(index)), key=keys.__getitem__)
    index = index[order]
    fields = []
    for i in index.tolist():
        s, trap = addr.street[i], int(traps[i])
        kind = "" if trap == 1 else types[s]
        libelle = _mangle(libelles[s], trap, rng)
        indice = indices[addr.rep[i]]
        iris = addr.streets.iris[s]
        line = " ".join(p for p in (str(addr.numero[i]), indice, kind, libelle) if p)
        fields.append(
            (addr.iris_codes[iris], addr.iris_names[iris], str(addr.numero[i]), indice, kind,
             libelle, line)
        )  # fmt: skip
    offset = _tri_offset(addr.commune)
    return EnedisAddresses(index, offset + np.arange(1, len(index) + 1), fields, counts)


_FIRST_ARRONDISSEMENT = {"75056": 75100, "69123": 69380, "13055": 13200}


def _tri_offset(commune: Commune) -> int:
    """Arrondissements of one city must not share `tri_des_adresses` values."""
    base = _FIRST_ARRONDISSEMENT.get(commune.city)
    return (int(commune.insee) - base) * 100_000 if base else 0


def commune_mean_mwh(commune: Commune, meter: Metering, year: int, seed: int) -> float:
    """The commune's mean over all its residential sites (houses included)."""
    trend = YEAR_TREND.get(year, 0.93)
    if commune.city in PLM_MEAN_MWH:
        # One value for the whole city, whichever arrondissements the sample holds.
        wobble = np.random.default_rng([seed, int(commune.city), year]).lognormal(0.0, 0.02)
        return round(PLM_MEAN_MWH[commune.city] * trend * wobble, 2)
    return round(meter.commune_kwh / 1000.0 * trend, 2)


def enedis_rows(
    commune: Commune,
    pub: EnedisAddresses,
    meter: Metering,
    year: int,
    seed: int,
    variant: str,
) -> list[tuple[object, ...]]:
    yearly = np.random.default_rng([seed, commune.index, year, 2])
    noise = yearly.lognormal(0.0, 0.05, len(pub.index))
    count = pub.counts[year][pub.index]
    keep = count >= MIN_LARGE
    mean_kwh = meter.kwh[pub.index] * meter.noise[pub.index] * noise * YEAR_TREND.get(year, 0.93)
    total = np.round(mean_kwh * count / 1000.0, 3)
    per_site = np.round(total / count, 3)
    city_mean = commune_mean_mwh(commune, meter, year, seed)
    name = commune.city_name
    rows: list[tuple[object, ...]] = []
    for k in np.flatnonzero(keep).tolist():
        iris, nom_iris, numero, indice, kind, libelle, line = pub.fields[k]
        n = int(count[k])
        rows.append(
            (year, iris, nom_iris, numero, indice, kind, libelle, commune.city, name,
             "RESIDENTIEL", float(n) if variant == "data-fair" else n, float(total[k]),
             float(per_site[k]), city_mean, line, commune.epci, commune.dep, commune.region,
             int(pub.tri[k]))
        )  # fmt: skip
    return rows
