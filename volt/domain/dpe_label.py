"""DPE label engine (pure): energy and climate classes under the 3CL-2021 rules, at a date or today.

Texts (bounds in `dpe_label_rules.json`, a copy of the project reference that cites them):
- arrêté du 31 mars 2021 (classes énergie/climat, double seuil, DPE from 2021-07-01): a value
  strictly below a class's upper bound is in that class; the label is the worse of the two;
  dwellings above 800 m in zones H1b, H1c and H2d have wider E and F bounds;
- arrêté du 25 mars 2024 (JORFTEXT000049446315): dwellings under 40 m² use bounds interpolated
  between integer-surface rows (≤ 8 m² → the 8 m² row, 40 m² → the general scale), for DPE
  established from 2024-07-01 (older ones may be re-issued under it: today's rules use it always);
- arrêté du 13 août 2025: the electricity primary-energy factor falls from 2.3 to 1.9 on
  2026-01-01, so today's Cep is the published one minus the DPE's final electricity per m² times
  the factor drop (EGES is unchanged: the CO2 content of electricity did not move).

When both scales could apply (small surface above 800 m) the small-surface tables win, as before.
Missing inputs (None or NaN) give no label rather than a guess; `dpe_label` keeps its older,
non-optional contract for the callers that feed it complete rows.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

LABELS = ("A", "B", "C", "D", "E", "F", "G")
SMALL_SURFACE_FROM = date(2024, 7, 1)
SMALL_SURFACE_BELOW_M2 = 40.0


@dataclass(frozen=True)
class Bounds:
    cep: tuple[float, ...]  # six upper bounds, A..F, kWhEP/m²/yr
    eges: tuple[float, ...]  # six upper bounds, A..F, kgCO2e/m²/yr


@cache
def rules() -> dict[str, Any]:
    text = resources.files("volt.domain").joinpath("dpe_label_rules.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def general_bounds(*, altitude_over_800m: bool = False) -> Bounds:
    key = "altitude_over_800m_zones_H1b_H1c_H2d" if altitude_over_800m else "general"
    section = rules()[key]
    return Bounds(tuple(section["cep_bounds"]), tuple(section["eges_bounds"]))


def small_surface_bounds(surface_m2: float) -> Bounds:
    """Interpolated bounds for a dwelling under 40 m² (linear between integer-surface rows)."""
    table = rules()["small_surface"]
    low_row, high_row = int(table["rows_from_m2"]), int(table["rows_to_m2"])
    s = min(max(surface_m2, low_row), high_row)
    lo = math.floor(s)
    hi = min(lo + 1, high_row)
    frac = s - lo

    def row(kind: str, m2: int) -> list[float]:
        if m2 >= high_row:  # 40 m² is the general scale
            return list(general_bounds().cep if kind == "cep" else general_bounds().eges)
        values: list[float] = table[f"{kind}_bounds_by_m2"][str(m2)]
        return values

    def interp(kind: str) -> tuple[float, ...]:
        a, b = row(kind, lo), row(kind, hi)
        return tuple(x + (y - x) * frac for x, y in zip(a, b, strict=True))

    return Bounds(interp("cep"), interp("eges"))


def class_of(value: float, bounds: tuple[float, ...]) -> str:
    for label, upper in zip(LABELS, bounds, strict=False):
        if value < upper:
            return label
    return "G"


def bounds_for(
    surface_m2: float | None, on: date | None, *, altitude_over_800m: bool = False
) -> Bounds:
    small = (
        surface_m2 is not None
        and surface_m2 < SMALL_SURFACE_BELOW_M2
        and (on is None or on >= SMALL_SURFACE_FROM)
    )
    if small and surface_m2 is not None:
        return small_surface_bounds(surface_m2)
    return general_bounds(altitude_over_800m=altitude_over_800m)


def dpe_label(
    cep: float,
    eges: float,
    surface_m2: float | None = None,
    on: date | None = None,
    *,
    altitude_over_800m: bool = False,
) -> str:
    """The DPE label (A–G): the worse of the energy class and the climate class."""
    b = bounds_for(surface_m2, on, altitude_over_800m=altitude_over_800m)
    return max(class_of(cep, b.cep), class_of(eges, b.eges))


def ges_label(eges: float, surface_m2: float | None = None, on: date | None = None) -> str:
    """The GES (climate) label alone."""
    return class_of(eges, bounds_for(surface_m2, on).eges)


# Published Cep and EGES carry one decimal, so a published value within 0.05 of a bound may come
# from a true value on either side of it: both classes are then accepted as consistent.
ROUNDING_TOLERANCE = 0.05


@cache
def electricity_factors() -> tuple[tuple[date, float], ...]:
    """(in force from, kWhEP per kWhEF) of electricity, oldest first."""
    rows = rules()["electricity_primary_factor"]
    return tuple((date.fromisoformat(r["from"]), float(r["value"])) for r in rows)


def electricity_factor_at(on: date) -> float:
    """The factor a DPE established on `on` used (dates before the first rule take the first:
    the 3CL-2021 datasets start on 2021-07-01, earlier dates are typing slips)."""
    factors = electricity_factors()
    i = bisect_right([start for start, _ in factors], on) - 1
    return factors[max(i, 0)][1]


def current_electricity_factor() -> float:
    """Today's factor: the latest rule of the table (no clock read, so the engine stays pure)."""
    return electricity_factors()[-1][1]


def factor_drop(factor: float) -> float:
    """Primary energy saved per kWhEF of electricity when moving from `factor` to today's."""
    # Factors have one decimal: rounding keeps float noise (2.3 − 1.9 = 0.3999999999999999)
    # out of every recomputed Cep, so 300 − 100 × 0.4 is 260.0, not 260.00000000000006.
    return round(factor - current_electricity_factor(), 9)


def factor_drop_at(on: date) -> float:
    """`factor_drop` of the factor in force on `on`."""
    return factor_drop(electricity_factor_at(on))


def label_at(
    cep: float | None,
    eges: float | None,
    surface_m2: float | None = None,
    on: date | None = None,
    *,
    altitude_over_800m: bool | None = False,
) -> str | None:
    """The label under the rules in force on `on` (None: today's rules); None if Cep or EGES is
    missing. A missing surface means the general scale (building-level DPE may have none)."""
    if cep is None or eges is None or math.isnan(cep) or math.isnan(eges):
        return None
    surface = None if surface_m2 is None or math.isnan(surface_m2) else surface_m2
    b = bounds_for(surface, on, altitude_over_800m=bool(altitude_over_800m))
    return max(class_of(cep, b.cep), class_of(eges, b.eges))


def cep_under_current_factor(
    cep: float | None, elec_ef_kwh_m2: float | None, on: date | None
) -> float | None:
    """Cep (kWhEP/m²/yr) recomputed with today's electricity factor; None if an input is missing
    (without the date we cannot know which factor the published Cep used)."""
    if cep is None or elec_ef_kwh_m2 is None or on is None:
        return None
    if math.isnan(cep) or math.isnan(elec_ef_kwh_m2):
        return None
    return cep - elec_ef_kwh_m2 * factor_drop_at(on)


def current_label(
    cep: float | None,
    eges: float | None,
    surface_m2: float | None,
    on: date | None,
    elec_ef_kwh_m2: float | None,
    *,
    altitude_over_800m: bool | None = False,
) -> str | None:
    """The label under today's rules: today's electricity factor, and the small-surface tables
    for every dwelling under 40 m² whatever its date."""
    cep_now = cep_under_current_factor(cep, elec_ef_kwh_m2, on)
    return label_at(cep_now, eges, surface_m2, None, altitude_over_800m=altitude_over_800m)


def is_inconsistent(
    published_label: str | None,
    cep: float | None,
    eges: float | None,
    surface_m2: float | None,
    on: date | None,
    *,
    altitude_over_800m: bool | None = False,
) -> bool | None:
    """Whether the published label disagrees with the one its own published Cep and EGES give
    under the rules in force on its date, up to ROUNDING_TOLERANCE; None if undecidable.

    The label only grows with Cep and EGES, so the labels reachable within the tolerance are
    exactly those between the labels of the lowered and of the raised values.
    """
    if published_label not in LABELS or cep is None or eges is None:
        return None
    tol, alt = ROUNDING_TOLERANCE, altitude_over_800m
    best = label_at(cep - tol, eges - tol, surface_m2, on, altitude_over_800m=alt)
    worst = label_at(cep + tol, eges + tol, surface_m2, on, altitude_over_800m=alt)
    if best is None or worst is None:
        return None
    return not best <= published_label <= worst
