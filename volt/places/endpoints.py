"""Place routes: `GET /v1/places/search`, `GET /v1/communes`, `GET /v1/communes/{code_insee}`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from volt.api.data import (
    MEDIA_TYPES,
    CurrentLoadDep,
    ExportFormat,
    FormatQuery,
    Prebuilt,
    serve_data,
)
from volt.api.deps import AppStateDep, ReadConn
from volt.api.problems import problem_responses
from volt.api.security import ReaderOrAdmin
from volt.config import Settings
from volt.domain.privacy import Thresholds
from volt.places import service
from volt.places.schemas import (
    DEPARTEMENT_PATTERN,
    INSEE_PATTERN,
    CommunePage,
    CommuneRead,
    PlaceSearchRead,
)

router = APIRouter(tags=["places"])

# A result list, not an export: past 50 hits the query is too vague to be worth ranking.
MAX_HITS = 50
# 500 communes are ≈ 200 kB of JSON; a département has at most ≈ 900, so two pages.
MAX_PAGE = 500

# Lengths of the text as sent; blanks around it are then ignored. A schema cannot say "2
# characters once trimmed", so a blank-padded single letter is not refused: it finds nothing.
SearchQuery = Annotated[
    str,
    Query(
        min_length=2,
        max_length=100,
        description=(
            "Commune, street or address, with or without accents, typos tolerated: "
            "`canes`, `saint etienne`, `12 bd carnot cannes`."
        ),
        examples=["bd carnot cannes"],
    ),
]
InseeCode = Annotated[
    str,
    Path(
        pattern=INSEE_PATTERN,
        description="INSEE commune code: 5 digits, or 2A/2B and 3 digits (Corsica).",
        examples=["06029"],
    ),
]


def _thresholds(settings: Settings) -> Thresholds:
    return Thresholds(settings.privacy_min_dwellings, settings.privacy_min_dpe)


def _ok(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer in OpenAPI: the JSON model, or the same rows as CSV or Parquet."""
    exports: dict[str, Any] = {media: {} for media in MEDIA_TYPES.values()}
    return {200: {"model": model, "description": description, "content": exports}}


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    responses = problem_responses(*statuses)
    if 404 in responses:
        responses[404]["description"] = "No commune with this INSEE code."
    return responses


@router.get(
    "/places/search",
    summary="Search communes, streets and addresses",
    description=(
        "Accent- and typo-tolerant search (trigram similarity) over communes, streets and the "
        "addresses Enedis publishes (≥ 10 dwellings). Name the commune after (or before) the "
        "street to narrow it down (`bd carnot cannes`); addresses need their house number "
        "(`12 bd carnot cannes`). Best first: exact names, names starting with the query, "
        "names holding it as a word, then the closest spellings; on equal terms communes come "
        "before streets, streets before addresses. Each hit has a one-line summary built from "
        "the published figures. A word as common as `rue` alone is searched among a sample of "
        "the names holding it. A query left with fewer than 2 letters or digits once accents "
        "and punctuation are folded finds nothing."
    ),
    response_model=None,
    responses=_ok(PlaceSearchRead, "The hits, best first.") | _problems(401, 422, 429, 503),
)
async def search_places(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    q: SearchQuery,
    limit: Annotated[int, Query(ge=1, le=MAX_HITS, description="Hits at most.")] = 10,
    format: FormatQuery = ExportFormat.JSON,
) -> Response:
    text = service.search_text(q)
    thresholds = _thresholds(state.settings)

    async def produce() -> PlaceSearchRead:
        return await service.search_places(conn, load, text, limit=limit, thresholds=thresholds)

    return await serve_data(request, state, load, produce, name="places", fmt=format)


@router.get(
    "/communes",
    summary="List communes, by département",
    description=(
        "Communes in INSEE code order with their latest Enedis year's counts, as "
        "`GET /v1/stats/commune` publishes them, and the links to their statistics. "
        "Keyset-paginated: pass a page's `next` as `after` to get the following one."
    ),
    response_model=None,
    responses=_ok(CommunePage, "A page of communes.") | _problems(401, 422, 429, 503),
)
async def list_communes(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    departement: Annotated[
        str | None,
        Query(
            pattern=DEPARTEMENT_PATTERN,
            description="Département code: 01…95, 2A, 2B, 971…978. All communes when omitted.",
            examples=["06"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Communes per page.")] = 100,
    after: Annotated[
        str | None,
        Query(
            pattern=INSEE_PATTERN,
            description="Cursor: communes with a larger INSEE code than this.",
            examples=["06029"],
        ),
    ] = None,
    format: FormatQuery = ExportFormat.JSON,
) -> Response:
    async def produce() -> Prebuilt:
        return await service.list_communes(
            conn, load, departement=departement, limit=limit, after=after
        )

    name = f"communes-{departement}" if departement else "communes"
    return await serve_data(request, state, load, produce, name=name, fmt=format)


@router.get(
    "/communes/{code_insee}",
    summary="One commune and its headline figures",
    description=(
        "Code, name, département, région, EPCI and centroid, with the latest Enedis year's "
        "counts (addresses, dwellings metered, DPE…), always published and equal to the "
        "commune's `counts` in `GET /v1/stats/commune` for that year. Its label distributions "
        "and other figures, suppressed where they come from too few dwellings or DPE, are "
        "served by the statistics routes named in `links`."
    ),
    response_model=None,
    responses=_ok(CommuneRead, "The commune.") | _problems(401, 404, 422, 429, 503),
)
async def get_commune(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    code_insee: InseeCode,
    format: FormatQuery = ExportFormat.JSON,
) -> Response:
    async def produce() -> CommuneRead:
        return await service.get_commune(conn, load, code_insee)

    return await serve_data(request, state, load, produce, name=f"commune-{code_insee}", fmt=format)
