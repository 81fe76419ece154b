"""Area map layer: `GET /v1/map/areas.geojson` (area centroids with their figures)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from volt.api.data import CurrentLoadDep, GeoJSONResponse, as_geojson, serve_data
from volt.api.deps import AppStateDep, ReadConn
from volt.api.problems import problem_responses
from volt.api.security import ReaderOrAdmin
from volt.config import Settings
from volt.domain.privacy import Thresholds
from volt.maps import service
from volt.maps.schemas import AreaFeatureCollection, AreaLevel

router = APIRouter(prefix="/map", tags=["maps"])

# 2,000 centroids are ≈ 1 MB of GeoJSON: a département's communes, a city's streets in a few.
MAX_FEATURES = 2000
AREA_CODE_PATTERN = r"^[0-9A-Za-z_]{1,24}$"
OK: dict[int | str, dict[str, Any]] = {
    200: {"model": AreaFeatureCollection, "description": "A page of area centroids."}
}


def _rules(settings: Settings) -> Thresholds:
    return Thresholds(settings.privacy_min_dwellings, settings.privacy_min_dpe)


@router.get(
    "/areas.geojson",
    summary="Map layer: area centroids with their figures (GeoJSON)",
    description=(
        "A GeoJSON FeatureCollection of the areas of one level (optionally the children of "
        "`parent`), each a point with its counts and medians: metered kWh per dwelling, DPE "
        "final and primary kWh/m². Communes sit at their centre; streets, IRIS, EPCI, "
        "départements and régions at the dwelling-weighted centre of their buildings. Medians "
        "from fewer than 10 dwellings or 5 dwelling DPE (the defaults) are null, with "
        "`metered_suppressed` / `dpe_suppressed`; means and label counts are left to "
        "`/v1/stats` (they need complementary suppression). At most `limit` features per "
        "answer: the next page is the top-level `next` member and the `Link` header."
    ),
    response_model=None,
    response_class=GeoJSONResponse,
    responses=OK | problem_responses(401, 404, 422, 429, 503),
)
async def map_areas(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    level: Annotated[AreaLevel, Query(description="Area level of the features.")],
    parent: Annotated[
        str | None,
        Query(
            pattern=AREA_CODE_PATTERN,
            description=(
                "Only the children of this area, at the level above: the commune (INSEE) of "
                "streets and IRIS, the EPCI (SIREN) of communes, the département of EPCI, the "
                "région of départements, `FR` for régions."
            ),
            examples=["200039915"],
        ),
    ] = None,
    year: Annotated[
        int | None,
        Query(ge=2000, le=2100, description="Enedis year; the latest with data when omitted."),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_FEATURES, description="Features per answer.")
    ] = MAX_FEATURES,
    after: Annotated[
        str | None,
        Query(
            pattern=AREA_CODE_PATTERN,
            description="Cursor: the `next` of the previous page (areas after this code).",
            examples=["06029"],
        ),
    ] = None,
) -> Response:
    query = service.AreaQuery(level, parent, year, after, limit)
    service.check_query(query)  # a 422 before any cache or query
    rules = _rules(state.settings)

    async def produce() -> AreaFeatureCollection:
        return await service.area_features(conn, load, query, rules)

    name = f"areas-{level}" + (f"-{parent}" if parent else "")
    response = await serve_data(request, state, load, produce, name=name)
    return as_geojson(response, request)
