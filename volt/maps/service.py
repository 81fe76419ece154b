"""Area map logic: which areas a request means, one page of them with their centroids, figures
from too few dwellings or DPE withheld."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow, class_row

from volt.api.data import CurrentLoad
from volt.domain.privacy import Thresholds
from volt.errors import NotFoundError, UsageError
from volt.maps import queries
from volt.maps.queries import AreaRow
from volt.maps.schemas import (
    AreaFeature,
    AreaFeatureCollection,
    AreaFigures,
    AreaLevel,
    PointGeometry,
)

AsyncConn = psycopg.AsyncConnection[TupleRow]


@dataclass(frozen=True)
class AreaQuery:
    level: AreaLevel
    parent: str | None
    year: int | None
    after: str | None
    limit: int


def check_query(query: AreaQuery) -> None:
    """422 for a parent of France (it has none)."""
    if query.level.parent is None and query.parent is not None:
        raise UsageError(
            "The france level has no parent.", hint="Leave `parent` out for level=france."
        )


async def area_features(
    conn: AsyncConn, load: CurrentLoad, query: AreaQuery, rules: Thresholds
) -> AreaFeatureCollection:
    year = await _year(conn, query)
    rows: list[AreaRow] = []
    if year is not None:
        params = {
            "level": query.level.value,
            "parent": query.parent,
            "year": year,
            "after": query.after,
            "limit": query.limit + 1,  # one more: is there a next page?
        }
        async with conn.cursor(row_factory=class_row(AreaRow)) as cursor:
            page_sql = queries.AREA_PAGES[query.level.value, query.parent is not None]
            await cursor.execute(page_sql, params)
            rows = await cursor.fetchall()
    kept = rows[: query.limit]
    return AreaFeatureCollection(
        data_version=load.data_version,
        sources=load.sources,
        level=query.level,
        year=year,
        features=[_feature(row, rules) for row in kept],
        next=kept[-1].code if len(rows) > query.limit else None,
    )


async def _year(conn: AsyncConn, query: AreaQuery) -> int | None:
    """The year asked for, else the latest with data; 404 for an unknown parent."""
    check_query(query)
    parent_level = query.level.parent
    params = {
        "level": query.level.value,
        "parent": query.parent,
        "parent_level": parent_level.value if parent_level else None,
    }
    row = await (await conn.execute(queries.AREA_SCOPE_SQL, params)).fetchone()
    if row is None or not row[0]:
        raise NotFoundError(
            f"No {parent_level} {query.parent} in the data.",
            hint="Find codes with GET /v1/places/search?q=… or GET /v1/map/areas.geojson.",
        )
    latest: int | None = row[1]
    return query.year if query.year is not None else latest


def _feature(row: AreaRow, rules: Thresholds) -> AreaFeature:
    # An empty cell (no dwelling, no DPE) holds no one: nothing to withhold, its medians are
    # simply absent.
    metered_hidden = 0 < row.n_dwellings < rules.min_dwellings
    dpe_hidden = 0 < row.n_dpe_dwelling < rules.min_dpe
    figures = AreaFigures(
        level=AreaLevel(row.level),
        code=row.code,
        name=row.name,
        parent_level=AreaLevel(row.parent_level) if row.parent_level else None,
        parent_code=row.parent_code,
        year=row.annee,
        n_buildings=row.n_buildings,
        n_dwellings=row.n_dwellings,
        n_dpe=row.n_dpe,
        n_dpe_dwelling=row.n_dpe_dwelling,
        metered_kwh_per_dwelling_median=(
            None if metered_hidden else row.metered_kwh_per_dwelling_median
        ),
        dpe_ef_kwh_m2_median=None if dpe_hidden else row.dpe_ef_kwh_m2_median,
        dpe_ep_kwh_m2_median=None if dpe_hidden else row.dpe_ep_kwh_m2_median,
        metered_suppressed=metered_hidden,
        dpe_suppressed=dpe_hidden,
    )
    point = (
        PointGeometry(coordinates=(row.lon, row.lat))
        if row.lon is not None and row.lat is not None
        else None
    )
    return AreaFeature(id=row.code, geometry=point, properties=figures)
