"""DPE label engine over numpy arrays: the twin of `dpe_label`, row for row, for bulk labelling.

Same rules, same floating-point operations in the same order, so every row gets exactly the label
the scalar engine gives it (a property test holds the two together). Labels travel as int8 codes
(0 = A … 6 = G, -1 = no label) because codes are what the ETL turns into columns cheaply;
`label_names` and the object-array wrappers are for callers that want the letters.
Inputs: float arrays with NaN (or None) for missing values, dates as `datetime64[D]` with NaT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from volt.domain.dpe_label import (
    LABELS,
    ROUNDING_TOLERANCE,
    SMALL_SURFACE_BELOW_M2,
    SMALL_SURFACE_FROM,
    electricity_factors,
    factor_drop,
    general_bounds,
    rules,
)

NO_LABEL = -1
Codes = NDArray[np.int8]
Floats = NDArray[np.float64]
Days = NDArray[np.datetime64]
# Inputs: arrays, or plain sequences where None marks a missing value.
FloatsIn = ArrayLike | Sequence[float | None]
DaysIn = ArrayLike | Sequence[date | None]
FlagsIn = ArrayLike | Sequence[bool | None]
_NAMES = np.array([*LABELS, None], dtype=object)  # index -1 lands on None


@dataclass(frozen=True)
class _Tables:
    cep: Floats  # (2, 6): general scale, then the high-altitude one
    eges: Floats
    small_cep: Floats  # (33, 6): rows for 8 … 40 m², the 40 m² row being the general scale
    small_eges: Floats
    small_from_m2: int
    small_to_m2: int
    small_from: np.datetime64
    factor_starts: Days
    factor_drops: Floats  # factor in force from each start minus today's factor


@cache
def _tables() -> _Tables:
    table = rules()["small_surface"]
    low, high = int(table["rows_from_m2"]), int(table["rows_to_m2"])
    general = general_bounds()
    scales = (general, general_bounds(altitude_over_800m=True))

    def small(kind: str, last: tuple[float, ...]) -> Floats:
        # As in the scalar engine, the 40 m² row is the general scale itself.
        rows = [table[f"{kind}_bounds_by_m2"][str(m2)] for m2 in range(low, high)]
        return np.array([*rows, last], dtype=np.float64)

    factors = electricity_factors()
    return _Tables(
        cep=np.array([s.cep for s in scales], dtype=np.float64),
        eges=np.array([s.eges for s in scales], dtype=np.float64),
        small_cep=small("cep", general.cep),
        small_eges=small("eges", general.eges),
        small_from_m2=low,
        small_to_m2=high,
        small_from=np.datetime64(SMALL_SURFACE_FROM.isoformat(), "D"),
        factor_starts=np.array([start.isoformat() for start, _ in factors], dtype="datetime64[D]"),
        factor_drops=np.array([factor_drop(value) for _, value in factors], dtype=np.float64),
    )


def _floats(values: FloatsIn) -> Floats:
    return np.asarray(values, dtype=np.float64)  # None becomes NaN


def _days(values: DaysIn) -> Days:
    return np.asarray(values, dtype="datetime64[D]")  # None becomes NaT


def _scale_classes(values: Floats, scales: Floats, altitude: NDArray[np.bool_]) -> NDArray[Any]:
    # A value strictly below a bound is in that class: side="right" counts the bounds <= value.
    general = np.searchsorted(scales[0], values, side="right")
    if not altitude.any():
        return general
    return np.where(altitude, np.searchsorted(scales[1], values, side="right"), general)


def _small_classes(values: Floats, surface: Floats, table: Floats, t: _Tables) -> NDArray[np.intp]:
    """Classes on bounds interpolated between integer-surface rows, as `small_surface_bounds`."""
    s = np.clip(surface, t.small_from_m2, t.small_to_m2)
    lo = np.floor(s)
    hi = np.minimum(lo + 1, t.small_to_m2)
    frac = (s - lo)[:, None]
    a = table[lo.astype(np.intp) - t.small_from_m2]
    b = table[hi.astype(np.intp) - t.small_from_m2]
    bounds = a + (b - a) * frac
    counts: NDArray[np.intp] = (bounds <= values[:, None]).sum(axis=1)
    return counts


def label_codes_at(
    cep: FloatsIn,
    eges: FloatsIn,
    surface_m2: FloatsIn,
    on: DaysIn | None,
    altitude_over_800m: FlagsIn = False,
) -> Codes:
    """Label codes under the rules in force on each date (`on` None or NaT: today's rules)."""
    cep_a, eges_a, surface = _floats(cep), _floats(eges), _floats(surface_m2)
    cep_a, eges_a, surface = np.broadcast_arrays(cep_a, eges_a, surface)
    altitude = np.broadcast_to(np.asarray(altitude_over_800m, dtype=np.bool_), cep_a.shape)
    t = _tables()
    energy = _scale_classes(cep_a, t.cep, altitude)
    climate = _scale_classes(eges_a, t.eges, altitude)
    valid = ~(np.isnan(cep_a) | np.isnan(eges_a))
    small = valid & (surface < SMALL_SURFACE_BELOW_M2)  # NaN surface: general scale
    if on is not None:
        days = np.broadcast_to(_days(on), cep_a.shape)
        small &= np.isnat(days) | (days >= t.small_from)
    if small.any():
        idx = np.flatnonzero(small)
        energy[idx] = _small_classes(cep_a[idx], surface[idx], t.small_cep, t)
        climate[idx] = _small_classes(eges_a[idx], surface[idx], t.small_eges, t)
    codes: Codes = np.maximum(energy, climate).astype(np.int8)
    codes[~valid] = NO_LABEL
    return codes


def cep_under_current_factor(cep: FloatsIn, elec_ef_kwh_m2: FloatsIn, on: DaysIn) -> Floats:
    """Cep under today's electricity factor; NaN where an input (date included) is missing."""
    cep_a, elec, days = np.broadcast_arrays(_floats(cep), _floats(elec_ef_kwh_m2), _days(on))
    t = _tables()
    # Dates before the first rule take the first one, as in the scalar engine.
    rule = np.maximum(np.searchsorted(t.factor_starts, days, side="right") - 1, 0)
    drop = t.factor_drops[np.minimum(rule, len(t.factor_drops) - 1)]
    result: Floats = np.where(np.isnat(days), np.nan, cep_a - elec * drop)
    return result


def current_label_codes(
    cep: FloatsIn,
    eges: FloatsIn,
    surface_m2: FloatsIn,
    on: DaysIn,
    elec_ef_kwh_m2: FloatsIn,
    altitude_over_800m: FlagsIn = False,
) -> Codes:
    """Label codes under today's rules (today's factor; small-surface tables whatever the date)."""
    cep_now = cep_under_current_factor(cep, elec_ef_kwh_m2, on)
    return label_codes_at(cep_now, eges, surface_m2, None, altitude_over_800m)


def inconsistent_codes(
    published: Codes,
    cep: FloatsIn,
    eges: FloatsIn,
    surface_m2: FloatsIn,
    on: DaysIn | None,
    altitude_over_800m: FlagsIn = False,
) -> Codes:
    """1 where the published label code disagrees with its own values beyond the rounding
    tolerance, 0 where it agrees, -1 where it cannot be told (see `dpe_label.is_inconsistent`)."""
    cep_a, eges_a, tol = _floats(cep), _floats(eges), ROUNDING_TOLERANCE
    best = label_codes_at(cep_a - tol, eges_a - tol, surface_m2, on, altitude_over_800m)
    worst = label_codes_at(cep_a + tol, eges_a + tol, surface_m2, on, altitude_over_800m)
    pub = np.asarray(published, dtype=np.int8)
    result = ((pub < best) | (pub > worst)).astype(np.int8)
    result[(pub < 0) | (best < 0)] = NO_LABEL
    return result


def label_codes(labels: Sequence[str | None] | NDArray[Any]) -> Codes:
    """Codes of label letters; anything but A–G (None included) is -1."""
    index = {label: i for i, label in enumerate(LABELS)}
    return np.array([index.get(x, NO_LABEL) if x else NO_LABEL for x in labels], dtype=np.int8)


def label_names(codes: Codes) -> NDArray[np.object_]:
    """Letters of label codes, None for -1."""
    names: NDArray[np.object_] = _NAMES[np.asarray(codes, dtype=np.intp)]
    return names


def label_at(
    cep: FloatsIn,
    eges: FloatsIn,
    surface_m2: FloatsIn,
    on: DaysIn | None,
    altitude_over_800m: FlagsIn = False,
) -> NDArray[np.object_]:
    """Labels (str or None) under the rules in force on each date: `dpe_label.label_at`."""
    return label_names(label_codes_at(cep, eges, surface_m2, on, altitude_over_800m))


def current_label(
    cep: FloatsIn,
    eges: FloatsIn,
    surface_m2: FloatsIn,
    on: DaysIn,
    elec_ef_kwh_m2: FloatsIn,
    altitude_over_800m: FlagsIn = False,
) -> NDArray[np.object_]:
    """Labels (str or None) under today's rules: `dpe_label.current_label`."""
    codes = current_label_codes(cep, eges, surface_m2, on, elec_ef_kwh_m2, altitude_over_800m)
    return label_names(codes)


def is_inconsistent(
    published: Sequence[str | None] | NDArray[Any],
    cep: FloatsIn,
    eges: FloatsIn,
    surface_m2: FloatsIn,
    on: DaysIn | None,
    altitude_over_800m: FlagsIn = False,
) -> NDArray[np.object_]:
    """True, False or None per row: `dpe_label.is_inconsistent`."""
    codes = inconsistent_codes(
        label_codes(published), cep, eges, surface_m2, on, altitude_over_800m
    )
    flags: NDArray[np.object_] = np.array([None, False, True], dtype=object)[codes + 1]
    return flags
