"""The DPE label engine vectorised for whole communes, and the Cep bands that give a label.

Published labels must agree with `volt.domain.dpe_label.dpe_label` row for row, so the general and
high-altitude scales are vectorised here from the same bounds, and the few small-surface rows
(< 40 m², from 2024-07-01, interpolated tables) go through the domain engine itself.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from volt.domain.dpe_label import (
    SMALL_SURFACE_BELOW_M2,
    SMALL_SURFACE_FROM,
    bounds_for,
    class_of,
    general_bounds,
)
from volt.sample.departements import HIGH_ALTITUDE_ZONES

LABEL_INDEX = {label: i for i, label in enumerate("ABCDEFG")}
SMALL_FROM = np.datetime64(SMALL_SURFACE_FROM.isoformat(), "D")


def altitude_applies(classe_altitude: str, zone: str) -> bool:
    """The 3CL high-altitude scale: above 800 m, in zones H1b, H1c and H2d only."""
    return classe_altitude == "supérieur à 800m" and zone in HIGH_ALTITUDE_ZONES


def _bounds(altitude: bool) -> tuple[np.ndarray, np.ndarray]:
    b = general_bounds(altitude_over_800m=altitude)
    return np.array(b.cep, dtype=np.float64), np.array(b.eges, dtype=np.float64)


def published_labels(
    cep: np.ndarray, eges: np.ndarray, surface: np.ndarray, on: np.ndarray, altitude: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(label, GES label) indexes 0..6 of each row, exactly as the domain engine gives them.

    `surface` is NaN where the DPE has none (building-level DPE use the general scale).
    """
    cep_b, eges_b = _bounds(altitude)
    # A value strictly below a bound is in that class: side="right" counts bounds <= value.
    energy = np.searchsorted(cep_b, cep, side="right")
    climate = np.searchsorted(eges_b, eges, side="right")
    small = (surface < SMALL_SURFACE_BELOW_M2) & (on >= SMALL_FROM)
    for i in np.flatnonzero(small).tolist():
        day: date = on[i].astype(object)
        b = bounds_for(float(surface[i]), day, altitude_over_800m=altitude)
        energy[i] = LABEL_INDEX[class_of(float(cep[i]), b.cep)]
        climate[i] = LABEL_INDEX[class_of(float(eges[i]), b.eges)]
    return np.maximum(energy, climate), climate


def cep_band(
    label: np.ndarray, ges_per_cep: np.ndarray, altitude: bool
) -> tuple[np.ndarray, np.ndarray]:
    """[low, high) of the primary energy Cep that yields `label` under the double threshold.

    With EGES = g × Cep both classes grow with Cep, so the label is `k` exactly when
    Cep ≥ min(cep_k-1, eges_k-1 / g) and Cep < min(cep_k, eges_k / g). `high` is inf for G.
    """
    cep_b, eges_b = _bounds(altitude)
    upper_cep = np.append(cep_b, np.inf)
    upper_eges = np.append(eges_b, np.inf)
    lower_cep = np.insert(cep_b, 0, 0.0)
    lower_eges = np.insert(eges_b, 0, 0.0)
    g = np.maximum(ges_per_cep, 1e-9)
    high = np.minimum(upper_cep[label], upper_eges[label] / g)
    low = np.minimum(lower_cep[label], lower_eges[label] / g)
    return low, high


def nominal_high(label: np.ndarray, altitude: bool) -> np.ndarray:
    """The energy-scale upper bound of each label (inf for G)."""
    highs: np.ndarray = np.append(_bounds(altitude)[0], np.inf)
    return np.asarray(highs[label])
