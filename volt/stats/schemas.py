"""Bodies of the statistics routes and of `GET /v1/metrics`.

A published figure is a cell `{value, suppressed, reason}`: a figure built from fewer dwellings or
DPE than the privacy thresholds, or one that would let such a figure be recovered by subtraction,
is `value: null, suppressed: true` with its reason (DESIGN §3). Counts are always published.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from volt.api.data import DataRead
from volt.domain.metrics import AreaLevel, Kind
from volt.domain.privacy import Reason, Unit
from volt.stats.cut_schemas import CutRead, FilterRead

_SOURCES: JsonDict = {"ban": "2026-10-01", "dpe": "2026-11-02", "enedis": "2026-06-30"}
_VERSION = "c87c3d40a33b6c0e"


class Distribution(StrEnum):
    DPE = "dpe"  # energy label as published
    GES = "ges"  # greenhouse-gas label as published
    DPE_RECOMPUTED = "dpe_recomputed"  # energy label under today's rules


class MetricValue(BaseModel):
    value: int | float | None = Field(
        description="The figure; null when suppressed or when the area has no data for it.",
        examples=[182.4],
    )
    suppressed: bool = Field(description="Hidden by the privacy rules.", examples=[False])
    reason: Reason | None = Field(
        description="Why it is hidden (see GET /v1/metrics → suppression.reasons).", examples=[None]
    )


class AreaCounts(BaseModel):
    """The counts behind an area's figures (always published)."""

    n_buildings: int = Field(examples=[57])
    n_dwellings: int = Field(examples=[2140])
    n_dpe: int = Field(examples=[812])
    n_dpe_dwelling: int = Field(examples=[796])
    elec_n_buildings: int = Field(examples=[21])
    elec_n_dwellings: int = Field(examples=[690])
    elec_n_dpe: int = Field(examples=[244])


class AreaStatsRead(BaseModel):
    level: AreaLevel
    code: str = Field(examples=["06029"])
    name: str | None = Field(description="Sources name streets, IRIS and communes only.")
    year: int = Field(description="Enedis year.", examples=[2024])
    parent_level: AreaLevel | None
    parent_code: str | None = Field(examples=["200039915"])
    code_departement: str | None = Field(examples=["06"])
    counts: AreaCounts
    cut: CutRead | None = Field(
        description="Under a DPE filter, the area's cut the metrics describe (null: no filter)."
    )
    metrics: dict[str, MetricValue] = Field(description="Per requested metric slug.")


_ROW_EXAMPLE: JsonDict = {
    "level": "commune",
    "code": "06029",
    "name": "Cannes",
    "year": 2024,
    "parent_level": "epci",
    "parent_code": "200039915",
    "code_departement": "06",
    "counts": {
        "n_buildings": 57,
        "n_dwellings": 2140,
        "n_dpe": 812,
        "n_dpe_dwelling": 796,
        "elec_n_buildings": 21,
        "elec_n_dwellings": 690,
        "elec_n_dpe": 244,
    },
    "cut": None,
    "metrics": {
        "dpe_ep_kwh_m2_median": {"value": 182.4, "suppressed": False, "reason": None},
        "metered_kwh_per_dwelling_mean": {"value": 3712.5, "suppressed": False, "reason": None},
    },
}


class AreaStatsPage(DataRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data_version": _VERSION,
                    "sources": _SOURCES,
                    "level": "commune",
                    "year": 2024,
                    "filter": None,
                    "metrics": ["dpe_ep_kwh_m2_median", "metered_kwh_per_dwelling_mean"],
                    "items": [_ROW_EXAMPLE],
                    "next": "06029",
                }
            ]
        }
    )

    level: AreaLevel
    year: int | None = Field(description="Enedis year of the rows (null: no data loaded).")
    filter: FilterRead | None = Field(
        description="The DPE filter: every row then describes that cut (null: whole areas)."
    )
    metrics: list[str] = Field(description="The metric slugs of each row, in order.")
    items: list[AreaStatsRead]
    next: str | None = Field(
        description="Cursor of the next page (pass it as `after`); null on the last page.",
        examples=["06029"],
    )


class LabelCount(BaseModel):
    distribution: Distribution
    label: str = Field(examples=["D"])
    count: int | None = Field(description="DPE with this label (null when suppressed).")
    share: float | None = Field(description="count ÷ n_labelled of the distribution.")
    suppressed: bool
    reason: Reason | None


class LabelsRead(DataRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data_version": _VERSION,
                    "sources": _SOURCES,
                    "level": "commune",
                    "code": "06029",
                    "name": "Cannes",
                    "year": 2024,
                    "n_dpe": 812,
                    "n_labelled": {"dpe": 812, "ges": 812, "dpe_recomputed": 812},
                    "items": [
                        {
                            "distribution": "dpe",
                            "label": "A",
                            "count": None,
                            "share": None,
                            "suppressed": True,
                            "reason": "below_min_dpe",
                        },
                        {
                            "distribution": "dpe",
                            "label": "D",
                            "count": 301,
                            "share": 0.3707,
                            "suppressed": False,
                            "reason": None,
                        },
                    ],
                }
            ]
        }
    )

    level: AreaLevel
    code: str
    name: str | None
    year: int
    n_dpe: int = Field(description="DPE at the area's addresses.")
    n_labelled: dict[Distribution, int] = Field(
        description="Per distribution, the DPE with a label: the total its counts add up to."
    )
    items: list[LabelCount] = Field(description="Seven labels (A…G) per distribution.")


class LabelComparison(BaseModel):
    """One label's pairs: DPE final energy vs metered electricity, per m², one pair per building."""

    etiquette_dpe: str = Field(description="The buildings' label.", examples=["E"])
    n_buildings_electric: int = Field(description="Electrically heated buildings: the pairs.")
    n_buildings_other: int = Field(description="Other buildings: counted, never paired.")
    n_dwellings_electric: int
    suppressed: bool
    reason: Reason | None
    dpe_ef_kwh_m2_q1: float | None
    dpe_ef_kwh_m2_median: float | None
    dpe_ef_kwh_m2_q3: float | None
    metered_kwh_m2_q1: float | None
    metered_kwh_m2_median: float | None
    metered_kwh_m2_q3: float | None
    ratio_q1: float | None = Field(description="Metered ÷ DPE, per building: quartiles.")
    ratio_median: float | None
    ratio_q3: float | None
    wilcoxon_statistic: float | None = Field(
        description="Wilcoxon signed-rank test of metered − DPE (null under ten pairs)."
    )
    wilcoxon_p_value: float | None


class Trend(BaseModel):
    """Kendall's tau between label rank (A=1 … G=7) and the metered ÷ DPE ratio, all labels."""

    n_buildings_electric: int
    kendall_tau: float | None
    p_value: float | None
    suppressed: bool
    reason: Reason | None


class DpeVsMeteredRead(DataRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data_version": _VERSION,
                    "sources": _SOURCES,
                    "level": "commune",
                    "code": "06029",
                    "name": "Cannes",
                    "year": 2024,
                    "trend": {
                        "n_buildings_electric": 118,
                        "kendall_tau": -0.312,
                        "p_value": 0.00021,
                        "suppressed": False,
                        "reason": None,
                    },
                    "caveats": ["Only electrically heated buildings are paired: …"],
                    "items": [
                        {
                            "etiquette_dpe": "E",
                            "n_buildings_electric": 31,
                            "n_buildings_other": 12,
                            "n_dwellings_electric": 905,
                            "suppressed": False,
                            "reason": None,
                            "dpe_ef_kwh_m2_q1": 201.3,
                            "dpe_ef_kwh_m2_median": 228.4,
                            "dpe_ef_kwh_m2_q3": 251.0,
                            "metered_kwh_m2_q1": 58.2,
                            "metered_kwh_m2_median": 71.9,
                            "metered_kwh_m2_q3": 90.4,
                            "ratio_q1": 0.262,
                            "ratio_median": 0.318,
                            "ratio_q3": 0.401,
                            "wilcoxon_statistic": 2.0,
                            "wilcoxon_p_value": 1.9e-09,
                        }
                    ],
                }
            ]
        }
    )

    level: AreaLevel
    code: str
    name: str | None
    year: int
    trend: Trend
    caveats: list[str] = Field(description="What the comparison can and cannot say.")
    items: list[LabelComparison] = Field(description="One row per label present (A…G).")


class GateRead(BaseModel):
    count: str = Field(description="The count column the figure is gated by.", examples=["n_dpe"])
    unit: Unit
    minimum: int = Field(description="Under this count the figure is suppressed.", examples=[5])


class MetricRead(BaseModel):
    slug: str = Field(examples=["dpe_ep_kwh_m2_median"])
    label: str = Field(examples=["Median DPE primary energy per m²"])
    unit: str = Field(examples=["kWh/m²/yr"])
    description: str
    kind: Kind = Field(
        description="count (always published), mean or share (complementary suppression "
        "applies: they add up over sub-areas), quantile (primary suppression only)."
    )
    levels: list[AreaLevel]
    gates: list[GateRead]
    default: bool = Field(description="Shown when `metrics=` is not given.")
    filterable: bool = Field(
        description="Also exists under a DPE filter (type_batiment, periode_construction, "
        "energie_chauffage): there it reads the cut, gated by the cut's DPE with that figure."
    )


class SuppressionRules(BaseModel):
    min_dwellings: int = Field(examples=[10])
    min_dpe: int = Field(examples=[5])
    reasons: dict[Reason, str]


class MetricsRead(BaseModel):
    items: list[MetricRead]
    suppression: SuppressionRules
