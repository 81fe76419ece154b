"""The distribution of an area's DPE consumption per m²: box-plot figures and equal-frequency
histogram bins, read from the vigintiles gold computed per cut (`area_cuts`, volt.domain.cuts).

Nothing is computed from DPE here: the percentiles come from the database, and the bins are
spans between them, so each bin holds the same share of the group's DPE and its count (n ÷ B)
is never under the DPE threshold. Privacy (DESIGN §3): a group is published from
`min_dpe` DPE on (and from MIN_BOX_DPE, see there); a label's group also needs the labels route
to publish that label's count, so that `n` never gives away a count it hides. Percentiles are
not additive, so no complementary suppression is needed for the figures themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from volt.api.data import CurrentLoad
from volt.domain.cuts import CUT_LEVELS, ETIQUETTES, VIGINTILES, Dimension
from volt.domain.metrics import KWH_M2, AreaLevel
from volt.domain.privacy import Reason, Thresholds, Unit, primary_reason
from volt.errors import UsageError
from volt.stats import distribution_queries as queries
from volt.stats.distribution_schemas import (
    BinRead,
    BoxRead,
    DistributionBy,
    DistributionExport,
    DistributionMetric,
    DistributionRead,
    DistributionRowRead,
    GroupRead,
)
from volt.stats.hierarchy import HierarchySuppression, label_problem
from volt.stats.queries import AsyncConn, Row
from volt.stats.service import area_row

ENERGY = {DistributionMetric.DPE_EP_KWH_M2: "ep", DistributionMetric.DPE_EF_KWH_M2: "ef"}
DIMENSION = {
    DistributionBy.NONE: Dimension.ALL,
    DistributionBy.ETIQUETTE_DPE: Dimension.ETIQUETTE_DPE,
}
# Bin counts tried, largest first: each divides 100, so every edge is a vigintile.
BIN_COUNTS = (20, 10, 5, 4, 2)
# Under 6 values, p05 and p25 (p75 and p95) fall between the same two DPE (interpolated
# percentiles), and together give the minimum (maximum) away: with 5 DPE, the box is all five.
MIN_BOX_DPE = 6
# Under 21 values, p05 lies between the two smallest DPE (0.05·(n−1) < 1), where the p10 of
# GET /v1/stats/{level} may lie too (same population when the area has no building-wide DPE):
# two interpolations between the same two values give both away, the minimum among them. From
# 21 on, p05 and p10 never share an interval, so the whiskers are published from there (p95 and
# p90 alike).
MIN_WHISKER_DPE = 21
DECIMALS = 1  # kWh/m²/yr, as the per-m² metrics of GET /v1/stats/{level}
DENSITY_DIGITS = 4  # significant digits: densities are small numbers (0.0042 per kWh/m²)
BOX_PERCENTS = {"whisker_low": 5, "q1": 25, "median": 50, "q3": 75, "whisker_high": 95}
# The labels route's problem for the published label: the same pattern hides the same labels.
LABELS_PROBLEM = label_problem("n_label")

Vigintiles = Mapping[int, float | None]  # percent (5 … 95) → value


def cut_level(raw: str) -> AreaLevel:
    """The level of a distribution: cuts exist from the commune up (UsageError → 422)."""
    levels = ", ".join(level.value for level in CUT_LEVELS)
    if raw in {level.value for level in CUT_LEVELS}:
        return AreaLevel(raw)
    if raw in {level.value for level in AreaLevel}:
        raise UsageError(
            f"No distribution for a {raw}: distributions exist for {levels}.",
            hint="Ask for the commune of the street or IRIS: a cut of it holds too few DPE.",
        )
    raise UsageError(f"Unknown level: expected one of {levels}.")


def bin_count(n: int, min_dpe: int) -> int:
    """B: the largest of BIN_COUNTS leaving at least `min_dpe` DPE per bin; 0 under 2·min_dpe."""
    return next((b for b in BIN_COUNTS if n >= b * min_dpe), 0)


def build_histogram(vigintiles: Vigintiles, n: int, min_dpe: int) -> list[BinRead]:
    """B equal-frequency bins between the vigintiles at multiples of 1/B, the first open below
    and the last open above; [] when n < 2·min_dpe (or an edge is missing)."""
    bins = bin_count(n, min_dpe)
    step = 100 // bins if bins else 0
    edges = [_round(vigintiles.get(p)) for p in range(step, 100, step)] if bins else []
    if not bins or any(edge is None for edge in edges):
        return []
    bounds = [None, *edges, None]
    share = 1 / bins
    return [
        BinRead(lower=lower, upper=upper, share=share, density=_density(share, lower, upper))
        for lower, upper in pairwise(bounds)
    ]


def build_box(vigintiles: Vigintiles, n: int) -> BoxRead | None:
    """The box of n values; whiskers null under MIN_WHISKER_DPE (see there)."""
    values = {name: _round(vigintiles.get(p)) for name, p in BOX_PERCENTS.items()}
    if any(value is None for value in values.values()):
        return None
    if n < MIN_WHISKER_DPE:
        values["whisker_low"] = values["whisker_high"] = None
    return BoxRead.model_validate(values)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def _density(share: float, lower: float | None, upper: float | None) -> float | None:
    """share ÷ width, from the published (rounded) edges: what a reader can check."""
    if lower is None or upper is None or upper <= lower:
        return None
    return float(f"{share / (upper - lower):.{DENSITY_DIGITS}g}")


def method_text(min_dpe: int) -> str:
    return (
        "Percentiles interpolated (quantile_cont) over the DPE of each group with a value of "
        "the metric, building-wide (immeuble) DPE included. Box: whiskers at the 5th and 95th "
        "percentiles (from 21 DPE on: below, p05 and p10 would pin the smallest values down), box "
        "from the first to the third quartile, median inside; the minimum and maximum are never "
        "published (each is one DPE's own value). Histogram: B bins between "
        "percentiles, each holding 1/B of the group's DPE, B the largest of 20, 10, 5, 4, 2 "
        f"that leaves at least {min_dpe} DPE per bin; the first and last bins are open-ended; "
        f"density = share ÷ width. A group is published from {max(min_dpe, MIN_BOX_DPE)} DPE "
        "on, and a label's group only where GET /v1/stats/{level}/{code}/labels publishes "
        "that label's count."
    )


async def get_distribution(
    conn: AsyncConn,
    load: CurrentLoad,
    level: AreaLevel,
    code: str,
    metric: DistributionMetric,
    by: DistributionBy,
    year: int | None,
    thresholds: Thresholds,
) -> DistributionRead:
    area = await area_row(conn, level, code, year, ("code", "name", "annee"))
    dimension = DIMENSION[by]
    rows = await queries.fetch_cuts(
        conn, ENERGY[metric], level.value, code, area["annee"], dimension.value
    )
    cuts = {row["value"]: row for row in rows}
    if by is DistributionBy.NONE:
        groups = [_group(None, cuts.get(dimension.value), None, thresholds)]
    else:
        suppression = HierarchySuppression(conn, area["annee"], [LABELS_PROBLEM], thresholds, load)
        await suppression.solve(level, [code])
        groups = [
            _group(
                label,
                cuts.get(label),
                suppression.reason(LABELS_PROBLEM, level, code, label.lower()),
                thresholds,
            )
            for label in ETIQUETTES
        ]
    return DistributionRead(
        data_version=load.data_version,
        sources=load.sources,
        level=level,
        code=code,
        name=area["name"],
        year=area["annee"],
        metric=metric,
        unit=KWH_M2,
        by=by,
        method=method_text(thresholds.min_dpe),
        groups=groups,
    )


def _group(
    label: str | None, cut: Row | None, label_reason: Reason | None, thresholds: Thresholds
) -> GroupRead:
    """A group from its cut (None: no DPE), hidden for the labels route's reason if any."""
    n = int(cut["n"] or 0) if cut is not None else 0
    minimum = max(thresholds.min_dpe, MIN_BOX_DPE)
    reason = label_reason or primary_reason((n,), (minimum,), (Unit.DPE,))
    if reason is not None:
        return GroupRead(
            label=label, n=None, suppressed=True, reason=reason, box=None, histogram=[]
        )
    vigintiles = {p: cut[f"p{p:02d}"] for p in VIGINTILES} if cut is not None else {}
    return GroupRead(
        label=label,
        n=n,
        suppressed=False,
        reason=None,
        box=build_box(vigintiles, n) if n else None,
        histogram=build_histogram(vigintiles, n, thresholds.min_dpe),
    )


def export_rows(body: DistributionRead) -> DistributionExport:
    """The export: one row per (group, bin), the group's figures on each; one row for a group
    without bins. A spreadsheet filters on `label` and plots `lower`/`upper`/`share`."""
    area = {
        "level": body.level,
        "code": body.code,
        "name": body.name,
        "year": body.year,
        "metric": body.metric,
        "unit": body.unit,
    }
    rows = []
    for group in body.groups:
        box = group.box.model_dump() if group.box is not None else dict.fromkeys(BOX_PERCENTS)
        head = area | group.model_dump(include={"label", "n", "suppressed", "reason"}) | box
        bins: list[tuple[int | None, dict[str, Any]]] = [
            (i, b.model_dump()) for i, b in enumerate(group.histogram, start=1)
        ]
        for index, values in bins or [(None, dict.fromkeys(BinRead.model_fields))]:
            rows.append(DistributionRowRead.model_validate(head | values | {"bin": index}))
    return DistributionExport(items=rows)
