"""The energy columns of the DPE records: Cep, EGES, labels, totals, energies, costs, needs.

Published values are rounded first and the label is computed from the rounded values, so that
`dpe_label(cep, eges, surface, date)` gives back the published label for every row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from volt.sample.addresses import Addresses
from volt.sample.dpe_records import IMMEUBLE, DpeRecords
from volt.sample.labels import published_labels
from volt.sample.thermal import (
    CARRIERS,
    ELEC,
    ELEC_PRIMARY_2021,
    ELEC_PRIMARY_2026,
    GES_FACTORS,
    PERIOD_YEARS,
    PERIODS,
    PRICES,
    Dwellings,
)

Columns = dict[str, "np.ndarray | list[Any]"]  # numbers (NaN = empty) or text (None = empty)
NULL = np.array(None, dtype=object)  # `None` where np.where needs an array
LABELS = np.array(list("ABCDEFG"))
CARRIER_NAMES = np.array([c.name for c in CARRIERS], dtype=object)
NEW_FACTOR_FROM = np.datetime64("2026-01-01", "D")  # electricity 2.3 → 1.9 (arrêté 13/08/2025)
QUALITY = np.array(["très bonne", "bonne", "moyenne", "insuffisante"], dtype=object)
METHODS = np.array(
    [
        "dpe maison individuelle",
        "dpe appartement individuel",
        "dpe immeuble collectif",
        "dpe appartement généré à partir des données DPE immeuble",
    ],
    dtype=object,
)
# Version of the DPE software rules by date (2.0 in 2021 … 2.6 in 2026).
VERSION_FROM = (
    ("2021-07-01", 2.0), ("2021-11-01", 2.1), ("2022-07-01", 2.2), ("2023-07-01", 2.3),
    ("2024-07-01", 2.4), ("2025-01-01", 2.5), ("2026-01-01", 2.6),
)  # fmt: skip


def _per_building(addr: Addresses, dw: Dwellings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Surface, final energy per m² and carrier shares of whole buildings (building DPE)."""
    weight = dw.ef_m2 * dw.surface
    surface = np.bincount(dw.address, dw.surface, addr.n)
    energy = np.bincount(dw.address, weight, addr.n)
    shares = (
        np.stack(
            [
                np.bincount(dw.address, weight * dw.shares[:, k], addr.n)
                for k in range(len(CARRIERS))
            ],
            axis=1,
        )
        / np.maximum(energy, 1e-9)[:, None]
    )
    return surface, energy / np.maximum(surface, 1e-9), shares


def _round(values: np.ndarray, decimals: int = 1) -> np.ndarray:
    return np.round(values, decimals)


def energy_columns(
    rng: np.random.Generator, addr: Addresses, dw: Dwellings, rec: DpeRecords, zone: str
) -> Columns:
    building = rec.kind == IMMEUBLE
    address = dw.address[rec.dwelling]
    b_surface, b_ef, b_shares = _per_building(addr, dw)
    surface_ref = np.where(building, b_surface[address], dw.surface[rec.dwelling])
    surface_pub = np.where(building, np.nan, dw.surface[rec.dwelling])
    shares = np.where(building[:, None], b_shares[address], dw.shares[rec.dwelling])
    ef_m2 = np.where(building, b_ef[address], dw.ef_m2[rec.dwelling]) * rec.scale

    elec_factor = np.where(rec.date >= NEW_FACTOR_FROM, ELEC_PRIMARY_2026, ELEC_PRIMARY_2021)
    primary = 1.0 + (elec_factor - 1.0) * shares[:, ELEC]
    ef_pub = _round(ef_m2)
    cep = _round(ef_m2 * primary)
    eges = _round(ef_m2 * (shares @ GES_FACTORS))
    label, ges_label = published_labels(cep, eges, surface_pub, rec.date, dw.altitude)

    ef_total = _round(ef_pub * surface_ref)
    cols: Columns = {
        "etiquette_dpe": LABELS[label].tolist(),
        "etiquette_ges": LABELS[ges_label].tolist(),
        "conso_5_usages_par_m2_ep": cep,
        "conso_5_usages_par_m2_ef": ef_pub,
        "emission_ges_5_usages_par_m2": eges,
        "conso_5_usages_ep": _round(cep * surface_ref),
        "conso_5_usages_ef": ef_total,
        "emission_ges_5_usages": _round(eges * surface_ref),
        "surface_habitable_logement": surface_pub,
    }
    cols.update(_carrier_columns(shares, ef_total))
    cols.update(_use_columns(rng, dw, rec, shares, ef_total, label))
    # Cooling needs show up where summers are hot (Mediterranean and low Rhône valley zones).
    cooling = rng.random(rec.n) < (0.3 if zone in ("H3", "H2d") else 0.03)
    cols["besoin_refroidissement"] = np.where(cooling, _round(rng.uniform(0, 1500, rec.n)), 0.0)
    return cols


def _carrier_columns(shares: np.ndarray, ef_total: np.ndarray) -> Columns:
    """type_energie_n1..3 and their final energy, the largest share first."""
    order = np.argsort(-shares, axis=1, kind="stable")[:, :3]
    top = np.take_along_axis(shares, order, axis=1)
    cols: Columns = {}
    for k in range(3):
        present = top[:, k] > 1e-9
        names = np.where(present, CARRIER_NAMES[order[:, k]], NULL)
        cols[f"type_energie_n{k + 1}"] = names.tolist()
        cols[f"conso_5_usages_ef_energie_n{k + 1}"] = np.where(
            present, _round(top[:, k] * ef_total), np.nan
        )
    return cols


def _use_columns(
    rng: np.random.Generator,
    dw: Dwellings,
    rec: DpeRecords,
    shares: np.ndarray,
    ef_total: np.ndarray,
    label: np.ndarray,
) -> Columns:
    """Heating and hot water, needs, costs, envelope quality and the descriptive columns."""
    n, d = rec.n, rec.dwelling
    heat, hot_water = dw.heat_share[d] * ef_total, dw.ecs_share[d] * ef_total
    heating, ecs = dw.heating[d], dw.ecs[d]
    return {
        "type_energie_principale_chauffage": CARRIER_NAMES[heating].tolist(),
        "type_energie_principale_ecs": CARRIER_NAMES[ecs].tolist(),
        "conso_chauffage_ef": _round(heat),
        "conso_ecs_ef": _round(hot_water),
        "besoin_chauffage": _round(heat * rng.uniform(0.55, 1.05, n)),
        "besoin_ecs": _round(dw.surface[d] * rng.uniform(14.0, 26.0, n)),
        "cout_total_5_usages": _round(ef_total * (shares @ PRICES)),
        "cout_chauffage": _round(heat * PRICES[heating]),
        "cout_ecs": _round(hot_water * PRICES[ecs]),
        "ubat_w_m2_k": np.round(np.clip(0.3 + 0.22 * label + rng.normal(0, 0.12, n), 0.15, 3.5), 2),
        "qualite_isolation_enveloppe": _quality(rng, label),
        "qualite_isolation_murs": _quality(rng, label),
        "qualite_isolation_menuiseries": _quality(rng, label),
        "methode_application_dpe": METHODS[rec.kind].tolist(),
        "modele_dpe": ["DPE 3CL 2021 méthode logement"] * n,
        "version_dpe": _versions(rec.date),
        "type_installation_chauffage": _installation(rng, dw, rec),
        **_period_columns(rng, dw, rec),
    }


def _quality(rng: np.random.Generator, label: np.ndarray) -> list[str | None]:
    score = label * 0.6 + rng.normal(0, 0.7, len(label))
    quality: list[str | None] = QUALITY[np.searchsorted([0.6, 1.6, 2.6], score)].tolist()
    return quality


def _versions(dates: np.ndarray) -> np.ndarray:
    starts = np.array([np.datetime64(day, "D") for day, _ in VERSION_FROM])
    values = np.array([v for _, v in VERSION_FROM])
    return values[np.searchsorted(starts, dates, side="right") - 1]


def _installation(rng: np.random.Generator, dw: Dwellings, rec: DpeRecords) -> list[str | None]:
    collective = dw.collective[rec.dwelling]
    mixed = collective & (rng.random(rec.n) < 0.03)
    kind = np.where(mixed, "mixte (collectif-individuel)", np.where(collective, "collectif", ""))
    out = np.where(kind == "", "individuel", kind).astype(object)
    return list(out.tolist())


def _period_columns(rng: np.random.Generator, dw: Dwellings, rec: DpeRecords) -> Columns:
    period = dw.period[rec.dwelling]
    first = np.array([a for a, _ in PERIOD_YEARS])[period]
    last = np.array([b for _, b in PERIOD_YEARS])[period]
    year = first + np.floor(rng.random(rec.n) * (last - first + 1))
    known = rng.random(rec.n) < 0.4  # most DPE give the period, fewer the exact year
    high = np.where(period <= 1, rng.uniform(2.6, 3.2, rec.n), 2.5)
    return {
        "periode_construction": np.array(PERIODS, dtype=object)[period].tolist(),
        "annee_construction": np.where(known, year, np.nan),
        "hauteur_sous_plafond": np.round(np.where(rng.random(rec.n) < 0.8, 2.5, high), 1),
    }
