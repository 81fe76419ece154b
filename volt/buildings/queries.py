"""SQL of the building routes: a page of a commune's or a street's buildings, and the counts
that decide which of them have their DPE figures withheld (reader role, read-only, timeout)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

# Does the commune exist, and its latest year with buildings (both indexed look-ups).
COMMUNE_SCOPE_SQL = """
SELECT EXISTS (SELECT 1 FROM communes WHERE code_insee = %(commune)s),
       (SELECT max(annee) FROM buildings WHERE code_insee = %(commune)s)
"""

# A street is known by its buildings: streets without any are in no serving table.
STREET_SCOPE_SQL = """
SELECT count(*) > 0, max(annee) FROM buildings WHERE street_code = %(street)s
"""

# One page in BAN id order. Bytewise (COLLATE "C"): the cursor order does not depend on the
# server's locale, and the place's index (migration 0004) is in that order: a page reads its
# rows from the index instead of sorting every building of the place.
# One statement per kind of place and `after` from '' (before any BAN id), not `x IS NULL OR`:
# the plan PostgreSQL keeps for a prepared statement then fits every call.
_PAGE_SQL = """
SELECT
    ban_id, annee, code_insee, code_iris, street_code, numero, nom_voie, lon, lat,
    n_dwellings, metered_kwh_per_dwelling, n_dpe, n_dpe_dwelling, mean_surface_m2,
    dpe_ef_kwh_m2, dpe_ep_kwh_m2, metered_kwh_m2,
    ARRAY[n_label_a, n_label_b, n_label_c, n_label_d, n_label_e, n_label_f, n_label_g]
        AS labels,
    ARRAY[n_ges_a, n_ges_b, n_ges_c, n_ges_d, n_ges_e, n_ges_f, n_ges_g] AS ges_labels,
    ARRAY[n_label_recomputed_a, n_label_recomputed_b, n_label_recomputed_c,
          n_label_recomputed_d, n_label_recomputed_e, n_label_recomputed_f,
          n_label_recomputed_g] AS recomputed_labels,
    share_electric_heating, is_electric_heating, building_label, geocode_method, geocode_score
FROM buildings
WHERE annee = %(year)s AND {place}
  AND n_dwellings >= %(min_dwellings)s  -- only where Enedis publishes (a guard: gold has no other)
  AND ban_id COLLATE "C" > COALESCE(%(after)s::text, '')
  AND ((lon IS NOT NULL AND lat IS NOT NULL) OR NOT %(points_only)s)
ORDER BY ban_id COLLATE "C"
LIMIT %(limit)s
"""
COMMUNE_PAGE_SQL = _PAGE_SQL.format(place="code_insee = %(commune)s")
STREET_PAGE_SQL = _PAGE_SQL.format(place="street_code = %(street)s")

# Every building of a commune in a year, published or not: whose DPE figures are withheld is
# decided over whole areas (a street total minus its published buildings…), not per page.
SUPPRESSION_CELLS_SQL = """
SELECT ban_id, code_epci, code_departement, code_region, street_code, code_iris,
       n_dwellings, n_dpe, n_dpe_dwelling
FROM buildings
WHERE annee = %(year)s AND code_insee = %(commune)s
"""


class BuildingRow(NamedTuple):
    """One row of a page, in the SELECT's column order (volt.db.rows.named_row checks it)."""

    ban_id: str
    annee: int
    code_insee: str | None
    code_iris: str | None
    street_code: str | None
    numero: str | None
    nom_voie: str | None
    lon: float | None
    lat: float | None
    n_dwellings: int
    metered_kwh_per_dwelling: float | None
    n_dpe: int
    n_dpe_dwelling: int
    mean_surface_m2: float | None
    dpe_ef_kwh_m2: float | None
    dpe_ep_kwh_m2: float | None
    metered_kwh_m2: float | None
    labels: list[int]  # A..G
    ges_labels: list[int]
    recomputed_labels: list[int]
    share_electric_heating: float | None
    is_electric_heating: bool | None
    building_label: str | None
    geocode_method: str | None
    geocode_score: float | None


@dataclass(frozen=True)
class SuppressionCell:
    """One row of SUPPRESSION_CELLS_SQL: a building's counts and the areas it adds up into."""

    ban_id: str
    code_epci: str | None
    code_departement: str | None
    code_region: str | None
    street_code: str | None
    code_iris: str | None
    n_dwellings: int
    n_dpe: int
    n_dpe_dwelling: int
