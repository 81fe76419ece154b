"""DPE filters of `GET /v1/stats/{level}`: the rows describe one cut of each area (its DPE of
one building type, construction period or heating energy) instead of the whole area.

Under a filter the figures come from `area_cuts`: the cut's DPE count, suppressed with the
pattern of the cut counts (volt/stats/cuts.py, the breakdown's), and the DPE quantiles the
registry gives a cut figure (volt.domain.metrics), gated by the cut's DPE with that figure and
suppressed with the cut's count when it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from volt.api.data import CurrentLoad
from volt.domain.cuts import CUT_LEVELS, Dimension
from volt.domain.metrics import AreaLevel, Metric
from volt.domain.privacy import Reason, Thresholds, has_data, primary_reason
from volt.errors import UsageError
from volt.stats.cut_schemas import POPULATION, CutDimension, CutRead, FilterRead
from volt.stats.cuts import CUT_DPE, CutCountProblem
from volt.stats.hierarchy import HierarchySuppression
from volt.stats.queries import CUT_PREFIX, AsyncConn, Row

LEVELS_TEXT = ", ".join(level.value for level in CUT_LEVELS)


@dataclass(frozen=True)
class CutFilter:
    """A validated DPE filter: one value of one dimension."""

    dimension: CutDimension
    value: str

    @property
    def problem(self) -> CutCountProblem:
        return CutCountProblem(Dimension(self.dimension.value))

    def read(self) -> FilterRead:
        return FilterRead(dimension=self.dimension, value=self.value, population=POPULATION)


def cut_filter(level: AreaLevel, filters: Mapping[CutDimension, str | None]) -> CutFilter | None:
    """The request's DPE filter, if any (UsageError → 422): one at a time, from the commune up."""
    given = [(dimension, value) for dimension, value in filters.items() if value is not None]
    if not given:
        return None
    if len(given) > 1:
        names = " and ".join(dimension.value for dimension, _ in given)
        raise UsageError(
            f"One DPE filter at a time: {names} cannot be combined.",
            hint="Keep one of type_batiment, periode_construction and energie_chauffage; "
            "GET /v1/stats/{level}/{code}/breakdown crosses a dimension with the labels.",
        )
    if level not in CUT_LEVELS:
        raise UsageError(
            f"DPE filters exist from the commune up, not at level {level.value}.",
            hint=f"Filter at one of {LEVELS_TEXT}, or drop the filter.",
        )
    dimension, value = given[0]
    return CutFilter(dimension, value)


async def solve_cuts(
    conn: AsyncConn,
    year: int | None,
    level: AreaLevel,
    cut: CutFilter,
    codes: Sequence[str],
    thresholds: Thresholds,
    load: CurrentLoad | None = None,
) -> HierarchySuppression | None:
    """The cut counts' pattern for these areas (None when there are none)."""
    if year is None or not codes:
        return None
    suppression = HierarchySuppression(conn, year, [cut.problem], thresholds, load)
    await suppression.solve(level, codes)
    return suppression


@dataclass(frozen=True)
class CutCells:
    """How an area's cut and its figures are published."""

    level: AreaLevel
    cut: CutFilter
    hierarchy: HierarchySuppression | None
    thresholds: Thresholds

    def cut_reason(self, row: Row) -> Reason | None:
        if self.hierarchy is None:
            return None
        return self.hierarchy.reason(self.cut.problem, self.level, row["code"], self.cut.value)

    def read(self, row: Row) -> CutRead:
        reason = self.cut_reason(row)
        return CutRead(
            dimension=self.cut.dimension,
            value=self.cut.value,
            n_dpe=None if reason is not None else int(row[CUT_DPE] or 0),
            suppressed=reason is not None,
            reason=reason,
        )

    def reason(self, metric: Metric, row: Row) -> Reason | None:
        """A hidden cut count hides its figures; else a figure from 1 … k-1 DPE is hidden."""
        reason = self.cut_reason(row)
        if reason is not None or metric.cut is None:
            return reason
        gate = metric.cut.gate
        masses = (int(row[CUT_PREFIX + gate.column] or 0),)
        if not has_data(masses):
            return None
        return primary_reason(masses, (self.thresholds.of(gate.unit),), (gate.unit,))
