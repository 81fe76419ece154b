"""SQL of the statistics routes (reader pool): `areas` per level, code and year, `dpe_vs_metered`.

Every value is bound. Identifiers — the columns of a metric, the column a filter or a family of
siblings is read from — come only from the metric registry and the enums of volt/stats, through
psycopg.sql.Identifier: never from client text.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow, dict_row

from volt.domain.metrics import COUNT_COLUMNS, Metric

AsyncConn = psycopg.AsyncConnection[TupleRow]
Row = dict[str, Any]

AREA_COLUMNS = ("code", "name", "annee", "parent_level", "parent_code", "code_departement")
LABEL_PREFIXES = ("n_label", "n_ges", "n_label_recomputed")
LABEL_COLUMNS = tuple(f"{prefix}_{label}" for prefix in LABEL_PREFIXES for label in "abcdefg")

# The latest Enedis year of the load. Every year with buildings has its France row, and there
# is one France row per year: no scan of a whole level for a default.
LATEST_YEAR_SQL = """
SELECT max(annee) FROM areas WHERE level = 'france'
"""

AREA_EXISTS_SQL = """
SELECT EXISTS (SELECT 1 FROM areas WHERE level = %(level)s AND code = %(code)s)
"""

# Keyset pagination on `code` (the primary key's order within a level and year); `limit` is the
# page size + 1, the extra row saying whether another page exists.
_LIST_SQL = """
SELECT {columns}
FROM areas
WHERE level = %(level)s AND annee = %(year)s AND {filter}
  AND (%(after)s::text IS NULL OR code > %(after)s::text)
ORDER BY code
LIMIT %(limit)s
"""

_BY_CODE = "code = %(code)s"
_BY_PARENT = {
    "parent": "parent_level = %(parent_level)s AND parent_code = %(parent)s",
    # Communes only (the areas_children_idx does not cover it; a level holds ≈ 35 k communes).
    "departement": "code_departement = %(parent)s",
}

# One area in one year (the latest it has when `year` is NULL).
_AREA_SQL = """
SELECT {columns}
FROM areas
WHERE level = %(level)s AND code = %(code)s
  AND (%(year)s::integer IS NULL OR annee = %(year)s::integer)
ORDER BY annee DESC
LIMIT 1
"""

# The families of siblings (areas sharing the `{key}` column: one parent) that contain these
# codes, whole: suppression decides over a family at once. A row whose key is NULL comes alone.
_FAMILIES_SQL = """
SELECT {columns}
FROM areas
WHERE level = %(level)s AND annee = %(year)s
  AND ({key} IN (SELECT {key} FROM areas
                 WHERE level = %(level)s AND annee = %(year)s AND code = ANY(%(codes)s))
       OR code = ANY(%(codes)s))
ORDER BY code
"""

# The same families with their cuts of one dimension: one row per area and value (the area's
# row alone, value NULL, when it has no cut). Cut columns come prefixed (`cut_n_dpe` …).
_FAMILIES_CUTS_SQL = """
SELECT {columns}, c.value AS cut_value, {cut_columns}
FROM areas AS a
LEFT JOIN area_cuts AS c
    ON c.level = a.level AND c.code = a.code AND c.annee = a.annee
   AND c.dimension = %(dimension)s
WHERE a.level = %(level)s AND a.annee = %(year)s
  AND (a.{key} IN (SELECT {key} FROM areas
                   WHERE level = %(level)s AND annee = %(year)s AND code = ANY(%(codes)s))
       OR a.code = ANY(%(codes)s))
ORDER BY a.code, c.value
"""
CUT_VALUE = "cut_value"
CUT_COUNT_COLUMNS = ("n_dpe", *LABEL_COLUMNS)
CUT_PREFIX = "cut_"

DPE_VS_METERED_SQL = """
SELECT etiquette_dpe, n_buildings_electric, n_buildings_other, n_dwellings_electric,
       dpe_ef_kwh_m2_q1, dpe_ef_kwh_m2_median, dpe_ef_kwh_m2_q3,
       metered_kwh_m2_q1, metered_kwh_m2_median, metered_kwh_m2_q3,
       ratio_q1, ratio_median, ratio_q3,
       wilcoxon_statistic, wilcoxon_p_value, trend_kendall_tau, trend_p_value
FROM dpe_vs_metered
WHERE level = %(level)s AND code = %(code)s AND annee = %(year)s
ORDER BY etiquette_dpe
"""


def metric_expression(metric: Metric) -> sql.Composable:
    """The metric's value: its column, or the share column ÷ denominator (NULL over zero)."""
    if metric.denominator is None:
        return sql.Identifier(metric.column)
    return sql.SQL("{}::double precision / NULLIF({}, 0)").format(
        sql.Identifier(metric.column), sql.Identifier(metric.denominator)
    )


def _columns(names: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(name) for name in names)


def list_areas_sql(
    metrics: Sequence[Metric], *, by_code: bool, by: Literal["parent", "departement"] | None
) -> sql.Composed:
    """_LIST_SQL with these metrics, filtered by code, by parent or by département."""
    values = [
        sql.SQL("{} AS {}").format(metric_expression(m), sql.Identifier(m.slug)) for m in metrics
    ]
    columns = sql.SQL(", ").join([_columns((*AREA_COLUMNS, *COUNT_COLUMNS)), *values])
    conditions = [_BY_CODE] if by_code else []
    conditions += [_BY_PARENT[by]] if by is not None else []
    condition = sql.SQL(" AND ").join([sql.SQL(c) for c in conditions] or [sql.SQL("true")])
    return sql.SQL(_LIST_SQL).format(columns=columns, filter=condition)


# Under a DPE filter: the page of areas chosen as without one, each with its cut (an empty cut
# has no row in area_cuts: its columns come NULL). Cut figures come as their metric's slug.
_CUT_LIST_SQL = """
WITH page AS ({page})
SELECT page.*, {cut_columns}
FROM page
LEFT JOIN area_cuts AS c
    ON c.level = %(level)s AND c.code = page.code AND c.annee = page.annee
   AND c.dimension = %(dimension)s AND c.value = %(value)s
ORDER BY page.code
"""


def list_cut_areas_sql(
    metrics: Sequence[Metric], *, by_code: bool, by: Literal["parent", "departement"] | None
) -> sql.Composed:
    """_LIST_SQL's page with the cut `dimension`/`value` of each area: its DPE count
    (`cut_n_dpe`), and per metric its cut column (as the slug) and gate (`cut_<gate>`)."""
    columns = {CUT_PREFIX + "n_dpe": "n_dpe"}
    for metric in metrics:
        if metric.cut is None:
            raise ValueError(f"{metric.slug} has no cut figure")
        columns[metric.slug] = metric.cut.column
        columns[CUT_PREFIX + metric.cut.gate.column] = metric.cut.gate.column
    selected = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(sql.Identifier("c", column), sql.Identifier(alias))
        for alias, column in columns.items()
    )
    page = list_areas_sql((), by_code=by_code, by=by)
    return sql.SQL(_CUT_LIST_SQL).format(page=page, cut_columns=selected)


def area_sql(columns: Sequence[str]) -> sql.Composed:
    return sql.SQL(_AREA_SQL).format(columns=_columns(columns))


def families_sql(columns: Sequence[str], key: str) -> sql.Composed:
    return sql.SQL(_FAMILIES_SQL).format(columns=_columns(columns), key=sql.Identifier(key))


def families_with_cuts_sql(columns: Sequence[str], key: str) -> sql.Composed:
    return sql.SQL(_FAMILIES_CUTS_SQL).format(
        columns=sql.SQL(", ").join(sql.Identifier("a", c) for c in columns),
        cut_columns=sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(sql.Identifier("c", c), sql.Identifier(CUT_PREFIX + c))
            for c in CUT_COUNT_COLUMNS
        ),
        key=sql.Identifier(key),
    )


async def fetch_rows(
    conn: AsyncConn, query: sql.Composed | str, params: Mapping[str, Any]
) -> list[Row]:
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchall()


async def fetch_value(conn: AsyncConn, query: str, params: Mapping[str, Any]) -> Any:
    row = await (await conn.execute(query, params)).fetchone()
    return None if row is None else row[0]


async def fetch_families(
    conn: AsyncConn,
    level: str,
    year: int,
    codes: Collection[str],
    key: str,
    columns: Sequence[str],
) -> list[Row]:
    params = {"level": level, "year": year, "codes": sorted(codes)}
    return await fetch_rows(conn, families_sql(columns, key), params)


async def fetch_families_with_cuts(
    conn: AsyncConn,
    level: str,
    year: int,
    codes: Collection[str],
    key: str,
    columns: Sequence[str],
    dimension: str,
) -> list[Row]:
    params = {"level": level, "year": year, "codes": sorted(codes), "dimension": dimension}
    return await fetch_rows(conn, families_with_cuts_sql(columns, key), params)
