"""Whose DPE figures are withheld among a commune's buildings: the privacy engine of
volt.domain.privacy over the totals the buildings add up to. Pure.

The cells are the buildings with DPE; their masses, the DPE, the dwelling DPE and the dwellings
behind their figures. The groups are the totals published above them, each a sum of buildings:
their street, their IRIS and their commune (label counts, DPE counts, metered sums…). Primary:
some DPE but fewer than k (or fewer than k dwellings, which Enedis never publishes). Then
complementary, so that no published total minus its published buildings — nor any chain of
them — gives back a withheld building.

Every group is keyed by all the area codes of its buildings (EPCI, département, région), so that
a group never straddles two areas of a level above, and a commune's problem is its own: the
decisions for one commune do not depend on any other, so they are made commune by commune
(and memoised so). Left open: the EPCI's total minus its communes' published buildings, when a
commune has nothing left to hide beside its withheld buildings; the stats routes protect that
commune's own total among its EPCI's, but a whole-EPCI problem is a job for the gold stage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from volt.buildings.queries import SuppressionCell
from volt.domain.privacy import Group, Key, Reason, Thresholds, Unit, primary_reason, protect

UNITS = (Unit.DPE, Unit.DPE, Unit.DWELLINGS)


def minimums(thresholds: Thresholds) -> tuple[int, int, int]:
    return thresholds.min_dpe, thresholds.min_dpe, thresholds.min_dwellings


def masses_of(n_dpe: int, n_dpe_dwelling: int, n_dwellings: int) -> tuple[int, int, int]:
    """A building's masses: its DPE (labels), its dwelling DPE (per-m² figures), its dwellings."""
    return n_dpe, n_dpe_dwelling, n_dwellings


def withheld(cells: Iterable[SuppressionCell], thresholds: Thresholds) -> dict[str, Reason]:
    """BAN id → why its DPE figures are withheld, for the buildings of one commune and year."""
    masses: dict[Key, tuple[int, int, int]] = {}
    groups: defaultdict[Key, list[Key]] = defaultdict(list)
    for cell in cells:
        if cell.n_dpe == 0 and cell.n_dwellings >= thresholds.min_dwellings:
            continue  # no DPE: nothing to withhold, and its zero counts are published
        key = (cell.ban_id,)
        masses[key] = masses_of(cell.n_dpe, cell.n_dpe_dwelling, cell.n_dwellings)
        area = (cell.code_epci or "", cell.code_departement or "", cell.code_region or "")
        groups[("commune", *area)].append(key)
        groups[("street", *area, cell.street_code or "")].append(key)
        if cell.code_iris:  # a building without IRIS is in no IRIS total
            groups[("iris", *area, cell.code_iris)].append(key)
    hidden = protect(
        masses,
        minimums(thresholds),
        UNITS,
        [Group(tuple(sorted(members))) for _, members in sorted(groups.items())],
    )
    return {key[0]: reason for key, reason in hidden.items()}


def withheld_alone(
    n_dpe: int, n_dpe_dwelling: int, n_dwellings: int, thresholds: Thresholds
) -> Reason | None:
    """Primary suppression only: for a building in no commune, hence in no published total."""
    return primary_reason(
        masses_of(n_dpe, n_dpe_dwelling, n_dwellings), minimums(thresholds), UNITS
    )
