"""Rows of the BAN national address file `adresses-<dép>.csv` for one commune."""

from __future__ import annotations

from itertools import repeat

import numpy as np

from volt.sample import text
from volt.sample.addresses import REPS, Addresses

HEADER = (
    "id", "id_fantoir", "numero", "rep", "nom_voie", "code_postal", "code_insee", "nom_commune",
    "code_insee_ancienne_commune", "nom_ancienne_commune", "x", "y", "lon", "lat",
    "type_position", "alias", "nom_ld", "libelle_acheminement", "nom_afnor", "source_position",
    "source_nom_voie", "certification_commune", "cad_parcelles",
)  # fmt: skip
POSITIONS = ("entrée", "bâtiment", "parcelle", "délivrance postale", "logement", "segment", "")
POSITION_WEIGHTS = np.array([0.885, 0.06, 0.025, 0.01, 0.005, 0.01, 0.005])
SOURCES = ("commune", "cadastre", "arcep", "ign")
SOURCE_WEIGHTS = np.array([0.85, 0.09, 0.03, 0.03])
PARCEL_SHARE = 0.3  # addresses linked to cadastral parcels
_SECTION_LETTERS = "ABCDEFGHIKLMNOPRSTVWXYZ"


def _parcels(rng: np.random.Generator, insee: str, n: int) -> list[str]:
    """`48002000AA0059|48002000AA0058`: INSEE code, prefix 000, section, plan number."""
    has = rng.random(n) < PARCEL_SHARE
    two = rng.random(n) < 0.25
    first = rng.integers(0, len(_SECTION_LETTERS), (n, 2))
    number = rng.integers(1, 3000, n)
    out = []
    for k in range(n):
        if not has[k]:
            out.append("")
            continue
        section = _SECTION_LETTERS[first[k, 0]] + _SECTION_LETTERS[first[k, 1]]
        if first[k, 0] < 3:  # older sections are one letter, padded with 0
            section = "0" + section[1]
        parcel = f"{insee}000{section}{number[k]:04d}"
        out.append(f"{parcel}|{insee}000{section}{number[k] + 1:04d}" if two[k] else parcel)
    return out


def ban_rows(rng: np.random.Generator, addr: Addresses) -> list[tuple[object, ...]]:
    c, s = addr.commune, addr.streets
    n = addr.n
    ids = addr.ban_ids
    fantoir = [
        "" if topo else f"{c.insee}_{code}"
        for code, topo in zip(s.code, s.toponym.tolist(), strict=True)
    ]
    afnor = [text.afnor(v) for v in s.nom_voie]
    ancienne_code = [c.deleguees[a][0] if a >= 0 else "" for a in s.ancienne.tolist()]
    ancienne_name = [c.deleguees[a][1] if a >= 0 else "" for a in s.ancienne.tolist()]
    position = rng.choice(len(POSITIONS), n, p=POSITION_WEIGHTS)
    source = SOURCES[int(rng.choice(len(SOURCES), p=SOURCE_WEIGHTS))]
    certified = int(rng.random() < 0.85)
    acheminement = text.afnor(c.city_name)
    lieu_dit = (rng.random(n) < (0.12 if c.density < 0.3 else 0.0)) | (rng.random(n) < 0.5) & (
        s.ancienne[addr.street] >= 0
    )
    ld_names = rng.integers(0, len(text.LIEUX_DITS), n)
    parcels = _parcels(rng, c.insee, n)
    nom_ld = [
        (ancienne_name[st] or text.LIEUX_DITS[name]) if ld else ""
        for st, name, ld in zip(
            addr.street.tolist(), ld_names.tolist(), lieu_dit.tolist(), strict=True
        )
    ]
    street = addr.street.tolist()
    constant = repeat
    columns = (
        ids, [fantoir[st] for st in street], addr.numero.tolist(),
        [REPS[r] for r in addr.rep.tolist()], [s.nom_voie[st] for st in street],
        constant(c.postcode), constant(c.insee), constant(c.name),
        [ancienne_code[st] for st in street], [ancienne_name[st] for st in street],
        addr.x.tolist(), addr.y.tolist(), addr.lon.tolist(), addr.lat.tolist(),
        [POSITIONS[p] for p in position.tolist()], constant(""), nom_ld, constant(acheminement),
        [afnor[st] for st in street], constant(source), constant(source), constant(certified),
        parcels,
    )  # fmt: skip
    return list(zip(*columns, strict=False))  # constants repeat forever
