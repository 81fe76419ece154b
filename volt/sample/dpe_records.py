"""Which DPE exist: per house, per flat, per building, their dates, replacements and numbers.

Rates are chosen so that the national sample has ≈ 15 M DPE for ≈ 26 M BAN addresses
(≈ 0.58 per address), several per collective building and 0–2 per house.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from volt.sample.addresses import Addresses
from volt.sample.thermal import Dwellings

MAISON, APPARTEMENT, IMMEUBLE, GENERE = 0, 1, 2, 3
HOUSE_DPE_COUNTS = np.array([0.80, 0.16, 0.04])  # 0, 1 or 2 DPE per house
FLAT_DPE_RATE = 0.095  # flats with a DPE of their own since July 2021
BUILDING_DPE_RATE = 0.07  # buildings of >= 4 flats with a building-level DPE
GENERATED_RATE = 0.35  # flats of such a building given a DPE generated from it
REPLACED_RATE = 0.025  # DPE re-issued: the older one stays in the file, named by the newer
DUPLICATE_RATE = 0.005  # lines written twice, as in real extracts

FIRST_DAY = np.datetime64("2021-07-01", "D")  # the 2021 method starts
LAST_DAY = np.datetime64("2026-10-31", "D")
_SPAN = int((LAST_DAY - FIRST_DAY).astype(np.int64))


@dataclass(frozen=True)
class DpeRecords:
    dwelling: np.ndarray  # dwelling index (a building DPE points at the building's first flat)
    kind: np.ndarray  # MAISON, APPARTEMENT, IMMEUBLE or GENERE
    date: np.ndarray  # datetime64[D] of establishment
    scale: np.ndarray  # final-energy multiplier (an older, replaced DPE was worse)
    replaces: np.ndarray  # index of the record this one replaces, -1 if none
    building_dpe: np.ndarray  # index of the building DPE a generated one comes from, -1
    duplicate: np.ndarray  # bool: the line is written twice
    numero: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.kind)


@dataclass
class NumberBook:
    """Running counters of DPE numbers per (year, département) across the communes of a run."""

    counters: dict[tuple[int, str], int] = field(default_factory=dict)

    def assign(self, rng: np.random.Generator, dates: np.ndarray, digits: str) -> list[str]:
        """`{yy}{dd}E{7 digits}{letter}` like `2406E0233210Z`, unique within a run."""
        years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
        out = [""] * len(dates)
        letters = rng.integers(0, 26, len(dates))
        steps = rng.integers(1, 40, len(dates))
        for year in np.unique(years).tolist():
            idx = np.flatnonzero(years == year)
            start = self.counters.get((year, digits), 100_000)
            values = start + np.cumsum(steps[idx])
            self.counters[(year, digits)] = int(values[-1])
            prefix = f"{year % 100:02d}{digits}E"
            for i, v, letter in zip(
                idx.tolist(), values.tolist(), letters[idx].tolist(), strict=True
            ):
                out[i] = f"{prefix}{v:07d}{chr(65 + letter)}"
        return out


def random_dates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Establishment dates, more frequent in recent years as the DPE volume grew."""
    u = rng.random(n)
    t = np.where(rng.random(n) < 0.5, u, np.sqrt(u))
    return np.asarray(FIRST_DAY + np.floor(t * _SPAN).astype("timedelta64[D]"))


def _individual(rng: np.random.Generator, dw: Dwellings) -> np.ndarray:
    """Dwelling index of each individual DPE: 0–2 per house, a share of the flats."""
    per_house = rng.choice(3, dw.n, p=HOUSE_DPE_COUNTS)
    count = np.where(dw.is_house, per_house, (rng.random(dw.n) < FLAT_DPE_RATE).astype(np.int64))
    return np.repeat(np.arange(dw.n), count)


def _building_level(
    rng: np.random.Generator, addr: Addresses, dw: Dwellings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Building DPE (first flat index) and the flats generated from them (flat, parent k)."""
    first_flat = np.concatenate(([0], np.cumsum(addr.dwellings)[:-1]))
    eligible = (addr.kind != 0) & (addr.dwellings >= 4)
    buildings = np.flatnonzero(eligible & (rng.random(addr.n) < BUILDING_DPE_RATE))
    parent_of_address = np.full(addr.n, -1)
    parent_of_address[buildings] = np.arange(len(buildings))
    parent = parent_of_address[dw.address]
    generated = np.flatnonzero((parent >= 0) & (rng.random(dw.n) < GENERATED_RATE))
    return first_flat[buildings], generated, parent[generated]


def select_records(
    rng: np.random.Generator, addr: Addresses, dw: Dwellings, book: NumberBook, digits: str
) -> DpeRecords:
    individual = _individual(rng, dw)
    building_flat, generated, parent = _building_level(rng, addr, dw)
    kinds = np.where(dw.is_house[individual], MAISON, APPARTEMENT)
    dates = random_dates(rng, len(individual) + len(building_flat))
    ind_dates, building_dates = dates[: len(individual)], dates[len(individual) :]

    # Replaced DPE: an older record of the same dwelling, worse, re-issued later.
    old_enough = ind_dates >= FIRST_DAY + np.timedelta64(90, "D")
    replaced = np.flatnonzero(old_enough & (rng.random(len(individual)) < REPLACED_RATE))
    gap = rng.integers(20, 700, len(replaced)).astype("timedelta64[D]")
    older_dates = np.maximum(ind_dates[replaced] - gap, FIRST_DAY)

    n_ind, n_bld, n_gen, n_old = len(individual), len(building_flat), len(generated), len(replaced)
    dwelling = np.concatenate((individual, building_flat, generated, individual[replaced]))
    kind = np.concatenate(
        (kinds, np.full(n_bld, IMMEUBLE), np.full(n_gen, GENERE), kinds[replaced])
    )
    date = np.concatenate((ind_dates, building_dates, building_dates[parent], older_dates))
    scale = np.concatenate((np.ones(n_ind + n_bld + n_gen), rng.uniform(1.05, 1.35, n_old)))
    replaces = np.full(len(kind), -1)
    replaces[replaced] = n_ind + n_bld + n_gen + np.arange(n_old)
    building_dpe = np.full(len(kind), -1)
    building_dpe[n_ind + n_bld : n_ind + n_bld + n_gen] = n_ind + parent

    # File order: by address and dwelling, the building DPE first, then by date.
    order = np.lexsort((date, kind != IMMEUBLE, dwelling, dw.address[dwelling]))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))

    def remap(links: np.ndarray) -> np.ndarray:
        out = links[order]
        return np.where(out >= 0, rank[np.maximum(out, 0)], -1)

    records = DpeRecords(
        dwelling=dwelling[order],
        kind=kind[order],
        date=date[order],
        scale=scale[order],
        replaces=remap(replaces),
        building_dpe=remap(building_dpe),
        duplicate=rng.random(len(order)) < DUPLICATE_RATE,
    )
    records.numero.extend(book.assign(rng, records.date, digits))
    return records
