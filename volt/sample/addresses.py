"""Streets, house numbers, positions and buildings of one commune, vectorised with numpy."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from volt.sample import text
from volt.sample.catalogue import Commune
from volt.sample.departements import departement
from volt.sample.projection import project

# BAN `rep` values (lower case) and their weights among repeated numbers.
REPS = ("", "bis", "ter", "a", "b", "c")
REP_WEIGHTS = np.array([0.0, 0.45, 0.10, 0.25, 0.15, 0.05])
REP_SHARE = 0.03  # addresses that are a `bis`/`ter`/`a` sibling of another number
HOUSE, SMALL_COLLECTIVE, LARGE_COLLECTIVE = 0, 1, 2
MIN_LARGE = 10  # a "large" building is one Enedis publishes (>= 10 dwellings)
MAX_DWELLINGS = 200
IRIS_SINGLE_BELOW = 1500  # communes under ≈ 5,000 inhabitants form a single IRIS
IRIS_ADDRESSES = 600  # addresses per IRIS in larger communes (≈ 2,000 inhabitants)
_TYPES = tuple(text.STREET_TYPES)
_URBAN = np.array([text.URBAN_TYPE_WEIGHTS[t] for t in _TYPES])
_RURAL = np.array([text.RURAL_TYPE_WEIGHTS[t] for t in _TYPES])
_TOPONYM_ALPHABET = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))


@dataclass(frozen=True)
class Streets:
    type: list[str]  # BAN full type word ("" for a lieu-dit)
    base: list[str]  # name after the type word ("de la République")
    nom_voie: list[str]
    code: list[str]  # FANTOIR-like 4 chars, or a 6-char toponym id (no FANTOIR code)
    toponym: np.ndarray  # bool: id_fantoir is empty
    iris: np.ndarray  # index into Addresses.iris_codes
    ancienne: np.ndarray  # index into Commune.deleguees, -1 when none


@dataclass(frozen=True)
class Addresses:
    commune: Commune
    streets: Streets
    street: np.ndarray  # street index per address
    numero: np.ndarray
    rep: np.ndarray  # index into REPS
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    kind: np.ndarray  # HOUSE, SMALL_COLLECTIVE or LARGE_COLLECTIVE
    dwellings: np.ndarray
    iris_codes: list[str]
    iris_names: list[str]

    @property
    def n(self) -> int:
        return len(self.numero)

    @cached_property
    def ban_ids(self) -> list[str]:
        """The interoperability key `{insee}_{voie}_{numero:05d}[_{rep}]` of every address."""
        insee, codes = self.commune.insee, self.streets.code
        return [
            f"{insee}_{codes[s]}_{n:05d}_{REPS[r]}" if r else f"{insee}_{codes[s]}_{n:05d}"
            for s, n, r in zip(
                self.street.tolist(), self.numero.tolist(), self.rep.tolist(), strict=True
            )
        ]


def _street_names(
    rng: np.random.Generator, count: int, density: float
) -> tuple[list[str], list[str]]:
    """Unique (type, name) pairs; lieux-dits only where there are few of them."""
    weights = density * _URBAN + (1.0 - density) * _RURAL
    type_idx = rng.choice(len(_TYPES), size=count, p=weights / weights.sum())
    name_idx = rng.integers(len(text.STREET_NAMES), size=count)
    seen: set[tuple[str, str]] = set()
    types: list[str] = []
    bases: list[str] = []
    for t, b in zip(type_idx.tolist(), name_idx.tolist(), strict=True):
        kind, base = _TYPES[t], text.STREET_NAMES[b]
        if kind == "Lieu-dit":
            base = text.LIEUX_DITS[b % len(text.LIEUX_DITS)]
            kind = "" if ("", base) not in seen else "Chemin"
        base = _unused(kind, b, seen) if (kind, base) in seen else base
        seen.add((kind, base))
        types.append(kind)
        bases.append(base)
    return types, bases


def _unused(kind: str, start: int, seen: set[tuple[str, str]]) -> str:
    """The next free name for this type; big towns run out and get `Prolongée`, `Nord`…"""
    names = text.STREET_NAMES
    for suffix in ("", *text.NAME_EXTENSIONS):
        for k in range(len(names)):
            base = names[(start + k) % len(names)] + suffix
            if (kind, base) not in seen:
                return base
    raise AssertionError("more streets of one type than names")  # pragma: no cover


def _voie_codes(
    rng: np.random.Generator, types: list[str], bases: list[str], rural: bool
) -> tuple[list[str], np.ndarray]:
    """FANTOIR-like codes in alphabetical order; toponym ids where FANTOIR has none."""
    order = sorted(range(len(types)), key=lambda i: (bases[i], types[i]))
    codes = [""] * len(types)
    toponym = np.zeros(len(types), dtype=bool)
    step = max(1, min(10, 9000 // max(1, len(types))))
    for rank, i in enumerate(order):
        if types[i] == "":
            # Trap: lieux-dits get `a062`-style codes, or toponym ids like `gh0oyt` (Lozère).
            if rural and rng.random() < 0.5:
                codes[i] = "".join(rng.choice(_TOPONYM_ALPHABET, 6))
                toponym[i] = True
            else:
                codes[i] = f"{'abcd'[rank % 4]}{rank % 1000:03d}"
        else:
            codes[i] = f"{(rank + 1) * step:04d}"
    return codes, toponym


def _sectors(angle: np.ndarray, count: int) -> np.ndarray:
    """Split a commune into `count` angular sectors around its centre (contiguous areas)."""
    return np.minimum(((angle + np.pi) / (2 * np.pi) * count).astype(np.int64), count - 1)


def _iris(commune: Commune, angle: np.ndarray) -> tuple[np.ndarray, list[str], list[str]]:
    # Anchor cities are capped in size but keep the many IRIS of a real city.
    city = commune.real and commune.density >= 0.5
    if commune.addresses < IRIS_SINGLE_BELOW and not city:
        return np.zeros(len(angle), dtype=np.int64), [f"{commune.insee}0000"], [commune.name]
    per_iris = IRIS_ADDRESSES // 3 if city else IRIS_ADDRESSES
    count = min(99, max(2, commune.addresses // per_iris + 1))
    codes = [f"{commune.insee}{1 + k // 4:02d}{1 + k % 4:02d}" for k in range(count)]
    start = int(commune.insee[-3:]) % len(text.QUARTERS)
    names = [
        text.QUARTERS[(start + k) % len(text.QUARTERS)]
        + (f" {k // len(text.QUARTERS) + 1}" if k >= len(text.QUARTERS) else "")
        for k in range(count)
    ]
    return _sectors(angle, count), codes, names


def _numbers(rng: np.random.Generator, sizes: np.ndarray, rural: bool) -> np.ndarray:
    """House numbers per street: odd/even runs in towns, metric numbering on some rural roads."""
    parts = []
    for k in sizes.tolist():
        if rural and rng.random() < 0.3:
            parts.append(np.sort(rng.choice(np.arange(1, 2500), k, replace=False)))
        else:
            parts.append(np.sort(rng.choice(np.arange(1, int(k * 1.3) + 3), k, replace=False)))
    return np.concatenate(parts)


def _buildings(
    rng: np.random.Generator, n: int, density: float, forced_house: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Houses, small collectives (2–9) and large ones (10–200, heavy tail).

    0.02 + 0.40·d² large buildings makes ≈ 10 % of addresses nationally ≥ 10 dwellings.
    """
    p_large = 0.02 + 0.40 * density**2
    p_small = 0.04 + 0.16 * density
    u = rng.random(n)
    kind = np.where(u < p_large, LARGE_COLLECTIVE, np.where(u < p_large + p_small, 1, HOUSE))
    kind[forced_house] = HOUSE
    large = MIN_LARGE + np.floor(rng.lognormal(np.log(12.0), 0.85, n)).astype(np.int64)
    dwellings = np.where(
        kind == LARGE_COLLECTIVE,
        np.minimum(large, MAX_DWELLINGS),
        np.where(kind == SMALL_COLLECTIVE, rng.integers(2, 10, n), 1),
    )
    return kind.astype(np.int8), dwellings.astype(np.int64)


def _street_layout(
    commune: Commune, rng: np.random.Generator, n_base: int
) -> tuple[Streets, np.ndarray, np.ndarray, list[str], list[str]]:
    """Streets with names, codes, IRIS and commune déléguée; their sizes and centres."""
    n_streets = max(1, round(n_base / (8 + 17 * commune.density)))
    types, bases = _street_names(rng, n_streets, commune.density)
    codes, toponym = _voie_codes(rng, types, bases, commune.density < 0.3)
    nom_voie = [f"{t} {b}" if t else b for t, b in zip(types, bases, strict=True)]
    centre = rng.normal(0.0, commune.radius / 1.8, (n_streets, 2))
    angle = np.arctan2(centre[:, 1], centre[:, 0])
    iris, iris_codes, iris_names = _iris(commune, angle)
    # Communes déléguées are sectors too, turned so that they do not coincide with the IRIS.
    turned = (angle + 1.0 + np.pi) % (2 * np.pi) - np.pi
    ancienne = (
        _sectors(turned, len(commune.deleguees))
        if commune.deleguees
        else np.full(n_streets, -1, dtype=np.int64)
    )
    sizes = 1 + rng.multinomial(n_base - n_streets, rng.dirichlet(np.full(n_streets, 1.2)))
    streets = Streets(types, bases, nom_voie, codes, toponym, iris, ancienne)
    return streets, sizes, centre, iris_codes, iris_names


def _house_numbers(
    rng: np.random.Generator, sizes: np.ndarray, n_rep: int, rural: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(street, numero, rep) of every address, a `bis`/`ter`/`a` right after its number."""
    street = np.repeat(np.arange(len(sizes)), sizes)
    numero = _numbers(rng, sizes, rural)
    siblings = np.sort(rng.choice(len(street), min(n_rep, len(street)), replace=False))
    rep_kind = rng.choice(len(REPS), len(siblings), p=REP_WEIGHTS)
    rep = np.insert(np.zeros(len(street), dtype=np.int64), siblings + 1, rep_kind)
    street = np.insert(street, siblings + 1, street[siblings])
    numero = np.insert(numero, siblings + 1, numero[siblings])
    order = np.lexsort((rep, numero, street))
    return street[order], numero[order], rep[order]


def _positions(
    commune: Commune,
    rng: np.random.Generator,
    centre: np.ndarray,
    street: np.ndarray,
    numero: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat laid along each street (a centre, a direction, a length), odd and even sides."""
    n, r = len(street), commune.radius
    counts = np.bincount(street, minlength=len(centre))
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    along = (np.arange(n) - first[street] + 0.5) / np.maximum(counts[street], 1) - 0.5
    direction = rng.uniform(0, np.pi, len(centre))[street]
    length = (r * 0.6 * np.sqrt(counts / 20.0))[street]
    side = np.where(numero % 2 == 0, 1.0, -1.0) * r * 0.01
    jitter = rng.normal(0.0, r * 0.004, (n, 2))
    lat = commune.lat + centre[street, 1] + along * length * np.sin(direction) + jitter[:, 1]
    dlon = centre[street, 0] + along * length * np.cos(direction) + side + jitter[:, 0]
    lon = commune.lon + dlon / np.cos(np.radians(commune.lat))
    return np.round(lon, 6), np.round(lat, 6)


def generate_addresses(commune: Commune, rng: np.random.Generator) -> Addresses:
    n_rep = round(commune.addresses * REP_SHARE)
    n_base = max(1, commune.addresses - n_rep)
    streets, sizes, centre, iris_codes, iris_names = _street_layout(commune, rng, n_base)
    street, numero, rep = _house_numbers(rng, sizes, n_rep, commune.density < 0.3)
    lon, lat = _positions(commune, rng, centre, street, numero)
    x, y = project(departement(commune.dep).crs, lon, lat)
    in_lieu_dit = np.array([streets.type[s] == "" for s in street.tolist()], dtype=bool)
    kind, dwellings = _buildings(rng, len(street), commune.density, in_lieu_dit)
    return Addresses(
        commune, streets, street, numero, rep, lon, lat, np.round(x, 2), np.round(y, 2),
        kind, dwellings, iris_codes, iris_names,
    )  # fmt: skip
