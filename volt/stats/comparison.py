"""The DPE vs metered comparison of an area: gold `dpe_vs_metered`, with its caveats in words."""

from __future__ import annotations

from typing import Any

from volt.api.data import CurrentLoad
from volt.domain.metrics import AreaLevel
from volt.domain.privacy import Thresholds, Unit, has_data, primary_reason
from volt.errors import NotFoundError
from volt.stats import queries
from volt.stats.queries import AsyncConn, Row
from volt.stats.schemas import DpeVsMeteredRead, LabelComparison, Trend
from volt.stats.service import area_row

# The gold stage pairs buildings from the commune up: a street or an IRIS rarely holds enough.
LEVELS = (
    AreaLevel.COMMUNE,
    AreaLevel.EPCI,
    AreaLevel.DEPARTEMENT,
    AreaLevel.REGION,
    AreaLevel.FRANCE,
)
# A pair is a building with at least one dwelling DPE: n buildings ≥ k guarantees ≥ k DPE.
UNITS = (Unit.DWELLINGS, Unit.DPE)
ROUNDING = {"kwh_m2": 1, "ratio": 3}
P_VALUE_DIGITS = 3  # significant digits: a p-value of 3e-12 must not print as 0

CAVEATS = [
    "Only electrically heated buildings are paired: Enedis meters electricity alone, so the "
    "meter stands for heating only where heating is electric. Other buildings are counted "
    "(n_buildings_other), never mixed in.",
    "One pair per building, never per DPE: the DPE side is the surface-weighted mean of the "
    "building's dwelling DPE, the metered side its kWh per dwelling divided by the mean DPE "
    "surface at the address. Counting a building once per flat would fake precision.",
    "The meter covers every electric use (appliances, cooking, lighting…); the DPE's final "
    "energy is a conventional consumption for five uses (heating, hot water, cooling, lighting, "
    "auxiliaries) under standard weather and occupancy. A ratio below 1 does not by itself say "
    "the DPE is wrong.",
    "DPE have no year: a DPE is valid ten years, so every Enedis year of a building is compared "
    "with the same DPE. Metered consumption is not corrected for the weather of its year.",
    "A building's label is the most frequent published label of its dwelling DPE (a tie goes to "
    "the worse label).",
    "The Wilcoxon signed-rank test (two-sided, metered − DPE) and Kendall's trend test across "
    "labels are left empty under ten pairs; a label with fewer buildings or dwellings than the "
    "privacy thresholds is suppressed.",
]


async def get_dpe_vs_metered(
    conn: AsyncConn,
    load: CurrentLoad,
    level: AreaLevel,
    code: str,
    year: int | None,
    thresholds: Thresholds,
) -> DpeVsMeteredRead:
    if level not in LEVELS:
        raise NotFoundError(
            f"No DPE vs metered comparison for a {level.value}: it exists for communes and "
            "larger areas.",
            hint="Ask for the commune of the street or IRIS.",
        )
    area = await area_row(conn, level, code, year, ("code", "name", "annee"))
    params = {"level": level.value, "code": code, "year": area["annee"]}
    rows = await queries.fetch_rows(conn, queries.DPE_VS_METERED_SQL, params)
    minimums = (thresholds.min_dwellings, thresholds.min_dpe)
    return DpeVsMeteredRead(
        data_version=load.data_version,
        sources=load.sources,
        level=level,
        code=code,
        name=area["name"],
        year=area["annee"],
        trend=_trend(rows, thresholds.min_dpe),
        caveats=CAVEATS,
        items=[_comparison(row, minimums) for row in rows],
    )


def _comparison(row: Row, minimums: tuple[int, int]) -> LabelComparison:
    masses = (int(row["n_dwellings_electric"] or 0), int(row["n_buildings_electric"] or 0))
    reason = primary_reason(masses, minimums, UNITS) if has_data(masses) else None
    figures: dict[str, Any] = {}
    for what in ("dpe_ef_kwh_m2", "metered_kwh_m2", "ratio"):
        digits = ROUNDING["ratio" if what == "ratio" else "kwh_m2"]
        for stat in ("q1", "median", "q3"):
            figures[f"{what}_{stat}"] = _round(row[f"{what}_{stat}"], digits)
    figures["wilcoxon_statistic"] = _round(row["wilcoxon_statistic"], 1)
    figures["wilcoxon_p_value"] = _significant(row["wilcoxon_p_value"])
    if reason is not None:
        figures = dict.fromkeys(figures)
    return LabelComparison(
        etiquette_dpe=row["etiquette_dpe"],
        n_buildings_electric=masses[1],
        n_buildings_other=int(row["n_buildings_other"] or 0),
        n_dwellings_electric=masses[0],
        suppressed=reason is not None,
        reason=reason,
        **figures,
    )


def _trend(rows: list[Row], min_dpe: int) -> Trend:
    """The area's trend test (gold repeats it on each label row), over all its pairs."""
    n = sum(int(row["n_buildings_electric"] or 0) for row in rows)
    reason = primary_reason((n,), (min_dpe,), (Unit.DPE,))
    tau = rows[0]["trend_kendall_tau"] if rows and reason is None else None
    p_value = rows[0]["trend_p_value"] if rows and reason is None else None
    return Trend(
        n_buildings_electric=n,
        kendall_tau=_round(tau, 3),
        p_value=_significant(p_value),
        suppressed=reason is not None,
        reason=reason,
    )


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _significant(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.{P_VALUE_DIGITS}g}")
