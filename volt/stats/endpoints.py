"""Statistics routes: `GET /v1/metrics`, `GET /v1/stats/{level}` (whole areas, or one DPE cut of
each) and, per area, its label distributions, its DPE breakdown by a dimension and label, and its
DPE vs metered comparison. Every figure obeys DESIGN §3."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from volt.api.data import MEDIA_TYPES, CurrentLoadDep, ExportFormat, FormatQuery, serve_data
from volt.api.deps import AppStateDep, ReadConn
from volt.api.problems import problem_responses
from volt.api.security import ReaderOrAdmin
from volt.config import Settings
from volt.domain.metrics import (
    DEFAULT_CUT_METRICS,
    DEFAULT_METRICS,
    FILTERABLE_METRICS,
    METRICS,
    METRICS_PATTERN,
    AreaLevel,
)
from volt.domain.privacy import REASON_TEXT, Thresholds
from volt.stats import breakdown, comparison, service
from volt.stats.cut_schemas import (
    BreakdownRead,
    CutDimension,
    EnergieChauffage,
    LabelKind,
    PeriodeConstruction,
    TypeBatiment,
)
from volt.stats.filters import LEVELS_TEXT
from volt.stats.schemas import (
    AreaStatsPage,
    DpeVsMeteredRead,
    GateRead,
    LabelsRead,
    MetricRead,
    MetricsRead,
    SuppressionRules,
)

router = APIRouter()

# 500 areas with a handful of metrics are ≈ 400 kB of JSON; more is what the cursor is for.
MAX_PAGE = 500
# Codes are text: INSEE `06029`, `2A004`, IRIS `060290101`, EPCI `200039915`, street
# `06029_0460`, France `FR`. Letters, digits and `_` only, so nothing else reaches SQL.
CODE_PATTERN = r"^[0-9A-Za-z_]{1,40}$"

LevelPath = Annotated[AreaLevel, Path(description="The kind of area.", examples=["commune"])]
CodePath = Annotated[
    str, Path(pattern=CODE_PATTERN, description="The area's code.", examples=["06029"])
]
YearQuery = Annotated[
    int | None,
    Query(ge=2000, le=2100, description="Enedis year; default: the latest.", examples=[2024]),
]
ANSWERS = problem_responses(401, 404, 422, 429, 503)


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(settings.privacy_min_dwellings, settings.privacy_min_dpe)


def _ok(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer in OpenAPI: the JSON model, or the same rows as CSV or Parquet."""
    exports: dict[str, Any] = {media: {} for media in MEDIA_TYPES.values()}
    return {
        200: {"model": model, "description": description, "content": exports},
        304: {"description": "Not modified: `If-None-Match` holds the current ETag."},
    }


@router.get(
    "/metrics",
    tags=["stats"],
    summary="The metric registry and the suppression rules",
    description=(
        "Every metric `GET /v1/stats/{level}` can show: slug, label, unit, description, kind, "
        "the levels it exists at, the counts that gate it and whether it exists under a DPE "
        "filter (`filterable`); then the privacy thresholds and the reasons a cell can be "
        "suppressed for."
    ),
    responses=problem_responses(401, 429, 503),
)
async def list_metrics(principal: ReaderOrAdmin, state: AppStateDep) -> MetricsRead:
    limits = thresholds(state.settings)
    items = [
        MetricRead(
            slug=m.slug,
            label=m.label,
            unit=m.unit,
            description=m.description,
            kind=m.kind,
            levels=list(m.levels),
            gates=[
                GateRead(count=g.column, unit=g.unit, minimum=limits.of(g.unit)) for g in m.gates
            ],
            default=m.slug in DEFAULT_METRICS,
            filterable=m.cut is not None,
        )
        for m in METRICS
    ]
    rules = SuppressionRules(
        min_dwellings=limits.min_dwellings, min_dpe=limits.min_dpe, reasons=REASON_TEXT
    )
    return MetricsRead(items=items, suppression=rules)


@router.get(
    "/stats/{level}",
    tags=["stats"],
    summary="Statistics of areas: one area, or the children of a parent",
    description=(
        "Areas of one level in code order, each with its counts and the requested metrics as "
        "cells `{value, suppressed, reason}`. Filter with `code` (one area) and/or `parent` (the "
        "children of an area: the communes of an EPCI, or with `parent_level=departement` of a "
        "département). A figure from fewer dwellings or DPE than the privacy thresholds is "
        "suppressed, and so is any figure that would let it be recovered by subtraction from "
        "its parent's; the pattern is the same whatever the filter or page. Keyset-paginated: "
        "pass a page's `next` as `after`.\n\n"
        "**DPE filters** (one at a time, at levels " + LEVELS_TEXT + "): `type_batiment`, "
        "`periode_construction` or `energie_chauffage` makes every row describe that cut of "
        "the area: `filter` says which, and each row's `cut` gives the cut's DPE count (0 for "
        "an area without such DPE; suppressed as any count, with the same pattern as in the "
        "breakdown route, and its figures with it). Under a filter the metrics are "
        + ", ".join(FILTERABLE_METRICS)
        + " (default: "
        + ", ".join(DEFAULT_CUT_METRICS)
        + "), over **every DPE of the cut, building-wide (immeuble) DPE included**, where the "
        "unfiltered per-m² figures are over dwelling DPE only; `counts` stay the whole area's."
    ),
    response_model=None,
    responses=_ok(AreaStatsPage, "A page of areas.") | ANSWERS,
)
async def list_area_stats(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    level: LevelPath,
    code: Annotated[
        str | None,
        Query(pattern=CODE_PATTERN, description="One area's code.", examples=["06029"]),
    ] = None,
    parent: Annotated[
        str | None,
        Query(pattern=CODE_PATTERN, description="The parent area's code.", examples=["06"]),
    ] = None,
    parent_level: Annotated[
        AreaLevel | None,
        Query(
            description="Level of `parent`; default: the areas' direct parent (a street's or "
            "an IRIS's commune, a commune's EPCI, an EPCI's département…). Communes may also "
            "take `departement`. A level that is not the areas' parent selects nothing.",
            examples=["departement"],
        ),
    ] = None,
    year: YearQuery = None,
    metrics: Annotated[
        str | None,
        Query(
            max_length=2000,
            json_schema_extra={"pattern": METRICS_PATTERN},  # checked by parse_metrics
            description="Comma-separated metric slugs (GET /v1/metrics); default: "
            + ", ".join(DEFAULT_METRICS)
            + ".",
            examples=["dpe_ep_kwh_m2_median,metered_kwh_per_dwelling_mean"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Areas per page.")] = 100,
    after: Annotated[
        str | None,
        Query(pattern=CODE_PATTERN, description="Cursor: areas with a larger code than this."),
    ] = None,
    type_batiment: Annotated[
        TypeBatiment | None,
        Query(description="DPE filter: building type (immeuble: building-wide DPE)."),
    ] = None,
    periode_construction: Annotated[
        PeriodeConstruction | None, Query(description="DPE filter: construction period.")
    ] = None,
    energie_chauffage: Annotated[
        EnergieChauffage | None, Query(description="DPE filter: main heating energy.")
    ] = None,
    format: FormatQuery = ExportFormat.JSON,
) -> Response:
    query = service.stats_query(  # a 422 before any cache or query
        level,
        metrics=metrics,
        limit=limit,
        code=code,
        parent=parent,
        parent_level=parent_level,
        year=year,
        after=after,
        filters={
            CutDimension.TYPE_BATIMENT: type_batiment,
            CutDimension.PERIODE_CONSTRUCTION: periode_construction,
            CutDimension.ENERGIE_CHAUFFAGE: energie_chauffage,
        },
    )
    limits = thresholds(state.settings)

    async def produce() -> AreaStatsPage:
        return await service.list_area_stats(conn, load, query, limits)

    cut = None if query.cut is None else f"{query.cut.dimension.value}-{query.cut.value}"
    name = "-".join(["stats", level.value, *filter(None, [code, parent, cut])])
    return await serve_data(request, state, load, produce, name=name, fmt=format)


@router.get(
    "/stats/{level}/{code}/labels",
    tags=["stats"],
    summary="DPE and GES label distributions of an area",
    description=(
        "Counts and shares of the energy label as published, the greenhouse-gas label, and "
        "the energy label recomputed under today's rules. A count of 1 … k-1 DPE is "
        "suppressed, with the counts (of this area or of its siblings under the same parent) "
        "that would let it be recovered by subtraction. Empty counts (0) are published."
    ),
    response_model=None,
    responses=_ok(LabelsRead, "The distributions.") | ANSWERS,
)
async def get_area_labels(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    level: LevelPath,
    code: CodePath,
    year: YearQuery = None,
    format: FormatQuery = ExportFormat.JSON,
) -> Response:
    limits = thresholds(state.settings)

    async def produce() -> LabelsRead:
        return await service.get_labels(conn, load, level, code, year, limits)

    name = f"labels-{level.value}-{code}"
    return await serve_data(request, state, load, produce, name=name, fmt=format)


@router.get(
    "/stats/{level}/{code}/breakdown",
    tags=["stats"],
    summary="DPE of an area by building type, period or heating energy, and by label",
    description=(
        "For stacked charts: per value of `dimension`, the DPE count of the cut, and per label "
        "A … G (`by`: the energy label as published, the GES label, or the energy label "
        "recomputed under today's rules) the count and its share of the value's labelled DPE. "
        "The population is every DPE at the area's Enedis-published buildings, building-wide "
        "(immeuble) DPE included. A count of 1 … k-1 DPE is suppressed, with the counts that "
        "would let it be recovered by subtraction — within the table (a value's labels add up "
        "to its count, a label's values to the area's label count of GET …/labels), across "
        "sibling areas (communes add up to their EPCI and département) and together with the "
        "counts the labels route and the DPE filters hide. Value counts show the same pattern "
        "as under the DPE filters of GET /v1/stats/{level}. " + LEVELS_TEXT + " only."
    ),
    response_model=None,
    responses=_ok(BreakdownRead, "The breakdown.") | ANSWERS,
)
async def get_area_breakdown(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    level: LevelPath,
    code: CodePath,
    dimension: Annotated[
        CutDimension, Query(description="What the DPE are split by.", examples=["type_batiment"])
    ],
    by: Annotated[LabelKind, Query(description="The label counted.")] = LabelKind.ETIQUETTE_DPE,
    year: YearQuery = None,
    format: FormatQuery = ExportFormat.JSON,
) -> Response:
    limits = thresholds(state.settings)

    async def produce() -> BreakdownRead:
        return await breakdown.get_breakdown(conn, load, level, code, dimension, by, year, limits)

    name = f"breakdown-{level.value}-{code}-{dimension.value}-{by.value}"
    return await serve_data(request, state, load, produce, name=name, fmt=format)


@router.get(
    "/stats/{level}/{code}/dpe-vs-metered",
    tags=["stats"],
    summary="DPE final energy vs metered electricity, per label",
    description=(
        "Per building label, the electrically heated buildings' DPE final energy and metered "
        "electricity per m² (quartiles), their ratio, a Wilcoxon signed-rank test, and the "
        "area's trend across labels, with the caveats in words. Communes and larger areas; a "
        "label with too few buildings or dwellings is suppressed."
    ),
    response_model=None,
    responses=_ok(DpeVsMeteredRead, "The comparison.") | ANSWERS,
)
async def get_dpe_vs_metered(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    level: LevelPath,
    code: CodePath,
    year: YearQuery = None,
    format: FormatQuery = ExportFormat.JSON,
) -> Response:
    limits = thresholds(state.settings)

    async def produce() -> DpeVsMeteredRead:
        return await comparison.get_dpe_vs_metered(conn, load, level, code, year, limits)

    name = f"dpe-vs-metered-{level.value}-{code}"
    return await serve_data(request, state, load, produce, name=name, fmt=format)
