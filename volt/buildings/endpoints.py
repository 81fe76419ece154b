"""Building routes: `GET /v1/buildings` (list, CSV, Parquet) and `GET /v1/map/buildings.geojson`
(the same figures as GeoJSON points)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from volt.api.data import (
    MEDIA_TYPES,
    CurrentLoadDep,
    ExportFormat,
    FormatQuery,
    GeoJSONResponse,
    Prebuilt,
    as_geojson,
    serve_data,
)
from volt.api.deps import AppStateDep, ReadConn
from volt.api.problems import problem_responses
from volt.api.security import ReaderOrAdmin
from volt.api.state import AppState
from volt.buildings import service
from volt.buildings.schemas import BuildingFeatureCollection, BuildingPage
from volt.domain.privacy import Thresholds

router = APIRouter(tags=["buildings"])

# 500 buildings are ≈ 700 kB of JSON; a commune with more pages through `after`.
MAX_PAGE = 500
# A map draws 2,000 points at once comfortably (≈ 2.5 MB of GeoJSON); more is what paging is for.
MAX_FEATURES = 2000

INSEE_PATTERN = r"^([0-9]{5}|2[AB][0-9]{3})$"
# BAN keys: `{insee}_{voie}` for a street, `{insee}_{voie}_{numero}[_{suffix}]` for an address.
STREET_PATTERN = r"^([0-9]{5}|2[ABab][0-9]{3})_[0-9A-Za-z]{1,10}$"
BAN_ID_PATTERN = r"^([0-9]{5}|2[ABab][0-9]{3})(_[0-9A-Za-z]{1,10}){1,3}$"


def _commune() -> Any:
    """The `commune` parameter (optional in the list, required on the map)."""
    return Query(
        pattern=INSEE_PATTERN,
        description="INSEE commune code: 5 digits, or 2A/2B and 3 digits (Corsica).",
        examples=["06029"],
    )


Year = Annotated[
    int | None,
    Query(ge=2000, le=2100, description="Enedis year; the latest with data when omitted."),
]
After = Annotated[
    str | None,
    Query(
        pattern=BAN_ID_PATTERN,
        description="Cursor: the `next` of the previous page (buildings after this BAN id).",
        examples=["06029_0870_00012"],
    ),
]


def _rules(state: AppState) -> tuple[Thresholds, service.Decisions]:
    """The privacy thresholds, and the app's memo of each commune's decisions."""
    settings = state.settings
    rules = Thresholds(settings.privacy_min_dwellings, settings.privacy_min_dpe)
    memo: service.Decisions = state.memo.setdefault("buildings.decisions", OrderedDict())
    return rules, memo


def _ok(model: type[BaseModel], description: str, *media: str) -> dict[int | str, Any]:
    return {200: {"model": model, "description": description, "content": {m: {} for m in media}}}


PRIVACY_NOTE = (
    "Only addresses Enedis publishes (≥ 10 dwellings). DPE-derived figures (per-m² values, "
    "labels, heating) are null with `dpe_suppressed: true` where they would come from fewer "
    "than 5 DPE (the default threshold; `below_min_dpe`), or where a street, IRIS or commune "
    "total minus the published buildings would give another building's back "
    "(`complementary`). Never a DPE number, an apartment complement or a DPE's own address."
)


@router.get(
    "/buildings",
    summary="Building-level figures of a commune or a street",
    description=(
        "One row per BAN address and Enedis year: dwellings, metered electricity per dwelling "
        "and per m², DPE count, mean surface, DPE final and primary energy per m², label "
        "counts, the building's label, electric heating, the geocoding quality and the BAN "
        f"point. {PRIVACY_NOTE} Give exactly one of `commune` and `street`. Keyset-paginated "
        "in BAN id order: pass a page's `next` as `after`. `format=csv|parquet` exports the "
        "page's rows."
    ),
    response_model=None,
    responses=_ok(BuildingPage, "A page of buildings.", *MEDIA_TYPES.values())
    | problem_responses(401, 404, 422, 429, 503),
)
async def list_buildings(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    commune: Annotated[str | None, _commune()] = None,
    street: Annotated[
        str | None,
        Query(
            pattern=STREET_PATTERN,
            description="Street code `{insee}_{voie}` (the BAN id without its number).",
            examples=["06029_0870"],
        ),
    ] = None,
    year: Year = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Buildings per page.")] = 100,
    after: After = None,
    format: FormatQuery = ExportFormat.JSON,
) -> Response:
    query = service.BuildingQuery(commune, street, year, after, limit)
    service.check_place(query)  # a 422 before any cache or query
    rules, memo = _rules(state)

    async def produce() -> Prebuilt:
        return await service.list_buildings(conn, load, query, rules, memo)

    name = f"buildings-{commune or street}"
    return await serve_data(request, state, load, produce, name=name, fmt=format)


@router.get(
    "/map/buildings.geojson",
    tags=["maps"],
    summary="Map layer: the buildings of a commune as GeoJSON points",
    description=(
        "A GeoJSON FeatureCollection of the commune's buildings (BAN address points) with the "
        f"figures of `GET /v1/buildings` as properties. {PRIVACY_NOTE} At most `limit` "
        "features per answer: the next page is the top-level `next` member and the `Link` "
        "header (rel=next). `data_version`, `sources` and `year` are foreign members."
    ),
    response_model=None,
    response_class=GeoJSONResponse,
    responses=_ok(BuildingFeatureCollection, "A page of building points.")
    | problem_responses(401, 404, 422, 429, 503),
)
async def map_buildings(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    commune: Annotated[str, _commune()],
    year: Year = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_FEATURES, description="Features per answer.")
    ] = MAX_FEATURES,
    after: After = None,
) -> Response:
    query = service.BuildingQuery(commune, None, year, after, limit, points_only=True)
    rules, memo = _rules(state)

    async def produce() -> BuildingFeatureCollection:
        return await service.building_features(conn, load, query, rules, memo)

    response = await serve_data(request, state, load, produce, name=f"buildings-{commune}")
    return as_geojson(response, request)
