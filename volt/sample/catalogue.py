"""The commune catalogue: real anchors first, then synthetic communes up to national scale.

The catalogue does not depend on the seed (it is the sample's geography); the seed only drives
what is generated inside each commune. `--communes N` takes the first N entries.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import cache

import numpy as np

from volt.sample import text
from volt.sample.anchors import ANCHORS, DELEGUEES, PLM_CITIES, Anchor
from volt.sample.departements import ALTITUDE_CLASSES, Departement, departements

CATALOGUE_SEED = 20210701  # fixed: the geography stays the same whatever --seed is
# Synthetic sizes: lognormal BAN addresses per commune, median ≈ 440 and mean ≈ 730, so that
# with the anchors the national mean is ≈ 740 addresses (≈ 26 M for ≈ 35,000 communes).
SIZE_LOG_MEAN, SIZE_LOG_SD = 6.12, 1.0
SIZE_MIN, SIZE_MAX = 15, 20_000
COMMUNE_NOUVELLE_SHARE = 0.03  # communes with communes déléguées
EPCI_SIZE = 24  # synthetic communes per synthetic EPCI


@dataclass(frozen=True)
class Commune:
    index: int
    insee: str  # the BAN/DPE code: the arrondissement in Paris, Lyon, Marseille
    name: str
    dep: str
    region: str
    epci: str
    postcode: str
    lon: float
    lat: float
    addresses: int
    density: float
    altitude: str  # classe_altitude of the DPE
    real: bool
    city: str  # Enedis code: the whole-city code for PLM arrondissements, else `insee`
    city_name: str
    deleguees: tuple[tuple[str, str], ...] = ()

    @property
    def radius(self) -> float:
        """Rough radius in degrees of latitude of the built-up area."""
        return float(min(0.05, 0.0025 * np.sqrt(self.addresses / 50.0)))


def _from_anchor(index: int, a: Anchor) -> Commune:
    dep = a.insee[:3] if a.insee.startswith("97") else a.insee[:2]
    city = a.city or a.insee
    return Commune(
        index=index,
        insee=a.insee,
        name=a.name,
        dep=dep,
        region=departements()[dep].region,
        epci=a.epci,
        postcode=a.postcode,
        lon=a.lon,
        lat=a.lat,
        addresses=a.addresses,
        density=a.density,
        altitude=ALTITUDE_CLASSES[a.altitude],
        real=True,
        city=city,
        city_name=PLM_CITIES.get(city, a.name),
        deleguees=DELEGUEES.get(a.insee, ()),
    )


def density_of(addresses: int) -> float:
    """Villages are all houses; towns of several thousand addresses have collective cores."""
    low, high = math.log(300.0), math.log(15_000.0)
    return min(1.0, max(0.0, (math.log(addresses) - low) / (high - low)))


def _free_codes(dep: Departement, taken: set[str]) -> list[str]:
    """Synthetic codes `{dep}{nnn}` (`{dep}{nn}` overseas) that no anchor or PLM code uses."""
    width = 2 if len(dep.code) == 3 else 3
    codes = [f"{dep.code}{n:0{width}d}" for n in range(1, 10**width)]
    reserved = taken | set(PLM_CITIES)
    return [c for c in codes if c not in reserved and not _is_plm_arrondissement(c)]


def _is_plm_arrondissement(code: str) -> bool:
    return (
        (code.startswith("751") and code[3:].isdigit() and 1 <= int(code[3:]) <= 20)
        or (code.startswith("6938") and code[4:].isdigit() and 1 <= int(code[4:]) <= 9)
        or (code.startswith("132") and code[3:].isdigit() and 1 <= int(code[3:]) <= 16)
    )


def _synthetic_name(rng: random.Random, flavour: str, used: set[str]) -> str:
    for _ in range(20):
        kind = rng.random()
        if kind < 0.22:
            name = rng.choice(text.SAINTS)
        else:
            name = rng.choice(text.NAME_ROOTS) + rng.choice(text.NAME_SUFFIXES[flavour])
            if kind < 0.32:
                name = rng.choice(text.ARTICLES) + name
        if rng.random() < 0.25 or name in used:
            name += rng.choice(text.NAME_COMPLEMENTS)
        if name not in used:
            used.add(name)
            return name
    raise AssertionError("name pool exhausted")  # pragma: no cover - 20 tries never all clash


def _altitude(rng: random.Random, dep: Departement) -> str:
    low, mid, _ = dep.altitude_shares
    u = rng.random()
    return ALTITUDE_CLASSES[0 if u < low else 1 if u < low + mid else 2]


def _synthetic_for(
    dep: Departement, start: int, taken: set[str], rng: np.random.Generator, pick: random.Random
) -> list[Commune]:
    """Synthetic communes of one département: codes, names, sizes, EPCIs, postcodes."""
    count = max(0, dep.communes - sum(1 for c in taken if c.startswith(dep.code)))
    if count == 0:
        return []
    free = _free_codes(dep, taken)
    codes, spare = free[:count], free[count:]
    sizes = np.clip(rng.lognormal(SIZE_LOG_MEAN, SIZE_LOG_SD, count), SIZE_MIN, SIZE_MAX)
    offsets = rng.normal(0.0, dep.spread / 2.0, (count, 2))
    flavour = text.REGION_FLAVOUR.get(dep.region, "south")
    used: set[str] = set()
    out: list[Commune] = []
    for k, code in enumerate(codes):
        name = _synthetic_name(pick, flavour, used)
        deleguees: tuple[tuple[str, str], ...] = ()
        if spare and pick.random() < COMMUNE_NOUVELLE_SHARE:
            extra = [(spare.pop(), _synthetic_name(pick, flavour, used)) for _ in range(2)]
            deleguees = ((code, name), *extra)
        out.append(
            Commune(
                index=start + k,
                insee=code,
                name=name,
                dep=dep.code,
                region=dep.region,
                epci=_synthetic_epci(dep, k),
                postcode=_synthetic_postcode(dep, k),
                lon=dep.lon + float(offsets[k, 0]) * 1.4,
                lat=dep.lat + float(offsets[k, 1]),
                addresses=int(sizes[k]),
                density=density_of(int(sizes[k])),
                altitude=_altitude(pick, dep),
                real=False,
                city=code,
                city_name=name,
                deleguees=deleguees,
            )
        )
    return out


def _synthetic_epci(dep: Departement, k: int) -> str:
    """A 9-digit SIREN-like code, `24{dep}…` like the real EPCI of the 1990s-2000s."""
    group = 90_000 + k // EPCI_SIZE
    return f"24{dep.code}{group % 10_000:04d}" if len(dep.code) == 3 else f"24{dep.digits}{group}"


def _synthetic_postcode(dep: Departement, k: int) -> str:
    bureau = 10 * (1 + (k // 6) % 99)  # a bureau distributeur serves a handful of communes
    if dep.code == "2A":
        return f"20{bureau % 170:03d}"
    if dep.code == "2B":
        return f"20{200 + bureau % 99:03d}"
    if len(dep.code) == 3:
        return f"{dep.code}{bureau % 100:02d}"
    return f"{dep.digits}{bureau:03d}"


@cache
def catalogue() -> tuple[Commune, ...]:
    """All communes: the anchors in their fixed order, then synthetic ones by département."""
    communes = [_from_anchor(i, a) for i, a in enumerate(ANCHORS)]
    taken = {c.insee for c in communes} | {code for c in communes for code, _ in c.deleguees}
    rng = np.random.default_rng(CATALOGUE_SEED)
    pick = random.Random(CATALOGUE_SEED)  # noqa: S311 - names, not secrets; faster per draw
    for dep in departements().values():
        communes.extend(_synthetic_for(dep, len(communes), taken, rng, pick))
    return tuple(communes)
