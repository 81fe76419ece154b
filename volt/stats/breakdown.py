"""An area's DPE broken down by one dimension and one label (stacked charts): per value of the
dimension, its DPE count and its label counts and shares, from `area_cuts`.

The value counts carry the pattern of the cut counts (the DPE filters' own); the table the
pattern of its problem (volt/stats/cuts.py), which keeps the labels route's hidden counts and
the hidden value counts out of reach. A share's denominator is its value's labelled DPE: it is
published with the value's count only, else a share would give that count away.
"""

from __future__ import annotations

from volt.api.data import CurrentLoad
from volt.domain.cuts import CUT_LEVELS, VALUES, Dimension
from volt.domain.metrics import AreaLevel
from volt.domain.privacy import Thresholds
from volt.errors import UsageError
from volt.stats.cut_schemas import (
    BreakdownCell,
    BreakdownRead,
    BreakdownValue,
    CutDimension,
    LabelKind,
)
from volt.stats.cuts import LABEL_PREFIX, BreakdownProblem, breakdown_problems, item
from volt.stats.filters import LEVELS_TEXT
from volt.stats.hierarchy import LABELS, FamilyArea, HierarchySuppression
from volt.stats.queries import AsyncConn
from volt.stats.service import SHARE_DECIMALS, area_row


async def get_breakdown(
    conn: AsyncConn,
    load: CurrentLoad,
    level: AreaLevel,
    code: str,
    dimension: CutDimension,
    by: LabelKind,
    year: int | None,
    thresholds: Thresholds,
) -> BreakdownRead:
    if level not in CUT_LEVELS:
        raise UsageError(
            f"Breakdowns exist from the commune up, not at level {level.value}.",
            hint=f"Ask for one of {LEVELS_TEXT} (a street's or an IRIS's commune).",
        )
    prefix = LABEL_PREFIX[by]
    columns = ("code", "name", "annee", "n_dpe", *(f"{prefix}_{label}" for label in LABELS))
    row = await area_row(conn, level, code, year, columns)
    table = BreakdownProblem(Dimension(dimension.value), by)
    suppression = HierarchySuppression(
        conn,
        row["annee"],
        breakdown_problems(table.dimension, by),
        thresholds,
        load,
        keep_areas=True,  # the table's cells are read from the family's cuts
    )
    await suppression.solve(level, [code])
    area = suppression.area(level, code) or FamilyArea(row)
    masses = dict(zip(table.items, table.masses(area), strict=True))
    counts = dict(zip(table.counts.items, table.counts.masses(area), strict=True))
    items = []
    for value in VALUES[table.dimension]:
        cells = {label: masses[item(value, label)][0] for label in LABELS}
        items.append(_value_read(suppression, table, level, code, value, counts[value][0], cells))
    return BreakdownRead(
        data_version=load.data_version,
        sources=load.sources,
        level=level,
        code=code,
        name=row["name"],
        year=row["annee"],
        dimension=dimension,
        by=by,
        n_dpe=int(row["n_dpe"] or 0),
        n_labelled=sum(int(row[f"{prefix}_{label}"] or 0) for label in LABELS),
        items=items,
    )


def _value_read(
    suppression: HierarchySuppression,
    table: BreakdownProblem,
    level: AreaLevel,
    code: str,
    value: str,
    n_dpe: int,
    cells: dict[str, int],
) -> BreakdownValue:
    reason = suppression.reason(table.counts, level, code, value)
    labelled = sum(cells.values())
    labels = {}
    for label, count in cells.items():
        hidden = suppression.reason(table, level, code, item(value, label))
        shown = None if hidden is not None else count
        share = None
        if shown is not None and reason is None and labelled:
            share = round(shown / labelled, SHARE_DECIMALS)
        labels[label.upper()] = BreakdownCell(
            count=shown, share=share, suppressed=hidden is not None, reason=hidden
        )
    return BreakdownValue(
        value=value,
        n_dpe=None if reason is not None else n_dpe,
        suppressed=reason is not None,
        reason=reason,
        n_labelled=None if reason is not None else labelled,
        labels=labels,
    )
