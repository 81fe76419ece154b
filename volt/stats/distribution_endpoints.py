"""`GET /v1/stats/{level}/{code}/distribution`: box-plot figures and histogram bins of an area's
DPE consumption per m², whole or per label, from the vigintiles of gold `area_cuts`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from volt.api.data import MEDIA_TYPES, CurrentLoadDep, ExportFormat, FormatQuery, serve_data
from volt.api.deps import AppStateDep, ReadConn
from volt.api.problems import problem_responses
from volt.api.security import ReaderOrAdmin
from volt.domain.cuts import CUT_LEVELS
from volt.stats import distribution
from volt.stats.distribution_schemas import DistributionBy, DistributionMetric, DistributionRead
from volt.stats.endpoints import CodePath, YearQuery, thresholds

router = APIRouter()

# Typed as text: a level without cuts (street, IRIS) gets a 422 saying which levels have them,
# where an enum would only say "not one of". The document lists the levels that answer.
LevelPath = Annotated[
    str,
    Path(
        description="The kind of area: cuts exist from the commune up.",
        examples=["commune"],
        json_schema_extra={"enum": [level.value for level in CUT_LEVELS]},
    ),
]
MetricQuery = Annotated[
    DistributionMetric,
    Query(
        description="dpe_ep_kwh_m2: primary energy per m² (the label's); dpe_ef_kwh_m2: final "
        "energy per m². Both conventional, five uses, kWh/m²/yr.",
        examples=["dpe_ep_kwh_m2"],
    ),
]
ByQuery = Annotated[
    DistributionBy,
    Query(
        description="none: one group, the area's DPE; etiquette_dpe: seven groups, one per "
        "published label A…G (absent labels included, with n 0).",
        examples=["etiquette_dpe"],
    ),
]

DESCRIPTION = """\
The distribution of the conventional consumption per m² of the area's DPE (every DPE at its
Enedis-published buildings, building-wide DPE included), from the percentiles the data load
computed per group. Communes and larger areas only: a street or an IRIS is a 422.

- **Box**: `whisker_low` = 5th percentile, `q1` = 25th, `median` = 50th, `q3` = 75th,
  `whisker_high` = 95th, rounded to 0.1 kWh/m²/yr. The minimum and the maximum are never
  published: each is one DPE's own value.
- **Histogram**: B equal-frequency bins, B the largest of 20, 10, 5, 4, 2 such that
  n ÷ B ≥ the DPE threshold (GET /v1/metrics → suppression.min_dpe), so that no bin holds fewer
  DPE than it. The edges are the percentiles at multiples of 1/B; the first bin is open below
  (`lower` null), the last open above (`upper` null). Each bin has `share` = 1/B and, when
  closed, `density` = share ÷ width (per kWh/m²/yr; null for equal edges). Under twice the
  threshold there is no histogram, only the box.
- **Privacy**: a group is published from the DPE threshold on (and never under 6 DPE: with 5,
  the box would give every value away); with `by=etiquette_dpe` a label's group is also hidden
  wherever GET /v1/stats/{level}/{code}/labels hides that label's count for the same area and
  year, so `n` never reveals it. A hidden group has `n`, `box` null and no bins.

`format=csv|parquet`: one row per bin of each group, the group's `n` and box figures repeated
on each (one row for a group without bins).
"""


def _ok(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer in OpenAPI: the JSON model, or the same rows as CSV or Parquet."""
    exports: dict[str, Any] = {media: {} for media in MEDIA_TYPES.values()}
    return {
        200: {"model": model, "description": description, "content": exports},
        304: {"description": "Not modified: `If-None-Match` holds the current ETag."},
    }


@router.get(
    "/stats/{level}/{code}/distribution",
    tags=["stats"],
    summary="Box plot and histogram of the DPE consumption per m², whole or per label",
    description=DESCRIPTION,
    response_model=None,
    responses=_ok(DistributionRead, "The groups' box figures and bins.")
    | problem_responses(401, 404, 422, 429, 503),
)
async def get_distribution(
    request: Request,
    principal: ReaderOrAdmin,
    state: AppStateDep,
    conn: ReadConn,
    load: CurrentLoadDep,
    level: LevelPath,
    code: CodePath,
    metric: MetricQuery,
    by: ByQuery = DistributionBy.NONE,
    year: YearQuery = None,
    format: FormatQuery = ExportFormat.JSON,
) -> Response:
    area_level = distribution.cut_level(level)  # a 422 before any cache or query
    limits = thresholds(state.settings)

    async def produce() -> BaseModel:
        body = await distribution.get_distribution(
            conn, load, area_level, code, metric, by, year, limits
        )
        return body if format is ExportFormat.JSON else distribution.export_rows(body)

    name = f"distribution-{area_level.value}-{code}-{metric.value}-{by.value}"
    return await serve_data(request, state, load, produce, name=name, fmt=format)
