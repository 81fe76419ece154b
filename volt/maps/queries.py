"""SQL of the area map layer: a page of areas with their centroid (reader role)."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

# Does the parent exist (at the level above), and the latest year of its children — or of the
# whole country when no parent is given (every year with data has its `france` row).
AREA_SCOPE_SQL = """
SELECT
    %(parent)s::text IS NULL
        OR EXISTS (SELECT 1 FROM areas WHERE level = %(parent_level)s AND code = %(parent)s),
    CASE WHEN %(parent)s::text IS NULL
         THEN (SELECT max(annee) FROM areas WHERE level = 'france')
         ELSE (SELECT max(annee) FROM areas
               WHERE level = %(level)s AND parent_code = %(parent)s) END
"""

# One page of areas in code order (the primary key's: a page without parent walks the index),
# with the figures a map shows. Medians only: a mean of a child could be recovered from its
# parent's mean, the counts and its siblings' means, so means would need complementary
# suppression; quantiles cannot be subtracted. {parent} is PARENT_FILTER or nothing: no
# `parent IS NULL OR …`, whose prepared plan fits one case only (20× slower for the other);
# `after` starts at '', before any code. {centroids} is COMMUNE_CENTROIDS or BUILDING_CENTROIDS.
AREA_PAGE_SQL = """
WITH page AS (
    SELECT level, code, annee, name, parent_level, parent_code, n_buildings, n_dwellings,
           n_dpe, n_dpe_dwelling, metered_kwh_per_dwelling_median, dpe_ef_kwh_m2_median,
           dpe_ep_kwh_m2_median
    FROM areas
    WHERE level = %(level)s AND annee = %(year)s {parent}
      AND code > COALESCE(%(after)s::text, '')
    ORDER BY code
    LIMIT %(limit)s
), centroids AS (
    {centroids}
)
SELECT p.*, c.lon, c.lat
FROM page AS p
LEFT JOIN centroids AS c USING (code)
ORDER BY p.code
"""

PARENT_FILTER = "AND parent_code = %(parent)s"

# Communes: the centre gold gives them (mean of their BAN points).
COMMUNE_CENTROIDS = """
SELECT code_insee AS code, lon, lat FROM communes WHERE code_insee IN (SELECT code FROM page)
"""

# Other levels: the dwelling-weighted centre of their buildings (where the metered dwellings
# are). {key} is the buildings' code at the level, {near} narrows the scan to an index.
BUILDING_CENTROIDS = """
SELECT {key} AS code,
       sum(lon * n_dwellings) / sum(n_dwellings) AS lon,
       sum(lat * n_dwellings) / sum(n_dwellings) AS lat
FROM buildings
WHERE annee = %(year)s AND lon IS NOT NULL AND lat IS NOT NULL AND n_dwellings > 0
  AND {near} AND {key} IN (SELECT code FROM page)
GROUP BY 1
"""

# Per level: the buildings' column holding the area code (identifiers from code, never input).
BUILDING_KEYS: dict[str, sql.Composable] = {
    "street": sql.Identifier("street_code"),
    "iris": sql.Identifier("code_iris"),
    "epci": sql.Identifier("code_epci"),
    "departement": sql.Identifier("code_departement"),
    "region": sql.Identifier("code_region"),
    "france": sql.SQL("'FR'"),
}
# An IRIS code starts with its commune's: the commune index then finds its buildings (streets
# have an index of their own; larger levels read the year's buildings, once per cached page).
NEAR: dict[str, sql.Composable] = {
    "iris": sql.SQL("code_insee IN (SELECT left(code, 5) FROM page)"),
}


def _area_page_sql(level: str, with_parent: bool) -> sql.Composed:
    if level == "commune":
        centroids: sql.Composable = sql.SQL(COMMUNE_CENTROIDS)
    else:
        centroids = sql.SQL(BUILDING_CENTROIDS).format(
            key=BUILDING_KEYS[level], near=NEAR.get(level, sql.SQL("true"))
        )
    parent = sql.SQL(PARENT_FILTER if with_parent else "")
    return sql.SQL(AREA_PAGE_SQL).format(parent=parent, centroids=centroids)


# AREA_PAGE_SQL per (level, with a parent filter), composed once from code constants only.
AREA_PAGES: dict[tuple[str, bool], sql.Composed] = {
    (level, with_parent): _area_page_sql(level, with_parent)
    for level in ("commune", *BUILDING_KEYS)
    for with_parent in (False, True)
}


@dataclass(frozen=True)
class AreaRow:
    """One row of AREA_PAGE_SQL."""

    level: str
    code: str
    annee: int
    name: str | None
    parent_level: str | None
    parent_code: str | None
    n_buildings: int
    n_dwellings: int
    n_dpe: int
    n_dpe_dwelling: int
    metered_kwh_per_dwelling_median: float | None
    dpe_ef_kwh_m2_median: float | None
    dpe_ep_kwh_m2_median: float | None
    lon: float | None
    lat: float | None
