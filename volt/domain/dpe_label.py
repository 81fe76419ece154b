"""DPE label engine (pure): energy class and climate class under the 3CL-2021 double threshold.

Bounds come from `dpe_label_rules.json`, copied from the project reference and citing the texts:
arrêté du 31 mars 2021 (classes, double seuil), arrêté du 25 mars 2024 (dwellings < 40 m²,
from 2024-07-01), arrêté du 13 août 2025 (electricity primary-energy factor 2.3 → 1.9 in 2026).
A value strictly below a class's upper bound is in that class; the label is the worse of the two.
"""

from __future__ import annotations

import json
import math
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
