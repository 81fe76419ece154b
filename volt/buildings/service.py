"""Building logic: which buildings a request means, one page of them, and their DPE figures
withheld where the privacy engine says so (decided per commune, over all its buildings)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import anyio
import psycopg
from psycopg.rows import TupleRow, class_row

from volt.api.data import CurrentLoad, Prebuilt
from volt.buildings import queries, suppression
from volt.buildings.queries import BuildingRow, SuppressionCell
from volt.buildings.schemas import (
    BuildingFeature,
    BuildingFeatureCollection,
    BuildingFigures,
    BuildingPage,
    PointGeometry,
)
from volt.db.rows import named_row
from volt.domain.dpe_label import LABELS
from volt.domain.privacy import Reason, Thresholds
from volt.errors import NotFoundError, UsageError

AsyncConn = psycopg.AsyncConnection[TupleRow]
# (data_version, year, commune, thresholds) → BAN id → reason: the decisions of one commune,
# made once per load and process (≈ 0.2 s for a city of 5,000 addresses, 1 ms for a town).
Decisions = OrderedDict[tuple[str, int, str, Thresholds], dict[str, Reason]]
DECISIONS_KEPT = 256  # communes; a city's decisions are a few hundred BAN ids


@dataclass(frozen=True)
class BuildingQuery:
    commune: str | None
    street: str | None
    year: int | None
    after: str | None
    limit: int
    points_only: bool = False  # map layers skip addresses without a BAN point


@dataclass(frozen=True)
class Page:
    year: int | None
    rows: list[BuildingRow]
    reasons: dict[str, Reason]  # BAN id → why its DPE figures are withheld
    next: str | None


async def list_buildings(
    conn: AsyncConn, load: CurrentLoad, query: BuildingQuery, rules: Thresholds, memo: Decisions
) -> Prebuilt:
    """A BuildingPage as plain JSON values (volt.api.data.Prebuilt): our own rows, 50 a page."""
    page = await _page(conn, load, query, rules, memo)
    items = []
    for row in page.rows:
        item = _figures(row, page.reasons.get(row.ban_id))
        item["lon"], item["lat"] = row.lon, row.lat
        items.append(item)
    data = {
        "data_version": load.data_version,
        "sources": load.sources,
        "year": page.year,
        "items": items,
        "next": page.next,
    }
    return Prebuilt(data, BuildingPage)


async def building_features(
    conn: AsyncConn, load: CurrentLoad, query: BuildingQuery, rules: Thresholds, memo: Decisions
) -> BuildingFeatureCollection:
    page = await _page(conn, load, query, rules, memo)
    features = [
        BuildingFeature(
            id=row.ban_id,
            geometry=PointGeometry(coordinates=(row.lon, row.lat)),
            properties=BuildingFigures(**_figures(row, page.reasons.get(row.ban_id))),
        )
        for row in page.rows
        if row.lon is not None and row.lat is not None  # always: the query asked for points
    ]
    return BuildingFeatureCollection(
        data_version=load.data_version,
        sources=load.sources,
        year=page.year,
        features=features,
        next=page.next,
    )


def check_place(query: BuildingQuery) -> None:
    """422 unless exactly one of commune and street is given."""
    if (query.commune is None) == (query.street is None):
        raise UsageError(
            "Give exactly one of `commune` and `street`.",
            hint="e.g. ?commune=06029 or ?street=06029_0870",
        )


async def _page(
    conn: AsyncConn, load: CurrentLoad, query: BuildingQuery, rules: Thresholds, memo: Decisions
) -> Page:
    year = await _year(conn, query)
    if year is None:
        return Page(None, [], {}, None)
    params = {
        "commune": query.commune,
        "street": query.street,
        "year": year,
        "after": query.after,
        "limit": query.limit + 1,  # one more: is there a next page?
        "min_dwellings": rules.min_dwellings,
        "points_only": query.points_only,
    }
    sql = queries.COMMUNE_PAGE_SQL if query.commune else queries.STREET_PAGE_SQL
    async with conn.cursor(row_factory=named_row(BuildingRow)) as cursor:
        await cursor.execute(sql, params)
        rows = await cursor.fetchall()
    kept = rows[: query.limit]
    reasons: dict[str, Reason] = {}
    for commune in sorted({row.code_insee for row in kept if row.code_insee}):
        decided = await _decisions(conn, (load.data_version, year, commune, rules), memo)
        reasons |= {row.ban_id: decided[row.ban_id] for row in kept if row.ban_id in decided}
    for row in kept:
        if row.code_insee is None and (alone := _alone(row, rules)) is not None:
            reasons[row.ban_id] = alone
    return Page(year, kept, reasons, kept[-1].ban_id if len(rows) > query.limit else None)


async def _decisions(
    conn: AsyncConn, key: tuple[str, int, str, Thresholds], memo: Decisions
) -> dict[str, Reason]:
    """The withheld buildings of one commune and year (memoised: a load never changes)."""
    if key in memo:
        memo.move_to_end(key)
        return memo[key]
    _, year, commune, rules = key
    async with conn.cursor(row_factory=class_row(SuppressionCell)) as cursor:
        await cursor.execute(queries.SUPPRESSION_CELLS_SQL, {"year": year, "commune": commune})
        cells = await cursor.fetchall()
    # CPU-bound (linear algebra on large communes): off the event loop.
    decided = await anyio.to_thread.run_sync(suppression.withheld, cells, rules)
    memo[key] = decided
    while len(memo) > DECISIONS_KEPT:
        memo.popitem(last=False)
    return decided


def _alone(row: BuildingRow, rules: Thresholds) -> Reason | None:
    return suppression.withheld_alone(row.n_dpe, row.n_dpe_dwelling, row.n_dwellings, rules)


async def _year(conn: AsyncConn, query: BuildingQuery) -> int | None:
    """The year asked for, else the latest one with buildings there; 404 for an unknown place."""
    check_place(query)
    params = {"commune": query.commune, "street": query.street}
    if query.commune is not None:
        sql, what = queries.COMMUNE_SCOPE_SQL, "commune"
    else:
        sql, what = queries.STREET_SCOPE_SQL, "street"
    row = await (await conn.execute(sql, params)).fetchone()
    if row is None or not row[0]:
        code = query.commune or query.street
        raise NotFoundError(
            f"No {what} {code} in the data.",
            hint="Find codes with GET /v1/places/search?q=…",
        )
    latest: int | None = row[1]
    return query.year if query.year is not None else latest


def _figures(row: BuildingRow, reason: Reason | None) -> dict[str, Any]:
    """The row's published figures: the DPE-derived ones nulled when withheld."""
    shown = reason is None
    values: dict[str, Any] = {
        "ban_id": row.ban_id,
        "address": _address_of(row.ban_id, row.numero, row.nom_voie),
        "street_code": row.street_code,
        "code_insee": row.code_insee,
        "code_iris": row.code_iris,
        "year": row.annee,
        "n_dwellings": row.n_dwellings,
        "metered_kwh_per_dwelling": row.metered_kwh_per_dwelling,
        "metered_kwh_m2": row.metered_kwh_m2 if shown else None,
        "n_dpe": row.n_dpe,
        "n_dpe_dwelling": row.n_dpe_dwelling,
        "mean_surface_m2": row.mean_surface_m2 if shown else None,
        "dpe_ef_kwh_m2": row.dpe_ef_kwh_m2 if shown else None,
        "dpe_ep_kwh_m2": row.dpe_ep_kwh_m2 if shown else None,
        "dpe_labels": _labels(row.labels, shown),
        "ges_labels": _labels(row.ges_labels, shown),
        "dpe_labels_recomputed": _labels(row.recomputed_labels, shown),
        "building_label": row.building_label if shown else None,
        "share_electric_heating": row.share_electric_heating if shown else None,
        "is_electric_heating": row.is_electric_heating if shown else None,
        "dpe_suppressed": not shown,
        "dpe_suppressed_reason": reason,
        "geocode_method": row.geocode_method,
        "geocode_score": row.geocode_score,
    }
    return values


def _labels(counts: list[int], shown: bool) -> dict[str, int | None]:
    """LabelCounts as JSON values (A…G)."""
    if shown:
        return dict(zip(LABELS, counts, strict=True))
    return dict.fromkeys(LABELS)


def _address_of(ban_id: str, numero: str | None, nom_voie: str | None) -> str | None:
    """`12 bis Boulevard Carnot`: the BAN number, the repetition index kept in the BAN id
    (`06029_0870_00012_bis`; the buildings table has no column for it) and the street name."""
    if not nom_voie:
        return None
    parts = ban_id.split("_")
    words = [numero, parts[3] if len(parts) > 3 else None, nom_voie]
    return " ".join(w for w in words if w)
