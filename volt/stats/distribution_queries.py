"""SQL of the distribution route (reader pool): the vigintiles of an area's cuts in `area_cuts`.

The energy's columns (`n_ep`, `ep_p05` … or `n_ef`, `ef_p05` …) come from
volt.domain.cuts through psycopg.sql.Identifier, never from client text; values are bound.
"""

from __future__ import annotations

from psycopg import sql

from volt.domain.cuts import VIGINTILES, vigintile_column
from volt.stats.queries import AsyncConn, Row, fetch_rows

# The cuts of one dimension of an area-year (at most eight: A…G and unknown), the chosen
# energy's count and vigintiles renamed `n`, `p05` … `p95`.
_CUTS_SQL = """
SELECT value, {count} AS n, {vigintiles}
FROM area_cuts
WHERE level = %(level)s AND code = %(code)s AND annee = %(year)s AND dimension = %(dimension)s
ORDER BY value
"""


def cuts_sql(energy: str) -> sql.Composed:
    """_CUTS_SQL for energy 'ep' or 'ef'."""
    vigintiles = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(
            sql.Identifier(vigintile_column(energy, p)), sql.Identifier(f"p{p:02d}")
        )
        for p in VIGINTILES
    )
    count = sql.Identifier(f"n_{energy}")
    return sql.SQL(_CUTS_SQL).format(count=count, vigintiles=vigintiles)


async def fetch_cuts(
    conn: AsyncConn, energy: str, level: str, code: str, year: int, dimension: str
) -> list[Row]:
    params = {"level": level, "code": code, "year": year, "dimension": dimension}
    return await fetch_rows(conn, cuts_sql(energy), params)
