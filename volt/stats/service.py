"""Statistics logic: areas with their counts and metrics (of the whole area, or of one DPE cut:
volt/stats/filters.py), label distributions; all suppressed as DESIGN §3 says (the patterns
come from volt/stats/hierarchy.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from volt.api.data import CurrentLoad
from volt.domain.metrics import COUNT_COLUMNS, AreaLevel, Kind, Metric, parse_metrics
from volt.domain.privacy import Reason, Thresholds, has_data, primary_reason
from volt.errors import NotFoundError
from volt.stats import queries
from volt.stats.cut_schemas import CutDimension, CutRead
from volt.stats.filters import CutCells, CutFilter, cut_filter, solve_cuts
from volt.stats.hierarchy import (
    LABELS,
    HierarchySuppression,
    Problem,
    label_problem,
    metric_problem,
)
from volt.stats.queries import AsyncConn, Row
from volt.stats.schemas import (
    AreaCounts,
    AreaStatsPage,
    AreaStatsRead,
    Distribution,
    LabelCount,
    LabelsRead,
    MetricValue,
)

# The parent an area names in `areas.parent_level` / `parent_code`.
DIRECT_PARENT = {
    AreaLevel.STREET: AreaLevel.COMMUNE,
    AreaLevel.IRIS: AreaLevel.COMMUNE,
    AreaLevel.COMMUNE: AreaLevel.EPCI,
    AreaLevel.EPCI: AreaLevel.DEPARTEMENT,
    AreaLevel.DEPARTEMENT: AreaLevel.REGION,
    AreaLevel.REGION: AreaLevel.FRANCE,
}
DISTRIBUTIONS = {
    Distribution.DPE: label_problem("n_label"),
    Distribution.GES: label_problem("n_ges"),
    Distribution.DPE_RECOMPUTED: label_problem("n_label_recomputed"),
}
SHARE_DECIMALS = 4


@dataclass(frozen=True)
class StatsQuery:
    """A validated `GET /v1/stats/{level}`."""

    level: AreaLevel
    metrics: tuple[Metric, ...]
    limit: int
    code: str | None = None
    parent: str | None = None
    parent_level: AreaLevel | None = None
    by_departement: bool = False  # `parent` is compared with code_departement
    year: int | None = None
    after: str | None = None
    cut: CutFilter | None = None  # a DPE filter: the rows describe that cut of each area


def stats_query(
    level: AreaLevel,
    *,
    metrics: str | None,
    limit: int,
    code: str | None = None,
    parent: str | None = None,
    parent_level: AreaLevel | None = None,
    year: int | None = None,
    after: str | None = None,
    filters: Mapping[CutDimension, str | None] | None = None,
) -> StatsQuery:
    """The query, its metrics checked against the registry (UsageError → 422).

    Every combination of area filters means something (no 422 for well-formed input): `code`
    and `parent` together select the area only if it has that parent; a parent of another level
    than the areas' own (a street "in" a région) selects nothing. Communes alone may also be
    asked by département, which `areas` holds for them beside their EPCI. A DPE filter (`filters`,
    one at most) exists from the commune up, with the metrics a cut holds.
    """
    cut = cut_filter(level, filters or {})
    chosen = parse_metrics(metrics, level, cut=cut is not None)
    parent_level = None if parent is None else parent_level or DIRECT_PARENT.get(level)
    by_departement = level is AreaLevel.COMMUNE and parent_level is AreaLevel.DEPARTEMENT
    return StatsQuery(
        level, chosen, limit, code, parent, parent_level, by_departement, year, after, cut
    )


async def latest_year(conn: AsyncConn) -> int | None:
    year: int | None = await queries.fetch_value(conn, queries.LATEST_YEAR_SQL, {})
    return year


async def list_area_stats(
    conn: AsyncConn, load: CurrentLoad, query: StatsQuery, thresholds: Thresholds
) -> AreaStatsPage:
    year = query.year or await latest_year(conn)
    slugs = [m.slug for m in query.metrics]
    rows: list[Row] = []
    if year is not None:
        params = {
            "level": query.level.value,
            "year": year,
            "code": query.code,
            "parent": query.parent,
            "parent_level": query.parent_level,
            "after": query.after,
            "limit": query.limit + 1,
            "dimension": None if query.cut is None else query.cut.dimension.value,
            "value": None if query.cut is None else query.cut.value,
        }
        by: Literal["parent", "departement"] | None = None
        if query.parent is not None:
            by = "departement" if query.by_departement else "parent"
        build = queries.list_areas_sql if query.cut is None else queries.list_cut_areas_sql
        sql = build(query.metrics, by_code=query.code is not None, by=by)
        rows = await queries.fetch_rows(conn, sql, params)
    if not rows:
        await _check_exists(conn, query)
    page = rows[: query.limit]
    codes = [row["code"] for row in page]
    cells: _Cells
    if query.cut is None:
        cells = await _solved(conn, year, query, codes, thresholds, load)
    else:
        hierarchy = await solve_cuts(conn, year, query.level, query.cut, codes, thresholds, load)
        cells = CutCells(query.level, query.cut, hierarchy, thresholds)
    items = [_area_read(row, query, cells) for row in page]
    return AreaStatsPage(
        data_version=load.data_version,
        sources=load.sources,
        level=query.level,
        year=year,
        filter=None if query.cut is None else query.cut.read(),
        metrics=slugs,
        items=items,
        next=page[-1]["code"] if len(rows) > query.limit else None,
    )


async def _check_exists(conn: AsyncConn, query: StatsQuery) -> None:
    """404 when a filter names an area that is in no year of the load."""
    named = [(query.level, query.code), (query.parent_level, query.parent)]
    for level, code in named:
        if level is not None and code is not None:
            params = {"level": level.value, "code": code}
            if not await queries.fetch_value(conn, queries.AREA_EXISTS_SQL, params):
                raise NotFoundError(f"No {level.value} {code}.")


def _metric_problems(metrics: Sequence[Metric]) -> dict[str, Problem]:
    """Per additive metric, its problem: metrics with the same gates share one."""
    by_gates = {m.gates: metric_problem(m.gates) for m in metrics if m.additive}
    return {m.slug: by_gates[m.gates] for m in metrics if m.additive}


async def _solved(
    conn: AsyncConn,
    year: int | None,
    query: StatsQuery,
    codes: list[str],
    thresholds: Thresholds,
    load: CurrentLoad,
) -> _Suppressed:
    problems = _metric_problems(query.metrics)
    suppression = None
    if year is not None and problems and codes:
        unique = {p.name: p for p in problems.values()}
        suppression = HierarchySuppression(conn, year, list(unique.values()), thresholds, load)
        await suppression.solve(query.level, codes)
    return _Suppressed(query.level, problems, suppression, thresholds)


class _Cells(Protocol):
    """How a page's figures are suppressed: whole areas, or one cut of each (its `cut`)."""

    def reason(self, metric: Metric, row: Row) -> Reason | None: ...

    def read(self, row: Row) -> CutRead | None: ...


@dataclass(frozen=True)
class _Suppressed:
    """How each metric of a page's areas is suppressed."""

    level: AreaLevel
    problems: dict[str, Problem]
    hierarchy: HierarchySuppression | None
    thresholds: Thresholds

    def reason(self, metric: Metric, row: Row) -> Reason | None:
        masses = tuple(int(row[g.column] or 0) for g in metric.gates)
        if metric.kind is Kind.COUNT or not has_data(masses):
            return None  # a count, or no one to protect: the value is simply absent
        if metric.additive and self.hierarchy is not None:
            return self.hierarchy.reason(self.problems[metric.slug], self.level, row["code"])
        units = [g.unit for g in metric.gates]
        return primary_reason(masses, tuple(self.thresholds.of(u) for u in units), units)

    def read(self, row: Row) -> CutRead | None:
        return None  # whole areas: no cut


def _area_read(row: Row, query: StatsQuery, suppressed: _Cells) -> AreaStatsRead:
    cells = {}
    for metric in query.metrics:
        reason = suppressed.reason(metric, row)
        value = None if reason is not None else row[metric.slug]
        if value is not None and metric.decimals is not None:
            value = round(value, metric.decimals)
        cells[metric.slug] = MetricValue(value=value, suppressed=reason is not None, reason=reason)
    return AreaStatsRead(
        level=query.level,
        code=row["code"],
        name=row["name"],
        year=row["annee"],
        parent_level=row["parent_level"],
        parent_code=row["parent_code"],
        code_departement=row["code_departement"],
        counts=AreaCounts(**{c: int(row[c] or 0) for c in COUNT_COLUMNS}),
        cut=suppressed.read(row),
        metrics=cells,
    )


async def area_row(
    conn: AsyncConn, level: AreaLevel, code: str, year: int | None, columns: Sequence[str]
) -> Row:
    """One area in `year` (its latest year when None); 404 when it has none."""
    params = {"level": level.value, "code": code, "year": year}
    rows = await queries.fetch_rows(conn, queries.area_sql(columns), params)
    if not rows:
        when = f" in {year}" if year is not None else ""
        raise NotFoundError(f"No {level.value} {code}{when}.")
    return rows[0]


async def get_labels(
    conn: AsyncConn,
    load: CurrentLoad,
    level: AreaLevel,
    code: str,
    year: int | None,
    thresholds: Thresholds,
) -> LabelsRead:
    columns = ("code", "name", "annee", "n_dpe", *queries.LABEL_COLUMNS)
    row = await area_row(conn, level, code, year, columns)
    suppression = HierarchySuppression(
        conn, row["annee"], list(DISTRIBUTIONS.values()), thresholds, load
    )
    await suppression.solve(level, [code])
    items: list[LabelCount] = []
    n_labelled: dict[Distribution, int] = {}
    for distribution, problem in DISTRIBUTIONS.items():
        counts = [int(row[f"{problem.name}_{label}"] or 0) for label in LABELS]
        total = n_labelled[distribution] = sum(counts)
        for label, count in zip(LABELS, counts, strict=True):
            reason = suppression.reason(problem, level, code, label)
            shown = None if reason is not None else count
            share = round(count / total, SHARE_DECIMALS) if shown is not None and total else None
            items.append(
                LabelCount(
                    distribution=distribution,
                    label=label.upper(),
                    count=shown,
                    share=share,
                    suppressed=reason is not None,
                    reason=reason,
                )
            )
    return LabelsRead(
        data_version=load.data_version,
        sources=load.sources,
        level=level,
        code=code,
        name=row["name"],
        year=row["annee"],
        n_dpe=int(row["n_dpe"] or 0),
        n_labelled=n_labelled,
        items=items,
    )
