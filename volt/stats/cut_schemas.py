"""Bodies and parameters of the DPE filters and breakdowns (cuts of `area_cuts`).

Values are the slugs of volt.domain.cuts (tests/api/test_stats_cuts.py checks that these enums
hold exactly those), so that OpenAPI lists them and FastAPI refuses any other with a 422.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from volt.api.data import DataRead
from volt.domain.metrics import AreaLevel
from volt.domain.privacy import Reason


class CutDimension(StrEnum):
    """A DPE dimension a statistic can be filtered or broken down by."""

    TYPE_BATIMENT = "type_batiment"
    PERIODE_CONSTRUCTION = "periode_construction"
    ENERGIE_CHAUFFAGE = "energie_chauffage"


class TypeBatiment(StrEnum):
    MAISON = "maison"
    APPARTEMENT = "appartement"
    IMMEUBLE = "immeuble"  # a building-wide DPE


class PeriodeConstruction(StrEnum):
    AVANT_1948 = "avant_1948"
    P1948_1974 = "1948_1974"
    P1975_1977 = "1975_1977"
    P1978_1982 = "1978_1982"
    P1983_1988 = "1983_1988"
    P1989_2000 = "1989_2000"
    P2001_2005 = "2001_2005"
    P2006_2012 = "2006_2012"
    P2013_2021 = "2013_2021"
    APRES_2021 = "apres_2021"
    UNKNOWN = "unknown"


class EnergieChauffage(StrEnum):
    ELECTRICITE = "electricite"
    GAZ_NATUREL = "gaz_naturel"
    FIOUL = "fioul"
    BOIS = "bois"
    RESEAU_CHALEUR = "reseau_chaleur"
    GPL = "gpl"
    CHARBON = "charbon"
    AUTRE = "autre"
    UNKNOWN = "unknown"


class LabelKind(StrEnum):
    """The label a breakdown counts: as published, the GES label, recomputed under today's
    rules (the labels route's three distributions)."""

    ETIQUETTE_DPE = "etiquette_dpe"
    ETIQUETTE_GES = "etiquette_ges"
    LABEL_RECOMPUTED = "label_recomputed"


POPULATION = (
    "The DPE of the cut: every DPE in use at the area's Enedis-published buildings whose "
    "value is this one, building-wide (immeuble) DPE included, counted once per building. "
    "Per-m² figures are over all of them, where unfiltered ones are over dwelling DPE only."
)


class FilterRead(BaseModel):
    """The DPE filter of a statistics page: its rows describe this cut, not the whole area."""

    dimension: CutDimension
    value: str = Field(examples=["appartement"])
    population: str = Field(description="Which DPE the figures describe.", examples=[POPULATION])


class CutRead(BaseModel):
    """An area's cut under the filter: its DPE count, suppressed as any count of 1 … k-1 DPE is
    (and with the counts that would give one away); its figures go with it."""

    dimension: CutDimension
    value: str = Field(examples=["appartement"])
    n_dpe: int | None = Field(description="DPE of the cut (null when suppressed).", examples=[412])
    suppressed: bool
    reason: Reason | None


class BreakdownCell(BaseModel):
    count: int | None = Field(description="DPE of the value with this label (null: suppressed).")
    share: float | None = Field(
        description="count ÷ the value's labelled DPE; null when the count is suppressed, and "
        "when the value's DPE count is (the share would give it away)."
    )
    suppressed: bool
    reason: Reason | None


class BreakdownValue(BaseModel):
    value: str = Field(examples=["appartement"])
    n_dpe: int | None = Field(description="DPE of the value (null when suppressed).")
    suppressed: bool = Field(description="The value's DPE count is suppressed.")
    reason: Reason | None
    n_labelled: int | None = Field(
        description="Its DPE with a label: what its counts add up to (null when n_dpe is "
        "suppressed)."
    )
    labels: dict[str, BreakdownCell] = Field(description="Per label, A … G.")


_CELL: JsonDict = {"count": 181, "share": 0.4393, "suppressed": False, "reason": None}
_HIDDEN: JsonDict = {"count": None, "share": None, "suppressed": True, "reason": "below_min_dpe"}


class BreakdownRead(DataRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data_version": "c87c3d40a33b6c0e",
                    "sources": {"dpe": "2026-11-02", "enedis": "2026-06-30"},
                    "level": "commune",
                    "code": "06029",
                    "name": "Cannes",
                    "year": 2024,
                    "dimension": "type_batiment",
                    "by": "etiquette_dpe",
                    "n_dpe": 812,
                    "n_labelled": 812,
                    "items": [
                        {
                            "value": "appartement",
                            "n_dpe": 412,
                            "suppressed": False,
                            "reason": None,
                            "n_labelled": 412,
                            "labels": {"A": _HIDDEN, "D": _CELL},
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
    dimension: CutDimension
    by: LabelKind
    n_dpe: int = Field(description="DPE at the area's addresses: what the values add up to.")
    n_labelled: int = Field(
        description="The area's DPE with a label, as GET …/labels gives them: what each "
        "label's counts add up to over the values."
    )
    items: list[BreakdownValue] = Field(description="Every value of the dimension, in order.")
