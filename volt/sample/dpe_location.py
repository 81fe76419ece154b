"""Identity, dates, geocoding and address columns of the DPE records, with their real traps.

Traps (rates per DPE): `identifiant_ban` street-level (`69388_3095`) 3 %, suffixed with a
repetition the BAN does not have (`…_00012_bis`) 0.7 %, a bare INSEE code 1 %, empty 2.3 %;
free-text address fields now and then with an embedded newline (0.2 %).
"""

from __future__ import annotations

import numpy as np

from volt.sample import text
from volt.sample.addresses import REPS, Addresses
from volt.sample.catalogue import Commune
from volt.sample.departements import departement
from volt.sample.dpe_energy import NULL, Columns
from volt.sample.dpe_records import APPARTEMENT, GENERE, IMMEUBLE, MAISON, DpeRecords
from volt.sample.projection import lambert93_inverse, project
from volt.sample.thermal import Dwellings

TYPE_BATIMENT = np.array(["maison", "appartement", "immeuble", "appartement"], dtype=object)
FULL, STREET, SUFFIXED, INSEE, EMPTY = range(5)
BAN_ID_KINDS = np.array([0.930, 0.030, 0.007, 0.010, 0.023])
GEOCODED = "adresse géocodée ban à l'adresse"
NOT_GEOCODED = "adresse non géocodée ban car aucune correspondance trouvée"
NEWLINE_RATE = 0.002
BATIMENTS = ("Bâtiment A", "Bât. B", "Escalier 2", "Entrée C", "Bâtiment C", "A", "Bat 1")


def identity_columns(rng: np.random.Generator, rec: DpeRecords) -> Columns:
    numero = np.array(rec.numero, dtype=object)
    date = rec.date
    month = date.astype("datetime64[M]")
    # Valid ten years, to the day before (2024-01-21 → 2034-01-20).
    fin = (month + np.timedelta64(120, "M")).astype("datetime64[D]") + (
        date - month.astype("datetime64[D]")
    )
    return {
        "numero_dpe": rec.numero,
        "numero_dpe_remplace": np.where(rec.replaces >= 0, numero[rec.replaces], NULL).tolist(),
        "numero_dpe_immeuble_associe": np.where(
            rec.building_dpe >= 0, numero[rec.building_dpe], NULL
        ).tolist(),
        "date_etablissement_dpe": date,
        "date_reception_dpe": date + rng.integers(0, 4, rec.n).astype("timedelta64[D]"),
        "date_visite_diagnostiqueur": date - rng.integers(0, 15, rec.n).astype("timedelta64[D]"),
        "date_fin_validite_dpe": fin - np.timedelta64(1, "D"),
        "type_batiment": TYPE_BATIMENT[rec.kind].tolist(),
    }


def building_columns(addr: Addresses, dw: Dwellings, rec: DpeRecords) -> Columns:
    address = dw.address[rec.dwelling]
    surface = np.bincount(dw.address, dw.surface, addr.n)[address]
    house = rec.kind == MAISON
    dep = departement(addr.commune.dep)
    return {
        "surface_habitable_immeuble": np.where(house, np.nan, np.round(surface, 1)),
        "nombre_appartement": np.where(house, 1.0, addr.dwellings[address].astype(np.float64)),
        "zone_climatique": [dep.zone or None] * rec.n,
        "classe_altitude": [addr.commune.altitude] * rec.n,
    }


def _ban_id_kinds(rng: np.random.Generator, addr: Addresses, address: np.ndarray) -> np.ndarray:
    kinds = rng.choice(len(BAN_ID_KINDS), len(address), p=BAN_ID_KINDS)
    # A suffix only where the address has none of its own (else it would be a real BAN id).
    kinds[(kinds == SUFFIXED) & (addr.rep[address] != 0)] = STREET
    return kinds


def _ban_ids(addr: Addresses, address: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    c = addr.commune
    ids = np.array(addr.ban_ids, dtype=object)[address]
    voie = np.array([f"{c.insee}_{code}" for code in addr.streets.code], dtype=object)
    taken = set(addr.ban_ids)
    suffixed = np.array([i + "_bis" if i + "_bis" not in taken else i + "_ter" for i in ids])
    return np.select(
        [kinds == FULL, kinds == STREET, kinds == SUFFIXED, kinds == INSEE],
        [ids, voie[addr.street[address]], suffixed, np.full(len(ids), c.insee, dtype=object)],
        NULL,
    )


def _ban_labels(addr: Addresses, address: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """`13 Rue Lacour 06400 Cannes`, down to `06400 Cannes` as the geocoding reached."""
    c = addr.commune
    nom_voie = np.array(addr.streets.nom_voie, dtype=object)[addr.street[address]]
    rep = np.array(REPS, dtype=object)[addr.rep[address]]
    number = np.array(
        [
            f"{k} {r}" if r else str(k)
            for k, r in zip(addr.numero[address].tolist(), rep, strict=True)
        ],
        dtype=object,
    )
    town = f"{c.postcode} {c.name}"
    return np.select(
        [kinds == STREET, kinds == INSEE, kinds == EMPTY],
        [
            nom_voie + " " + town,
            np.full(len(kinds), town, dtype=object),
            np.full(len(kinds), None, dtype=object),
        ],
        number + " " + nom_voie + " " + town,
    )


def geocoding_columns(rng: np.random.Generator, addr: Addresses, address: np.ndarray) -> Columns:
    c = addr.commune
    n = len(address)
    kinds = _ban_id_kinds(rng, addr, address)
    nom_voie = np.array(addr.streets.nom_voie, dtype=object)[addr.street[address]]
    x, y = _coordinates(addr, address, kinds)
    score = np.where(
        kinds == FULL,
        rng.uniform(0.40, 0.99, n),
        np.where(kinds == EMPTY, np.nan, rng.uniform(0.25, 0.60, n)),
    )
    located = kinds != EMPTY
    return {
        "identifiant_ban": _ban_ids(addr, address, kinds).tolist(),
        "adresse_ban": _ban_labels(addr, address, kinds).tolist(),
        "numero_voie_ban": np.where(kinds == FULL, addr.numero[address].astype(str), NULL).tolist(),
        "nom_rue_ban": np.where((kinds == FULL) | (kinds == STREET), nom_voie, NULL).tolist(),
        "code_postal_ban": [c.postcode] * n,
        "code_insee_ban": [c.insee] * n,
        "nom_commune_ban": [c.name] * n,
        "code_departement_ban": [c.dep] * n,
        "code_region_ban": [c.region] * n,
        "score_ban": np.round(score, 2),
        "statut_geocodage": np.where(
            (kinds == FULL) & (score >= 0.5), GEOCODED, NOT_GEOCODED
        ).tolist(),
        "coordonnee_cartographique_x_ban": np.where(located, x, np.nan),
        "coordonnee_cartographique_y_ban": np.where(located, y, np.nan),
        "_geopoint": _geopoints(x, y, located),
    }


def _coordinates(
    addr: Addresses, address: np.ndarray, kinds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The address point, the street's middle, or the commune centre, as the geocoding reached."""
    counts = np.maximum(np.bincount(addr.street, minlength=len(addr.streets.code)), 1)
    street_x = np.bincount(addr.street, addr.x, len(counts)) / counts
    street_y = np.bincount(addr.street, addr.y, len(counts)) / counts
    c = addr.commune
    cx, cy = project(departement(c.dep).crs, np.array([c.lon]), np.array([c.lat]))
    street = addr.street[address]
    x = np.select([kinds == STREET, kinds == INSEE], [street_x[street], cx[0]], addr.x[address])
    y = np.select([kinds == STREET, kinds == INSEE], [street_y[street], cy[0]], addr.y[address])
    return np.round(x, 2), np.round(y, 2)


def _geopoints(x: np.ndarray, y: np.ndarray, located: np.ndarray) -> list[str | None]:
    """`"lat,lon"` computed from x/y as if they were Lambert-93: wrong overseas, as in ADEME's."""
    lon, lat = lambert93_inverse(x, y)
    return [
        f"{la!r},{lo!r}" if ok else None
        for la, lo, ok in zip(lat.tolist(), lon.tolist(), located.tolist(), strict=True)
    ]


def privacy_columns(
    rng: np.random.Generator, addr: Addresses, dw: Dwellings, rec: DpeRecords
) -> Columns:
    """Never served by volt: complements, floors, residence names and the raw address."""
    n = rec.n
    address = dw.address[rec.dwelling]
    flat = (rec.kind == APPARTEMENT) | (rec.kind == GENERE)
    floor = dw.floor[rec.dwelling]
    residence = _per_building(rng, addr, text.RESIDENCES, 0.3)[address]
    batiment = _per_building(rng, addr, BATIMENTS, 0.35)[address]
    batiment[rec.kind == MAISON] = None
    return {
        "complement_adresse_logement": _complements(rng, floor, flat),
        "complement_adresse_batiment": batiment.tolist(),
        "nom_residence": np.where(rec.kind == MAISON, NULL, residence).tolist(),
        "numero_etage_appartement": np.where(flat, floor.astype(np.float64), np.nan),
        "adresse_brut": _raw_addresses(rng, addr, address, residence, batiment),
        "code_postal_brut": [addr.commune.postcode] * n,
        "nom_commune_brut": _raw_towns(rng, addr.commune, n),
    }


def _per_building(
    rng: np.random.Generator, addr: Addresses, pool: tuple[str, ...], rate: float
) -> np.ndarray:
    names = np.array(pool, dtype=object)[rng.integers(len(pool), size=addr.n)]
    return np.asarray(np.where((addr.kind != 0) & (rng.random(addr.n) < rate), names, NULL))


def _complements(rng: np.random.Generator, floor: np.ndarray, flat: np.ndarray) -> list[str | None]:
    style = rng.integers(0, 8, len(floor))
    door = floor * 10 + rng.integers(1, 7, len(floor))
    out: list[str | None] = []
    for f, s, d, is_flat in zip(
        floor.tolist(), style.tolist(), door.tolist(), flat.tolist(), strict=True
    ):
        if not is_flat or s == 7:
            out.append(None)
        elif s <= 1:
            out.append(f"Etage : {f}" if s == 0 else f"Etage {f}")
        elif s == 2:
            out.append("Etage RDC" if f == 0 else f"Etage {f}")
        elif s <= 4:
            side = "gauche" if s == 3 else "droite"
            out.append(f"A {side} en sortant de l'ascenseur")
        else:
            out.append(f"Porte {d}" if s == 5 else f"Appartement {d}")
    return out


def _raw_addresses(
    rng: np.random.Generator,
    addr: Addresses,
    address: np.ndarray,
    residence: np.ndarray,
    batiment: np.ndarray,
) -> list[str | None]:
    """What the diagnostician typed: case, residence prefixes, commas, the odd line break."""
    style = rng.choice(5, len(address), p=[0.5, 0.2, 0.15, 0.1, 0.05])
    newline = rng.random(len(address)) < NEWLINE_RATE
    nom_voie = addr.streets.nom_voie
    out: list[str | None] = []
    for a, s, res, bat, nl in zip(
        address.tolist(),
        style.tolist(),
        residence.tolist(),
        batiment.tolist(),
        newline.tolist(),
        strict=True,
    ):
        rep = REPS[addr.rep[a]]
        number = f"{addr.numero[a]} {rep}" if rep else str(addr.numero[a])
        street = nom_voie[addr.street[a]]
        if s == 1:
            raw = f"{number} {street.lower()}"
        elif s == 2:
            raw = f"{number} {text.afnor(street)}"
        elif s == 3 and res:
            raw = f"{text.afnor(res)} - {number} {street.lower()},"
        elif s == 4:
            raw = f"{number}, {street}"
        else:
            raw = f"{number} {street}"
        out.append(f"{raw}\n{bat or 'Bâtiment B'}" if nl else raw)
    return out


def _raw_towns(rng: np.random.Generator, commune: Commune, n: int) -> list[str | None]:
    upper = rng.random(n) < 0.2
    name = commune.city_name
    return [name.upper() if u else name for u in upper.tolist()]


__all__ = ["IMMEUBLE", "building_columns", "geocoding_columns", "identity_columns"]
