"""Bodies of `GET /v1/stats/{level}/{code}/distribution`: box-plot figures and equal-frequency
histogram bins of the DPE consumption per m², per group (the whole area, or one per label).

A hidden group (too few DPE, or a label whose count the labels route hides) has `n: null`,
`box: null`, `histogram: []`, `suppressed: true` and its reason (DESIGN §3).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from volt.api.data import DataRead
from volt.domain.metrics import AreaLevel
from volt.domain.privacy import Reason

_SOURCES: JsonDict = {"ban": "2026-10-01", "dpe": "2026-11-02", "enedis": "2026-06-30"}
_VERSION = "c87c3d40a33b6c0e"


class DistributionMetric(StrEnum):
    """The conventional consumption whose distribution is drawn."""

    DPE_EP_KWH_M2 = "dpe_ep_kwh_m2"  # five-use primary energy per m² (the label's)
    DPE_EF_KWH_M2 = "dpe_ef_kwh_m2"  # five-use final energy per m²


class DistributionBy(StrEnum):
    """How the DPE are grouped: one group for the area, or one per published label A…G."""

    NONE = "none"
    ETIQUETTE_DPE = "etiquette_dpe"


class BoxRead(BaseModel):
    """Box-plot figures: percentiles, never the minimum or the maximum (each is one DPE's own
    value). Rounded to 0.1 kWh/m²/yr."""

    whisker_low: float | None = Field(
        description="5th percentile (p05); null under 21 DPE (see `method`).", examples=[95.0]
    )
    q1: float = Field(description="First quartile (p25).", examples=[140.0])
    median: float = Field(description="Median (p50).", examples=[190.0])
    q3: float = Field(description="Third quartile (p75).", examples=[240.0])
    whisker_high: float | None = Field(
        description="95th percentile (p95); null under 21 DPE (see `method`).", examples=[365.0]
    )


class BinRead(BaseModel):
    """One equal-frequency bin: between two percentiles, it holds `share` of the group's DPE."""

    lower: float | None = Field(
        description="Lower edge (a percentile); null: open below (the first bin).",
        examples=[140.0],
    )
    upper: float | None = Field(
        description="Upper edge (a percentile); null: open above (the last bin).",
        examples=[151.0],
    )
    share: float = Field(description="1/B: the bin's share of the group's DPE.", examples=[0.1])
    density: float | None = Field(
        description="share ÷ (upper − lower), per kWh/m²/yr (4 significant digits); null on the "
        "open bins and when the edges are equal.",
        examples=[0.009091],
    )


class GroupRead(BaseModel):
    label: str | None = Field(
        description="The DPE label (A…G) with by=etiquette_dpe; null with by=none.",
        examples=["D"],
    )
    n: int | None = Field(
        description="DPE of the group with a value of the metric; null when suppressed.",
        examples=[58],
    )
    suppressed: bool = Field(description="Hidden by the privacy rules.", examples=[False])
    reason: Reason | None = Field(
        description="Why it is hidden (see GET /v1/metrics → suppression.reasons).",
        examples=[None],
    )
    box: BoxRead | None = Field(description="Null when suppressed or empty (n = 0).")
    histogram: list[BinRead] = Field(
        description="B bins in order, B the largest of 20, 10, 5, 4, 2 with n ÷ B ≥ the DPE "
        "threshold; empty when suppressed or under twice the threshold."
    )


_BINS_EXAMPLE = [
    {"lower": None, "upper": 130.0, "share": 0.25, "density": None},
    {"lower": 130.0, "upper": 190.0, "share": 0.25, "density": 0.004167},
    {"lower": 190.0, "upper": 240.0, "share": 0.25, "density": 0.005},
    {"lower": 240.0, "upper": None, "share": 0.25, "density": None},
]


class DistributionRead(DataRead):
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
                    "metric": "dpe_ep_kwh_m2",
                    "unit": "kWh/m²/yr",
                    "by": "etiquette_dpe",
                    "method": "Percentiles interpolated over the DPE of each group …",
                    "groups": [
                        {
                            "label": "A",
                            "n": None,
                            "suppressed": True,
                            "reason": "below_min_dpe",
                            "box": None,
                            "histogram": [],
                        },
                        {
                            "label": "D",
                            "n": 24,
                            "suppressed": False,
                            "reason": None,
                            "box": {
                                "whisker_low": 182.5,
                                "q1": 196.0,
                                "median": 211.4,
                                "q3": 229.0,
                                "whisker_high": 246.1,
                            },
                            "histogram": [
                                {"lower": None, "upper": 211.4, "share": 0.5, "density": None},
                                {"lower": 211.4, "upper": None, "share": 0.5, "density": None},
                            ],
                        },
                    ],
                }
            ]
        }
    )

    level: AreaLevel
    code: str
    name: str | None
    year: int = Field(description="Enedis year.", examples=[2024])
    metric: DistributionMetric
    unit: str = Field(examples=["kWh/m²/yr"])
    by: DistributionBy
    method: str = Field(description="How the figures are computed and protected, in words.")
    groups: list[GroupRead] = Field(
        description="One group (by=none), or seven, A to G, whether present or not "
        "(by=etiquette_dpe)."
    )


class DistributionRowRead(BaseModel):
    """One row of the CSV/Parquet export: a bin of a group, with the group's figures repeated
    (a group without bins has one row, its bin columns empty)."""

    level: AreaLevel
    code: str
    name: str | None
    year: int
    metric: DistributionMetric
    unit: str
    label: str | None
    n: int | None
    suppressed: bool
    reason: Reason | None
    whisker_low: float | None
    q1: float | None
    median: float | None
    q3: float | None
    whisker_high: float | None
    bin: int | None = Field(description="1 … B, in order.")
    lower: float | None
    upper: float | None
    share: float | None
    density: float | None


class DistributionExport(BaseModel):
    """What `format=csv|parquet` holds: one row per (group, bin)."""

    items: list[DistributionRowRead]
